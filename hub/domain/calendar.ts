/**
 * Calendar days written YYYY-MM-DD (years 0001–9999), computed on integers only: no Date, no host time zone. Shared
 * by the rules that count days, months and years (risk assessment validity, retention, 补录 deadlines).
 *
 * Pure functions only.
 */
export interface Ymd {
  y: number;
  m: number;
  d: number;
}

// Years 0001–9999 only: four digits both ways, and no year-zero surprises.
export const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeapYear(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

export function parseDay(s: string): Ymd | null {
  if (typeof s !== "string") return null;
  const match = DAY_PATTERN.exec(s);
  if (match === null) return null;
  const y = Number(match[1]);
  const m = Number(match[2]);
  const d = Number(match[3]);
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return null;
  return { y, m, d };
}

export function requireDay(s: string, what: string): Ymd {
  const ymd = parseDay(s);
  if (ymd === null) throw new RangeError(`${what} is not a YYYY-MM-DD calendar day: ${JSON.stringify(s)}`);
  return ymd;
}

export function requireInteger(n: number, what: string): void {
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what} must be a whole number: ${String(n)}`);
}

export function formatDay({ y, m, d }: Ymd): string {
  if (y < 1 || y > 9999) throw new RangeError(`day out of range 0001–9999: year ${y}`);
  return `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

// Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's days_from_civil), integer-only so
// that no host time zone or Date quirk (two-digit years) can leak in.
export function toDayNumber({ y, m, d }: Ymd): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function fromDayNumber(n: number): Ymd {
  const z = n + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

/** A real calendar day written `YYYY-MM-DD` (so 2026-02-29, 2026-13-01 and "2026-1-5" are not). */
export function isIsoDate(s: string): boolean {
  return parseDay(s) !== null;
}

/**
 * `day` plus `months` calendar months (negative goes back). A day that does not exist in the target month is
 * clamped to that month's last day: 2026-01-31 + 1 = 2026-02-28, 2024-02-29 + 12 = 2025-02-28.
 */
export function addMonths(day: string, months: number): string {
  const { y, m, d } = requireDay(day, "day");
  requireInteger(months, "months");
  const total = y * 12 + (m - 1) + months;
  const ty = Math.floor(total / 12);
  const tm = total - ty * 12 + 1;
  if (ty < 1 || ty > 9999) throw new RangeError(`day out of range 0001–9999: year ${ty}`);
  return formatDay({ y: ty, m: tm, d: Math.min(d, daysInMonth(ty, tm)) });
}

/** `day` plus `n` days (negative goes back). */
export function addDays(day: string, n: number): string {
  const ymd = requireDay(day, "day");
  requireInteger(n, "days");
  return formatDay(fromDayNumber(toDayNumber(ymd) + n));
}
