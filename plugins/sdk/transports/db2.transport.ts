import { LegacyFaultError, LegacyUnavailableError } from "../errors";
import { settingsError, type PluginSettings } from "../settings";
import type {
  CallOptions,
  SqlClient,
  SqlParam,
  SqlQueryOptions,
  SqlRow,
  TransportContext,
  TransportFactory,
} from "./base";
import {
  compileNamedParams,
  databaseServerSettings,
  isTypedLegacyError,
  limitRows,
  normalizeRow,
  throwIfAborted,
} from "./sql-support";

type Params = Readonly<Record<string, SqlParam>>;
type Callback<T> = (error: unknown, value: T) => void;

/** The part of `ibm_db` this transport uses: its Pool, connections with `?` parameters, callbacks. */
export interface Db2Statement {
  executeNonQuery(params: SqlParam[], callback: Callback<number>): void;
  closeSync(): void;
}

export interface Db2Connection {
  query(sql: string, params: SqlParam[], callback: Callback<Record<string, unknown>[]>): void;
  prepare(sql: string, callback: Callback<Db2Statement>): void;
  close(callback: (error?: unknown) => void): void;
}

export interface Db2Pool {
  open(connectionString: string, callback: Callback<Db2Connection>): void;
  close(callback: (error?: unknown) => void): void;
}

export interface Db2Driver {
  Pool: new (options?: { maxPoolSize?: number; connectTimeout?: number }) => Db2Pool;
}

export const IBM_DB_INSTALL_HINT =
  "the db2 transport needs IBM's driver, which is not installed (it is not a dependency of the hub because its " +
  "install downloads IBM's CLI driver and breaks offline installs): run `npm install ibm_db` on this machine " +
  "(offline: set IBM_DB_INSTALLER_URL to a downloaded clidriver archive, or IBM_DB_HOME to an installed Db2 " +
  "client), then start the hub again. See docs/plugins.md.";

/** `ibm_db` when installed, else null. Loaded only when a plugin selects the db2 transport. */
export function loadIbmDb(): Db2Driver | null {
  try {
    return require("ibm_db") as Db2Driver;
  } catch {
    return null;
  }
}

/** ibm_db errors carry `state` (SQLSTATE) and `sqlcode`; 08xxx and SQL30081N mean no connection. */
export function db2Error(error: unknown, details: Record<string, unknown> = {}): Error {
  if (isTypedLegacyError(error)) return error as Error;
  const e = (error ?? {}) as { state?: string; sqlcode?: number; message?: string; code?: string };
  const message = (e.message ?? String(error)).replace(/^\[node-ibm_db\]\s*/, "");
  const vendorCode =
    typeof e.sqlcode === "number" ? `SQL${Math.abs(e.sqlcode)}${e.sqlcode < 0 ? "N" : "W"}` : e.code;
  if (vendorCode === "SQL30081N" || vendorCode === "SQL1224N") {
    return new LegacyUnavailableError(`DB2 ${vendorCode}: ${message}`, {
      ...details,
      vendorCode,
      sqlState: e.state,
    });
  }
  if (typeof e.state === "string") {
    return LegacyFaultError.fromSqlState(e.state, message, { ...details, vendorCode }, { cause: error });
  }
  return new LegacyFaultError(`DB2: ${message}`, { ...details, vendorCode }, { cause: error });
}

/** `db2://user@host:50000/DATABASE?Security=SSL` into a CLI connection string (password from the secret). */
export function db2ConnectionString(plugin: string, raw: string, password: string | undefined): string {
  const url = new URL(raw);
  if (url.protocol !== "db2:" || !url.username || !url.hostname || url.pathname.length < 2) {
    throw settingsError(plugin, "url", "must look like db2://user@host:50000/DATABASE");
  }
  const parts = [
    `DATABASE=${decodeURIComponent(url.pathname.slice(1))}`,
    `HOSTNAME=${url.hostname}`,
    `PORT=${url.port || "50000"}`,
    "PROTOCOL=TCPIP",
    `UID=${decodeURIComponent(url.username)}`,
    ...(password ? [`PWD=${password}`] : []),
    ...[...url.searchParams].map(([k, v]) => `${k}=${v}`),
  ];
  for (const part of parts) {
    if (/;/.test(part)) throw settingsError(plugin, "url", "no value may contain ';'");
  }
  return `${parts.join(";")};`;
}

