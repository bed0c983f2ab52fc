import { LegacyFaultError, LegacyTimeoutError, LegacyUnavailableError } from "../errors";
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
  normalizeRow,
  throwIfAborted,
} from "./sql-support";

type Params = Readonly<Record<string, SqlParam>>;

/** The part of node-oracledb 7 this transport uses (the package ships no type declarations). */
interface OracleConnection {
  callTimeout: number;
  execute(
    sql: string,
    binds?: Record<string, unknown>,
    options?: Record<string, unknown>,
  ): Promise<{ rows?: Record<string, unknown>[]; rowsAffected?: number }>;
  close(): Promise<void>;
}

interface OraclePool {
  getConnection(): Promise<OracleConnection>;
  close(drainSeconds?: number): Promise<void>;
}

interface OraclePoolAttributes {
  user: string;
  password: string | undefined;
  connectString: string;
  poolMin: number;
  poolMax: number;
  poolTimeout: number;
  connectTimeout: number;
  sessionCallback?: (connection: OracleConnection, tag: string, done: (error?: Error) => void) => void;
}

interface OracleDriver {
  createPool(attributes: OraclePoolAttributes): Promise<OraclePool>;
  OUT_FORMAT_OBJECT: number;
  DB_TYPE_NUMBER: unknown;
  STRING: unknown;
}

const oracleDriver = () => require("oracledb") as OracleDriver;

/** ORA- errors that mean the database or the network is not there (listener, shutdown, lost connection). */
const ORA_UNAVAILABLE = new Set([
  "ORA-01033",
  "ORA-01034",
  "ORA-01089",
  "ORA-03113",
  "ORA-03114",
  "ORA-03135",
  "ORA-12170",
  "ORA-12505",
  "ORA-12514",
  "ORA-12528",
  "ORA-12537",
  "ORA-12541",
  "ORA-12543",
]);

/** ORA- codes with the SQLSTATE Oracle documents for them; the rest are HY000. */
const ORA_SQLSTATE: Record<string, string> = {
  "ORA-00001": "23000",
  "ORA-00900": "42000",
  "ORA-00904": "42000",
  "ORA-00933": "42000",
  "ORA-00936": "42000",
  "ORA-00942": "42000",
  "ORA-01017": "28000",
  "ORA-01031": "42000",
  "ORA-01400": "23000",
  "ORA-01722": "22018",
  "ORA-01861": "22008",
};

/** node-oracledb (thin) errors: NJS-5xx are network failures; ORA- codes keep their number as `vendorCode`. */
export function oracleError(error: unknown, details: Record<string, unknown> = {}): Error {
  if (isTypedLegacyError(error)) return error as Error;
  const e = error as Error & { code?: string; errorNum?: number };
  const message = (e?.message ?? String(error)).split("\n")[0];
  const code = e?.code ?? (e?.errorNum ? `ORA-${String(e.errorNum).padStart(5, "0")}` : undefined);
  const base = { ...details, vendorCode: code };
  if (code === "NJS-123" || code === "ORA-01013" || code === "DPI-1067" || /call timeout/i.test(message)) {
    return new LegacyTimeoutError(`Oracle: ${message}`, base, { cause: error });
  }
  if (
    (code && (/^NJS-5\d\d$/.test(code) || ORA_UNAVAILABLE.has(code))) ||
    /NJS-040|NJS-500|NJS-503/.test(message)
  ) {
    return new LegacyUnavailableError(`Oracle: ${message}`, { ...base, sqlState: "08001" }, { cause: error });
  }
  if (code?.startsWith("ORA-")) {
    return LegacyFaultError.fromSqlState(ORA_SQLSTATE[code] ?? "HY000", message, base, { cause: error });
  }
  return new LegacyFaultError(`Oracle: ${message}`, base, { cause: error });
}

/**
 * Oracle through node-oracledb in thin mode (no Instant Client). Each session works with DATEs as YYYY-MM-DD, a
 * point as the decimal separator and Beijing time, so that binds written as text mean the same as on DB2.
 */
class OracleClient implements SqlClient {
  readonly transport = "oracle" as const;
  readonly dialect = "oracle" as const;
  #pool: Promise<OraclePool> | null = null;
  // Holds the password: private (#) so that no inspect or log of the client shows it.
  readonly #config: OraclePoolAttributes;

  constructor(
    config: OraclePoolAttributes,
    private readonly details: Record<string, unknown>,
  ) {
    this.#config = config;
  }

