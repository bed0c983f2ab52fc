/**
 * One conformance suite for every SQL transport (sql on SQLite and PostgreSQL, oracle, db2): what plugins rely on —
 * named parameters, upper-case columns, days as YYYY-MM-DD, exact amounts, Chinese text, row limits, typed errors.
 * Framework-neutral (node:assert): `sql-conformance.spec.ts` runs it under Jest here and wherever DB2_URL or
 * ORACLE_URL names a real server.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { LegacyFaultError, LegacyTimeoutError, LegacyUnavailableError } from "../errors";
import { day, int, text, yuan } from "../values";
import type { SqlClient } from "./base";

export interface SqlConformanceTarget {
  /** A connected client (connects on first use). */
  client: SqlClient;
  /** A client for the same dialect that cannot reach its server, to check the unavailable error. */
  unreachable?: () => SqlClient;
  /** A statement that runs longer than 2 s on this server, to check the timeout (none on SQLite). */
  slowQuery?: string;
}

export interface SqlConformanceCheck {
  name: string;
  run(target: SqlConformanceTarget, table: string): Promise<void>;
}

const ROWS = [
  { id: 1, name: "张伟", amount: "50000.00", day: "2026-03-02", note: "浦东支行 稳享理财30天" },
  { id: 2, name: "阿依古丽·买买提", amount: "8888.88", day: "2026-03-03", note: null },
  { id: 3, name: "𠇔伟", amount: "99999999999.99", day: "1985-03-12", note: "it's :not a parameter" },
  { id: 4, name: "王芳", amount: "0.10", day: "2026-12-31", note: "" },
];

async function expectError(work: Promise<unknown>, type: new (...args: never[]) => Error): Promise<Error> {
  try {
    await work;
  } catch (error) {
    assert.ok(
      error instanceof type,
      `expected ${type.name}, got ${(error as Error)?.name}: ${(error as Error)?.message}`,
    );
    return error as Error;
  }
  assert.fail(`expected ${type.name}, but the statement succeeded`);
}

