/**
 * How long a recording must be kept (保存期限): the last day, the rule that decided it and one sentence a branch
 * clerk can read. The parameters come from the product type's RetentionPolicy (retention-policy.ts); the facts
 * (product, purchase, full redemption, disputes) are gathered by the caller.
 *
 * Dates are calendar days `YYYY-MM-DD` (strings): no clock, no time zone, no `Date` objects. Two valid day strings
 * compare correctly as strings, which is what the rules below rely on. The calendar helpers are repeated here
 * rather than shared with risk.ts so that this module depends on nothing but the policy and the product types.
 *
 * Pure functions only. Facts or a policy that fail their checks throw RangeError: a retention computed from a
 * wrong date could let a recording be destroyed early, and that cannot be undone.
 */
import { RETENTION_MAX_YEARS, retentionPolicyProblems, type RetentionPolicy } from "./retention-policy";
import { isProductType, type ProductType } from "./recording-required";
import { addMonths, parseDay, requireDay, requireInteger } from "./calendar";

// ---------------------------------------------------------------------------------------------------------------
// Calendar days
// ---------------------------------------------------------------------------------------------------------------

/** A real calendar day written `YYYY-MM-DD` (so 2026-02-30, 2026-13-01 and "2026-1-5" are not). */
export function isIsoDay(s: unknown): s is string {
  return typeof s === "string" && parseDay(s) !== null;
}

/**
 * `day` plus `n` calendar months (negative goes back). A day that does not exist in the target month is clamped
 * to that month's last day: 2026-01-31 + 1 = 2026-02-28, 2024-01-31 + 1 = 2024-02-29.
 */
export { addMonths };

/**
 * `day` plus `n` calendar years: the same month and day, except 29 February, which becomes 28 February when the
 * target year is not a leap year — clamped like addMonths, so a period never spills into the next month.
 */
export function addYears(day: string, n: number): string {
  requireInteger(n, "years");
  return addMonths(day, n * 12);
}

/** The later of two days (either when equal). */
export function laterDay(a: string, b: string): string {
  requireDay(a, "a");
  requireDay(b, "b");
  return a >= b ? a : b;
}

// ---------------------------------------------------------------------------------------------------------------
// Facts and their checks
// ---------------------------------------------------------------------------------------------------------------

export interface RetentionProduct {
  type: ProductType;
  maturityDate: string | null;
  termMonths: number | null;
}

/** A complaint or litigation about the sale; days. */
export interface DisputeFact {
  openedAt: string;
  closedAt: string | null;
}

export interface RetentionFacts {
  product: RetentionProduct;
  /** The sale's trade day. */
  purchaseDate: string;
  /** First full redemption on or after the purchase (the caller picks it); null while not fully redeemed. */
  fullRedemptionDate: string | null;
  disputes: readonly DisputeFact[];
  /** retainUntil computed before (stored); kept as a floor when the recording has any dispute (open or closed). */
  previousRetainUntil?: string | null;
}

/** The longest product term accepted: beyond it a value is a typing mistake (the same bound as the policy's). */
export const MAX_TERM_MONTHS = RETENTION_MAX_YEARS * 12;

export const RETENTION_FACTS_PROBLEM_CODES = [
  "required", // missing (or null where null is not allowed)
  "type", // not an object / not an array
  "day", // not a YYYY-MM-DD calendar day
  "productType", // not one of PRODUCT_TYPES
  "positiveInteger", // termMonths not a whole number of months ≥ 1
  "range", // termMonths above MAX_TERM_MONTHS
  "beforePurchase", // a full redemption or a maturity before the purchase
  "beforeOpened", // a dispute closed before it was opened
] as const;
export type RetentionFactsProblemCode = (typeof RETENTION_FACTS_PROBLEM_CODES)[number];

export interface RetentionFactsProblem {
  field: string;
  code: RetentionFactsProblemCode;
  message: string;
}

const isRecord = (x: unknown): x is Readonly<Record<string, unknown>> =>
  x !== null && typeof x === "object" && !Array.isArray(x);