  #poolOf(): Promise<OraclePool> {
    if (!this.#pool) {
      const pool = oracleDriver().createPool({
        ...this.#config,
        sessionCallback: (connection, _tag, done) => {
          connection
            .execute(
              "ALTER SESSION SET NLS_DATE_FORMAT = 'YYYY-MM-DD' NLS_NUMERIC_CHARACTERS = '.,' TIME_ZONE = '+08:00'",
            )
            .then(() => done(), done);
        },
      });
      // A failed pool is not kept: the next call tries again.
      pool.catch(() => {
        this.#pool = null;
      });
      this.#pool = pool;
    }
    return this.#pool as Promise<OraclePool>;
  }

  async #withConnection<T>(options: CallOptions, work: (c: OracleConnection) => Promise<T>): Promise<T> {
    throwIfAborted(options.signal, "Oracle statement");
    let connection: OracleConnection | null = null;
    try {
      connection = await (await this.#poolOf()).getConnection();
      if (options.timeoutMs) connection.callTimeout = options.timeoutMs;
      return await work(connection);
    } catch (error) {
      if (error instanceof TypeError) throw error;
      throw oracleError(error, this.details);
    } finally {
      await connection?.close().catch(() => undefined);
    }
  }

  async query(sql: string, params: Params = {}, options: SqlQueryOptions = {}): Promise<SqlRow[]> {
    const oracledb = oracleDriver();
    const compiled = compileNamedParams(sql, params, "named");
    return this.#withConnection(options, async (connection) => {
      const result = await connection.execute(compiled.text, compiled.values as Record<string, unknown>, {
        outFormat: oracledb.OUT_FORMAT_OBJECT,
        ...(options.maxRows ? { maxRows: options.maxRows } : {}),
        // NUMBER as text: DECIMAL(18,2) amounts must not pass through a double.
        fetchTypeHandler: (meta: { dbType: unknown }) =>
          meta.dbType === oracledb.DB_TYPE_NUMBER ? { type: oracledb.STRING } : undefined,
      });
      return Array.from(result.rows ?? [], normalizeRow);
    });
  }

  async execute(sql: string, params: Params = {}, options: CallOptions = {}): Promise<number> {
    const compiled = compileNamedParams(sql, params, "named");
    return this.#withConnection(options, async (connection) => {
      const result = await connection.execute(compiled.text, compiled.values as Record<string, unknown>, {
        autoCommit: true,
      });
      return result.rowsAffected ?? 0;
    });
  }

  async ping(options: CallOptions = {}): Promise<void> {
    await this.query("SELECT 1 AS OK FROM DUAL", {}, options);
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = null;
    if (pool) await (await pool.catch(() => null))?.close(0);
  }
}

/** `oracle://user@host:1521/service` into node-oracledb's user and Easy Connect string. */
export function parseOracleUrl(plugin: string, raw: string): { user: string; connectString: string } {
  const url = new URL(raw);
  if (url.protocol !== "oracle:" || !url.username || !url.hostname || url.pathname.length < 2) {
    throw settingsError(plugin, "url", "must look like oracle://user@host:1521/service");
  }
  return {
    user: decodeURIComponent(url.username),
    connectString: `${url.hostname}:${url.port || "1521"}/${decodeURIComponent(url.pathname.slice(1))}`,
  };
}

/** The `oracle` transport: node-oracledb 7 in thin mode. */
export const oracleTransport: TransportFactory<"oracle"> = {
  name: "oracle",
  description: "Oracle views through node-oracledb (thin mode, no Instant Client needed)",
  settings: databaseServerSettings(
    "Oracle",
    "oracle://user@host:1521/service (the password goes in `password`)",
  ),
  availability() {
    try {
      require.resolve("oracledb");
      return null;
    } catch {
      return "the oracle transport needs the oracledb package: run `npm install oracledb@7`";
    }
  },
  create(settings: PluginSettings, context: TransportContext): SqlClient {
    const { user, connectString } = parseOracleUrl(context.plugin, settings.string("url"));
    return new OracleClient(
      {
        user,
        password: settings.secret("password"),
        connectString,
        poolMin: 0,
        poolMax: settings.integer("poolSize"),
        poolTimeout: 60,
        connectTimeout: Math.ceil(settings.integer("connectTimeoutMs") / 1000),
      },
      { plugin: context.plugin },
    );
  },
};
