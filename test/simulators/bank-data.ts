/**
 * The simulated banks' databases: one SQL file per schema (DDL + seed, `sql/<SCHEMA>.sql`), loaded into SQLite
 * (a file per schema, or in memory behind a SOAP simulator) or into a fresh PostgreSQL database.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { Client } from "pg";

export const BANK_SCHEMAS = ["COUNTER", "CORE", "FUNDSALE", "WEALTH", "BANCA", "CRM"] as const;
export type BankSchema = (typeof BANK_SCHEMAS)[number];

const SQL_DIR = path.join(__dirname, "sql");

export function schemaSql(schema: BankSchema): string {
  return fs.readFileSync(path.join(SQL_DIR, `${schema}.sql`), "utf8");
}

/** Statements of a file: split at semicolons that end a line; comments dropped. */
export function statements(sql: string): string[] {
  return sql
    .split("\n")
    .filter((line) => !/^\s*--/.test(line))
    .join("\n")
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The schema in a private in-memory SQLite database (what a SOAP simulator reads). */
export function memorySchema(schema: BankSchema): Database.Database {
  const db = new Database(":memory:");
  db.exec(schemaSql(schema));
  return db;
}

/**
 * SQLite files for the `sql` transport: an empty `main.sqlite` and one `<SCHEMA>.sqlite` per schema, which the
 * transport attaches under the schema's name (settings `url` and `schemas`).
 */
export function createSqliteBank(
  dir: string,
  schemas: readonly BankSchema[],
): { url: string; schemas: string; dir: string } {
  fs.mkdirSync(dir, { recursive: true });
  new Database(path.join(dir, "main.sqlite")).close();
  for (const schema of schemas) {
    const file = path.join(dir, `${schema}.sqlite`);
    fs.rmSync(file, { force: true });
    const db = new Database(file);
    db.exec(schemaSql(schema));
    db.close();
  }
  return { url: `sqlite:${path.join(dir, "main.sqlite")}`, schemas: schemas.join(","), dir };
}

/** Makes the views of a schema fail (SQL errors, as when a DBA drops them) and come back. */
export interface ViewSwitch {
  offline(): Promise<void>;
  online(): Promise<void>;
}

export function sqliteViewSwitch(dir: string, schema: BankSchema): ViewSwitch {
  let saved: { name: string; sql: string }[] = [];
  const open = () => new Database(path.join(dir, `${schema}.sqlite`));
  return {
    async offline() {
      const db = open();
      saved = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'view'").all() as typeof saved;
      for (const view of saved) db.exec(`DROP VIEW "${view.name}"`);
      db.close();
    },
    async online() {
      const db = open();
      for (const view of saved) db.exec(view.sql);
      saved = [];
      db.close();
    },
  };
}

/** A fresh PostgreSQL database `sim_<random>` with the schemas (lower-case names, as unquoted DDL makes them). */
export async function createPostgresBank(
  adminUrl: string,
  schemas: readonly BankSchema[],
): Promise<{ url: string; drop(): Promise<void>; viewSwitch(schema: BankSchema): ViewSwitch }> {
  const name = `sim_${crypto.randomBytes(6).toString("hex")}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} ENCODING 'UTF8' TEMPLATE template0`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = new Client({ connectionString: url.toString() });
  await db.connect();
  try {
    for (const schema of schemas) {
      await db.query(`CREATE SCHEMA ${schema}`);
      await db.query(`SET search_path TO ${schema}`);
      await db.query(schemaSql(schema));
    }
  } finally {
    await db.end();
  }
  const run = async (sql: string) => {
    const c = new Client({ connectionString: url.toString() });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  return {
    url: url.toString(),
    async drop() {
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
    viewSwitch(schema: BankSchema): ViewSwitch {
      let views: string[] = [];
      return {
        async offline() {
          const c = new Client({ connectionString: url.toString() });
          await c.connect();
          try {
            const res = await c.query(
              "SELECT table_name FROM information_schema.views WHERE table_schema = $1",
              [schema.toLowerCase()],
            );
            views = res.rows.map((r: { table_name: string }) => r.table_name);
          } finally {
            await c.end();
          }
          for (const view of views) await run(`ALTER VIEW ${schema}.${view} RENAME TO ${view}_offline`);
        },
        async online() {
          for (const view of views) await run(`ALTER VIEW ${schema}.${view}_offline RENAME TO ${view}`);
          views = [];
        },
      };
    },
  };
}
