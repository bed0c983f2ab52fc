/**
 * Calendar dates of the import files (pure). Accepted spellings: YYYY-MM-DD, YYYY/MM/DD (month and day may have
 * one digit, as Excel writes them into a CSV: 2026/1/5), YYYYMMDD, 2026年1月5日, each optionally followed by a
 * time of day that is ignored ("2026-01-05 00:00:00"); real Excel date cells arrive already as YYYY-MM-DD.
 * Everything is normalised to YYYY-MM-DD; impossible dates (2026-02-30) and years before 1900 are rejected.
 */

import { foldWidth } from "./text";

const SEPARATED = /^(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?$/;
const COMPACT = /^(\d{4})(\d{2})(\d{2})$/;
const CHINESE = /^(\d{4})年(\d{1,2})月(\d{1,2})日$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;

export const MIN_YEAR = 1900;

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

export function isValidYmd(year: number, month: number, day: number): boolean {
  return (
    year >= MIN_YEAR &&
    year <= 9999 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month)
  );
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export function formatYmd(year: number, month: number, day: number): string {
  return `${year}-${pad2(month)}-${pad2(day)}`;
}

function fromParts(y: string, m: string, d: string): string | null {
  const year = Number(y);
  const month = Number(m);
  const day = Number(d);
  return isValidYmd(year, month, day) ? formatYmd(year, month, day) : null;
}

/** A cell's date as YYYY-MM-DD, or null when it is not a date in one of the accepted spellings. */
export function parseDate(raw: string): string | null {
  const value = foldWidth(raw);
  let match = SEPARATED.exec(value);
  if (match) return fromParts(match[1], match[3], match[4]);
  match = COMPACT.exec(value);
  if (match) return fromParts(match[1], match[2], match[3]);
  match = CHINESE.exec(value);
  if (match) return fromParts(match[1], match[2], match[3]);
  return null;
}

/** True for a canonical, existing YYYY-MM-DD date. */
export function isIsoDate(value: string): boolean {
  const match = ISO.exec(value);
  return match !== null && isValidYmd(Number(match[1]), Number(match[2]), Number(match[3]));
}

/**
 * The calendar date of an Excel date cell. exceljs turns the serial number into a Date at UTC midnight (plus the
 * time of day), so the UTC fields are the day that Excel shows.
 */
export function excelDateToIso(date: Date): string {
  if (Number.isNaN(date.getTime())) return "";
  return formatYmd(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate());
}

/** Why `parseDate` refused a cell: a wrong spelling, or a well-spelled date that does not exist (2026-02-30). */
export function describeDateProblem(raw: string): "format" | "no-such-date" {
  const value = foldWidth(raw);
  return SEPARATED.test(value) || COMPACT.test(value) || CHINESE.test(value) ? "no-such-date" : "format";
}
