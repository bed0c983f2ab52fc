/**
 * The bank's business day of an instant. Branches are in China (UTC+8, no daylight saving): a sale at 07:30 on
 * 23 November Beijing time is on 2026-11-23 even though it is still 22 November in UTC.
 */
export const CHINA_UTC_OFFSET_HOURS = 8;

export function businessDay(instant: Date, utcOffsetHours = CHINA_UTC_OFFSET_HOURS): string {
  return new Date(instant.getTime() + utcOffsetHours * 3_600_000).toISOString().slice(0, 10);
}
