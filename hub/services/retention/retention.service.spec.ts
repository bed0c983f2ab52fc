import { sweepDue } from "./retention.service";

describe("when the daily retention sweep is due", () => {
  // 2026-11-24 02:30 Beijing time is 2026-11-23 18:30 UTC.
  const at = (utc: string) => new Date(utc);
  it.each<[string, string | null, string | null, string]>([
    ["2026-11-23T18:29:59.999Z", null, null, "before 02:30 Beijing time"],
    ["2026-11-23T18:30:00.000Z", null, "2026-11-24", "at 02:30, never swept"],
    ["2026-11-23T18:30:00.000Z", "2026-11-23", "2026-11-24", "at 02:30, yesterday swept"],
    ["2026-11-24T15:59:59.000Z", "2026-11-24", null, "23:59, today swept already"],
    ["2026-11-24T15:59:59.000Z", "2026-11-20", "2026-11-24", "23:59, days missed: today's sweep covers them"],
    ["2026-11-24T16:00:00.000Z", "2026-11-24", null, "00:00 next day, before 02:30"],
    ["2026-11-24T18:30:00.000Z", "2026-11-24", "2026-11-25", "02:30 next day"],
  ])("%s, last %s → %s (%s)", (now, last, due) => {
    expect(sweepDue(at(now), "02:30", last)).toBe(due);
  });

  it("takes any time of day", () => {
    expect(sweepDue(at("2026-11-23T16:00:00.000Z"), "00:00", null)).toBe("2026-11-24");
    expect(sweepDue(at("2026-11-24T15:58:00.000Z"), "23:59", null)).toBeNull();
    expect(sweepDue(at("2026-11-24T15:59:00.000Z"), "23:59", null)).toBe("2026-11-24");
  });
});
