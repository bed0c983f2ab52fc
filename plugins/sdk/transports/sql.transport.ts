import fs from "node:fs";
import path from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import type { Pool as PgPool, PoolConfig } from "pg";
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
  isTypedLegacyError,
  limitRows,
  normalizeRow,
  postgresError,
  sqliteError,
  throwIfAborted,
} from "./sql-support";
import { LegacyUnavailableError } from "../errors";

type Params = Readonly<Record<string, SqlParam>>;

const SCHEMA_NAME = /^[A-Za-z][A-Za-z0-9_]{0,29}$/;

/**
 * SQLite through better-sqlite3. Stands in for DB2 and Oracle in tests and simulators: each schema the views live in
 * (COUNTER, CORE …) is a file beside the main one, attached under the schema's name, so that `COUNTER.V_SALES_DAY`
 * reads as it does on the bank's server. Calls are synchronous: a deadline is checked before, not during, a statement.
 */
class SqliteClient implements SqlClient {
  readonly transport = "sql" as const;
  readonly dialect = "sqlite" as const;
  #db: BetterSqlite3.Database | null = null;

  constructor(
    private readonly file: string,
    private readonly schemas: readonly string[],
    private readonly details: Record<string, unknown>,
  ) {}

  #open(): BetterSqlite3.Database {
    if (this.#db) return this.#db;
    const Database = require("better-sqlite3") as typeof BetterSqlite3;
    try {
      const db = new Database(this.file, { fileMustExist: true });
      for (const schema of this.schemas) {
        const file = path.join(path.dirname(this.file), `${schema}.sqlite`);
        if (!fs.existsSync(file)) {
          db.close();
          throw new LegacyUnavailableError(`SQLite: no database file ${file} for schema ${schema}`, {
            ...this.details,
            sqlState: "08001",
          });
        }
        db.prepare(`ATTACH DATABASE ? AS "${schema}"`).run(file);
      }
      this.#db = db;
      return db;
    } catch (error) {
      if (isTypedLegacyError(error)) throw error;
      throw new LegacyUnavailableError(`SQLite: cannot open ${this.file}: ${(error as Error).message}`, {
        ...this.details,
        sqlState: "08001",
      });
    }
  }

  async query(sql: string, params: Params = {}, options: SqlQueryOptions = {}): Promise<SqlRow[]> {
    throwIfAborted(options.signal, "SQLite query");
    const db = this.#open();
    try {
      const compiled = compileNamedParams(limitRows("sqlite", sql, options.maxRows), params, "named");
      const rows = db.prepare(compiled.text).all(compiled.values) as Record<string, unknown>[];
      return Array.from(rows, normalizeRow);
    } catch (error) {
      if (error instanceof TypeError) throw error;
      throw sqliteError(error, this.details);
    }
  }

  async execute(sql: string, params: Params = {}, options: CallOptions = {}): Promise<number> {
    throwIfAborted(options.signal, "SQLite statement");
    const db = this.#open();
    try {
      const compiled = compileNamedParams(sql, params, "named");
      return db.prepare(compiled.text).run(compiled.values).changes;
    } catch (error) {
      if (error instanceof TypeError) throw error;
      throw sqliteError(error, this.details);
    }
  }

  async ping(options: CallOptions = {}): Promise<void> {
    await this.query("SELECT 1 AS OK", {}, options);
  }

  async close(): Promise<void> {
    this.#db?.close();
    this.#db = null;
  }
}

/** PostgreSQL through a node-postgres pool. DATE columns come back as text, as on DB2. */
class PostgresClient implements SqlClient {
  readonly transport = "sql" as const;
  readonly dialect = "postgres" as const;
  #pool: PgPool | null = null;
  // Holds the password: private (#) so that no inspect or log of the client shows it.
  readonly #config: PoolConfig;

  constructor(
    config: PoolConfig,
    private readonly context: TransportContext,
    private readonly details: Record<string, unknown>,
  ) {
    this.#config = config;
  }

