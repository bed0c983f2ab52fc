/**
 * Risk levels, calendar days, assessment validity and the product-risk match.
 *
 * The match matrix and the calendar tables are written out literally, not computed from the module, so that a
 * change to a rule has to be made here as well to pass.
 */
import {
  CUSTOMER_LEVELS,
  DEFAULT_ASSESSMENT_VALIDITY_MONTHS,
  PRODUCT_RISKS,
  PRODUCT_RISK_NAMES,
  RISK_LEVEL_NAMES,
  RISK_MATCH_CODES,
  addDays,
  addMonths,
  defaultValidUntil,
  isAssessmentValid,
  isCustomerLevel,
  isIsoDate,
  isProductRisk,
  latestAssessment,
  levelRank,
  matchRisk,
  riskRank,
  type Assessment,
  type CustomerLevel,
  type ProductRisk,
  type RiskMatchCode,
} from "./risk";

const assessment = (over: Partial<Assessment> = {}): Assessment => ({
  level: "C3",
  assessedAt: "2026-03-15",
  validUntil: "2027-03-14",
  source: "questionnaire",
  ...over,
});

describe("levels and risks", () => {
  it("are C1–C5 and R1–R5 in order, with their Chinese names", () => {
    expect(CUSTOMER_LEVELS).toEqual(["C1", "C2", "C3", "C4", "C5"]);
    expect(PRODUCT_RISKS).toEqual(["R1", "R2", "R3", "R4", "R5"]);
    expect(RISK_LEVEL_NAMES).toEqual({
      C1: "保守型",
      C2: "稳健型",
      C3: "平衡型",
      C4: "成长型",
      C5: "进取型",
    });
    expect(PRODUCT_RISK_NAMES).toEqual({
      R1: "低风险",
      R2: "中低风险",
      R3: "中风险",
      R4: "中高风险",
      R5: "高风险",
    });
    expect(RISK_MATCH_CODES).toEqual([
      "HUB_RISK_MATCH_OK",
      "HUB_RISK_ASSESSMENT_EXPIRED",
      "HUB_RISK_ASSESSMENT_MISSING",
      "HUB_RISK_MISMATCH",
    ]);
  });

  it("ranks them 1–5", () => {
    expect(CUSTOMER_LEVELS.map(levelRank)).toEqual([1, 2, 3, 4, 5]);
    expect(PRODUCT_RISKS.map(riskRank)).toEqual([1, 2, 3, 4, 5]);
  });

  it.each([["C0"], ["c1"], ["C6"], ["R1"], [" C1"], [""], [null], [1]])("rejects %j as a level", (x) => {
    expect(isCustomerLevel(x)).toBe(false);
    expect(() => levelRank(x as CustomerLevel)).toThrow(RangeError);
  });

  it.each([["R0"], ["r1"], ["R6"], ["C1"], ["R1 "], [""], [undefined], [1]])("rejects %j as a risk", (x) => {
    expect(isProductRisk(x)).toBe(false);
    expect(() => riskRank(x as ProductRisk)).toThrow(RangeError);
  });

  it("accepts exactly the listed ones", () => {
    for (const l of CUSTOMER_LEVELS) expect(isCustomerLevel(l)).toBe(true);
    for (const r of PRODUCT_RISKS) expect(isProductRisk(r)).toBe(true);
  });
});

describe("isIsoDate", () => {
  it.each([
    ["2026-03-15", true],
    ["2024-02-29", true],
    ["2000-02-29", true],
    ["2026-12-31", true],
    ["2026-01-01", true],
    ["2026-04-30", true],
    ["0001-01-01", true],
    ["9999-12-31", true],
    ["2026-13-01", false],
    ["2026-02-30", false],
    ["2026-1-5", false],
    ["", false],
    ["2026-02-29", false],
    ["1900-02-29", false],
    ["2100-02-29", false],
    ["2026-00-10", false],
    ["2026-04-31", false],
    ["2026-04-00", false],
    ["2026-01-32", false],
    ["0000-01-01", false],
    ["2026-03-15T00:00:00Z", false],
    [" 2026-03-15", false],
    ["2026-03-15 ", false],
    ["2026-03-15\n", false],
    ["2026/03/15", false],
    ["20260315", false],
    ["２０２６-03-15", false],
    ["26-03-15", false],
    ["+02026-03-15", false],
  ])("%j → %s", (s, expected) => {
    expect(isIsoDate(s)).toBe(expected);
  });

  it("is false for non-strings from untyped callers", () => {
    expect(isIsoDate(undefined as unknown as string)).toBe(false);
    expect(isIsoDate(20260315 as unknown as string)).toBe(false);
  });
});

