import { businessDay } from "./business-day";

describe("business day", () => {
  it.each([
    ["2026-11-22T15:59:59.999Z", "2026-11-22"],
    ["2026-11-22T16:00:00.000Z", "2026-11-23"],
    ["2026-12-31T16:00:00.000Z", "2027-01-01"],
    ["2028-02-28T16:30:00.000Z", "2028-02-29"],
  ])("%s is %s in Beijing", (instant, day) => {
    expect(businessDay(new Date(instant))).toBe(day);
  });
});
