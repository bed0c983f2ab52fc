/**
 * Retention policy parameters: defaults and the checks on what head office submits. Expectations are literal.
 */
import { PRODUCT_TYPES, type ProductType } from "./recording-required";
import {
  DEFAULT_RETENTION_POLICY,
  RETENTION_MIN_YEARS,
  RETENTION_POLICY_FIELDS,
  defaultPolicyFor,
  retentionPolicyProblems,
  type RetentionPolicy,
} from "./retention-policy";

const DEFAULTS = {
  yearsAfterProductEnd: 2,
  openEndedYearsAfterPurchase: 5,
  openEndedYearsAfterRedemption: 2,
  insuranceYearsShortTerm: 5,
  insuranceYearsLongTerm: 10,
  disputeYearsAfterClose: 2,
};

const codes = (p: Partial<RetentionPolicy>) => retentionPolicyProblems(p).map((x) => [x.field, x.code]);
const withValue = (field: string, value: unknown) =>
  ({ ...DEFAULTS, [field]: value }) as Partial<RetentionPolicy>;

describe("defaults (ARCHITECTURE §2)", () => {
  it("are 2 / 5 / 2 / 5 / 10 / 2 years", () => {
    expect(DEFAULT_RETENTION_POLICY).toEqual(DEFAULTS);
    expect(RETENTION_POLICY_FIELDS).toEqual(Object.keys(DEFAULTS));
  });

  it("pass their own checks", () => {
    expect(retentionPolicyProblems(DEFAULT_RETENTION_POLICY)).toEqual([]);
  });

  it("cannot be changed by a caller", () => {
    expect(Object.isFrozen(DEFAULT_RETENTION_POLICY)).toBe(true);
    expect(Object.isFrozen(RETENTION_MIN_YEARS)).toBe(true);
  });

  it.each(PRODUCT_TYPES.map((t) => [t]))("apply to %s as a fresh copy", (type) => {
    const policy = defaultPolicyFor(type);
    expect(policy).toEqual(DEFAULTS);
    policy.yearsAfterProductEnd = 7;
    expect(defaultPolicyFor(type).yearsAfterProductEnd).toBe(2);
    expect(DEFAULT_RETENTION_POLICY.yearsAfterProductEnd).toBe(2);
  });

  it("refuse an unknown type", () => {
    expect(() => defaultPolicyFor("DEPOSIT" as ProductType)).toThrow(RangeError);
  });
});

describe("retentionPolicyProblems per field", () => {
  // field, lowest accepted value; the value just below it is refused as "minimum" (or "range" below 0).
  it.each([
    ["yearsAfterProductEnd", 1],
    ["openEndedYearsAfterPurchase", 1],
    ["openEndedYearsAfterRedemption", 1],
    ["insuranceYearsShortTerm", 5], // the insurance regulator's minimum
    ["insuranceYearsLongTerm", 10], // the insurance regulator's minimum
    ["disputeYearsAfterClose", 1],
  ])("%s: at least %i", (field, min) => {
    expect(RETENTION_MIN_YEARS[field as keyof typeof RETENTION_MIN_YEARS]).toBe(min);
    expect(codes(withValue(field, min))).toEqual([]);
    expect(codes(withValue(field, min - 1))).toEqual([[field, "minimum"]]);
    expect(codes(withValue(field, 0))).toEqual([[field, "minimum"]]);
    expect(codes(withValue(field, 100))).toEqual(
      field === "insuranceYearsShortTerm" ? [["insuranceYearsLongTerm", "belowShortTerm"]] : [],
    );
    expect(codes(withValue(field, 101))).toEqual([[field, "range"]]);
    expect(codes(withValue(field, -1))).toEqual([[field, "range"]]);
  });

  it.each([
    [2.5, "integer"],
    [Number.NaN, "integer"],
    [Infinity, "integer"],
    ["2", "integer"],
    [true, "integer"],
    [undefined, "required"],
    [null, "required"],
    [-0, "minimum"],
    [1e3, "range"],
  ])("yearsAfterProductEnd = %j → %s", (value, code) => {
    expect(codes(withValue("yearsAfterProductEnd", value))).toEqual([["yearsAfterProductEnd", code]]);
  });

  it("explains a regulatory minimum in its message", () => {
    expect(retentionPolicyProblems(withValue("insuranceYearsLongTerm", 8))).toEqual([
      {
        field: "insuranceYearsLongTerm",
        code: "minimum",
        message: "must be at least 10 years (the insurance regulator's minimum)",
      },
    ]);
    expect(retentionPolicyProblems(withValue("disputeYearsAfterClose", 0))).toEqual([
      { field: "disputeYearsAfterClose", code: "minimum", message: "must be at least 1 year" },
    ]);
  });
});