describe("addMonths", () => {
  it.each([
    ["2026-03-15", 1, "2026-04-15"],
    ["2026-03-15", 12, "2027-03-15"],
    ["2026-03-15", 0, "2026-03-15"],
    ["2026-01-31", 1, "2026-02-28"], // month end clamps
    ["2024-01-31", 1, "2024-02-29"], // … to the leap day in a leap year
    ["2026-03-31", 1, "2026-04-30"],
    ["2026-05-31", 1, "2026-06-30"],
    ["2026-08-31", 6, "2027-02-28"],
    ["2026-01-29", 1, "2026-02-28"],
    ["2026-01-30", 1, "2026-02-28"],
    ["2024-02-29", 12, "2025-02-28"], // leap day to a common year
    ["2024-02-29", 48, "2028-02-29"], // leap day to a leap year
    ["2024-02-29", 1, "2024-03-29"], // the 29th of a 31-day month is not clamped
    ["2000-01-31", 1, "2000-02-29"], // 2000 is a leap year (÷400)
    ["1900-01-31", 1, "1900-02-28"], // 1900 is not (÷100)
    ["2026-12-15", 1, "2027-01-15"], // year end
    ["2026-11-30", 2, "2027-01-30"],
    ["2026-12-31", 2, "2027-02-28"],
    ["2026-01-15", -1, "2025-12-15"], // backwards across the year end
    ["2026-03-31", -1, "2026-02-28"],
    ["2024-03-31", -1, "2024-02-29"],
    ["2026-10-31", -24, "2024-10-31"],
    ["2026-03-15", 120, "2036-03-15"],
    ["9999-11-30", 1, "9999-12-30"],
  ])("%s + %i months = %s", (day, months, expected) => {
    expect(addMonths(day, months)).toBe(expected);
  });

  it.each([
    ["2026-02-30", 1],
    ["2026-3-15", 1],
    ["2026-03-15", 1.5],
    ["2026-03-15", Number.NaN],
    ["2026-03-15", Infinity],
    ["9999-12-31", 1],
    ["0001-01-31", -1],
  ])("refuses %j + %s", (day, months) => {
    expect(() => addMonths(day, months)).toThrow(RangeError);
  });
});

describe("addDays", () => {
  it.each([
    ["2026-03-15", 0, "2026-03-15"],
    ["2026-03-15", 1, "2026-03-16"],
    ["2026-12-31", 1, "2027-01-01"], // year end
    ["2027-01-01", -1, "2026-12-31"],
    ["2026-01-31", 1, "2026-02-01"], // month end
    ["2026-02-28", 1, "2026-03-01"], // common year
    ["2024-02-28", 1, "2024-02-29"], // leap year
    ["2024-02-29", 1, "2024-03-01"],
    ["2024-03-01", -1, "2024-02-29"],
    ["2100-02-28", 1, "2100-03-01"], // not a leap year (÷100)
    ["2000-02-28", 1, "2000-02-29"], // a leap year (÷400)
    ["2026-01-01", 365, "2027-01-01"],
    ["2024-01-01", 366, "2025-01-01"],
    ["2026-01-01", 146097, "2426-01-01"], // one whole 400-year cycle
    ["1970-01-01", -1, "1969-12-31"],
    ["1600-03-01", -1, "1600-02-29"],
    ["0001-01-01", 1, "0001-01-02"],
    ["9999-12-30", 1, "9999-12-31"],
  ])("%s + %i days = %s", (day, n, expected) => {
    expect(addDays(day, n)).toBe(expected);
  });

  it("agrees with the Gregorian calendar day by day over 40 years", () => {
    let day = "2000-01-01";
    const start = Date.UTC(2000, 0, 1);
    for (let i = 1; i <= 40 * 366; i++) {
      day = addDays(day, 1);
      expect(day).toBe(new Date(start + i * 86_400_000).toISOString().slice(0, 10));
    }
    expect(addDays("2000-01-01", 40 * 366)).toBe(day);
  });

  it.each([
    ["0001-01-01", -1],
    ["9999-12-31", 1],
    ["2026-02-29", 1],
    ["", 1],
    ["2026-03-15", 0.5],
  ])("refuses %j + %s", (day, n) => {
    expect(() => addDays(day, n)).toThrow(RangeError);
  });
});