function promised<T>(work: (callback: Callback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => work((error, value) => (error ? reject(error) : resolve(value))));
}

/**
 * DB2 through ibm_db's pool. The host's deadline abandons a call; the statement itself runs on in DB2 until it ends
 * (bound it on the server with a WLM threshold if the views can be slow).
 */
class Db2Client implements SqlClient {
  readonly transport = "db2" as const;
  readonly dialect = "db2" as const;
  #pool: Db2Pool | null = null;
  // Holds the password: private (#) so that no inspect or log of the client shows it.
  readonly #connectionString: string;

  constructor(
    private readonly driver: Db2Driver,
    connectionString: string,
    private readonly poolOptions: { maxPoolSize: number; connectTimeout: number },
    private readonly details: Record<string, unknown>,
  ) {
    this.#connectionString = connectionString;
  }

  async #withConnection<T>(
    options: CallOptions,
    work: (connection: Db2Connection) => Promise<T>,
  ): Promise<T> {
    throwIfAborted(options.signal, "DB2 statement");
    this.#pool ??= new this.driver.Pool(this.poolOptions);
    let connection: Db2Connection;
    try {
      connection = await promised<Db2Connection>((cb) => this.#pool!.open(this.#connectionString, cb));
    } catch (error) {
      const mapped = db2Error(error, this.details);
      // A connection that cannot be opened is "unavailable" whatever SQLSTATE the CLI driver picked.
      throw mapped instanceof LegacyFaultError
        ? new LegacyUnavailableError(mapped.message, mapped.data as Record<string, unknown>, { cause: error })
        : mapped;
    }
    try {
      return await work(connection);
    } catch (error) {
      throw db2Error(error, this.details);
    } finally {
      connection.close(() => undefined);
    }
  }

  async query(sql: string, params: Params = {}, options: SqlQueryOptions = {}): Promise<SqlRow[]> {
    const compiled = compileNamedParams(limitRows("db2", sql, options.maxRows), params, "question");
    const rows = await this.#withConnection(options, (connection) =>
      promised<Record<string, unknown>[]>((cb) =>
        connection.query(compiled.text, compiled.values as SqlParam[], cb),
      ),
    );
    return Array.isArray(rows) ? Array.from(rows, normalizeRow) : [];
  }

  async execute(sql: string, params: Params = {}, options: CallOptions = {}): Promise<number> {
    const compiled = compileNamedParams(sql, params, "question");
    return this.#withConnection(options, async (connection) => {
      const statement = await promised<Db2Statement>((cb) => connection.prepare(compiled.text, cb));
      try {
        const count = await promised<number>((cb) =>
          statement.executeNonQuery(compiled.values as SqlParam[], cb),
        );
        return Math.max(0, count ?? 0);
      } finally {
        statement.closeSync();
      }
    });
  }

  async ping(options: CallOptions = {}): Promise<void> {
    await this.query("SELECT 1 AS OK FROM SYSIBM.SYSDUMMY1", {}, options);
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = null;
    if (pool) await promised<void>((cb) => pool.close((error) => cb(error, undefined)));
  }
}

/** A db2 transport over the given driver loader; the registered one loads `ibm_db` lazily. */
export function createDb2Transport(loadDriver: () => Db2Driver | null = loadIbmDb): TransportFactory<"db2"> {
  return {
    name: "db2",
    description: "DB2 views through IBM's ibm_db driver (installed separately: npm install ibm_db)",
    settings: databaseServerSettings(
      "DB2",
      "db2://user@host:50000/DATABASE, CLI keywords as query parameters (?Security=SSL)",
    ),
    availability: () => (loadDriver() ? null : IBM_DB_INSTALL_HINT),
    create(settings: PluginSettings, context: TransportContext): SqlClient {
      const driver = loadDriver();
      if (!driver) throw new LegacyUnavailableError(IBM_DB_INSTALL_HINT, { plugin: context.plugin });
      return new Db2Client(
        driver,
        db2ConnectionString(context.plugin, settings.string("url"), settings.secret("password")),
        {
          maxPoolSize: settings.integer("poolSize"),
          connectTimeout: Math.ceil(settings.integer("connectTimeoutMs") / 1000),
        },
        { plugin: context.plugin },
      );
    },
  };
}

export const db2Transport = createDb2Transport();
