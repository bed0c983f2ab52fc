import { describeDateProblem, excelDateToIso, isIsoDate, parseDate } from "./dates";

describe("parseDate", () => {
  it.each([
    ["2026-01-05", "2026-01-05"],
    ["2026/01/05", "2026-01-05"],
    ["20260105", "2026-01-05"],
    ["2026/1/5", "2026-01-05"],
    ["2026-1-5", "2026-01-05"],
    ["2026年1月5日", "2026-01-05"],
    ["2026-01-05 00:00:00", "2026-01-05"],
    ["2026/1/5 0:00", "2026-01-05"],
    ["２０２６／０１／０５", "2026-01-05"],
    ["2024-02-29", "2024-02-29"],
    ["2000-02-29", "2000-02-29"],
  ])("accepts %s", (raw, iso) => {
    expect(parseDate(raw)).toBe(iso);
  });

  it.each([
    ["2026-02-30", "no-such-date"],
    ["2025-02-29", "no-such-date"],
    ["1900-02-29", "no-such-date"],
    ["2026-13-01", "no-such-date"],
    ["20260230", "no-such-date"],
    ["1899-12-31", "no-such-date"],
    ["2026-01/05", "format"],
    ["05/01/2026", "format"],
    ["2026.01.05", "format"],
    ["=DATE(2026,1,5)", "format"],
    ["46027", "format"],
    ["today", "format"],
  ] as const)("rejects %s (%s)", (raw, why) => {
    expect(parseDate(raw)).toBeNull();
    expect(describeDateProblem(raw)).toBe(why);
  });

  it("isIsoDate only takes the canonical spelling", () => {
    expect(isIsoDate("2026-03-01")).toBe(true);
    expect(isIsoDate("2026-3-1")).toBe(false);
    expect(isIsoDate("2026-02-30")).toBe(false);
  });

  it("reads an Excel date cell by its UTC calendar day", () => {
    expect(excelDateToIso(new Date(Date.UTC(2026, 0, 15)))).toBe("2026-01-15");
    expect(excelDateToIso(new Date(Date.UTC(2026, 0, 15, 23, 59, 59)))).toBe("2026-01-15");
    expect(excelDateToIso(new Date(Number.NaN))).toBe("");
  });
});