describe("defaultValidUntil (assessed at + months − 1 day)", () => {
  it("defaults to 12 months", () => {
    expect(DEFAULT_ASSESSMENT_VALIDITY_MONTHS).toBe(12);
  });

  it.each([
    ["2026-03-15", "2027-03-14"],
    ["2026-01-01", "2026-12-31"],
    ["2026-12-31", "2027-12-30"],
    ["2025-03-01", "2026-02-28"],
    ["2023-03-01", "2024-02-29"], // the period ends on a leap day
    ["2024-02-29", "2025-02-27"], // leap day: 2025-02-28 (clamped) minus one day
    ["2024-02-28", "2025-02-27"],
    ["2023-02-28", "2024-02-27"],
    ["2024-03-01", "2025-02-28"],
  ])("%s, 12 months → %s", (assessedAt, expected) => {
    expect(defaultValidUntil(assessedAt)).toBe(expected);
  });

  it.each([
    ["2026-03-15", 1, "2026-04-14"],
    ["2026-01-31", 1, "2026-02-27"],
    ["2026-03-15", 6, "2026-09-14"],
    ["2026-08-31", 6, "2027-02-27"],
    ["2026-03-15", 24, "2028-03-14"],
    ["2026-03-01", 1, "2026-03-31"],
  ])("%s, %i months → %s", (assessedAt, months, expected) => {
    expect(defaultValidUntil(assessedAt, months)).toBe(expected);
  });

  it.each([[0], [-12], [1.5], [Number.NaN]])("refuses a period of %s months", (months) => {
    expect(() => defaultValidUntil("2026-03-15", months)).toThrow(RangeError);
  });

  it("refuses a malformed day", () => {
    expect(() => defaultValidUntil("2026-02-29")).toThrow(RangeError);
  });
});

describe("latestAssessment", () => {
  it("is null for an empty history", () => {
    expect(latestAssessment([])).toBeNull();
  });

  it("takes the greatest assessedAt whatever the order", () => {
    const a = assessment({ assessedAt: "2025-06-01", level: "C1" });
    const b = assessment({ assessedAt: "2026-01-10", level: "C4" });
    const c = assessment({ assessedAt: "2025-12-31", level: "C2" });
    expect(latestAssessment([a, b, c])).toBe(b);
    expect(latestAssessment([b, c, a])).toBe(b);
    expect(latestAssessment([c, a, b])).toBe(b);
    expect(latestAssessment([a])).toBe(a);
  });

  it("prefers the latest even when it has expired and an older one has not", () => {
    const older = assessment({ assessedAt: "2025-01-01", validUntil: "2027-12-31", level: "C5" });
    const newer = assessment({ assessedAt: "2025-06-01", validUntil: "2025-06-30", level: "C2" });
    expect(latestAssessment([newer, older])).toBe(newer);
  });

  it("breaks a same-day tie by the greatest recordedAt, in either order", () => {
    const morning = assessment({ level: "C2", recordedAt: "2026-03-15T01:00:00.000Z" });
    const afternoon = assessment({ level: "C4", recordedAt: "2026-03-15T07:00:00.000Z" });
    expect(latestAssessment([morning, afternoon])).toBe(afternoon);
    expect(latestAssessment([afternoon, morning])).toBe(afternoon);
  });

  it("compares recordedAt as instants, not as strings", () => {
    const beijing = assessment({ level: "C2", recordedAt: "2026-03-15T10:00:00+08:00" }); // 02:00Z
    const utc = assessment({ level: "C4", recordedAt: "2026-03-15T03:00:00Z" });
    expect(latestAssessment([utc, beijing])).toBe(utc);
  });

  it("ranks a missing or unreadable recordedAt below a readable one", () => {
    const dated = assessment({ level: "C2", recordedAt: "2026-03-15T01:00:00Z" });
    const undated = assessment({ level: "C4" });
    const garbled = assessment({ level: "C5", recordedAt: "yesterday" });
    expect(latestAssessment([dated, undated])).toBe(dated);
    expect(latestAssessment([undated, dated])).toBe(dated);
    expect(latestAssessment([garbled, dated, undated])).toBe(dated);
  });

  it("takes the later in the array on a full tie", () => {
    const first = assessment({ level: "C2" });
    const second = assessment({ level: "C4" });
    expect(latestAssessment([first, second])).toBe(second);
    expect(latestAssessment([second, first])).toBe(first);
    const r = "2026-03-15T01:00:00Z";
    const third = assessment({ level: "C1", recordedAt: r });
    const fourth = assessment({ level: "C5", recordedAt: r });
    expect(latestAssessment([third, fourth])).toBe(fourth);
    expect(latestAssessment([fourth, third])).toBe(third);
  });

  it("lets a later day beat a greater recordedAt", () => {
    const earlierDayLateRecord = assessment({ assessedAt: "2026-03-14", recordedAt: "2026-12-31T00:00:00Z" });
    const laterDay = assessment({ assessedAt: "2026-03-15", recordedAt: "2026-03-15T00:00:00Z" });
    expect(latestAssessment([laterDay, earlierDayLateRecord])).toBe(laterDay);
  });
});

