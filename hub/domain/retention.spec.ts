/**
 * Retention: calendar helpers, the product rules, disputes, recomputation and the checks on facts.
 *
 * Every expected day is written out literally, not computed from the module, so that a change to a rule has to
 * be made here as well to pass. Regulatory: each boundary is tested the day before, on the day and the day after.
 */
import { PRODUCT_TYPES, type ProductType } from "./recording-required";
import {
  MAX_TERM_MONTHS,
  RETENTION_FACTS_PROBLEM_CODES,
  RETENTION_RULES,
  addMonths,
  addYears,
  computeRetention,
  isDeletable,
  isIsoDay,
  laterDay,
  retentionFactsProblems,
  type DisputeFact,
  type Retention,
  type RetentionFacts,
  type RetentionProduct,
  type RetentionRule,
} from "./retention";
import { DEFAULT_RETENTION_POLICY, type RetentionPolicy } from "./retention-policy";

type FactsOver = Partial<Omit<RetentionFacts, "product">> & { product?: Partial<RetentionProduct> };

/** A WEALTH product, open-ended, bought 2024-01-10, not redeemed, no disputes; `over` replaces what it names. */
function facts(over: FactsOver = {}): RetentionFacts {
  const { product, ...rest } = over;
  return {
    product: { type: "WEALTH", maturityDate: null, termMonths: null, ...product },
    purchaseDate: "2024-01-10",
    fullRedemptionDate: null,
    disputes: [],
    ...rest,
  };
}

const policy = (over: Partial<RetentionPolicy> = {}): RetentionPolicy => ({
  ...DEFAULT_RETENTION_POLICY,
  ...over,
});
const open = (openedAt: string): DisputeFact => ({ openedAt, closedAt: null });
const closed = (openedAt: string, closedAt: string): DisputeFact => ({ openedAt, closedAt });
const compute = (
  over: FactsOver,
  p: Partial<RetentionPolicy> = {},
  options?: { heldUntilRedemption?: boolean },
) => computeRetention(facts(over), policy(p), options);
const pick = (r: Retention): [string | null, RetentionRule] => [r.retainUntil, r.rule];

const NON_INSURANCE = PRODUCT_TYPES.filter((t) => t !== "INSURANCE");

