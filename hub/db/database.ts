import fs from "node:fs";
import path from "node:path";
import "reflect-metadata";
import { DataSource, type DataSourceOptions, type EntityManager } from "typeorm";
import type { DatabaseConfig } from "../config";
import { ENTITIES } from "./entities";
import { MIGRATIONS } from "./migrations";

/**
 * The hub's handle on its database. All writes go through `transaction()`: on SQLite TypeORM shares one
 * connection between callers, so concurrent transactions would nest into each other; here they queue instead.
 */
export class Database {
  private sqliteQueue: Promise<unknown> = Promise.resolve();
  private readonly dialectSql = new Map<string, string>();

  constructor(
    readonly dataSource: DataSource,
    readonly config: DatabaseConfig,
  ) {}

  get type(): DatabaseConfig["type"] {
    return this.config.type;
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.type !== "sqlite") return this.dataSource.transaction(work);
    const run = this.sqliteQueue.then(() => this.dataSource.transaction(work));
    this.sqliteQueue = run.catch(() => undefined);
    return run;
  }

  /** Row lock for the remainder of a transaction; SQLite transactions are already serialised. */
  lockClause(): "pessimistic_write" | undefined {
    return this.type === "sqlite" ? undefined : "pessimistic_write";
  }

  /**
   * Plain SQL for hot paths, written with `?` placeholders and translated once per text ($1 on PostgreSQL,
   * :1 on Oracle). A fixed text is prepared once and reused, where TypeORM's builder would build it anew.
   * Column names come back lower-cased on every backend.
   */
  async query<T extends Record<string, unknown>>(
    manager: EntityManager,
    text: string,
    params: unknown[] = [],
  ): Promise<T[]> {
    let sql = this.dialectSql.get(text);
    if (sql === undefined) {
      let n = 0;
      sql =
        this.type === "sqlite"
          ? text
          : text.replace(/\?/g, () => (this.type === "postgres" ? `$${++n}` : `:${++n}`));
      this.dialectSql.set(text, sql);
    }
    const rows: Record<string, unknown>[] = (await manager.query(sql, params)) ?? [];
    if (this.type !== "oracle" || !Array.isArray(rows)) return rows as T[];
    return rows.map((row) =>
      Object.fromEntries(Object.entries(row).map(([k, v]) => [k.toLowerCase(), v])),
    ) as T[];
  }

  async pendingMigrations(): Promise<boolean> {
    return this.dataSource.showMigrations();
  }

  async migrate(): Promise<string[]> {
    const done = await this.dataSource.runMigrations({ transaction: "each" });
    return done.map((m) => m.name);
  }

  async ping(): Promise<void> {
    await this.dataSource.query(this.type === "oracle" ? "SELECT 1 FROM DUAL" : "SELECT 1");
  }

  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

function dataSourceOptions(config: DatabaseConfig): DataSourceOptions {
  const common = { entities: ENTITIES, migrations: MIGRATIONS, synchronize: false, logging: false } as const;
  switch (config.type) {
    case "sqlite":
      return {
        ...common,
        type: "better-sqlite3",
        database: config.file,
        prepareDatabase: (db: { pragma(sql: string): unknown }) => {
          // WAL for concurrent readers; FULL so that a committed audit entry survives a power cut.
          db.pragma("journal_mode = WAL");
          db.pragma("synchronous = FULL");
          db.pragma("busy_timeout = 5000");
          db.pragma("foreign_keys = ON");
          // Deleted and overwritten content is zeroed: a purged recording's destroyed data key leaves no trace
          // in the file (the retention sweep then checkpoints the write-ahead log).
          db.pragma("secure_delete = ON");
        },
      };
    case "postgres":
      return { ...common, type: "postgres", url: config.url, poolSize: 10 };
    case "oracle":
      // oracledb 7 runs in thin mode by default: no Instant Client needed.
      return {
        ...common,
        type: "oracle",
        username: config.user,
        password: config.password,
        connectString: config.connectString,
      };
  }
}

export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  if (config.type === "sqlite") fs.mkdirSync(path.dirname(config.file), { recursive: true });
  const dataSource = new DataSource(dataSourceOptions(config));
  await dataSource.initialize();
  return new Database(dataSource, config);
}
