import {
  NO_FILTERS,
  PAGE_SIZE,
  formatTime,
  normalizeFilters,
  pageCount,
  preferredRendition,
  recordingsQuery,
} from "./query";

describe("library query", () => {
  it("asks the hub only for the filters that are set, 20 a page", () => {
    expect(recordingsQuery(NO_FILTERS)).toEqual({ page: 1, pageSize: PAGE_SIZE });
    const filters = normalizeFilters(NO_FILTERS, {
      q: " AM20 ",
      customerNo: "C000000001",
      from: "2026-11-01",
      to: "2026-11-23",
      orgCode: "310100",
      kind: "sale",
      status: "",
      page: "3",
    });
    expect(recordingsQuery(filters)).toEqual({
      q: "AM20",
      customerNo: "C000000001",
      from: "2026-11-01",
      to: "2026-11-23",
      orgCode: "310100",
      kind: "sale",
      page: 3,
      pageSize: 20,
    });
  });

  it("keeps what it is not told to change, clears null, and never asks for page 0 or 1.5", () => {
    const base = normalizeFilters(NO_FILTERS, { customerNo: "C1", productCode: "P1", page: 2 });
    expect(normalizeFilters(base, { productCode: null })).toMatchObject({
      customerNo: "C1",
      productCode: "",
      page: 2,
    });
    for (const page of [0, -1, 1.5, "x", null]) expect(normalizeFilters(base, { page }).page).toBe(1);
    expect(normalizeFilters(base, { unknown: "x" } as never)).toEqual(base);
  });

  it("counts pages, at least one", () => {
    expect([0, 1, 20, 21, 40, 41].map((n) => pageCount(n))).toEqual([1, 1, 1, 2, 2, 3]);
  });

  it("plays the seekable copy when the media worker made one", () => {
    expect(preferredRendition(["original", "canonical"])).toBe("canonical");
    expect(preferredRendition(["original"])).toBe("original");
    expect(preferredRendition(undefined)).toBe("original");
  });

  it("shows times in the user's locale, to the second", () => {
    expect(formatTime("2026-11-23T09:30:05.123Z", "zh-CN")).toMatch(/^2026\/11\/2[34] \d{2}:\d{2}:05$/);
    expect(formatTime("2026-11-23T09:30:05.123Z", "en")).toMatch(/^2[34]\/11\/2026, \d{2}:\d{2}:05$/);
    expect(formatTime("not a time", "zh-CN")).toBe("not a time");
  });
});