  #poolOf(): PgPool {
    if (this.#pool) return this.#pool;
    const pg = require("pg") as typeof import("pg");
    const DATE_OID = 1082;
    const pool = new pg.Pool({
      ...this.#config,
      types: {
        getTypeParser: ((oid: number, format?: "text" | "binary") =>
          oid === DATE_OID ? (value: string) => value : pg.types.getTypeParser(oid, format)) as never,
      },
    });
    // An idle connection that the server drops must not crash the hub: the next query reconnects.
    pool.on("error", (error) =>
      this.context.log.warn(`plugin ${this.context.plugin}: idle PostgreSQL connection lost`, error.message),
    );
    this.#pool = pool;
    return pool;
  }

  async #run(
    sql: string,
    params: Params,
    options: SqlQueryOptions,
  ): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }> {
    throwIfAborted(options.signal, "PostgreSQL query");
    const compiled = compileNamedParams(limitRows("postgres", sql, options.maxRows), params, "dollar");
    try {
      return await this.#poolOf().query({
        text: compiled.text,
        values: compiled.values as SqlParam[],
        ...(options.timeoutMs ? { query_timeout: options.timeoutMs } : {}),
      } as never);
    } catch (error) {
      throw postgresError(error, this.details);
    }
  }

  async query(sql: string, params: Params = {}, options: SqlQueryOptions = {}): Promise<SqlRow[]> {
    return Array.from((await this.#run(sql, params, options)).rows, normalizeRow);
  }

  async execute(sql: string, params: Params = {}, options: CallOptions = {}): Promise<number> {
    return (await this.#run(sql, params, options)).rowCount ?? 0;
  }

  async ping(options: CallOptions = {}): Promise<void> {
    await this.query("SELECT 1 AS OK", {}, options);
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = null;
    await pool?.end();
  }
}

function sqliteFile(url: string): string {
  return path.resolve(decodeURIComponent(url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "")));
}

/** The `sql` transport: SQLite (`sqlite:/path/bank.sqlite`) or PostgreSQL (`postgres://user@host:5432/db`). */
export const sqlTransport: TransportFactory<"sql"> = {
  name: "sql",
  description: "SQL views on SQLite (tests, simulators) or PostgreSQL",
  settings: {
    url: {
      type: "url",
      required: true,
      description:
        "sqlite:/path/main.sqlite or postgres://user@host:5432/database (the password goes in `password`)",
    },
    password: { type: "string", secret: true, description: "PostgreSQL password" },
    schemas: {
      type: "string",
      default: "",
      description:
        "SQLite only: comma-separated schemas (e.g. COUNTER,CORE), each attached from <SCHEMA>.sqlite beside the main file",
    },
    poolSize: { type: "integer", default: 4, min: 1, max: 50, description: "PostgreSQL connections at most" },
    connectTimeoutMs: {
      type: "integer",
      default: 5000,
      min: 100,
      max: 120000,
      description: "Connection timeout",
    },
  },
  availability: () => null,
  create(settings: PluginSettings, context: TransportContext): SqlClient {
    const url = settings.string("url");
    const details = { plugin: context.plugin };
    if (url.startsWith("sqlite:")) {
      const schemas = (settings.optionalString("schemas") ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      for (const schema of schemas) {
        if (!SCHEMA_NAME.test(schema)) {
          throw settingsError(context.plugin, "schemas", `"${schema}" is not a plain schema name`);
        }
      }
      return new SqliteClient(sqliteFile(url), schemas, details);
    }
    if (/^postgres(ql)?:\/\//.test(url)) {
      return new PostgresClient(
        {
          connectionString: url,
          password: settings.secret("password"),
          max: settings.integer("poolSize"),
          connectionTimeoutMillis: settings.integer("connectTimeoutMs"),
          idleTimeoutMillis: 10_000,
          allowExitOnIdle: true,
        },
        context,
        details,
      );
    }
    throw settingsError(context.plugin, "url", "must start with sqlite: or postgres://");
  },
};