export const SQL_CONFORMANCE: readonly SqlConformanceCheck[] = [
  {
    name: "answers a ping",
    run: async ({ client }) => {
      await client.ping({ timeoutMs: 10_000 });
    },
  },
  {
    name: "returns rows with upper-case column names in select order, whatever the dialect folds them to",
    run: async ({ client }, table) => {
      const rows = await client.query(`SELECT ID, NAME, AMOUNT, DAY_OF, NOTE FROM ${table} WHERE ID = :id`, {
        id: 1,
      });
      assert.equal(rows.length, 1);
      assert.deepEqual(Object.keys(rows[0]), ["ID", "NAME", "AMOUNT", "DAY_OF", "NOTE"]);
    },
  },
  {
    name: "round-trips Chinese names (also beyond the BMP and with a middle dot) and text with colons and quotes",
    run: async ({ client }, table) => {
      const rows = await client.query(`SELECT ID, NAME, NOTE FROM ${table} ORDER BY ID`);
      assert.deepEqual(
        rows.map((r) => [int(r.ID), text(r.NAME), text(r.NOTE)]),
        ROWS.map((r) => [r.id, r.name, r.note === "" ? null : r.note]),
      );
    },
  },
  {
    name: "binds and compares by Chinese text",
    run: async ({ client }, table) => {
      const rows = await client.query(`SELECT ID FROM ${table} WHERE NAME = :name`, {
        name: "阿依古丽·买买提",
      });
      assert.deepEqual(
        rows.map((r) => int(r.ID)),
        [2],
      );
    },
  },
  {
    name: "gives DATE columns as days (YYYY-MM-DD) and takes days as parameters",
    run: async ({ client }, table) => {
      const rows = await client.query(
        `SELECT ID, DAY_OF FROM ${table} WHERE DAY_OF >= :since ORDER BY DAY_OF`,
        { since: "2026-03-02" },
      );
      assert.deepEqual(
        rows.map((r) => [int(r.ID), day(r.DAY_OF)]),
        [
          [1, "2026-03-02"],
          [2, "2026-03-03"],
          [4, "2026-12-31"],
        ],
      );
    },
  },
  {
    name: "gives DECIMAL(18,2) amounts that read back exactly as yuan",
    run: async ({ client }, table) => {
      const rows = await client.query(`SELECT ID, AMOUNT FROM ${table} ORDER BY ID`);
      assert.deepEqual(
        rows.map((r) => yuan(r.AMOUNT)),
        ROWS.map((r) => r.amount),
      );
    },
  },
  {
    name: "binds a parameter used twice",
    run: async ({ client }, table) => {
      const rows = await client.query(
        `SELECT ID FROM ${table} WHERE ID IN (:id, :other) OR (NAME = :name AND ID <> :id) ORDER BY ID`,
        {
          id: 1,
          other: 2,
          name: "王芳",
        },
      );
      assert.deepEqual(
        rows.map((r) => int(r.ID)),
        [1, 2, 4],
      );
    },
  },
  {
    name: "limits rows (maxRows)",
    run: async ({ client }, table) => {
      const rows = await client.query(`SELECT ID FROM ${table} ORDER BY ID`, {}, { maxRows: 2 });
      assert.deepEqual(
        rows.map((r) => int(r.ID)),
        [1, 2],
      );
    },
  },
  {
    name: "counts the rows a statement changes",
    run: async ({ client }, table) => {
      const changed = await client.execute(`UPDATE ${table} SET NOTE = NOTE WHERE ID IN (:a, :b)`, {
        a: 1,
        b: 2,
      });
      assert.equal(changed, 2);
    },
  },
  {
    name: "answers a missing view with LegacyFaultError and a SQLSTATE of class 42",
    run: async ({ client }, table) => {
      const e = (await expectError(
        client.query(`SELECT * FROM ${table}_MISSING`),
        LegacyFaultError,
      )) as LegacyFaultError;
      assert.match(e.sqlState ?? "", /^42/);
    },
  },
  {
    name: "answers a syntax error with LegacyFaultError and a SQLSTATE of class 42",
    run: async ({ client }, table) => {
      const e = (await expectError(
        client.query(`SELECT ID FORM ${table}`),
        LegacyFaultError,
      )) as LegacyFaultError;
      assert.match(e.sqlState ?? "", /^42/);
    },
  },
  {
    name: "answers an unreachable server with LegacyUnavailableError",
    run: async ({ unreachable }) => {
      if (!unreachable) return;
      const client = unreachable();
      try {
        await expectError(client.query("SELECT 1 AS OK"), LegacyUnavailableError);
      } finally {
        await client.close();
      }
    },
  },
  {
    name: "runs statements concurrently",
    run: async ({ client }, table) => {
      const counts = await Promise.all(
        Array.from({ length: 8 }, () =>
          client.query(`SELECT COUNT(*) AS N FROM ${table}`).then((r) => int(r[0].N)),
        ),
      );
      assert.deepEqual(counts, Array(8).fill(ROWS.length));
    },
  },
  {
    name: "answers a statement past its timeout with LegacyTimeoutError",
    run: async ({ client, slowQuery }) => {
      if (!slowQuery) return;
      await expectError(client.query(slowQuery, {}, { timeoutMs: 500 }), LegacyTimeoutError);
    },
  },
];

/** Creates the suite's table (a fresh name) with its rows; returns the name. Portable DDL: DB2, Oracle, PG, SQLite. */
export async function createConformanceTable(client: SqlClient): Promise<string> {
  const table = `DR_CONF_${crypto.randomBytes(4).toString("hex").toUpperCase()}`;
  await client.execute(
    `CREATE TABLE ${table} (ID INTEGER NOT NULL PRIMARY KEY, NAME VARCHAR(60) NOT NULL, AMOUNT DECIMAL(18,2) NOT NULL, DAY_OF DATE NOT NULL, NOTE VARCHAR(200))`,
  );
  for (const row of ROWS) {
    await client.execute(
      `INSERT INTO ${table} (ID, NAME, AMOUNT, DAY_OF, NOTE) VALUES (:id, :name, :amount, :day, :note)`,
      {
        ...row,
        note: row.note === "" ? null : row.note,
      },
    );
  }
  return table;
}

export async function dropConformanceTable(client: SqlClient, table: string): Promise<void> {
  await client.execute(`DROP TABLE ${table}`);
}
