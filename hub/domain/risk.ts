/**
 * Customer risk levels, product risks, assessment validity and the product-risk match that gates every sale
 * (ARCHITECTURE §2: "if the product's risk exceeds the customer's level the session stops").
 *
 * Dates are bank business days as `YYYY-MM-DD` strings: no clock, no time zone, no `Date` objects. Two valid
 * day strings compare correctly as strings, which is what the rules below rely on.
 *
 * Pure functions only. Contract violations by the caller (a malformed day, an unknown level) throw RangeError
 * rather than produce an answer that a teller might act on.
 */
import { addDays, addMonths, isIsoDate, requireDay, requireInteger } from "./calendar";

/** The calendar helpers risk's callers have always imported from here. */
export { addDays, addMonths, isIsoDate } from "./calendar";

export const CUSTOMER_LEVELS = ["C1", "C2", "C3", "C4", "C5"] as const;
export type CustomerLevel = (typeof CUSTOMER_LEVELS)[number];

export const PRODUCT_RISKS = ["R1", "R2", "R3", "R4", "R5"] as const;
export type ProductRisk = (typeof PRODUCT_RISKS)[number];

/** The names banks print on the assessment voucher (风险承受能力类型). */
export const RISK_LEVEL_NAMES: Readonly<Record<CustomerLevel, string>> = {
  C1: "保守型",
  C2: "稳健型",
  C3: "平衡型",
  C4: "成长型",
  C5: "进取型",
};

/** The usual names of product risk grades (产品风险等级). */
export const PRODUCT_RISK_NAMES: Readonly<Record<ProductRisk, string>> = {
  R1: "低风险",
  R2: "中低风险",
  R3: "中风险",
  R4: "中高风险",
  R5: "高风险",
};

const LEVEL_SET: ReadonlySet<unknown> = new Set<unknown>(CUSTOMER_LEVELS);
const RISK_SET: ReadonlySet<unknown> = new Set<unknown>(PRODUCT_RISKS);

export function isCustomerLevel(x: unknown): x is CustomerLevel {
  return LEVEL_SET.has(x);
}

export function isProductRisk(x: unknown): x is ProductRisk {
  return RISK_SET.has(x);
}

/** 1 for C1 … 5 for C5. */
export function levelRank(level: CustomerLevel): number {
  if (!isCustomerLevel(level)) throw new RangeError(`unknown customer level: ${String(level)}`);
  return CUSTOMER_LEVELS.indexOf(level) + 1;
}

/** 1 for R1 … 5 for R5. */
export function riskRank(risk: ProductRisk): number {
  if (!isProductRisk(risk)) throw new RangeError(`unknown product risk: ${String(risk)}`);
  return PRODUCT_RISKS.indexOf(risk) + 1;
}

// ---------------------------------------------------------------------------------------------------------------
// Assessments
// ---------------------------------------------------------------------------------------------------------------

/** Head office may change the period; this is the bank's default (issue 3: "assessed at + 1 year − 1 day"). */
export const DEFAULT_ASSESSMENT_VALIDITY_MONTHS = 12;

/**
 * The last day an assessment is valid: `assessedAt` + `validityMonths` (month-end clamped) − 1 day, so that a
 * 12-month assessment made on 2026-03-15 is valid through 2027-03-14 and not on its anniversary.
 *
 * Leap day: 2024-02-29 + 12 months clamps to 2025-02-28, minus one day gives 2025-02-27. We apply the two
 * steps literally rather than special-case the leap day (which would give 2025-02-28): the period is then one
 * day short of a year in that one case, which errs on the side of reassessing early, never of selling on an
 * expired assessment.
 */
export function defaultValidUntil(
  assessedAt: string,
  validityMonths: number = DEFAULT_ASSESSMENT_VALIDITY_MONTHS,
): string {
  requireInteger(validityMonths, "validityMonths");
  if (validityMonths < 1) throw new RangeError(`validityMonths must be at least 1: ${validityMonths}`);
  return addDays(addMonths(assessedAt, validityMonths), -1);
}

export const ASSESSMENT_SOURCES = ["import", "questionnaire", "scan", "system"] as const;
export type AssessmentSource = (typeof ASSESSMENT_SOURCES)[number];

export interface Assessment {
  level: CustomerLevel;
  /** Day the customer was assessed, `YYYY-MM-DD`. */
  assessedAt: string;
  /** Last day the assessment is valid, inclusive, `YYYY-MM-DD`. */
  validUntil: string;
  source: AssessmentSource;
  /** For source "system": the plugin (bank system) that reported it. */
  provider?: string;
  /** ISO timestamp when the hub stored it; breaks ties between assessments of the same day. */
  recordedAt?: string;
}