/**
 * Everything wrong with facts from an untyped source, each problem naming its field (`product.termMonths`,
 * `disputes[1].closedAt`). Fields typed `string | null` must be present: undefined is reported as "required"
 * rather than read as null, since an open dispute or an unredeemed holding read the wrong way round shortens a
 * retention. Only previousRetainUntil is optional. Fields the facts do not have are ignored: callers pass
 * richer rows (a product with its name and code).
 */
export function retentionFactsProblems(facts: unknown): RetentionFactsProblem[] {
  const input = isRecord(facts) ? facts : {};
  const problems: RetentionFactsProblem[] = [];
  const add = (field: string, code: RetentionFactsProblemCode, message: string): void => {
    problems.push({ field, code, message });
  };
  // Returns the day when valid, so that the order checks below only compare real days.
  const day = (field: string, value: unknown, nullable: boolean): string | null => {
    if (value === undefined || (value === null && !nullable)) add(field, "required", "is required");
    else if (value !== null && !isIsoDay(value)) add(field, "day", "must be a YYYY-MM-DD calendar day");
    else if (typeof value === "string") return value;
    return null;
  };

  const purchase = day("purchaseDate", input.purchaseDate, false);

  const product = input.product;
  let maturity: string | null = null;
  if (product === undefined || product === null) add("product", "required", "is required");
  else if (!isRecord(product)) add("product", "type", "must be an object");
  else {
    if (product.type === undefined || product.type === null) add("product.type", "required", "is required");
    else if (!isProductType(product.type)) add("product.type", "productType", "is not a known product type");
    maturity = day("product.maturityDate", product.maturityDate, true);
    const term = product.termMonths;
    if (term === undefined) add("product.termMonths", "required", "is required (null when none)");
    else if (term !== null && (typeof term !== "number" || !Number.isInteger(term) || term < 1))
      add("product.termMonths", "positiveInteger", "must be a whole number of months, at least 1");
    else if (typeof term === "number" && term > MAX_TERM_MONTHS)
      add("product.termMonths", "range", `must be at most ${MAX_TERM_MONTHS} months`);
  }

  const redemption = day("fullRedemptionDate", input.fullRedemptionDate, true);

  if (purchase !== null && maturity !== null && maturity < purchase)
    add("product.maturityDate", "beforePurchase", "must not be before purchaseDate");
  // Not silently ignored: a redemption before the purchase belongs to another holding, and using it would
  // shorten the retention.
  if (purchase !== null && redemption !== null && redemption < purchase)
    add("fullRedemptionDate", "beforePurchase", "must not be before purchaseDate");

  const disputes = input.disputes;
  if (disputes === undefined || disputes === null)
    add("disputes", "required", "is required (empty when none)");
  else if (!Array.isArray(disputes)) add("disputes", "type", "must be an array");
  else {
    disputes.forEach((dispute: unknown, i) => {
      const at = `disputes[${i}]`;
      if (!isRecord(dispute)) {
        add(at, "type", "must be an object");
        return;
      }
      const opened = day(`${at}.openedAt`, dispute.openedAt, false);
      const closed = day(`${at}.closedAt`, dispute.closedAt, true);
      if (opened !== null && closed !== null && closed < opened)
        add(`${at}.closedAt`, "beforeOpened", "must not be before openedAt");
    });
  }

  if (input.previousRetainUntil !== undefined) day("previousRetainUntil", input.previousRetainUntil, true);

  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// The rules
// ---------------------------------------------------------------------------------------------------------------

export const RETENTION_RULES = [
  "FIXED_TERM",
  "OPEN_ENDED",
  "HELD_UNTIL_REDEMPTION",
  "INSURANCE_SHORT_TERM",
  "INSURANCE_LONG_TERM",
  "DISPUTE_OPEN",
  "DISPUTE_CLOSED",
  "KEPT_UNDER_DISPUTE",
  "INCOMPLETE_PRODUCT",
] as const;
export type RetentionRule = (typeof RETENTION_RULES)[number];

export interface Retention {
  /** Last day the recording must be kept; null = no end yet (held: open dispute, not redeemed, incomplete product). */
  retainUntil: string | null;
  /** The rule that governs: the one that gave the final date, or the hold. */
  rule: RetentionRule;
  /** One zh-CN sentence a branch clerk can read. */
  explanation: string;
}

export interface RetentionOptions {
  /**
   * Whether an open-ended product not yet fully redeemed is held with no end (the default). Only an explicit
   * false — a policy that says otherwise — lets it end at purchase + openEndedYearsAfterPurchase.
   */
  heldUntilRedemption?: boolean;
}

/** The product's own rule, before disputes. */
function baseRetention(facts: RetentionFacts, policy: RetentionPolicy, options: RetentionOptions): Retention {
  const { product, purchaseDate: purchase } = facts;

  if (product.type === "INSURANCE") {
    // termMonths first: it is the contract's own statement of its term; maturityDate only when it is missing.
    let end: string;
    let short: boolean;
    let term: string;
    if (product.termMonths !== null) {
      end = addMonths(purchase, product.termMonths);
      short = product.termMonths <= 12;
      term = `保险合同期${product.termMonths}个月`;
    } else if (product.maturityDate !== null) {
      end = product.maturityDate;
      // "At most 12 months" compared as days, so that 12 months and a day is a long term.
      short = end <= addMonths(purchase, 12);
      // Named in months only when the maturity is a monthly anniversary of the purchase (month ends clamped);
      // otherwise the clerk sees the two days.
      const y = Number(end.slice(0, 4)) - Number(purchase.slice(0, 4));
      const months = y * 12 + Number(end.slice(5, 7)) - Number(purchase.slice(5, 7));
      term =
        months >= 1 && addMonths(purchase, months) === end
          ? `保险合同期${months}个月`
          : `保险合同期自${purchase}至${end}，${short ? "不超过" : "超过"}12个月`;
    } else {
      return {
        retainUntil: null,
        rule: "INCOMPLETE_PRODUCT",
        explanation: "保险产品缺少合同期限和合同终止日，无法确定保存期限，暂不删除",
      };
    }
    const years = short ? policy.insuranceYearsShortTerm : policy.insuranceYearsLongTerm;
    const until = addYears(end, years);
    return {
      retainUntil: until,
      rule: short ? "INSURANCE_SHORT_TERM" : "INSURANCE_LONG_TERM",
      explanation: `${term}，合同终止日${end}后保存${years}年，至${until}`,
    };
  }

  const endYears = policy.yearsAfterProductEnd;
  if (product.maturityDate !== null) {
    const until = addYears(product.maturityDate, endYears);
    return {
      retainUntil: until,
      rule: "FIXED_TERM",
      explanation: `产品到期日${product.maturityDate}后保存${endYears}年，至${until}`,
    };
  }
  // A term without a maturity date is still a fixed term, counted from the purchase: the product ends for
  // this customer purchase + termMonths after the trade, whatever its redemptions. Treating it as open-ended
  // would hold it until a full redemption that a maturing product never reports.
  if (product.termMonths !== null) {
    const end = addMonths(purchase, product.termMonths);
    const until = addYears(end, endYears);
    return {
      retainUntil: until,
      rule: "FIXED_TERM",
      explanation: `产品期限${product.termMonths}个月，自购买日${purchase}起至${end}到期，到期后保存${endYears}年，至${until}`,
    };
  }

  const purchaseYears = policy.openEndedYearsAfterPurchase;
  const fromPurchase = addYears(purchase, purchaseYears);
  const redemption = facts.fullRedemptionDate;
  if (redemption === null) {
    if ((options.heldUntilRedemption ?? policy.openEndedHeldUntilRedemption) === false) {
      return {
        retainUntil: fromPurchase,
        rule: "OPEN_ENDED",
        explanation: `开放式产品：购买日${purchase}后保存${purchaseYears}年，至${fromPurchase}（尚未全部赎回，现行政策不要求保存至赎回）`,
      };
    }
    return {
      retainUntil: null,
      rule: "HELD_UNTIL_REDEMPTION",
      explanation: `开放式产品尚未全部赎回，保存至客户全部赎回为止；赎回后至少保存至购买日${purchase}后${purchaseYears}年（${fromPurchase}）`,
    };
  }
  const redemptionYears = policy.openEndedYearsAfterRedemption;
  const fromRedemption = addYears(redemption, redemptionYears);
  const until = laterDay(fromPurchase, fromRedemption);
  return {
    retainUntil: until,
    rule: "OPEN_ENDED",
    explanation: `开放式产品：购买日${purchase}后保存${purchaseYears}年（至${fromPurchase}）与全部赎回日${redemption}后保存${redemptionYears}年（至${fromRedemption}）取较晚者，至${until}`,
  };
}

function requireValid(facts: RetentionFacts, policy: RetentionPolicy): void {
  const factProblems = retentionFactsProblems(facts);
  if (factProblems.length > 0)
    throw new RangeError(
      `invalid retention facts: ${factProblems.map((p) => `${p.field} ${p.message}`).join("; ")}`,
    );
  // Extra fields are fine (a stored policy row carries its product type); wrong values are not.
  const policyProblems = retentionPolicyProblems(policy).filter((p) => p.code !== "unknownField");
  if (policyProblems.length > 0)
    throw new RangeError(
      `invalid retention policy: ${policyProblems.map((p) => `${p.field} ${p.message}`).join("; ")}`,
    );
}

/**
 * The retention of one recording, in this order:
 *
 * 1. An open dispute holds the recording whatever else applies (DISPUTE_OPEN, no end).
 * 2. The product's rule: fixed term, open-ended, or insurance by contract term; a hold (not fully redeemed,
 *    incomplete insurance product) stays a hold — closed disputes cannot end it.
 * 3. Each closed dispute keeps it to closedAt + disputeYearsAfterClose; the latest governs when later than the
 *    product's date (DISPUTE_CLOSED). On a tie the product's rule keeps governing: the dispute added nothing.
 * 4. Under any dispute, a stored previousRetainUntil later than the result is kept (KEPT_UNDER_DISPUTE): a
 *    corrected date, a lowered policy or an earlier redemption never shortens what a dispute may still need.
 *    Without disputes a recomputation may shorten the retention, e.g. after a maturity date is corrected.
 */
export function computeRetention(
  facts: RetentionFacts,
  policy: RetentionPolicy,
  options: RetentionOptions = {},
): Retention {
  requireValid(facts, policy);

  const open = facts.disputes.filter((d) => d.closedAt === null);
  if (open.length > 0) {
    const since = open.map((d) => d.openedAt).reduce((a, b) => (a <= b ? a : b));
    return { retainUntil: null, rule: "DISPUTE_OPEN", explanation: `纠纷处理中（${since}起），暂停到期删除` };
  }

  const base = baseRetention(facts, policy, options);
  if (base.retainUntil === null) return base;

  let result = base;
  const closedDays = facts.disputes.map((d) => d.closedAt as string);
  if (closedDays.length > 0) {
    const closed = closedDays.reduce((a, b) => (a >= b ? a : b));
    const years = policy.disputeYearsAfterClose;
    const floor = addYears(closed, years);
    if (floor > base.retainUntil) {
      result = {
        retainUntil: floor,
        rule: "DISPUTE_CLOSED",
        explanation: `纠纷于${closed}结案后保存${years}年，至${floor}`,
      };
    }
  }

  const previous = facts.previousRetainUntil ?? null;
  if (facts.disputes.length > 0 && previous !== null && previous > (result.retainUntil as string)) {
    return {
      retainUntil: previous,
      rule: "KEPT_UNDER_DISPUTE",
      explanation: `该录音涉及纠纷，保存期限不缩短：重新计算为${result.retainUntil}，维持原定的${previous}`,
    };
  }
  return result;
}

/**
 * May the recording be destroyed on `asOf`? Only on a day strictly after retainUntil — the last day itself is
 * still a day it must be kept — and never while retainUntil is null. A stored retainUntil that is not a real
 * day fails closed (false); a malformed asOf is the caller's mistake and throws.
 */
export function isDeletable(retention: Retention, asOf: string): boolean {
  requireDay(asOf, "asOf");
  const until = retention.retainUntil;
  if (until === null || !isIsoDay(until)) return false;
  return asOf > until;
}