describe("isAssessmentValid (assessedAt ≤ day ≤ validUntil)", () => {
  const a = assessment({ assessedAt: "2026-03-15", validUntil: "2027-03-14" });
  it.each([
    ["2026-03-14", false], // the day before it was made: not yet valid
    ["2026-03-15", true], // the assessment day
    ["2026-09-30", true],
    ["2027-03-14", true], // the valid-until day itself
    ["2027-03-15", false], // the day after
    ["2030-01-01", false],
    ["2020-01-01", false],
  ])("on %s → %s", (day, expected) => {
    expect(isAssessmentValid(a, day)).toBe(expected);
  });

  it("is valid on its single day when assessedAt = validUntil", () => {
    const oneDay = assessment({ assessedAt: "2026-03-15", validUntil: "2026-03-15" });
    expect(isAssessmentValid(oneDay, "2026-03-15")).toBe(true);
    expect(isAssessmentValid(oneDay, "2026-03-16")).toBe(false);
  });

  it("fails closed on malformed stored dates", () => {
    expect(isAssessmentValid(assessment({ validUntil: "2027-02-30" }), "2026-06-01")).toBe(false);
    expect(isAssessmentValid(assessment({ assessedAt: "" }), "2026-06-01")).toBe(false);
    expect(isAssessmentValid(assessment({ validUntil: "9999-99-99" }), "2026-06-01")).toBe(false);
  });

  it("refuses a malformed day to ask about", () => {
    expect(() => isAssessmentValid(a, "2026-6-1")).toThrow(RangeError);
  });
});