// A missing or unreadable recordedAt sorts before every readable one: a row we can date beats one we cannot.
function recordedInstant(a: Assessment): number {
  if (a.recordedAt === undefined) return -Infinity;
  const t = Date.parse(a.recordedAt);
  return Number.isNaN(t) ? -Infinity : t;
}

/**
 * The assessment in force: the greatest `assessedAt`; on a tie the greatest `recordedAt` (compared as instants,
 * so offsets are honoured); on a further tie the later in the array (the later row was stored later).
 * Validity is not considered here: the latest assessment wins even when expired, so an expired re-assessment is
 * never hidden behind an older one.
 */
export function latestAssessment(history: readonly Assessment[]): Assessment | null {
  let best: Assessment | null = null;
  for (const a of history) {
    if (
      best === null ||
      a.assessedAt > best.assessedAt ||
      (a.assessedAt === best.assessedAt && recordedInstant(a) >= recordedInstant(best))
    ) {
      best = a;
    }
  }
  return best;
}

/**
 * Valid iff assessedAt ≤ onDay ≤ validUntil: the valid-until day itself is still valid, and an assessment dated
 * after the day asked is not yet valid. A malformed date on the assessment makes it invalid (fail closed).
 */
export function isAssessmentValid(a: Assessment, onDay: string): boolean {
  requireDay(onDay, "onDay");
  if (!isIsoDate(a.assessedAt) || !isIsoDate(a.validUntil)) return false;
  return a.assessedAt <= onDay && onDay <= a.validUntil;
}

// ---------------------------------------------------------------------------------------------------------------
// Product-risk match
// ---------------------------------------------------------------------------------------------------------------

export const RISK_MATCH_CODES = [
  "HUB_RISK_MATCH_OK",
  "HUB_RISK_ASSESSMENT_EXPIRED",
  "HUB_RISK_ASSESSMENT_MISSING",
  "HUB_RISK_MISMATCH",
] as const;
export type RiskMatchCode = (typeof RISK_MATCH_CODES)[number];

export interface RiskMatch {
  ok: boolean;
  code: RiskMatchCode;
  /** The assessment's level, also when expired (the teller sees what is on file); null when missing. */
  customerLevel: CustomerLevel | null;
  productRisk: ProductRisk;
  validUntil: string | null;
  /** One zh-CN sentence a teller can read. */
  reason: string;
}

const levelLabel = (l: CustomerLevel): string => `${l}（${RISK_LEVEL_NAMES[l]}）`;
const riskLabel = (r: ProductRisk): string => `${r}（${PRODUCT_RISK_NAMES[r]}）`;

/**
 * May a product of `productRisk` be sold on `onDay` to the customer whose assessment in force is `assessment`?
 * Rn suits Cm iff n ≤ m and the assessment is valid on that day. Checked in this order, first failure wins:
 * missing → MISSING; not valid on the day (expired, or dated after it) → EXPIRED; n > m → MISMATCH; else OK.
 */
export function matchRisk(assessment: Assessment | null, productRisk: ProductRisk, onDay: string): RiskMatch {
  requireDay(onDay, "onDay");
  const n = riskRank(productRisk);

  if (assessment === null) {
    return {
      ok: false,
      code: "HUB_RISK_ASSESSMENT_MISSING",
      customerLevel: null,
      productRisk,
      validUntil: null,
      reason: "客户尚无风险承受能力评估记录，须先完成风险评估，不得销售",
    };
  }

  const level = assessment.level;
  const m = levelRank(level);
  const base = { customerLevel: level, productRisk, validUntil: assessment.validUntil };

  if (!isAssessmentValid(assessment, onDay)) {
    let reason: string;
    if (!isIsoDate(assessment.assessedAt) || !isIsoDate(assessment.validUntil)) {
      reason = "客户风险评估记录的日期无效，须重新评估后方可销售";
    } else if (onDay < assessment.assessedAt) {
      reason = `客户风险评估日期${assessment.assessedAt}晚于交易日${onDay}，评估尚未生效，不得销售`;
    } else {
      reason = `客户风险评估已于${assessment.validUntil}到期，须重新评估后方可销售`;
    }
    return { ok: false, code: "HUB_RISK_ASSESSMENT_EXPIRED", ...base, reason };
  }

  if (n > m) {
    return {
      ok: false,
      code: "HUB_RISK_MISMATCH",
      ...base,
      reason: `客户风险承受能力${levelLabel(level)}低于产品风险等级${riskLabel(productRisk)}，不得销售`,
    };
  }

  return {
    ok: true,
    code: "HUB_RISK_MATCH_OK",
    ...base,
    reason: `客户风险承受能力${levelLabel(level)}不低于产品风险等级${riskLabel(productRisk)}，评估有效期至${assessment.validUntil}，可以销售`,
  };
}
