import { compileNamedParams, limitRows, normalizeRow, sqliteError } from "./sql-support";
import { LegacyFaultError, LegacyUnavailableError } from "../errors";

describe("named SQL parameters", () => {
  const sql =
    "SELECT * FROM CORE.V_CUSTOMER WHERE CUST_NO = :customerNo OR (CUST_NAME = :name AND CUST_NO <> :customerNo)";
  const params = { customerNo: "C000000001", name: "张伟" };

  it("stay named for SQLite and Oracle, with only the values used", () => {
    expect(compileNamedParams(sql, { ...params, unused: 1 }, "named")).toEqual({ text: sql, values: params });
  });

  it("become $n for PostgreSQL, a name used twice binding one value", () => {
    expect(compileNamedParams(sql, params, "dollar")).toEqual({
      text: "SELECT * FROM CORE.V_CUSTOMER WHERE CUST_NO = $1 OR (CUST_NAME = $2 AND CUST_NO <> $1)",
      values: ["C000000001", "张伟"],
    });
  });

  it("become ? for DB2, one value per occurrence", () => {
    expect(compileNamedParams(sql, params, "question").values).toEqual(["C000000001", "张伟", "C000000001"]);
  });

  it("are not found inside quotes, comments or PostgreSQL casts", () => {
    const text = `SELECT ':notA' AS "x:y", TXN_TIME::text -- :comment\n /* :block */ FROM T WHERE A = :a`;
    expect(compileNamedParams(text, { a: 1 }, "dollar")).toEqual({
      text: `SELECT ':notA' AS "x:y", TXN_TIME::text -- :comment\n /* :block */ FROM T WHERE A = $1`,
      values: [1],
    });
    expect(compileNamedParams("SELECT 'it''s :x' FROM T", {}, "question").text).toBe(
      "SELECT 'it''s :x' FROM T",
    );
  });

  it("bind booleans as 1 and 0, and refuse a parameter without a value (a plugin bug)", () => {
    expect(compileNamedParams("WHERE A = :a", { a: true }, "question").values).toEqual([1]);
    expect(() => compileNamedParams("WHERE A = :missing", {}, "named")).toThrow(TypeError);
  });
});

describe("rows and limits", () => {
  it("limits rows in each dialect's words", () => {
    expect(limitRows("sqlite", "SELECT 1;", 50)).toBe("SELECT 1 LIMIT 50");
    expect(limitRows("db2", "SELECT 1", 1)).toBe("SELECT 1 FETCH FIRST 1 ROWS ONLY");
    expect(limitRows("postgres", "SELECT 1", undefined)).toBe("SELECT 1");
    expect(() => limitRows("db2", "SELECT 1", 0)).toThrow(TypeError);
  });

  it("upper-cases column names and writes dates as days", () => {
    expect(
      normalizeRow({
        cust_no: "C1",
        amount: "12.50",
        count: 3n,
        birth: new Date(1985, 2, 12),
        booked: new Date(2026, 2, 2, 9, 15, 22),
        none: undefined,
        flag: true,
      }),
    ).toEqual({
      CUST_NO: "C1",
      AMOUNT: "12.50",
      COUNT: "3",
      BIRTH: "1985-03-12",
      BOOKED: "2026-03-02T09:15:22",
      NONE: null,
      FLAG: 1,
    });
  });
});

describe("SQLite errors", () => {
  it.each([
    ["SQLITE_ERROR", "no such table: COUNTER.V_SALES_DAY", "42S02"],
    ["SQLITE_ERROR", "no such column: TXN_SERIALL", "42S22"],
    ["SQLITE_ERROR", 'near "FORM": syntax error', "42000"],
    ["SQLITE_CONSTRAINT_PRIMARYKEY", "UNIQUE constraint failed", "23000"],
  ])("%s %s is a fault with SQLSTATE %s", (code, message, state) => {
    const e = sqliteError(Object.assign(new Error(message), { code })) as LegacyFaultError;
    expect(e).toBeInstanceOf(LegacyFaultError);
    expect(e.sqlState).toBe(state);
    expect(e.data).toMatchObject({ vendorCode: code });
  });

  it("makes a file that cannot be opened unavailable", () => {
    expect(
      sqliteError(Object.assign(new Error("unable to open database file"), { code: "SQLITE_CANTOPEN" })),
    ).toBeInstanceOf(LegacyUnavailableError);
  });
});
