import path from "node:path";

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
