import { asArray, cardLast4, compactDay, day, int, text, time, yuan } from "./values";

describe("values from legacy systems", () => {
  it.each([
    ["50000", "50000.00"],
    ["50000.5", "50000.50"],
    ["0012.30", "12.30"],
    ["12.345", "12.35"],
    ["12.344", "12.34"],
    ["-0.004", "0.00"],
    ["-1250.75", "-1250.75"],
    [".5", "0.50"],
    [100.5, "100.50"],
    [8888.88, "8888.88"],
    [0, "0.00"],
    ["99999999999999.99", "99999999999999.99"],
    ["  1000.00 ", "1000.00"],
  ])("yuan(%p) is %p", (input, expected) => {
    expect(yuan(input)).toBe(expected);
  });

  it("leaves text that is not a number as it is, for schema validation to name", () => {
    expect(yuan("12,000.00")).toBe("12,000.00");
    expect(yuan(null)).toBeNull();
    expect(yuan("")).toBeNull();
  });

  it.each([
    ["2026-03-02", "2026-03-02"],
    ["20260302", "2026-03-02"],
    ["2026/03/02", "2026-03-02"],
    ["2026-03-02 00:00:00", "2026-03-02"],
    ["2026-03-02T08:30:00", "2026-03-02"],
    [new Date(2026, 2, 2), "2026-03-02"],
    ["00000000", null],
    ["", null],
    [undefined, null],
  ])("day(%p) is %p", (input, expected) => {
    expect(day(input)).toBe(expected);
  });

  it("converts between ISO and compact days and times", () => {
    expect(compactDay("2026-03-02")).toBe("20260302");
    expect(time("091522")).toBe("09:15:22");
    expect(time("09.15.22")).toBe("09:15:22");
    expect(time("09:15:22")).toBe("09:15:22");
    expect(time(null)).toBeNull();
  });

  it("reads text, whole numbers, arrays and card numbers", () => {
    expect(text("  浦东支行  ")).toBe("浦东支行");
    expect(text("   ")).toBeNull();
    expect(text({ $value: "张伟" })).toBe("张伟");
    expect(text(42)).toBe("42");
    expect(int("120")).toBe(120);
    expect(int(12)).toBe(12);
    expect(int("1.5")).toBeNull();
    expect(asArray(undefined)).toEqual([]);
    expect(asArray({ a: 1 })).toEqual([{ a: 1 }]);
    expect(asArray([1, 2])).toEqual([1, 2]);
    expect(cardLast4(["6222020000000001", "6222 0200 0000 0011", "12", null])).toEqual(["0001", "0011"]);
  });
});
