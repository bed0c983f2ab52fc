/**
 * The shared SQL conformance suite on every SQL transport this machine can reach: SQLite and PostgreSQL here
 * (PostgreSQL must not be skipped under CI=true), DB2 where DB2_URL is set, Oracle where ORACLE_URL is set, and the
 * db2 transport's own code over an ibm_db-shaped double (so that its `?` parameters, rows and error mapping run here).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { SILENT_LOGGER } from "../logger";
import { resolveSettings } from "../settings";
import type { SqlClient, SqlParam, TransportFactory } from "./base";
import {
  createDb2Transport,
  db2ConnectionString,
  db2Error,
  type Db2Connection,
  type Db2Driver,
  type Db2Statement,
} from "./db2.transport";
import { oracleError, oracleTransport } from "./oracle.transport";
import {
  createConformanceTable,
  dropConformanceTable,
  SQL_CONFORMANCE,
  type SqlConformanceTarget,
} from "./sql-conformance";
import { sqlTransport } from "./sql.transport";
import { LegacyFaultError, LegacyTimeoutError, LegacyUnavailableError } from "../errors";

function client(
  factory: TransportFactory,
  settings: Record<string, string | number>,
  env: Record<string, string> = {},
): SqlClient {
  return factory.create(resolveSettings("conformance", factory.settings, settings, env), {
    plugin: "conformance",
    log: SILENT_LOGGER,
  }) as SqlClient;
}

/** A server URL with its password taken out (settings refuse passwords in URLs) and a port nobody listens on. */
function split(raw: string): { url: string; password: string; unreachable: string } {
  const url = new URL(raw);
  const password = decodeURIComponent(url.password);
  url.password = "";
  const unreachable = new URL(url.toString());
  unreachable.hostname = "127.0.0.1";
  unreachable.port = "1";
  return { url: url.toString(), password, unreachable: unreachable.toString() };
}

