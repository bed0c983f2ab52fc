import type { PluginLogger } from "../logger";
import type { PluginSettings, SettingsSpec } from "../settings";

/** Every transport a plugin can speak; `transports/index.ts` registers one factory per name. */
export const TRANSPORT_NAMES = ["soap", "db2", "oracle", "sql", "http-xml"] as const;
export type TransportName = (typeof TRANSPORT_NAMES)[number];

export function isTransportName(name: unknown): name is TransportName {
  return typeof name === "string" && (TRANSPORT_NAMES as readonly string[]).includes(name);
}

/** Per call: the host's deadline. Transports pass the signal to their driver where the driver can cancel. */
export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** What every transport client offers. Errors are always the typed legacy errors of `../errors`. */
export interface TransportClient {
  readonly transport: TransportName;
  /** Proves that the system answers (fetches the WSDL, runs SELECT 1, makes an HTTP round trip). */
  ping(options?: CallOptions): Promise<void>;
  /** Releases connections; the client connects again on the next call. */
  close(): Promise<void>;
}

/** A SOAP client built from the system's WSDL. */
export interface SoapClient extends TransportClient {
  readonly transport: "soap";
  /** Calls a WSDL operation with its input element's content; resolves to the output element's content. */
  call(
    operation: string,
    args: Record<string, unknown>,
    options?: CallOptions,
  ): Promise<Record<string, unknown>>;
}

export type SqlDialect = "sqlite" | "postgres" | "oracle" | "db2";
/** What a SQL parameter may be: bind days as YYYY-MM-DD text and amounts as decimal text. */
export type SqlParam = string | number | boolean | null;
/** A row with upper-case column names; days as YYYY-MM-DD; DECIMAL/NUMBER as text or number (use `values.yuan`). */
export type SqlRow = Record<string, string | number | null>;

export interface SqlQueryOptions extends CallOptions {
  /** Fetch at most this many rows (FETCH FIRST n ROWS ONLY, or LIMIT on SQLite). */
  maxRows?: number;
}

/**
 * One SQL interface over SQLite, PostgreSQL, Oracle and DB2: named parameters (`:customerNo`) whatever the driver's
 * own style, upper-case column names, days as text. `sql-conformance.ts` holds every transport to it.
 */
export interface SqlClient extends TransportClient {
  readonly transport: "sql" | "oracle" | "db2";
  readonly dialect: SqlDialect;
  query(
    sql: string,
    params?: Readonly<Record<string, SqlParam>>,
    options?: SqlQueryOptions,
  ): Promise<SqlRow[]>;
  /** DDL and DML; resolves to the number of rows changed (0 for DDL). */
  execute(sql: string, params?: Readonly<Record<string, SqlParam>>, options?: CallOptions): Promise<number>;
}

/** XML documents over HTTP POST, as 银保通 (bancassurance) front ends exchange them. */
export interface HttpXmlClient extends TransportClient {
  readonly transport: "http-xml";
  /**
   * Posts `document` (one root element, as an xml2js object: `{ TranData: { Head: {...}, Body: {...} } }`) and
   * resolves to the parsed answer's root element content.
   */
  exchange(document: Record<string, unknown>, options?: CallOptions): Promise<Record<string, unknown>>;
}

/** The client type an operation gets for each transport name. */
export interface TransportClients {
  soap: SoapClient;
  db2: SqlClient;
  oracle: SqlClient;
  sql: SqlClient;
  "http-xml": HttpXmlClient;
}

export interface TransportContext {
  plugin: string;
  log: PluginLogger;
}

/** One transport: its settings (merged into the plugin's when selected) and how to make a client. */
export interface TransportFactory<N extends TransportName = TransportName> {
  readonly name: N;
  readonly description: string;
  readonly settings: SettingsSpec;
  /** null when usable on this machine; otherwise why not and how to fix it (e.g. a driver to install). */
  availability(): string | null;
  /** Makes a client; it connects on first use, so that a system that is down does not stop the hub starting. */
  create(settings: PluginSettings, context: TransportContext): TransportClients[N];
}