describe("retentionPolicyProblems across fields", () => {
  it("requires every field", () => {
    expect(codes({})).toEqual(RETENTION_POLICY_FIELDS.map((f) => [f, "required"]));
    const { disputeYearsAfterClose: _omitted, ...rest } = DEFAULTS;
    expect(codes(rest)).toEqual([["disputeYearsAfterClose", "required"]]);
  });

  it("keeps long-term insurance at least as long as short-term", () => {
    expect(codes({ ...DEFAULTS, insuranceYearsShortTerm: 12, insuranceYearsLongTerm: 12 })).toEqual([]);
    expect(codes({ ...DEFAULTS, insuranceYearsShortTerm: 12, insuranceYearsLongTerm: 11 })).toEqual([
      ["insuranceYearsLongTerm", "belowShortTerm"],
    ]);
  });

  it("does not compare insurance terms when one of them is already wrong", () => {
    expect(codes({ ...DEFAULTS, insuranceYearsShortTerm: 30, insuranceYearsLongTerm: 9 })).toEqual([
      ["insuranceYearsLongTerm", "minimum"],
    ]);
  });

  it("accepts raised values anywhere", () => {
    expect(
      codes({
        yearsAfterProductEnd: 30,
        openEndedYearsAfterPurchase: 30,
        openEndedYearsAfterRedemption: 30,
        insuranceYearsShortTerm: 30,
        insuranceYearsLongTerm: 30,
        disputeYearsAfterClose: 30,
      }),
    ).toEqual([]);
  });

  it("reports unknown fields from untyped input", () => {
    const input = { ...DEFAULTS, yearsAfterProductEnds: 3 } as Partial<RetentionPolicy>;
    expect(codes(input)).toEqual([["yearsAfterProductEnds", "unknownField"]]);
  });

  it("takes the openEndedHeldUntilRedemption switch as true or false only", () => {
    expect(codes({ ...DEFAULTS, openEndedHeldUntilRedemption: false })).toEqual([]);
    expect(codes({ ...DEFAULTS, openEndedHeldUntilRedemption: true })).toEqual([]);
    expect(
      codes({ ...DEFAULTS, openEndedHeldUntilRedemption: "no" } as unknown as Partial<RetentionPolicy>),
    ).toEqual([["openEndedHeldUntilRedemption", "boolean"]]);
  });

  it("reports every problem at once, fields in policy order", () => {
    const input = {
      yearsAfterProductEnd: 0,
      openEndedYearsAfterPurchase: 1.5,
      insuranceYearsShortTerm: 4,
      insuranceYearsLongTerm: 200,
      disputeYearsAfterClose: 3,
      extra: 1,
    } as Partial<RetentionPolicy>;
    expect(codes(input)).toEqual([
      ["yearsAfterProductEnd", "minimum"],
      ["openEndedYearsAfterPurchase", "integer"],
      ["openEndedYearsAfterRedemption", "required"],
      ["insuranceYearsShortTerm", "minimum"],
      ["insuranceYearsLongTerm", "range"],
      ["extra", "unknownField"],
    ]);
  });

  it("treats null input as empty", () => {
    expect(codes(null as unknown as Partial<RetentionPolicy>)).toEqual(
      RETENTION_POLICY_FIELDS.map((f) => [f, "required"]),
    );
  });
});