describe("matchRisk", () => {
  // Rows: customer level; columns: product risk R1…R5. "ok" = HUB_RISK_MATCH_OK, "no" = HUB_RISK_MISMATCH.
  const MATRIX: Record<CustomerLevel, readonly ("ok" | "no")[]> = {
    //    R1    R2    R3    R4    R5
    C1: ["ok", "no", "no", "no", "no"],
    C2: ["ok", "ok", "no", "no", "no"],
    C3: ["ok", "ok", "ok", "no", "no"],
    C4: ["ok", "ok", "ok", "ok", "no"],
    C5: ["ok", "ok", "ok", "ok", "ok"],
  };
  const CASES: [CustomerLevel, ProductRisk, "ok" | "no"][] = (
    ["C1", "C2", "C3", "C4", "C5"] as const
  ).flatMap((level) =>
    (["R1", "R2", "R3", "R4", "R5"] as const).map(
      (risk, i) => [level, risk, MATRIX[level][i]] as [CustomerLevel, ProductRisk, "ok" | "no"],
    ),
  );

  it("covers all 25 level × risk pairs", () => {
    expect(CASES).toHaveLength(25);
  });

  it.each(CASES)("%s buying %s on a valid day → %s", (level, risk, expected) => {
    const r = matchRisk(assessment({ level }), risk, "2026-06-01");
    expect(r.ok).toBe(expected === "ok");
    expect(r.code).toBe(expected === "ok" ? "HUB_RISK_MATCH_OK" : "HUB_RISK_MISMATCH");
    expect(r.customerLevel).toBe(level);
    expect(r.productRisk).toBe(risk);
    expect(r.validUntil).toBe("2027-03-14");
  });

  it("explains a mismatch in one sentence", () => {
    expect(matchRisk(assessment({ level: "C2" }), "R3", "2026-06-01")).toEqual({
      ok: false,
      code: "HUB_RISK_MISMATCH",
      customerLevel: "C2",
      productRisk: "R3",
      validUntil: "2027-03-14",
      reason: "客户风险承受能力C2（稳健型）低于产品风险等级R3（中风险），不得销售",
    });
  });

  it("explains a match", () => {
    expect(matchRisk(assessment({ level: "C5" }), "R5", "2026-06-01")).toEqual({
      ok: true,
      code: "HUB_RISK_MATCH_OK",
      customerLevel: "C5",
      productRisk: "R5",
      validUntil: "2027-03-14",
      reason: "客户风险承受能力C5（进取型）不低于产品风险等级R5（高风险），评估有效期至2027-03-14，可以销售",
    });
  });

  it.each(PRODUCT_RISKS.map((r) => [r]))("missing assessment → MISSING for %s", (risk) => {
    expect(matchRisk(null, risk, "2026-06-01")).toEqual({
      ok: false,
      code: "HUB_RISK_ASSESSMENT_MISSING",
      customerLevel: null,
      productRisk: risk,
      validUntil: null,
      reason: "客户尚无风险承受能力评估记录，须先完成风险评估，不得销售",
    });
  });

  // C1 / R1 and C5 / R5 at every validity boundary, and an outright mismatch to show EXPIRED comes first.
  const BOUNDARIES: [string, CustomerLevel, ProductRisk, string, RiskMatchCode][] = [
    ["day before assessment", "C1", "R1", "2026-03-14", "HUB_RISK_ASSESSMENT_EXPIRED"],
    ["assessment day", "C1", "R1", "2026-03-15", "HUB_RISK_MATCH_OK"],
    ["valid-until day", "C1", "R1", "2027-03-14", "HUB_RISK_MATCH_OK"],
    ["day after valid-until", "C1", "R1", "2027-03-15", "HUB_RISK_ASSESSMENT_EXPIRED"],
    ["day before assessment", "C5", "R5", "2026-03-14", "HUB_RISK_ASSESSMENT_EXPIRED"],
    ["assessment day", "C5", "R5", "2026-03-15", "HUB_RISK_MATCH_OK"],
    ["valid-until day", "C5", "R5", "2027-03-14", "HUB_RISK_MATCH_OK"],
    ["day after valid-until", "C5", "R5", "2027-03-15", "HUB_RISK_ASSESSMENT_EXPIRED"],
    ["valid-until day", "C1", "R5", "2027-03-14", "HUB_RISK_MISMATCH"],
    ["day after valid-until", "C1", "R5", "2027-03-15", "HUB_RISK_ASSESSMENT_EXPIRED"],
    ["day before assessment", "C1", "R5", "2026-03-14", "HUB_RISK_ASSESSMENT_EXPIRED"],
  ];
  it.each(BOUNDARIES)("%s: %s / %s on %s → %s", (_label, level, risk, day, code) => {
    const r = matchRisk(assessment({ level }), risk, day);
    expect(r.code).toBe(code);
    expect(r.ok).toBe(code === "HUB_RISK_MATCH_OK");
    expect(r.customerLevel).toBe(level);
  });

  it("says when an assessment has expired", () => {
    expect(matchRisk(assessment({ level: "C4" }), "R2", "2027-03-15")).toEqual({
      ok: false,
      code: "HUB_RISK_ASSESSMENT_EXPIRED",
      customerLevel: "C4",
      productRisk: "R2",
      validUntil: "2027-03-14",
      reason: "客户风险评估已于2027-03-14到期，须重新评估后方可销售",
    });
  });

  it("says when an assessment is not yet valid", () => {
    const r = matchRisk(assessment({ level: "C4" }), "R2", "2026-03-14");
    expect(r.code).toBe("HUB_RISK_ASSESSMENT_EXPIRED");
    expect(r.reason).toBe("客户风险评估日期2026-03-15晚于交易日2026-03-14，评估尚未生效，不得销售");
  });

  it("treats malformed stored dates as expired, saying so", () => {
    const r = matchRisk(assessment({ validUntil: "2027-02-29" }), "R1", "2026-06-01");
    expect(r.code).toBe("HUB_RISK_ASSESSMENT_EXPIRED");
    expect(r.reason).toBe("客户风险评估记录的日期无效，须重新评估后方可销售");
  });

  it("works with a validity period computed by defaultValidUntil", () => {
    const a = assessment({ assessedAt: "2024-02-29", validUntil: defaultValidUntil("2024-02-29") });
    expect(matchRisk(a, "R3", "2025-02-27").code).toBe("HUB_RISK_MATCH_OK");
    expect(matchRisk(a, "R3", "2025-02-28").code).toBe("HUB_RISK_ASSESSMENT_EXPIRED");
  });

  it("refuses a malformed day, an unknown risk or an unknown level", () => {
    expect(() => matchRisk(assessment(), "R1", "2026-06-31")).toThrow(RangeError);
    expect(() => matchRisk(null, "R1", "")).toThrow(RangeError);
    expect(() => matchRisk(assessment(), "R6" as ProductRisk, "2026-06-01")).toThrow(RangeError);
    expect(() => matchRisk(null, "r1" as ProductRisk, "2026-06-01")).toThrow(RangeError);
    expect(() => matchRisk(assessment({ level: "C9" as CustomerLevel }), "R1", "2026-06-01")).toThrow(
      RangeError,
    );
  });
});