describe("constants", () => {
  it("lists the rules", () => {
    expect(RETENTION_RULES).toEqual([
      "FIXED_TERM",
      "OPEN_ENDED",
      "HELD_UNTIL_REDEMPTION",
      "INSURANCE_SHORT_TERM",
      "INSURANCE_LONG_TERM",
      "DISPUTE_OPEN",
      "DISPUTE_CLOSED",
      "KEPT_UNDER_DISPUTE",
      "INCOMPLETE_PRODUCT",
    ]);
  });

  it("lists the problem codes and bounds a term at 100 years", () => {
    expect(RETENTION_FACTS_PROBLEM_CODES).toEqual([
      "required",
      "type",
      "day",
      "productType",
      "positiveInteger",
      "range",
      "beforePurchase",
      "beforeOpened",
    ]);
    expect(MAX_TERM_MONTHS).toBe(1200);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Calendar helpers
// ---------------------------------------------------------------------------------------------------------------

describe("isIsoDay", () => {
  it.each([
    ["2026-03-15", true],
    ["2024-02-29", true],
    ["2000-02-29", true],
    ["2026-12-31", true],
    ["2026-04-30", true],
    ["0001-01-01", true],
    ["9999-12-31", true],
    ["2026-02-30", false],
    ["2026-02-29", false],
    ["1900-02-29", false],
    ["2100-02-29", false],
    ["2026-04-31", false],
    ["2026-13-01", false],
    ["2026-00-10", false],
    ["2026-01-00", false],
    ["2026-01-32", false],
    ["0000-01-01", false],
    ["2026-1-5", false],
    ["2026/03/15", false],
    ["20260315", false],
    ["2026-03-15T00:00:00Z", false],
    [" 2026-03-15", false],
    ["2026-03-15\n", false],
    ["", false],
    [null, false],
    [undefined, false],
    [20260315, false],
  ])("%j → %s", (s, expected) => {
    expect(isIsoDay(s)).toBe(expected);
  });
});

describe("addMonths (month ends clamp)", () => {
  it.each([
    ["2026-03-15", 0, "2026-03-15"],
    ["2026-03-15", 1, "2026-04-15"],
    ["2026-01-31", 1, "2026-02-28"], // clamps to February's last day
    ["2024-01-31", 1, "2024-02-29"], // … the leap day in a leap year
    ["2026-01-30", 1, "2026-02-28"],
    ["2026-01-29", 1, "2026-02-28"],
    ["2026-01-28", 1, "2026-02-28"], // exists: not a clamp
    ["2026-03-31", 1, "2026-04-30"], // 31 → a 30-day month
    ["2026-04-30", 1, "2026-05-30"], // 30 April stays the 30th in a 31-day month
    ["2026-04-30", 10, "2027-02-28"],
    ["2026-12-31", 1, "2027-01-31"], // year end
    ["2026-12-31", 2, "2027-02-28"],
    ["2026-12-31", 12, "2027-12-31"],
    ["2026-12-15", 1, "2027-01-15"],
    ["2024-02-29", 1, "2024-03-29"],
    ["2024-02-29", 12, "2025-02-28"],
    ["2024-02-29", 48, "2028-02-29"],
    ["2026-01-10", 12, "2027-01-10"],
    ["2026-01-10", 13, "2027-02-10"],
    ["2026-01-15", -1, "2025-12-15"],
    ["2026-03-31", -1, "2026-02-28"],
    ["2024-03-31", -1, "2024-02-29"],
    ["2026-03-15", 1200, "2126-03-15"],
  ])("%s + %i months = %s", (day, n, expected) => {
    expect(addMonths(day, n)).toBe(expected);
  });

  it.each([
    ["2026-02-30", 1],
    ["2026-3-15", 1],
    ["2026-03-15", 1.5],
    ["2026-03-15", Number.NaN],
    ["9999-12-31", 1],
    ["0001-01-31", -1],
  ])("refuses %j + %s", (day, n) => {
    expect(() => addMonths(day, n)).toThrow(RangeError);
  });
});

describe("addYears (29 February → 28 February in a common year)", () => {
  it.each([
    ["2024-02-29", 0, "2024-02-29"],
    ["2024-02-29", 1, "2025-02-28"],
    ["2024-02-29", 2, "2026-02-28"],
    ["2024-02-29", 4, "2028-02-29"], // a leap year again
    ["2024-02-29", 5, "2029-02-28"],
    ["2024-02-29", 10, "2034-02-28"],
    ["2024-02-29", -1, "2023-02-28"],
    ["2024-02-29", -4, "2020-02-29"],
    ["2096-02-29", 4, "2100-02-28"], // 2100 is not a leap year (÷100)
    ["1996-02-29", 4, "2000-02-29"], // 2000 is (÷400)
    ["2024-02-28", 1, "2025-02-28"],
    ["2023-03-01", 1, "2024-03-01"],
    ["2025-02-28", 3, "2028-02-28"], // 28 February does not move to the leap day
    ["2026-01-31", 1, "2027-01-31"],
    ["2026-04-30", 5, "2031-04-30"],
    ["2026-12-31", 2, "2028-12-31"],
    ["2027-03-31", 2, "2029-03-31"],
    ["2026-01-10", 100, "2126-01-10"],
  ])("%s + %i years = %s", (day, n, expected) => {
    expect(addYears(day, n)).toBe(expected);
  });

  it.each([
    ["2026-02-29", 1],
    ["", 1],
    ["2026-03-15", 0.5],
    ["2026-03-15", Infinity],
    ["9999-01-01", 1],
    ["0001-12-31", -1],
  ])("refuses %j + %s", (day, n) => {
    expect(() => addYears(day, n)).toThrow(RangeError);
  });
});

describe("laterDay", () => {
  it.each([
    ["2029-03-31", "2029-04-01", "2029-04-01"],
    ["2029-04-01", "2029-03-31", "2029-04-01"],
    ["2029-03-31", "2029-03-31", "2029-03-31"],
    ["2028-12-31", "2029-01-01", "2029-01-01"],
    ["2031-01-10", "2028-01-10", "2031-01-10"],
  ])("later of %s and %s = %s", (a, b, expected) => {
    expect(laterDay(a, b)).toBe(expected);
  });

  it("refuses a malformed day on either side", () => {
    expect(() => laterDay("2029-02-29", "2029-03-01")).toThrow(RangeError);
    expect(() => laterDay("2029-03-01", "")).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Deletable
// ---------------------------------------------------------------------------------------------------------------

describe("isDeletable (only strictly after retainUntil)", () => {
  const kept = (retainUntil: string | null, rule: RetentionRule = "FIXED_TERM"): Retention => ({
    retainUntil,
    rule,
    explanation: "",
  });

  // retainUntil, the day before, the day after
  it.each([
    ["2029-03-31", "2029-03-30", "2029-04-01"],
    ["2028-12-31", "2028-12-30", "2029-01-01"], // year end
    ["2029-01-31", "2029-01-30", "2029-02-01"], // month end
    ["2028-02-29", "2028-02-28", "2028-03-01"], // leap day
    ["2029-02-28", "2029-02-27", "2029-03-01"], // February of a common year
    ["2030-04-30", "2030-04-29", "2030-05-01"],
    ["2029-03-01", "2029-02-28", "2029-03-02"],
  ])("kept to %s: not on %s nor on the day itself, deletable from %s", (until, before, after) => {
    const r = kept(until);
    expect(isDeletable(r, before)).toBe(false);
    expect(isDeletable(r, until)).toBe(false);
    expect(isDeletable(r, after)).toBe(true);
    expect(isDeletable(r, "9999-12-31")).toBe(true);
    expect(isDeletable(r, "2000-01-01")).toBe(false);
  });

  it.each([["HELD_UNTIL_REDEMPTION"], ["DISPUTE_OPEN"], ["INCOMPLETE_PRODUCT"]] as const)(
    "never while held (%s)",
    (rule) => {
      expect(isDeletable(kept(null, rule), "2026-01-01")).toBe(false);
      expect(isDeletable(kept(null, rule), "9999-12-31")).toBe(false);
    },
  );

  it.each([["2029-02-29"], ["2029-3-31"], [""]])("fails closed on a stored retainUntil of %j", (until) => {
    expect(isDeletable(kept(until), "9999-12-31")).toBe(false);
  });

  it.each([["2029-04-31"], ["2029/04/01"], [""]])("refuses an asOf of %j", (asOf) => {
    expect(() => isDeletable(kept("2029-03-31"), asOf)).toThrow(RangeError);
  });

  // The whole way through: facts → retention → the boundary days.
  it.each([
    ["fixed term", { product: { maturityDate: "2027-03-31" } }, "2029-03-30", "2029-03-31", "2029-04-01"],
    [
      "maturity on a leap day",
      { product: { maturityDate: "2028-02-29" } },
      "2030-02-27",
      "2030-02-28",
      "2030-03-01",
    ],
    [
      "open-ended, redeemed",
      { purchaseDate: "2026-01-10", fullRedemptionDate: "2030-06-01" },
      "2032-05-31",
      "2032-06-01",
      "2032-06-02",
    ],
    [
      "insurance, 12 months",
      { purchaseDate: "2026-01-10", product: { type: "INSURANCE", termMonths: 12 } },
      "2032-01-09",
      "2032-01-10",
      "2032-01-11",
    ],
    [
      "closed dispute",
      { product: { maturityDate: "2026-12-31" }, disputes: [closed("2026-06-01", "2027-02-01")] },
      "2029-01-31",
      "2029-02-01",
      "2029-02-02",
    ],
  ] as [string, FactsOver, string, string, string][])(
    "%s: kept on %s and %s, deletable on %s",
    (_l, f, a, b, c) => {
      const r = compute(f);
      expect(r.retainUntil).toBe(b);
      expect([a, b, c].map((d) => isDeletable(r, d))).toEqual([false, false, true]);
    },
  );
});

// ---------------------------------------------------------------------------------------------------------------
// Product rules
// ---------------------------------------------------------------------------------------------------------------

describe("every product type, every shape", () => {
  // type, maturityDate, termMonths, fullRedemptionDate → retainUntil, rule (purchase 2024-01-10, defaults)
  const INSURANCE = "INSURANCE" as ProductType;
  const ROWS: [ProductType, string | null, number | null, string | null, string | null, RetentionRule][] = [
    ...NON_INSURANCE.flatMap(
      (t): [ProductType, string | null, number | null, string | null, string | null, RetentionRule][] => [
        [t, "2027-03-31", null, null, "2029-03-31", "FIXED_TERM"],
        [t, null, 6, null, "2026-07-10", "FIXED_TERM"],
        [t, null, null, null, null, "HELD_UNTIL_REDEMPTION"],
        [t, null, null, "2025-01-10", "2029-01-10", "OPEN_ENDED"],
      ],
    ),
    [INSURANCE, "2027-03-31", null, null, "2037-03-31", "INSURANCE_LONG_TERM"],
    [INSURANCE, null, 6, null, "2029-07-10", "INSURANCE_SHORT_TERM"],
    [INSURANCE, null, null, null, null, "INCOMPLETE_PRODUCT"],
    [INSURANCE, null, null, "2025-01-10", null, "INCOMPLETE_PRODUCT"],
  ];

  it("covers all types", () => {
    expect(new Set(ROWS.map((r) => r[0]))).toEqual(new Set(PRODUCT_TYPES));
    expect(ROWS).toHaveLength(PRODUCT_TYPES.length * 4);
  });

  it.each(ROWS)(
    "%s maturity %s term %s redeemed %s → %s %s",
    (type, maturityDate, termMonths, redeemed, until, rule) => {
      const r = compute({ product: { type, maturityDate, termMonths }, fullRedemptionDate: redeemed });
      expect(pick(r)).toEqual([until, rule]);
      expect(r.explanation).not.toBe("");
    },
  );
});

describe("fixed term (non-insurance with a maturity date)", () => {
  it.each(NON_INSURANCE.map((t) => [t]))("%s: explains in the clerk's words", (type) => {
    expect(compute({ product: { type, maturityDate: "2027-03-31" } })).toEqual({
      retainUntil: "2029-03-31",
      rule: "FIXED_TERM",
      explanation: "产品到期日2027-03-31后保存2年，至2029-03-31",
    });
  });

  // maturity, yearsAfterProductEnd → retainUntil
  it.each([
    ["2027-03-31", 2, "2029-03-31"],
    ["2028-02-29", 2, "2030-02-28"], // maturity on a leap day, target year common
    ["2028-02-29", 4, "2032-02-29"], // … target year leap
    ["2024-02-29", 1, "2025-02-28"],
    ["2024-02-29", 5, "2029-02-28"],
    ["2027-02-28", 1, "2028-02-28"],
    ["2027-01-31", 2, "2029-01-31"],
    ["2026-04-30", 2, "2028-04-30"],
    ["2026-12-31", 2, "2028-12-31"],
    ["2027-03-31", 3, "2030-03-31"], // policy: 3 years instead of 2
    ["2027-03-31", 1, "2028-03-31"],
    ["2027-03-31", 10, "2037-03-31"],
  ])("maturity %s + %i years → %s", (maturityDate, years, expected) => {
    const r = compute({ product: { maturityDate } }, { yearsAfterProductEnd: years });
    expect(pick(r)).toEqual([expected, "FIXED_TERM"]);
    expect(r.explanation).toBe(`产品到期日${maturityDate}后保存${years}年，至${expected}`);
  });

  it("ignores redemptions: an early or late redemption neither shortens nor extends", () => {
    for (const fullRedemptionDate of [
      null,
      "2024-01-10",
      "2026-06-01",
      "2027-03-31",
      "2027-04-02",
      "2035-01-01",
    ]) {
      expect(pick(compute({ product: { maturityDate: "2027-03-31" }, fullRedemptionDate }))).toEqual([
        "2029-03-31",
        "FIXED_TERM",
      ]);
    }
  });

  it("takes the maturity date over a term", () => {
    expect(pick(compute({ product: { maturityDate: "2027-03-31", termMonths: 6 } }))).toEqual([
      "2029-03-31",
      "FIXED_TERM",
    ]);
  });

  it("accepts a maturity on the purchase day", () => {
    expect(pick(compute({ purchaseDate: "2027-03-31", product: { maturityDate: "2027-03-31" } }))).toEqual([
      "2029-03-31",
      "FIXED_TERM",
    ]);
  });

  it("does not use the insurance or open-ended parameters", () => {
    const p = { openEndedYearsAfterPurchase: 50, insuranceYearsShortTerm: 60, insuranceYearsLongTerm: 70 };
    expect(compute({ product: { maturityDate: "2027-03-31" } }, p).retainUntil).toBe("2029-03-31");
  });
});

describe("fixed term from a term without a maturity date (non-insurance)", () => {
  // purchase, termMonths → product end, retainUntil (+2 years)
  it.each([
    ["2026-01-10", 12, "2027-01-10", "2029-01-10"],
    ["2026-01-10", 6, "2026-07-10", "2028-07-10"],
    ["2026-01-31", 1, "2026-02-28", "2028-02-28"], // month end clamps
    ["2024-01-31", 1, "2024-02-29", "2026-02-28"], // to the leap day, then + 2 years from it
    ["2026-12-31", 2, "2027-02-28", "2029-02-28"],
    ["2026-04-30", 10, "2027-02-28", "2029-02-28"],
    ["2024-02-29", 12, "2025-02-28", "2027-02-28"],
    ["2024-02-29", 48, "2028-02-29", "2030-02-28"],
  ])("bought %s for %i months: ends %s, kept to %s", (purchaseDate, termMonths, end, expected) => {
    const r = compute({ purchaseDate, product: { termMonths } });
    expect(pick(r)).toEqual([expected, "FIXED_TERM"]);
    expect(r.explanation).toContain(`${termMonths}个月`);
    expect(r.explanation).toContain(purchaseDate);
    expect(r.explanation).toContain(end);
    expect(r.explanation).toContain(`至${expected}`);
  });

  it("is not held for a redemption and ignores one", () => {
    expect(pick(compute({ purchaseDate: "2026-01-10", product: { termMonths: 6 } }))).toEqual([
      "2028-07-10",
      "FIXED_TERM",
    ]);
    expect(
      pick(
        compute({ purchaseDate: "2026-01-10", product: { termMonths: 6 }, fullRedemptionDate: "2026-03-01" }),
      ),
    ).toEqual(["2028-07-10", "FIXED_TERM"]);
  });

  it("follows the policy", () => {
    expect(
      compute({ purchaseDate: "2026-01-10", product: { termMonths: 12 } }, { yearsAfterProductEnd: 3 })
        .retainUntil,
    ).toBe("2030-01-10");
  });
});

describe("open-ended (non-insurance, no maturity, no term)", () => {
  // Bought 2026-01-10: purchase + 5 = 2031-01-10; purchase + 3 = 2029-01-10 is where redemption + 2 takes over.
  it("explains the later of the two", () => {
    expect(compute({ purchaseDate: "2026-01-10", fullRedemptionDate: "2030-06-01" })).toEqual({
      retainUntil: "2032-06-01",
      rule: "OPEN_ENDED",
      explanation:
        "开放式产品：购买日2026-01-10后保存5年（至2031-01-10）与全部赎回日2030-06-01后保存2年（至2032-06-01）取较晚者，至2032-06-01",
    });
  });

  // redemption → retainUntil
  it.each([
    ["2026-01-10", "2031-01-10"], // redeemed on the purchase day: purchase + 5 governs
    ["2027-06-01", "2031-01-10"],
    ["2029-01-09", "2031-01-10"], // the day before purchase + 3: 2031-01-09 < 2031-01-10
    ["2029-01-10", "2031-01-10"], // exactly purchase + 3: a tie
    ["2029-01-11", "2031-01-11"], // the day after: redemption + 2 governs
    ["2030-06-01", "2032-06-01"],
    ["2040-12-31", "2042-12-31"],
  ])("bought 2026-01-10, redeemed %s → %s", (fullRedemptionDate, expected) => {
    const r = compute({ purchaseDate: "2026-01-10", fullRedemptionDate });
    expect(pick(r)).toEqual([expected, "OPEN_ENDED"]);
    expect(r.explanation).toContain("2026-01-10");
    expect(r.explanation).toContain(fullRedemptionDate);
    expect(r.explanation).toContain(`至${expected}`);
  });

  // purchase, redemption → retainUntil: leap days and month ends
  it.each([
    ["2024-02-29", "2024-03-01", "2029-02-28"], // purchase on a leap day: + 5 lands on 28 February
    ["2024-02-29", "2027-02-28", "2029-02-28"], // redemption + 2 = 2029-02-28 too: a tie
    ["2024-02-29", "2027-03-01", "2029-03-01"],
    ["2024-02-29", "2028-02-29", "2030-02-28"], // redemption on a leap day
    ["2026-01-31", "2029-01-31", "2031-01-31"],
    ["2026-12-31", "2029-12-31", "2031-12-31"],
    ["2026-04-30", "2029-05-01", "2031-05-01"],
  ])("bought %s, redeemed %s → %s", (purchaseDate, fullRedemptionDate, expected) => {
    expect(pick(compute({ purchaseDate, fullRedemptionDate }))).toEqual([expected, "OPEN_ENDED"]);
  });

  // policy (purchase years, redemption years), redemption → retainUntil (bought 2026-01-10)
  it.each([
    [3, 3, "2027-01-10", "2030-01-10"], // purchase + 3 = 2029-01-10, redemption + 3 = 2030-01-10
    [3, 3, "2026-01-10", "2029-01-10"],
    [6, 2, "2030-06-01", "2032-06-01"],
    [6, 2, "2029-06-01", "2032-01-10"],
    [5, 1, "2029-06-01", "2031-01-10"],
    [5, 4, "2027-06-01", "2031-06-01"],
  ])(
    "policy %i / %i years, redeemed %s → %s",
    (purchaseYears, redemptionYears, fullRedemptionDate, expected) => {
      const r = compute(
        { purchaseDate: "2026-01-10", fullRedemptionDate },
        { openEndedYearsAfterPurchase: purchaseYears, openEndedYearsAfterRedemption: redemptionYears },
      );
      expect(pick(r)).toEqual([expected, "OPEN_ENDED"]);
      expect(r.explanation).toContain(`保存${purchaseYears}年`);
      expect(r.explanation).toContain(`保存${redemptionYears}年`);
    },
  );

  describe("not yet fully redeemed", () => {
    it("is held until the customer fully redeems", () => {
      const r = compute({ purchaseDate: "2026-01-10" });
      expect(pick(r)).toEqual([null, "HELD_UNTIL_REDEMPTION"]);
      expect(r.explanation).toContain("全部赎回");
      expect(r.explanation).toContain("2031-01-10");
      expect(isDeletable(r, "9999-12-31")).toBe(false);
    });

    it.each([[undefined], [{}], [{ heldUntilRedemption: true }]])("is held with options %j", (options) => {
      expect(pick(computeRetention(facts({ purchaseDate: "2026-01-10" }), policy(), options))).toEqual([
        null,
        "HELD_UNTIL_REDEMPTION",
      ]);
    });

    it("ends at purchase + 5 years when the policy does not hold until redemption", () => {
      const r = compute({ purchaseDate: "2026-01-10" }, {}, { heldUntilRedemption: false });
      expect(pick(r)).toEqual(["2031-01-10", "OPEN_ENDED"]);
      expect(r.explanation).toContain("2026-01-10");
      expect(r.explanation).toContain("至2031-01-10");
      expect(isDeletable(r, "2031-01-10")).toBe(false);
      expect(isDeletable(r, "2031-01-11")).toBe(true);
    });

    it.each([
      ["2024-02-29", 5, "2029-02-28"],
      ["2026-01-10", 3, "2029-01-10"],
    ])("option false: bought %s, %i years → %s", (purchaseDate, years, expected) => {
      const r = compute(
        { purchaseDate },
        { openEndedYearsAfterPurchase: years },
        { heldUntilRedemption: false },
      );
      expect(pick(r)).toEqual([expected, "OPEN_ENDED"]);
    });

    it("head office's policy switch openEndedHeldUntilRedemption does the same; an explicit option wins", () => {
      expect(pick(compute({ purchaseDate: "2026-01-10" }, { openEndedHeldUntilRedemption: false }))).toEqual([
        "2031-01-10",
        "OPEN_ENDED",
      ]);
      expect(pick(compute({ purchaseDate: "2026-01-10" }, { openEndedHeldUntilRedemption: true }))).toEqual([
        null,
        "HELD_UNTIL_REDEMPTION",
      ]);
      expect(
        pick(
          compute(
            { purchaseDate: "2026-01-10" },
            { openEndedHeldUntilRedemption: false },
            { heldUntilRedemption: true },
          ),
        ),
      ).toEqual([null, "HELD_UNTIL_REDEMPTION"]);
    });

    it("the option changes nothing once redeemed", () => {
      const f = { purchaseDate: "2026-01-10", fullRedemptionDate: "2030-06-01" };
      expect(compute(f, {}, { heldUntilRedemption: false })).toEqual(compute(f));
    });
  });

  describe("late redemptions: the same facts before and after the redemption arrives", () => {
    // redemption → retainUntil once it arrives
    it.each([
      ["2027-01-01", "2031-01-10"],
      ["2029-01-10", "2031-01-10"],
      ["2029-01-11", "2031-01-11"],
      ["2030-06-01", "2032-06-01"],
    ])("held, then redeemed %s → %s", (fullRedemptionDate, expected) => {
      expect(pick(compute({ purchaseDate: "2026-01-10" }))).toEqual([null, "HELD_UNTIL_REDEMPTION"]);
      expect(pick(compute({ purchaseDate: "2026-01-10", fullRedemptionDate }))).toEqual([
        expected,
        "OPEN_ENDED",
      ]);
    });

    it("without the hold, a redemption can only lengthen the retention", () => {
      const before = compute({ purchaseDate: "2026-01-10" }, {}, { heldUntilRedemption: false });
      expect(before.retainUntil).toBe("2031-01-10");
      const early = compute(
        { purchaseDate: "2026-01-10", fullRedemptionDate: "2027-01-01" },
        {},
        { heldUntilRedemption: false },
      );
      const late = compute(
        { purchaseDate: "2026-01-10", fullRedemptionDate: "2030-06-01" },
        {},
        { heldUntilRedemption: false },
      );
      expect(early.retainUntil).toBe("2031-01-10");
      expect(late.retainUntil).toBe("2032-06-01");
    });

    it("a redemption arriving after a closed dispute ends the hold, the dispute's floor still applying", () => {
      const disputes = [closed("2026-06-01", "2030-09-01")];
      expect(pick(compute({ purchaseDate: "2026-01-10", disputes }))).toEqual([
        null,
        "HELD_UNTIL_REDEMPTION",
      ]);
      expect(
        pick(compute({ purchaseDate: "2026-01-10", disputes, fullRedemptionDate: "2026-10-01" })),
      ).toEqual(["2032-09-01", "DISPUTE_CLOSED"]);
      expect(
        pick(compute({ purchaseDate: "2026-01-10", disputes, fullRedemptionDate: "2031-01-01" })),
      ).toEqual(["2033-01-01", "OPEN_ENDED"]);
    });

    it("a redemption corrected to an earlier day shortens without a dispute, not under one", () => {
      const stored = compute({ purchaseDate: "2026-01-10", fullRedemptionDate: "2030-06-01" }).retainUntil;
      expect(stored).toBe("2032-06-01");
      const corrected = {
        purchaseDate: "2026-01-10",
        fullRedemptionDate: "2029-06-01",
        previousRetainUntil: stored,
      };
      expect(pick(compute(corrected))).toEqual(["2031-06-01", "OPEN_ENDED"]);
      expect(pick(compute({ ...corrected, disputes: [closed("2026-05-01", "2027-01-01")] }))).toEqual([
        "2032-06-01",
        "KEPT_UNDER_DISPUTE",
      ]);
    });
  });
});

describe("insurance", () => {
  it("explains a 12-month contract", () => {
    expect(compute({ purchaseDate: "2026-01-10", product: { type: "INSURANCE", termMonths: 12 } })).toEqual({
      retainUntil: "2032-01-10",
      rule: "INSURANCE_SHORT_TERM",
      explanation: "保险合同期12个月，合同终止日2027-01-10后保存5年，至2032-01-10",
    });
  });

  // purchase, termMonths → contract end, retainUntil, rule
  it.each([
    ["2026-01-10", 1, "2026-02-10", "2031-02-10", "INSURANCE_SHORT_TERM"],
    ["2026-01-10", 6, "2026-07-10", "2031-07-10", "INSURANCE_SHORT_TERM"],
    ["2026-01-10", 11, "2026-12-10", "2031-12-10", "INSURANCE_SHORT_TERM"],
    ["2026-01-10", 12, "2027-01-10", "2032-01-10", "INSURANCE_SHORT_TERM"], // exactly one year: short
    ["2026-01-10", 13, "2027-02-10", "2037-02-10", "INSURANCE_LONG_TERM"], // one month more: long
    ["2026-01-10", 24, "2028-01-10", "2038-01-10", "INSURANCE_LONG_TERM"],
    ["2026-01-10", 120, "2036-01-10", "2046-01-10", "INSURANCE_LONG_TERM"],
    ["2026-01-31", 1, "2026-02-28", "2031-02-28", "INSURANCE_SHORT_TERM"], // month end clamps
    ["2024-01-31", 1, "2024-02-29", "2029-02-28", "INSURANCE_SHORT_TERM"], // to a leap day, + 5 to a common year
    ["2024-02-29", 12, "2025-02-28", "2030-02-28", "INSURANCE_SHORT_TERM"],
    ["2024-02-29", 13, "2025-03-29", "2035-03-29", "INSURANCE_LONG_TERM"],
    ["2024-02-29", 48, "2028-02-29", "2038-02-28", "INSURANCE_LONG_TERM"],
    ["2026-12-31", 2, "2027-02-28", "2032-02-28", "INSURANCE_SHORT_TERM"],
    ["2026-12-31", 12, "2027-12-31", "2032-12-31", "INSURANCE_SHORT_TERM"],
    ["2026-04-30", 12, "2027-04-30", "2032-04-30", "INSURANCE_SHORT_TERM"],
    ["2026-04-30", 13, "2027-05-30", "2037-05-30", "INSURANCE_LONG_TERM"],
  ])("bought %s for %i months: ends %s, kept to %s (%s)", (purchaseDate, termMonths, end, expected, rule) => {
    const r = compute({ purchaseDate, product: { type: "INSURANCE", termMonths } });
    expect(pick(r)).toEqual([expected, rule]);
    const years = rule === "INSURANCE_SHORT_TERM" ? 5 : 10;
    expect(r.explanation).toBe(
      `保险合同期${termMonths}个月，合同终止日${end}后保存${years}年，至${expected}`,
    );
  });

  // purchase, maturity (no term) → retainUntil, rule; "≤ 12 months" means maturity ≤ purchase + 12 months
  it.each([
    ["2026-01-10", "2026-01-10", "2031-01-10", "INSURANCE_SHORT_TERM"],
    ["2026-01-10", "2026-07-10", "2031-07-10", "INSURANCE_SHORT_TERM"],
    ["2026-01-10", "2027-01-09", "2032-01-09", "INSURANCE_SHORT_TERM"],
    ["2026-01-10", "2027-01-10", "2032-01-10", "INSURANCE_SHORT_TERM"], // 12 months
    ["2026-01-10", "2027-01-11", "2037-01-11", "INSURANCE_LONG_TERM"], // 12 months and a day
    ["2026-01-10", "2027-02-10", "2037-02-10", "INSURANCE_LONG_TERM"], // 13 months
    ["2026-01-31", "2027-01-31", "2032-01-31", "INSURANCE_SHORT_TERM"],
    ["2026-01-31", "2027-02-01", "2037-02-01", "INSURANCE_LONG_TERM"],
    ["2024-02-29", "2025-02-28", "2030-02-28", "INSURANCE_SHORT_TERM"], // 12 months from a leap day (clamped)
    ["2024-02-29", "2025-03-01", "2035-03-01", "INSURANCE_LONG_TERM"],
    ["2026-02-28", "2027-02-28", "2032-02-28", "INSURANCE_SHORT_TERM"],
    ["2026-03-31", "2027-03-31", "2032-03-31", "INSURANCE_SHORT_TERM"],
    ["2026-03-31", "2027-04-01", "2037-04-01", "INSURANCE_LONG_TERM"],
    ["2026-01-10", "2028-02-29", "2038-02-28", "INSURANCE_LONG_TERM"], // ends on a leap day
  ])("bought %s, contract ends %s → %s (%s)", (purchaseDate, maturityDate, expected, rule) => {
    const r = compute({ purchaseDate, product: { type: "INSURANCE", maturityDate } });
    expect(pick(r)).toEqual([expected, rule]);
    expect(r.explanation).toContain(`合同终止日${maturityDate}`);
    expect(r.explanation).toContain(`至${expected}`);
  });

  it("names a maturity-derived term in months when it is a whole number of months", () => {
    const f = (maturityDate: string) =>
      compute({ purchaseDate: "2026-01-10", product: { type: "INSURANCE", maturityDate } }).explanation;
    expect(f("2027-01-10")).toBe("保险合同期12个月，合同终止日2027-01-10后保存5年，至2032-01-10");
    expect(f("2027-02-10")).toBe("保险合同期13个月，合同终止日2027-02-10后保存10年，至2037-02-10");
    expect(f("2027-01-11")).toBe(
      "保险合同期自2026-01-10至2027-01-11，超过12个月，合同终止日2027-01-11后保存10年，至2037-01-11",
    );
    expect(f("2026-12-20")).toBe(
      "保险合同期自2026-01-10至2026-12-20，不超过12个月，合同终止日2026-12-20后保存5年，至2031-12-20",
    );
  });

  it("takes the term over the maturity date", () => {
    const r = (termMonths: number, maturityDate: string) =>
      pick(compute({ purchaseDate: "2026-01-10", product: { type: "INSURANCE", termMonths, maturityDate } }));
    expect(r(13, "2027-01-10")).toEqual(["2037-02-10", "INSURANCE_LONG_TERM"]);
    expect(r(12, "2028-01-10")).toEqual(["2032-01-10", "INSURANCE_SHORT_TERM"]);
  });

  it("is incomplete, and never deletable, without a term or an end date", () => {
    const r = compute({
      purchaseDate: "2026-01-10",
      product: { type: "INSURANCE" },
      fullRedemptionDate: "2026-02-01",
    });
    expect(pick(r)).toEqual([null, "INCOMPLETE_PRODUCT"]);
    expect(r.explanation).toContain("合同期限");
    expect(r.explanation).toContain("终止日");
    expect(isDeletable(r, "9999-12-31")).toBe(false);
  });

  it("ignores a surrender (full redemption)", () => {
    const r = compute({
      purchaseDate: "2026-01-10",
      product: { type: "INSURANCE", termMonths: 12 },
      fullRedemptionDate: "2026-03-01",
    });
    expect(pick(r)).toEqual(["2032-01-10", "INSURANCE_SHORT_TERM"]);
  });

  // short years, long years, termMonths → retainUntil (bought 2026-01-10)
  it.each([
    [6, 12, 12, "2033-01-10"],
    [6, 12, 13, "2039-02-10"],
    [10, 10, 12, "2037-01-10"],
    [10, 10, 13, "2037-02-10"],
    [5, 20, 24, "2048-01-10"],
  ])("policy %i / %i years, %i months → %s", (short, long, termMonths, expected) => {
    const r = compute(
      { purchaseDate: "2026-01-10", product: { type: "INSURANCE", termMonths } },
      { insuranceYearsShortTerm: short, insuranceYearsLongTerm: long },
    );
    expect(r.retainUntil).toBe(expected);
    expect(r.explanation).toContain(`保存${termMonths <= 12 ? short : long}年`);
  });

  it("does not use the fixed-term or open-ended parameters", () => {
    const p = {
      yearsAfterProductEnd: 50,
      openEndedYearsAfterPurchase: 50,
      openEndedYearsAfterRedemption: 50,
    };
    expect(
      compute({ purchaseDate: "2026-01-10", product: { type: "INSURANCE", termMonths: 12 } }, p).retainUntil,
    ).toBe("2032-01-10");
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Disputes
// ---------------------------------------------------------------------------------------------------------------

describe("disputes", () => {
  // Base: WEALTH bought 2024-01-10, maturity 2027-03-31 → kept to 2029-03-31.
  const FIXED = { product: { maturityDate: "2027-03-31" } };

  it("an open dispute holds the recording", () => {
    const r = compute({ ...FIXED, disputes: [open("2026-05-01")] });
    expect(r).toEqual({
      retainUntil: null,
      rule: "DISPUTE_OPEN",
      explanation: "纠纷处理中（2026-05-01起），暂停到期删除",
    });
    expect(isDeletable(r, "9999-12-31")).toBe(false);
  });

  // An open dispute wins whatever the base rule says.
  it.each([
    ["fixed term", FIXED],
    ["open-ended, held", { purchaseDate: "2026-01-10" }],
    ["open-ended, redeemed", { purchaseDate: "2026-01-10", fullRedemptionDate: "2026-06-01" }],
    ["insurance", { purchaseDate: "2026-01-10", product: { type: "INSURANCE", termMonths: 12 } }],
    ["incomplete insurance", { purchaseDate: "2026-01-10", product: { type: "INSURANCE" } }],
    ["term without maturity", { product: { termMonths: 6 } }],
  ] as [string, FactsOver][])("an open dispute holds a %s product", (_label, f) => {
    expect(pick(compute({ ...f, disputes: [open("2026-05-01")] }))).toEqual([null, "DISPUTE_OPEN"]);
  });

  it.each([
    [[open("2026-05-01"), closed("2026-01-01", "2035-01-01")], "2026-05-01"], // open + closed: open wins
    [[closed("2026-01-01", "2035-01-01"), open("2026-05-01")], "2026-05-01"],
    [[open("2027-01-01"), open("2026-05-01")], "2026-05-01"], // two open: held since the earlier
    [[closed("2025-01-01", "2025-02-01"), open("2027-06-30"), open("2028-01-01")], "2027-06-30"],
  ])("%j → held since %s", (disputes, since) => {
    const r = compute({ ...FIXED, disputes });
    expect(pick(r)).toEqual([null, "DISPUTE_OPEN"]);
    expect(r.explanation).toBe(`纠纷处理中（${since}起），暂停到期删除`);
  });

  it("an open dispute ignores previousRetainUntil", () => {
    expect(
      pick(compute({ ...FIXED, disputes: [open("2026-05-01")], previousRetainUntil: "2035-01-01" })),
    ).toEqual([null, "DISPUTE_OPEN"]);
  });

  it("explains a closed dispute that governs", () => {
    expect(
      compute({ product: { maturityDate: "2026-12-31" }, disputes: [closed("2026-06-01", "2027-02-01")] }),
    ).toEqual({
      retainUntil: "2029-02-01",
      rule: "DISPUTE_CLOSED",
      explanation: "纠纷于2027-02-01结案后保存2年，至2029-02-01",
    });
  });

  // closedAt → retainUntil, rule (base 2029-03-31)
  it.each([
    ["2027-02-01", "2029-03-31", "FIXED_TERM"], // floor 2029-02-01: the product governs
    ["2027-03-30", "2029-03-31", "FIXED_TERM"], // the day before a tie
    ["2027-03-31", "2029-03-31", "FIXED_TERM"], // floor = base: a tie, the product keeps governing
    ["2027-04-01", "2029-04-01", "DISPUTE_CLOSED"], // the day after
    ["2028-06-15", "2030-06-15", "DISPUTE_CLOSED"],
    ["2028-02-29", "2030-02-28", "DISPUTE_CLOSED"], // closed on a leap day: + 2 years = 28 February
  ])("closed %s → %s (%s)", (closedAt, expected, rule) => {
    const r = compute({ ...FIXED, disputes: [closed("2026-01-05", closedAt)] });
    expect(pick(r)).toEqual([expected, rule]);
    if (rule === "DISPUTE_CLOSED")
      expect(r.explanation).toBe(`纠纷于${closedAt}结案后保存2年，至${expected}`);
  });

  it("several closed disputes: the latest close governs, in any order", () => {
    const a = closed("2026-02-01", "2027-06-01");
    const b = closed("2026-03-01", "2028-01-15");
    const c = closed("2026-04-01", "2027-09-01");
    for (const disputes of [
      [a, b, c],
      [c, b, a],
      [b, a, c],
    ]) {
      const r = compute({ ...FIXED, disputes });
      expect(pick(r)).toEqual(["2030-01-15", "DISPUTE_CLOSED"]);
      expect(r.explanation).toBe("纠纷于2028-01-15结案后保存2年，至2030-01-15");
    }
  });

  it("the close date governs, not the open date: an earlier dispute closing later wins", () => {
    const early = closed("2026-01-01", "2028-05-05");
    const late = closed("2027-01-01", "2027-06-01");
    expect(pick(compute({ ...FIXED, disputes: [early, late] }))).toEqual(["2030-05-05", "DISPUTE_CLOSED"]);
    expect(pick(compute({ ...FIXED, disputes: [late, early] }))).toEqual(["2030-05-05", "DISPUTE_CLOSED"]);
  });

  it("a dispute closed the day it opened counts", () => {
    expect(pick(compute({ ...FIXED, disputes: [closed("2028-01-01", "2028-01-01")] }))).toEqual([
      "2030-01-01",
      "DISPUTE_CLOSED",
    ]);
  });

  // disputeYearsAfterClose, closedAt → retainUntil, rule
  it.each([
    [3, "2027-04-01", "2030-04-01", "DISPUTE_CLOSED"],
    [3, "2026-03-31", "2029-03-31", "FIXED_TERM"],
    [1, "2027-04-01", "2029-03-31", "FIXED_TERM"],
    [5, "2026-01-10", "2031-01-10", "DISPUTE_CLOSED"],
  ])("policy %i years after close, closed %s → %s (%s)", (years, closedAt, expected, rule) => {
    const r = compute(
      { ...FIXED, disputes: [closed("2026-01-05", closedAt)] },
      { disputeYearsAfterClose: years },
    );
    expect(pick(r)).toEqual([expected, rule]);
    if (rule === "DISPUTE_CLOSED") expect(r.explanation).toContain(`保存${years}年`);
  });

  it.each([
    [
      "open-ended",
      { purchaseDate: "2026-01-10", fullRedemptionDate: "2026-06-01" },
      "2031-01-10",
      "OPEN_ENDED",
    ],
    [
      "insurance",
      { purchaseDate: "2026-01-10", product: { type: "INSURANCE", termMonths: 12 } },
      "2032-01-10",
      "INSURANCE_SHORT_TERM",
    ],
    ["fixed by term", { product: { termMonths: 6 } }, "2026-07-10", "FIXED_TERM"],
  ] as [string, FactsOver, string, RetentionRule][])(
    "a closed dispute extends a %s product (base %s)",
    (_label, f, base, baseRule) => {
      expect(pick(compute(f))).toEqual([base, baseRule]);
      const r = compute({ ...f, disputes: [closed("2026-05-01", "2031-01-11")] });
      expect(pick(r)).toEqual(["2033-01-11", "DISPUTE_CLOSED"]);
      expect(r.explanation).toContain("2031-01-11");
    },
  );

  it.each([
    ["open-ended, not redeemed", { purchaseDate: "2026-01-10" }, "HELD_UNTIL_REDEMPTION"],
    [
      "incomplete insurance",
      { purchaseDate: "2026-01-10", product: { type: "INSURANCE" } },
      "INCOMPLETE_PRODUCT",
    ],
  ] as [string, FactsOver, RetentionRule][])(
    "a closed dispute does not end the hold on a %s product",
    (_l, f, rule) => {
      const held = compute(f);
      const r = compute({
        ...f,
        disputes: [closed("2026-05-01", "2027-01-01")],
        previousRetainUntil: "2035-01-01",
      });
      expect(pick(r)).toEqual([null, rule]);
      expect(r).toEqual(held);
    },
  );
});

// ---------------------------------------------------------------------------------------------------------------
// Recomputation: product end date, policy and previousRetainUntil
// ---------------------------------------------------------------------------------------------------------------

describe("recomputation (previousRetainUntil)", () => {
  // Stored: WEALTH bought 2024-01-10, maturity 2027-03-31 → 2029-03-31.
  const STORED = "2029-03-31";
  const CLOSED = [closed("2025-06-01", "2026-01-15")]; // floor 2028-01-15: below every base below

  // new maturity, disputes, previousRetainUntil → retainUntil, rule
  it.each([
    ["2028-03-31", [], STORED, "2030-03-31", "FIXED_TERM"], // moved later: follows
    ["2028-03-31", CLOSED, STORED, "2030-03-31", "FIXED_TERM"],
    ["2026-09-30", [], STORED, "2028-09-30", "FIXED_TERM"], // moved earlier, no dispute: may shorten
    ["2026-09-30", [], "2035-01-01", "2028-09-30", "FIXED_TERM"],
    ["2026-09-30", CLOSED, STORED, STORED, "KEPT_UNDER_DISPUTE"], // under dispute: never shortened
    ["2027-03-30", CLOSED, STORED, STORED, "KEPT_UNDER_DISPUTE"], // one day earlier is still shorter
    ["2027-03-31", CLOSED, STORED, STORED, "FIXED_TERM"], // unchanged: a tie, the product governs
    ["2026-09-30", CLOSED, null, "2028-09-30", "FIXED_TERM"], // nothing stored before
    ["2026-09-30", CLOSED, undefined, "2028-09-30", "FIXED_TERM"],
    ["2026-09-30", CLOSED, "2028-09-29", "2028-09-30", "FIXED_TERM"], // stored earlier than new: new governs
    ["2026-09-30", [open("2026-05-01")], STORED, null, "DISPUTE_OPEN"],
    ["2026-09-30", [closed("2025-06-01", "2027-06-01")], STORED, "2029-06-01", "DISPUTE_CLOSED"], // floor wins
    ["2026-09-30", [closed("2025-06-01", "2027-02-01")], STORED, STORED, "KEPT_UNDER_DISPUTE"], // floor 2029-02-01 < stored
  ] as [string, DisputeFact[], string | null | undefined, string | null, RetentionRule][])(
    "maturity now %s, disputes %j, stored %s → %s (%s)",
    (maturityDate, disputes, previousRetainUntil, expected, rule) => {
      const r = compute({ product: { maturityDate }, disputes, previousRetainUntil });
      expect(pick(r)).toEqual([expected, rule]);
    },
  );

  it("explains why a shorter date was not taken", () => {
    const r = compute({
      product: { maturityDate: "2026-09-30" },
      disputes: CLOSED,
      previousRetainUntil: STORED,
    });
    expect(r.rule).toBe("KEPT_UNDER_DISPUTE");
    expect(r.explanation).toContain("纠纷");
    expect(r.explanation).toContain("2028-09-30");
    expect(r.explanation).toContain(STORED);
  });

  it("a lowered policy shortens without a dispute, not under one", () => {
    const before = compute({ product: { maturityDate: "2027-03-31" } }, { yearsAfterProductEnd: 3 });
    expect(before.retainUntil).toBe("2030-03-31");
    const after = { product: { maturityDate: "2027-03-31" }, previousRetainUntil: before.retainUntil };
    expect(pick(compute(after, { yearsAfterProductEnd: 2 }))).toEqual(["2029-03-31", "FIXED_TERM"]);
    expect(pick(compute({ ...after, disputes: CLOSED }, { yearsAfterProductEnd: 2 }))).toEqual([
      "2030-03-31",
      "KEPT_UNDER_DISPUTE",
    ]);
    expect(pick(compute({ ...after, disputes: CLOSED }, { yearsAfterProductEnd: 4 }))).toEqual([
      "2031-03-31",
      "FIXED_TERM",
    ]);
  });

  it("a lowered dispute period does not shorten a dispute's own floor", () => {
    const f = { product: { maturityDate: "2026-09-30" }, disputes: [closed("2026-01-01", "2027-06-01")] };
    const stored = compute(f, { disputeYearsAfterClose: 3 });
    expect(pick(stored)).toEqual(["2030-06-01", "DISPUTE_CLOSED"]);
    expect(
      pick(compute({ ...f, previousRetainUntil: stored.retainUntil }, { disputeYearsAfterClose: 1 })),
    ).toEqual(["2030-06-01", "KEPT_UNDER_DISPUTE"]);
  });

  it("an insurance term corrected shorter is kept under dispute", () => {
    const f = { purchaseDate: "2026-01-10", product: { type: "INSURANCE" as const, termMonths: 13 } };
    const stored = compute(f).retainUntil;
    expect(stored).toBe("2037-02-10");
    const corrected = {
      ...f,
      product: { type: "INSURANCE" as const, termMonths: 12 },
      previousRetainUntil: stored,
    };
    expect(pick(compute(corrected))).toEqual(["2032-01-10", "INSURANCE_SHORT_TERM"]);
    expect(pick(compute({ ...corrected, disputes: [closed("2026-03-01", "2026-04-01")] }))).toEqual([
      "2037-02-10",
      "KEPT_UNDER_DISPUTE",
    ]);
  });

  it("follows one recording through a dispute and a corrected maturity", () => {
    const base = { product: { maturityDate: "2027-03-31" } };
    const r1 = compute(base);
    expect(pick(r1)).toEqual(["2029-03-31", "FIXED_TERM"]);
    const r2 = compute({ ...base, disputes: [open("2029-03-01")], previousRetainUntil: r1.retainUntil });
    expect(pick(r2)).toEqual([null, "DISPUTE_OPEN"]);
    expect(isDeletable(r2, "2029-04-01")).toBe(false);
    // Stored null (held) is no floor; the closed dispute's own floor applies.
    const r3 = compute({
      ...base,
      disputes: [closed("2029-03-01", "2029-08-20")],
      previousRetainUntil: r2.retainUntil,
    });
    expect(pick(r3)).toEqual(["2031-08-20", "DISPUTE_CLOSED"]);
    const r4 = compute({
      product: { maturityDate: "2026-03-31" },
      disputes: [closed("2029-03-01", "2029-08-20")],
      previousRetainUntil: r3.retainUntil,
    });
    expect(pick(r4)).toEqual(["2031-08-20", "DISPUTE_CLOSED"]);
    expect(isDeletable(r4, "2031-08-20")).toBe(false);
    expect(isDeletable(r4, "2031-08-21")).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Checks on facts
// ---------------------------------------------------------------------------------------------------------------

describe("retentionFactsProblems", () => {
  const codes = (x: unknown) => retentionFactsProblems(x).map((p) => [p.field, p.code]);
  // Valid facts with a mutation applied.
  const mutated = (over: Record<string, unknown>, productOver: Record<string, unknown> = {}) => ({
    ...facts({ purchaseDate: "2026-01-10" }),
    ...over,
    product: { ...facts().product, ...productOver },
  });

  it.each([
    ["open-ended", facts()],
    ["redeemed on the purchase day", facts({ purchaseDate: "2026-01-10", fullRedemptionDate: "2026-01-10" })],
    ["fixed term", facts({ product: { maturityDate: "2027-03-31", termMonths: 12 } })],
    [
      "maturity on the purchase day",
      facts({ purchaseDate: "2027-03-31", product: { maturityDate: "2027-03-31" } }),
    ],
    ["term 1", facts({ product: { termMonths: 1 } })],
    ["term 1200", facts({ product: { termMonths: 1200 } })],
    ["insurance without term", facts({ product: { type: "INSURANCE" } })],
    ["disputes", facts({ disputes: [open("2026-01-01"), closed("2026-01-01", "2026-01-01")] })],
    ["previousRetainUntil null", facts({ previousRetainUntil: null })],
    ["previousRetainUntil", facts({ previousRetainUntil: "2030-02-28" })],
    ["extra fields", { ...facts(), recordingId: "r1", product: { ...facts().product, name: "稳健理财1号" } }],
  ])("accepts %s", (_label, f) => {
    expect(retentionFactsProblems(f)).toEqual([]);
  });

  it.each([
    ["null", null],
    ["a string", "facts"],
    ["an array", []],
    ["empty", {}],
  ])("reports every required field of %s", (_label, x) => {
    expect(codes(x)).toEqual([
      ["purchaseDate", "required"],
      ["product", "required"],
      ["fullRedemptionDate", "required"],
      ["disputes", "required"],
    ]);
  });

  it.each([
    ["purchaseDate", { purchaseDate: undefined }, {}, "required"],
    ["purchaseDate", { purchaseDate: null }, {}, "required"],
    ["purchaseDate", { purchaseDate: "2026-02-30" }, {}, "day"],
    ["purchaseDate", { purchaseDate: "2026-1-10" }, {}, "day"],
    ["purchaseDate", { purchaseDate: 20260110 }, {}, "day"],
    ["purchaseDate", { purchaseDate: "2026-01-10T00:00:00Z" }, {}, "day"],
    ["product", { product: undefined }, undefined, "required"],
    ["product.type", {}, { type: undefined }, "required"],
    ["product.type", {}, { type: "DEPOSIT" }, "productType"],
    ["product.type", {}, { type: "insurance" }, "productType"],
    ["product.maturityDate", {}, { maturityDate: undefined }, "required"],
    ["product.maturityDate", {}, { maturityDate: "2027-02-29" }, "day"],
    ["product.maturityDate", {}, { maturityDate: "2027/03/31" }, "day"],
    ["product.maturityDate", {}, { maturityDate: "2026-01-09" }, "beforePurchase"],
    ["product.termMonths", {}, { termMonths: undefined }, "required"],
    ["product.termMonths", {}, { termMonths: 0 }, "positiveInteger"],
    ["product.termMonths", {}, { termMonths: -12 }, "positiveInteger"],
    ["product.termMonths", {}, { termMonths: 1.5 }, "positiveInteger"],
    ["product.termMonths", {}, { termMonths: "12" }, "positiveInteger"],
    ["product.termMonths", {}, { termMonths: Number.NaN }, "positiveInteger"],
    ["product.termMonths", {}, { termMonths: Infinity }, "positiveInteger"],
    ["product.termMonths", {}, { termMonths: 1201 }, "range"],
    ["fullRedemptionDate", { fullRedemptionDate: undefined }, {}, "required"],
    ["fullRedemptionDate", { fullRedemptionDate: "2026-13-01" }, {}, "day"],
    ["fullRedemptionDate", { fullRedemptionDate: "2026-01-09" }, {}, "beforePurchase"],
    ["fullRedemptionDate", { fullRedemptionDate: "2025-12-31" }, {}, "beforePurchase"],
    ["disputes", { disputes: undefined }, {}, "required"],
    ["disputes", { disputes: null }, {}, "required"],
    ["disputes", { disputes: {} }, {}, "type"],
    ["disputes", { disputes: "[]" }, {}, "type"],
    ["disputes[0]", { disputes: [null] }, {}, "type"],
    ["disputes[0]", { disputes: ["2026-05-01"] }, {}, "type"],
    ["disputes[0].openedAt", { disputes: [{ closedAt: null }] }, {}, "required"],
    ["disputes[0].openedAt", { disputes: [open("2026-04-31")] }, {}, "day"],
    ["disputes[0].closedAt", { disputes: [{ openedAt: "2026-05-01" }] }, {}, "required"],
    [
      "disputes[1].closedAt",
      { disputes: [open("2026-05-01"), closed("2026-05-01", "2026-04-30")] },
      {},
      "beforeOpened",
    ],
    [
      "disputes[1].closedAt",
      { disputes: [open("2026-05-01"), closed("2026-05-01", "2026-05-32")] },
      {},
      "day",
    ],
    ["disputes[2].openedAt", { disputes: [open("2026-05-01"), open("2026-05-02"), open("")] }, {}, "day"],
    ["previousRetainUntil", { previousRetainUntil: "2029-02-29" }, {}, "day"],
    ["previousRetainUntil", { previousRetainUntil: 0 }, {}, "day"],
  ] as [string, Record<string, unknown>, Record<string, unknown> | undefined, string][])(
    "%s: %j %j → %s",
    (field, over, productOver, code) => {
      const x =
        productOver === undefined ? { ...mutated(over), product: undefined } : mutated(over, productOver);
      const problems = retentionFactsProblems(x);
      expect(problems.map((p) => [p.field, p.code])).toEqual([[field, code]]);
      expect(problems[0].message).not.toBe("");
    },
  );

  it.each([
    ["a string", "WEALTH"],
    ["an array", []],
  ])("reports a product that is %s", (_label, product) => {
    expect(codes({ ...facts(), product })).toEqual([["product", "type"]]);
  });

  it("compares to the purchase only when both days are real", () => {
    expect(
      codes(
        mutated(
          { purchaseDate: "2026-02-30", fullRedemptionDate: "2020-01-01" },
          { maturityDate: "2020-01-01" },
        ),
      ),
    ).toEqual([["purchaseDate", "day"]]);
    expect(codes({ ...facts(), disputes: [closed("2026-02-30", "2020-01-01")] })).toEqual([
      ["disputes[0].openedAt", "day"],
    ]);
  });

  it("reports every problem at once, each with its field", () => {
    expect(
      codes({
        purchaseDate: "2026-01-10",
        product: { type: "LOAN", maturityDate: "2025-12-31", termMonths: 0 },
        fullRedemptionDate: "2026-01-01",
        disputes: [closed("2026-03-01", "2026-02-01"), open("2026-02-30")],
        previousRetainUntil: "never",
      }),
    ).toEqual([
      ["product.type", "productType"],
      ["product.termMonths", "positiveInteger"],
      ["product.maturityDate", "beforePurchase"],
      ["fullRedemptionDate", "beforePurchase"],
      ["disputes[0].closedAt", "beforeOpened"],
      ["disputes[1].openedAt", "day"],
      ["previousRetainUntil", "day"],
    ]);
  });
});

describe("computeRetention refuses what it cannot trust", () => {
  it.each([
    [
      "a redemption before the purchase",
      { purchaseDate: "2026-01-10", fullRedemptionDate: "2026-01-09" },
      "fullRedemptionDate",
    ],
    ["a maturity that is not a day", { product: { maturityDate: "2027-02-29" } }, "product.maturityDate"],
    ["a zero term", { product: { type: "INSURANCE", termMonths: 0 } }, "product.termMonths"],
    ["an unknown type", { product: { type: "DEPOSIT" as ProductType } }, "product.type"],
    [
      "a dispute closed before it opened",
      { disputes: [closed("2026-05-01", "2026-04-01")] },
      "disputes[0].closedAt",
    ],
  ] as [string, FactsOver, string][])("%s", (_label, f, field) => {
    expect(() => compute(f)).toThrow(RangeError);
    expect(() => compute(f)).toThrow(field);
  });

  it.each([
    ["yearsAfterProductEnd", 0],
    ["yearsAfterProductEnd", 2.5],
    ["disputeYearsAfterClose", -1],
    ["insuranceYearsShortTerm", 4], // below the insurance regulator's minimum
    ["insuranceYearsLongTerm", 9],
    ["openEndedYearsAfterPurchase", undefined],
  ])("a policy with %s = %s", (field, value) => {
    expect(() => compute({ product: { maturityDate: "2027-03-31" } }, { [field]: value })).toThrow(
      RangeError,
    );
  });

  it("accepts a stored policy row with fields of its own", () => {
    const row = { ...policy(), productType: "WEALTH" } as RetentionPolicy;
    expect(computeRetention(facts({ product: { maturityDate: "2027-03-31" } }), row).retainUntil).toBe(
      "2029-03-31",
    );
  });

  it("does not change the facts it is given", () => {
    const f = facts({
      product: { maturityDate: "2026-09-30" },
      disputes: [closed("2026-01-01", "2027-06-01")],
    });
    const frozen = Object.freeze({
      ...f,
      product: Object.freeze({ ...f.product }),
      disputes: Object.freeze(f.disputes.map((d) => Object.freeze({ ...d }))),
    });
    expect(computeRetention(frozen, DEFAULT_RETENTION_POLICY).retainUntil).toBe("2029-06-01");
  });
});