function describeConformance(
  label: string,
  target: (() => SqlConformanceTarget) | null,
  skipReason?: string,
): void {
  if (!target) {
    describe.skip(`SQL conformance: ${label}`, () => {
      it("is skipped", () => undefined);
    });
    // Said once per run, so that a skipped server is visible in the output.
    process.stdout.write(`SQL conformance on ${label} skipped: ${skipReason}\n`);
    return;
  }
  describe(`SQL conformance: ${label}`, () => {
    let t: SqlConformanceTarget;
    let table: string;
    beforeAll(async () => {
      t = target();
      table = await createConformanceTable(t.client);
    }, 60_000);
    afterAll(async () => {
      await dropConformanceTable(t.client, table).catch(() => undefined);
      await t.client.close();
    });
    it.each(SQL_CONFORMANCE.map((c) => [c.name, c]))("%s", async (_name, check) => {
      await check.run(t, table);
    });
  });
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dr-sqlconf-"));
new Database(path.join(tmp, "main.sqlite")).close();

describeConformance("sql transport, SQLite", () => ({
  client: client(sqlTransport, { url: `sqlite:${path.join(tmp, "main.sqlite")}` }),
  unreachable: () => client(sqlTransport, { url: `sqlite:${path.join(tmp, "missing", "main.sqlite")}` }),
}));

const pgUrl = process.env.HUB_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const pgRuns = process.env.HUB_TEST_PG === "up" || process.env.CI === "true";
describeConformance(
  "sql transport, PostgreSQL",
  pgRuns
    ? () => {
        const { url, password, unreachable } = split(pgUrl);
        const env = password ? { HUB_PLUGIN_CONFORMANCE_PASSWORD: password } : ({} as Record<string, string>);
        return {
          client: client(sqlTransport, { url }, env),
          unreachable: () => client(sqlTransport, { url: unreachable, connectTimeoutMs: 2000 }, env),
          slowQuery: "SELECT pg_sleep(2)",
        };
      }
    : null,
  `PostgreSQL is not reachable at ${pgUrl} (CI=true would fail instead)`,
);

const db2Url = process.env.DB2_URL;
describeConformance(
  "db2 transport, DB2_URL",
  db2Url
    ? () => {
        const { url, password, unreachable } = split(db2Url);
        const env = { HUB_PLUGIN_CONFORMANCE_PASSWORD: password };
        const db2 = createDb2Transport();
        return {
          client: client(db2, { url }, env),
          unreachable: () => client(db2, { url: unreachable, connectTimeoutMs: 2000 }, env),
          slowQuery: "CALL DBMS_ALERT.SLEEP(2)",
        };
      }
    : null,
  "DB2_URL is not set (db2://user:password@host:50000/DATABASE; needs `npm install ibm_db`)",
);

const oracleUrl = process.env.ORACLE_URL;
describeConformance(
  "oracle transport, ORACLE_URL",
  oracleUrl
    ? () => {
        const { url, password, unreachable } = split(oracleUrl);
        const env = { HUB_PLUGIN_CONFORMANCE_PASSWORD: password };
        return {
          client: client(oracleTransport, { url }, env),
          unreachable: () => client(oracleTransport, { url: unreachable, connectTimeoutMs: 2000 }, env),
          slowQuery: "BEGIN DBMS_SESSION.SLEEP(2); END;",
        };
      }
    : null,
  "ORACLE_URL is not set (oracle://user:password@host:1521/service)",
);

/**
 * ibm_db's API (Pool, open, query with `?`, prepare/executeNonQuery) over SQLite, with DB2's SQLSTATEs and
 * SQLCODEs for the errors the suite provokes. It proves the db2 transport's own code, not DB2.
 */
function ibmDbDouble(file: string): Db2Driver {
  const asDb2Error = (error: Error) => {
    const m = error.message;
    if (/no such table/.test(m))
      return { state: "42704", sqlcode: -204, message: `[IBM][CLI Driver][DB2/LINUXX8664] SQL0204N  ${m}` };
    if (/syntax error/.test(m))
      return { state: "42601", sqlcode: -104, message: `[IBM][CLI Driver][DB2/LINUXX8664] SQL0104N  ${m}` };
    return { state: "HY000", sqlcode: -901, message: m };
  };
  class Pool {
    open(connectionString: string, callback: (error: unknown, connection: Db2Connection) => void): void {
      if (/PORT=1;/.test(connectionString)) {
        callback(
          {
            state: "08001",
            sqlcode: -30081,
            message: "[IBM][CLI Driver] SQL30081N  A communication error has been detected.",
          },
          null as never,
        );
        return;
      }
      const db = new Database(file);
      db.exec(
        "ATTACH DATABASE ':memory:' AS SYSIBM; CREATE TABLE SYSIBM.SYSDUMMY1 (IBMREQD CHAR(1)); INSERT INTO SYSIBM.SYSDUMMY1 VALUES ('Y')",
      );
      const connection: Db2Connection = {
        query(sql, params, cb) {
          try {
            // SQLite says LIMIT where DB2 says FETCH FIRST.
            const text = sql.replace(/FETCH FIRST (\d+) ROWS ONLY$/, "LIMIT $1");
            cb(null, db.prepare(text).all(...(params as SqlParam[])) as Record<string, unknown>[]);
          } catch (error) {
            cb(asDb2Error(error as Error), []);
          }
        },
        prepare(sql, cb) {
          let statement: Database.Statement;
          try {
            statement = db.prepare(sql);
          } catch (error) {
            cb(asDb2Error(error as Error), null as never);
            return;
          }
          const prepared: Db2Statement = {
            executeNonQuery(params, done) {
              try {
                done(null, statement.run(...(params as SqlParam[])).changes);
              } catch (error) {
                done(asDb2Error(error as Error), 0);
              }
            },
            closeSync: () => undefined,
          };
          cb(null, prepared);
        },
        close(cb) {
          db.close();
          cb();
        },
      };
      setImmediate(() => callback(null, connection));
    }
    close(callback: (error?: unknown) => void): void {
      callback();
    }
  }
  return { Pool } as unknown as Db2Driver;
}

const doubleFile = path.join(tmp, "db2-double.sqlite");
new Database(doubleFile).close();
const db2Double = createDb2Transport(() => ibmDbDouble(doubleFile));
describeConformance("db2 transport over an ibm_db double (SQLite)", () => {
  const env = { HUB_PLUGIN_CONFORMANCE_PASSWORD: "s3cret" };
  return {
    client: client(db2Double, { url: "db2://hub@db2.bank:50000/COREDB" }, env),
    unreachable: () => client(db2Double, { url: "db2://hub@127.0.0.1:1/COREDB" }, env),
  };
});

describe("driver details", () => {
  it("builds a DB2 CLI connection string with the secret password and CLI keywords", () => {
    expect(
      db2ConnectionString("core-banking", "db2://HUBRO@db2.bank:50001/COREDB?Security=SSL", "p@ss"),
    ).toBe("DATABASE=COREDB;HOSTNAME=db2.bank;PORT=50001;PROTOCOL=TCPIP;UID=HUBRO;PWD=p@ss;Security=SSL;");
    expect(() => db2ConnectionString("core-banking", "postgres://x@y/z", undefined)).toThrow(
      /db2:\/\/user@host/,
    );
  });

  it("maps DB2 errors: SQL30081N and 08xxx are unavailable, others keep their SQLSTATE", () => {
    expect(db2Error({ state: "08001", sqlcode: -30081, message: "SQL30081N" })).toBeInstanceOf(
      LegacyUnavailableError,
    );
    const fault = db2Error({
      state: "42704",
      sqlcode: -204,
      message: "[node-ibm_db] SQL0204N",
    }) as LegacyFaultError;
    expect(fault.sqlState).toBe("42704");
    expect(fault.data).toMatchObject({ vendorCode: "SQL204N" });
  });

  it("maps Oracle errors: NJS-5xx and listener ORA- codes unavailable, call timeouts, ORA- codes with SQLSTATEs", () => {
    expect(
      oracleError(
        Object.assign(new Error("NJS-503: connection to host 127.0.0.1 port 1 could not be established."), {
          code: "NJS-503",
        }),
      ),
    ).toBeInstanceOf(LegacyUnavailableError);
    expect(
      oracleError(Object.assign(new Error("ORA-12541: TNS:no listener"), { code: "ORA-12541" })),
    ).toBeInstanceOf(LegacyUnavailableError);
    expect(
      oracleError(Object.assign(new Error("NJS-123: call timeout of 500 ms exceeded"), { code: "NJS-123" })),
    ).toBeInstanceOf(LegacyTimeoutError);
    const missing = oracleError(
      Object.assign(new Error("ORA-00942: table or view does not exist"), { errorNum: 942 }),
    ) as LegacyFaultError;
    expect(missing.sqlState).toBe("42000");
    expect(missing.data).toMatchObject({ vendorCode: "ORA-00942" });
  });

  it("reaches for an Oracle server through thin mode and reports it unavailable when nobody listens", async () => {
    const c = client(
      oracleTransport,
      { url: "oracle://hub@127.0.0.1:1/FUNDPDB", connectTimeoutMs: 2000 },
      { HUB_PLUGIN_CONFORMANCE_PASSWORD: "x" },
    );
    try {
      await expect(c.query("SELECT 1 AS OK FROM DUAL")).rejects.toBeInstanceOf(LegacyUnavailableError);
    } finally {
      await c.close();
    }
  });
});
