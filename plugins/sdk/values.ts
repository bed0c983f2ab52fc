/**
 * Converting what legacy systems send (DB2 DECIMAL as text, Oracle NUMBER, node-soap's parsed numbers, compact
 * dates like 20260302) into the shapes of the capability schemas. Every helper returns null for "nothing".
 */

/** One element or many, as XML parsers give them, as an array. */
export function asArray<T>(value: T | readonly T[] | undefined | null): T[] {
  if (value === undefined || value === null || (value as unknown) === "") return [];
  return Array.isArray(value) ? [...(value as T[])] : [value as T];
}

/** Trimmed text; null for null, undefined and blank. Fixed-width CHAR columns come padded with spaces. */
export function text(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "object" && value !== null && "$value" in value)
    return text((value as { $value: unknown }).$value);
  const s = (value instanceof Date ? value.toISOString() : String(value)).trim();
  return s === "" ? null : s;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/**
 * A day as YYYY-MM-DD from YYYY-MM-DD, YYYYMMDD, YYYY/MM/DD, a date-time string (its day part) or a Date (its local
 * day, as Oracle and PostgreSQL drivers build them). Null for blank and for 00000000.
 */
export function day(value: unknown): string | null {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return null;
    return `${pad(value.getFullYear(), 4)}-${pad(value.getMonth() + 1)}-${pad(value.getDate())}`;
  }
  const s = text(value);
  if (s === null || /^0+$/.test(s)) return null;
  const m = /^(\d{4})-?\/?(\d{2})-?\/?(\d{2})(?:$|[T ])/.exec(s);
  if (!m) return s;
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** YYYYMMDD, as bank ESBs and 银保通 write days. */
export function compactDay(isoDay: string): string {
  return isoDay.replace(/-/g, "");
}

/** HH:MM:SS from HH:MM:SS, HHMMSS or HH.MM.SS (DB2 TIME as text). */
export function time(value: unknown): string | null {
  const s = text(value);
  if (s === null) return null;
  const m = /^(\d{2})[:.]?(\d{2})[:.]?(\d{2})$/.exec(s);
  return m ? `${m[1]}:${m[2]}:${m[3]}` : s;
}

/** A whole number from a number or its text (PostgreSQL bigint and Oracle NUMBER arrive as text). */
export function int(value: unknown): number | null {
  const s = text(value);
  if (s === null) return null;
  const n = Number(s);
  return Number.isInteger(n) ? n : null;
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/**
 * An amount in yuan with exactly two decimals ("50000.00") from a decimal string (exact, rounded half up past the
 * second decimal) or a number (node-soap and SQLite give xs:decimal / DECIMAL as a double: exact to the fen below
 * 90 trillion yuan). Text that is not a number is returned unchanged, so that schema validation names it.
 */
export function yuan(value: unknown): string | null {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return String(value);
    return yuan(value.toFixed(2));
  }
  const s = text(value);
  if (s === null) return null;
  const m = DECIMAL.exec(s);
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) return s;
  const fraction = (m[3] ?? "").padEnd(3, "0");
  let fen = BigInt((m[2] || "0") + fraction.slice(0, 2));
  if (Number(fraction[2]) >= 5) fen += 1n;
  const negative = m[1] === "-" && fen !== 0n;
  const digits = fen.toString().padStart(3, "0");
  return `${negative ? "-" : ""}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

/** The last four digits of each card number, as the hub shows cards ("****0001"). */
export function cardLast4(cards: readonly unknown[]): string[] {
  return cards
    .map((c) => (text(c) ?? "").replace(/\D/g, ""))
    .filter((c) => c.length >= 4)
    .map((c) => c.slice(-4));
}
