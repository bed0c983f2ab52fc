/**
 * Retention policy parameters per product type (保存期限), set by head office. Only the parameters and their
 * checks live here; the rules that turn them into a "keep until" day come with the retention issue.
 *
 * Defaults from ARCHITECTURE §2 "Retention". Pure functions only.
 */
import type { FieldProblem } from "../errors/hub-error";
import { isProductType, type ProductType } from "./recording-required";

export interface RetentionPolicy {
  /** Fixed-term products: kept until product end + this many years. */
  yearsAfterProductEnd: number;
  /** Open-ended products: the later of purchase + this … */
  openEndedYearsAfterPurchase: number;
  /** … and full redemption + this. */
  openEndedYearsAfterRedemption: number;
  /** Insurance (银保通), term ≤ 1 year: contract end + this. */
  insuranceYearsShortTerm: number;
  /** Insurance, term > 1 year: contract end + this. */
  insuranceYearsLongTerm: number;
  /** After a complaint or litigation closes: kept to close + this, when later than the ordinary rule. */
  disputeYearsAfterClose: number;
  /**
   * Open-ended products the customer still holds are kept without end (absent or true, the default); false: only
   * to purchase + openEndedYearsAfterPurchase, redeemed or not.
   */
  openEndedHeldUntilRedemption?: boolean;
}

export const RETENTION_POLICY_FIELDS = [
  "yearsAfterProductEnd",
  "openEndedYearsAfterPurchase",
  "openEndedYearsAfterRedemption",
  "insuranceYearsShortTerm",
  "insuranceYearsLongTerm",
  "disputeYearsAfterClose",
] as const satisfies readonly (keyof RetentionPolicy)[];
export type RetentionPolicyField = (typeof RETENTION_POLICY_FIELDS)[number];

export const DEFAULT_RETENTION_POLICY: Readonly<RetentionPolicy> = Object.freeze({
  yearsAfterProductEnd: 2,
  openEndedYearsAfterPurchase: 5,
  openEndedYearsAfterRedemption: 2,
  insuranceYearsShortTerm: 5,
  insuranceYearsLongTerm: 10,
  disputeYearsAfterClose: 2,
});

/** Upper bound for any field: beyond this a value is a typing mistake, not a policy. */
export const RETENTION_MAX_YEARS = 100;

/**
 * The lowest value head office may set. Insurance: the insurance regulator's minimum (5 and 10 years), stricter
 * than the bank's and not for the bank to lower. Everything else: 1 year — a 0 would make a recording
 * destroyable on the very day the product ends, the customer redeems or a dispute closes, which is when a
 * complaint is most likely to arrive. Head office may raise any of them.
 */
export const RETENTION_MIN_YEARS: Readonly<Record<RetentionPolicyField, number>> = Object.freeze({
  yearsAfterProductEnd: 1,
  openEndedYearsAfterPurchase: 1,
  openEndedYearsAfterRedemption: 1,
  insuranceYearsShortTerm: 5,
  insuranceYearsLongTerm: 10,
  disputeYearsAfterClose: 1,
});

/**
 * The policy a product type starts with. Every type has the same defaults for now; the insurance fields are
 * only consulted for INSURANCE products. A fresh copy, so the caller may edit it.
 */
export function defaultPolicyFor(type: ProductType): RetentionPolicy {
  if (!isProductType(type)) throw new RangeError(`unknown product type: ${String(type)}`);
  return { ...DEFAULT_RETENTION_POLICY };
}

export const RETENTION_PROBLEM_CODES = [
  "required", // the field is missing
  "integer", // not a whole number of years
  "range", // outside 0–100
  "minimum", // below RETENTION_MIN_YEARS for the field
  "belowShortTerm", // long-term insurance kept for less than short-term insurance
  "unknownField", // a field a policy does not have (untyped input)
  "boolean", // openEndedHeldUntilRedemption given but not true or false
] as const;
export type RetentionProblemCode = (typeof RETENTION_PROBLEM_CODES)[number];

export interface RetentionProblem extends FieldProblem {
  code: RetentionProblemCode;
}

const FIELD_SET: ReadonlySet<string> = new Set<string>([
  ...RETENTION_POLICY_FIELDS,
  "openEndedHeldUntilRedemption",
]);

/**
 * Everything wrong with a complete policy as head office submits it: each field present, a whole number of
 * years in 0–100 and not below its minimum (one problem per field, the first that applies), and insurance over
 * a long term kept at least as long as over a short one. Unknown fields are reported so that a misspelt one
 * is not silently dropped.
 */
export function retentionPolicyProblems(p: Partial<RetentionPolicy>): RetentionProblem[] {
  const input: Readonly<Record<string, unknown>> = p !== null && typeof p === "object" ? p : {};
  const problems: RetentionProblem[] = [];
  const fine = new Set<RetentionPolicyField>();
  for (const field of RETENTION_POLICY_FIELDS) {
    const value = input[field];
    if (value === undefined || value === null) {
      problems.push({ field, code: "required", message: "is required" });
    } else if (typeof value !== "number" || !Number.isInteger(value)) {
      problems.push({ field, code: "integer", message: "must be a whole number of years" });
    } else if (value < 0 || value > RETENTION_MAX_YEARS) {
      problems.push({ field, code: "range", message: `must be between 0 and ${RETENTION_MAX_YEARS} years` });
    } else if (value < RETENTION_MIN_YEARS[field]) {
      const min = RETENTION_MIN_YEARS[field];
      const why = field.startsWith("insurance") ? " (the insurance regulator's minimum)" : "";
      problems.push({
        field,
        code: "minimum",
        message: `must be at least ${min} year${min === 1 ? "" : "s"}${why}`,
      });
    } else fine.add(field);
  }
  if (
    fine.has("insuranceYearsShortTerm") &&
    fine.has("insuranceYearsLongTerm") &&
    (input.insuranceYearsLongTerm as number) < (input.insuranceYearsShortTerm as number)
  ) {
    problems.push({
      field: "insuranceYearsLongTerm",
      code: "belowShortTerm",
      message: "must be at least insuranceYearsShortTerm: a longer contract is not kept for less time",
    });
  }
  const held = input.openEndedHeldUntilRedemption;
  if (held !== undefined && typeof held !== "boolean")
    problems.push({
      field: "openEndedHeldUntilRedemption",
      code: "boolean",
      message: "must be true or false",
    });
  for (const key of Object.keys(input)) {
    if (!FIELD_SET.has(key))
      problems.push({ field: key, code: "unknownField", message: "is not a policy field" });
  }
  return problems;
}
