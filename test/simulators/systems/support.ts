import path from "node:path";
import type Database from "better-sqlite3";

export const PLUGINS_DIR = path.resolve(__dirname, "..", "..", "..", "plugins");

export function wsdlOf(plugin: string): string {
  return path.join(PLUGINS_DIR, plugin, "wsdl", `${plugin}.wsdl`);
}

export const OK = { RetCode: "000000", RetMsg: "交易成功" };

export function failure(code: string, message: string): Record<string, unknown> {
  return { RetCode: code, RetMsg: message };
}

/** YYYY-MM-DD from yyyyMMdd (or null when malformed). */
export function isoDay(compact: unknown): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(String(compact ?? ""));
  return m ? `${m[1]}-${m[2]}-${m[3]}` : null;
}

export function compact(day: unknown): string | undefined {
  return typeof day === "string" && day ? day.replace(/-/g, "") : undefined;
}

/** Drops null and undefined, so that optional elements are left out of the SOAP answer. */
export function present(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== null && v !== undefined));
}

/** DECIMAL from SQLite (a double) as the text a bank's service would write: 50000.00. */
export function decimal(value: unknown): string {
  return Number(value).toFixed(2);
}

/** Exactly one of the keys, as query services demand. */
export function oneKey(args: Record<string, unknown>, keys: readonly string[]): [string, string] | null {
  const given = keys.filter((k) => typeof args[k] === "string" && (args[k] as string).trim() !== "");
  return given.length === 1 ? [given[0], (args[given[0]] as string).trim()] : null;
}

/** The query keys customer look-ups take, and the column each searches. */
const CUSTOMER_KEYS: Readonly<Record<string, string>> = {
  CustNo: "CUST_NO",
  IdNo: "ID_NO",
  CardNo: "CARD_NO",
  CustName: "CUST_NAME",
};

/**
 * A customer look-up by exactly one of CustNo, IdNo, CardNo, CustName over `table` (columns CUST_NO, CUST_NAME,
 * ID_TYPE, ID_NO, MOBILE, BIRTH_DATE, BRANCH_NO, CARD_NO), as the fund system and the CRM answer it; null when the
 * query does not give exactly one key.
 */
export function customersBy(
  db: Database.Database,
  table: string,
  args: Record<string, unknown>,
): Record<string, unknown>[] | null {
  const key = oneKey(args, Object.keys(CUSTOMER_KEYS));
  if (!key) return null;
  const rows = db
    .prepare(`SELECT * FROM ${table} WHERE ${CUSTOMER_KEYS[key[0]]} = ? ORDER BY CUST_NO LIMIT 50`)
    .all(key[1]) as Record<string, unknown>[];
  return rows.map((r) =>
    present({
      CustNo: r.CUST_NO,
      CustName: r.CUST_NAME,
      IdType: r.ID_TYPE,
      IdNo: r.ID_NO,
      Mobile: r.MOBILE,
      BirthDate: r.BIRTH_DATE,
      BranchNo: r.BRANCH_NO,
      CardNo: r.CARD_NO,
    }),
  );
}
