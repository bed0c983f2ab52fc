/**
 * Purchase notifications from legacy systems (the counter, core banking, fund, wealth, bancassurance) and how a
 * purchase is bound to the recordings of its sale (docs/soap.md, "Binding").
 *
 * A purchase (`SUCCESS`) binds to the submitted sale or supplementary recordings of the same customer and product,
 * made at the outlet where it was bought, on its trade day (the Beijing business day of its trade time); when the
 * counter ticked 补录 (a supplement application), recordings made up to the application's deadline bind too. A
 * reversal (`REVERSED`) releases what the purchase bound. Whether a purchase must be recorded at all is
 * hub/domain/recording-required.ts, decided when the notification arrives.
 *
 * Pure functions only: no I/O, no clock (callers pass the day).
 */
import crypto from "node:crypto";
import { businessDay } from "./business-day";
import { canonicalJson } from "./audit-chain";
import { addDays } from "./calendar";

export const SOURCE_SYSTEMS = ["COUNTER", "CORE", "FUND", "WEALTH", "BANCASSURANCE"] as const;
export type SourceSystem = (typeof SOURCE_SYSTEMS)[number];

export const TXN_STATUSES = ["SUCCESS", "REVERSED"] as const;
export type TxnStatus = (typeof TXN_STATUSES)[number];

/**
 * RECORDED: bound to at least one recording · MISSING: must be recorded and is not · NOT_REQUIRED: the product
 * needs no recording at that outlet, or the purchase was reversed · SUPPLEMENT_PENDING: not recorded yet, 补录
 * applied for and its deadline not passed.
 */
export const TXN_RECORDING_STATUSES = ["RECORDED", "MISSING", "NOT_REQUIRED", "SUPPLEMENT_PENDING"] as const;
export type TxnRecordingStatus = (typeof TXN_RECORDING_STATUSES)[number];

/** 补录 must be made within this many days of the trade day (ARCHITECTURE §2, "Emergency sale"). */
export const SUPPLEMENT_DAYS = 5;

/** Kinds of recording a purchase can be bound to: the sale itself, or its supplementary recording. */
export const BINDABLE_KINDS: readonly string[] = ["sale", "supplement"];

export interface TransactionNotice {
  txnId: string;
  sourceSystem: SourceSystem;
  customerNo: string;
  productCode: string;
  /** Decimal text, e.g. "10000.00". */
  amount: string;
  /** The outlet (支行/网点) where it was bought. */
  branchCode: string;
  tellerId: string;
  /** xsd:dateTime; without a zone it is Beijing time. */
  tradeTime: string;
  status: TxnStatus;
}

/** A notice with its time and amount in one canonical form, and the day it counts on. */
export interface NormalizedNotice extends TransactionNotice {
  /** ISO-8601 UTC with milliseconds. */
  tradeTime: string;
  /** The Beijing business day of the trade time. */
  tradeDay: string;
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](?:0\d|1[0-4]):[0-5]\d)?$/;

/** An xsd:dateTime as an instant; without a zone it is Beijing time (UTC+8). Null when it is not one. */
export function parseTradeTime(text: string): Date | null {
  const m = DATE_TIME.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, fraction = "", zone] = m;
  const millis = fraction ? Math.floor(Number(`0${fraction}`) * 1000) : 0;
  const local = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), millis);
  const check = new Date(local);
  if (
    check.getUTCFullYear() !== Number(y) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59
  )
    return null;
  let offsetMinutes = 8 * 60;
  if (zone === "Z") offsetMinutes = 0;
  else if (zone)
    offsetMinutes = (zone[0] === "-" ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4)));
  return new Date(local - offsetMinutes * 60_000);
}

/** "100" → "100.00", "0100.5" → "100.50": the amount as the store keeps it (at most two decimals). */
export function normalizeAmount(text: string): string | null {
  const m = /^\+?0*(\d+)(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!m) return null;
  return `${m[1]}.${(m[2] ?? "").padEnd(2, "0")}`;
}

export interface NoticeProblem {
  field: string;
  code: string;
  message: string;
}

/**
 * The notice in canonical form, or what is wrong with it beyond its schema (a trade time that is no real
 * instant, an amount that is zero). The schema has already checked the shape of every field.
 */
export function normalizeNotice(
  notice: TransactionNotice,
): { ok: true; value: NormalizedNotice } | { ok: false; problems: NoticeProblem[] } {
  const problems: NoticeProblem[] = [];
  const at = parseTradeTime(notice.tradeTime);
  if (!at)
    problems.push({ field: "tradeTime", code: "format", message: "must be an xsd:dateTime that exists" });
  const amount = normalizeAmount(notice.amount);
  if (amount === null)
    problems.push({ field: "amount", code: "format", message: "must be a decimal with at most 2 decimals" });
  else if (/^0+\.00$/.test(amount))
    problems.push({ field: "amount", code: "exclusiveMinimum", message: "must be more than 0" });
  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    value: { ...notice, amount: amount!, tradeTime: at!.toISOString(), tradeDay: businessDay(at!) },
  };
}

/**
 * What may not change between two notifications of one txnId: everything but the status (a reversal repeats the
 * purchase's facts with status REVERSED). SHA-256 of the canonical JSON, hex.
 */
export function noticeFingerprint(n: NormalizedNotice): string {
  const facts = {
    txnId: n.txnId,
    sourceSystem: n.sourceSystem,
    customerNo: n.customerNo,
    productCode: n.productCode,
    amount: n.amount,
    branchCode: n.branchCode,
    tellerId: n.tellerId,
    tradeTime: n.tradeTime,
  };
  return crypto.createHash("sha256").update(canonicalJson(facts)).digest("hex");
}

/** The answer to a notification, kept so that a repeat gets it again word for word. */
export interface NoticeAnswer {
  accepted: true;
  recordingStatus: TxnRecordingStatus;
  recordingIds: string[];
}

/** What the store holds of a txnId already. */
export interface StoredNotice {
  fingerprint: string;
  status: TxnStatus;
  /** The answer given to its SUCCESS notification, and to its REVERSED one. */
  successAnswer: NoticeAnswer | null;
  reversalAnswer: NoticeAnswer | null;
}

export type NoticeDecision =
  | { kind: "new" }
  | { kind: "repeat"; answer: NoticeAnswer }
  | { kind: "reversal" }
  | { kind: "conflict"; reason: "CONTENT_DIFFERS" | "ALREADY_REVERSED" };

/**
 * How to treat a notification given what is stored under its txnId. Idempotent on (txnId, status): a repeat is
 * answered as the first time; a reversal of a stored purchase is a change of state; anything else that differs is
 * a conflict, and changes nothing.
 */
export function classifyNotice(
  stored: StoredNotice | null,
  status: TxnStatus,
  fingerprint: string,
): NoticeDecision {
  if (!stored) return { kind: "new" };
  if (stored.fingerprint !== fingerprint) return { kind: "conflict", reason: "CONTENT_DIFFERS" };
  if (status === "SUCCESS") {
    return stored.successAnswer
      ? { kind: "repeat", answer: stored.successAnswer }
      : { kind: "conflict", reason: "ALREADY_REVERSED" };
  }
  return stored.reversalAnswer ? { kind: "repeat", answer: stored.reversalAnswer } : { kind: "reversal" };
}

/** A recording, as far as binding is concerned. */
export interface BindableRecording {
  id: string;
  kind: string;
  status: string;
  customerNo: string;
  productCode: string;
  /** The unit of the staff member who made it (an outlet). */
  orgCode: string;
  submittedAt: string | null;
}

export interface BindingTarget {
  customerNo: string;
  productCode: string;
  branchCode: string;
  tradeDay: string;
  /** Last day a supplementary recording may be made, when 补录 was applied for; else null. */
  supplementDeadline: string | null;
}

/** The day a recording counts on: the Beijing business day it was submitted. Null for a draft. */
export function recordedDay(r: Pick<BindableRecording, "submittedAt">): string | null {
  return r.submittedAt ? businessDay(new Date(r.submittedAt)) : null;
}

/** Does this recording record this purchase? */
export function bindsTo(target: BindingTarget, r: BindableRecording): boolean {
  if (r.status !== "submitted" || !BINDABLE_KINDS.includes(r.kind)) return false;
  if (r.customerNo !== target.customerNo || r.productCode !== target.productCode) return false;
  if (r.orgCode !== target.branchCode) return false;
  const day = recordedDay(r);
  if (day === null) return false;
  if (day === target.tradeDay) return true;
  return target.supplementDeadline !== null && day > target.tradeDay && day <= target.supplementDeadline;
}

/** Ids of the recordings a purchase binds to, in id order. */
export function bindingCandidates(target: BindingTarget, recordings: readonly BindableRecording[]): string[] {
  return recordings
    .filter((r) => bindsTo(target, r))
    .map((r) => r.id)
    .sort();
}

/** What changes in the bindings of one transaction: rows to add, rows to release. */
export interface BindingPlan {
  bind: string[];
  release: string[];
}

/**
 * From the recordings bound now and the candidates found now: a purchase keeps what it has and adds what is new
 * (a recording bound once stays bound, even if later recycled); a reversal releases everything.
 */
export function planBinding(
  status: TxnStatus,
  bound: readonly string[],
  candidates: readonly string[],
): BindingPlan {
  if (status === "REVERSED") return { bind: [], release: [...bound].sort() };
  const have = new Set(bound);
  return { bind: candidates.filter((id) => !have.has(id)).sort(), release: [] };
}

export interface TxnRecordingFacts {
  status: TxnStatus;
  recordingRequired: boolean;
  boundCount: number;
  supplementDeadline: string | null;
}

/** A transaction's recording status on day `asOf` (a supplement application lapses after its deadline). */
export function recordingStatusOf(t: TxnRecordingFacts, asOf: string): TxnRecordingStatus {
  if (t.status === "REVERSED" || !t.recordingRequired) return "NOT_REQUIRED";
  if (t.boundCount > 0) return "RECORDED";
  if (t.supplementDeadline !== null && asOf <= t.supplementDeadline) return "SUPPLEMENT_PENDING";
  return "MISSING";
}

export type SupplementDecision =
  | { ok: true; deadline: string }
  | { ok: false; reason: "REVERSED" | "NOT_REQUIRED" | "RECORDED" | "EXPIRED" };

/**
 * May the counter apply for 补录 on this purchase on day `asOf`? Only for a purchase that must be recorded, is not,
 * and whose 5 days from the trade day have not all passed; the deadline is the trade day + 5.
 */
export function decideSupplement(
  t: Omit<TxnRecordingFacts, "supplementDeadline">,
  tradeDay: string,
  asOf: string,
): SupplementDecision {
  if (t.status === "REVERSED") return { ok: false, reason: "REVERSED" };
  if (!t.recordingRequired) return { ok: false, reason: "NOT_REQUIRED" };
  if (t.boundCount > 0) return { ok: false, reason: "RECORDED" };
  const deadline = addDays(tradeDay, SUPPLEMENT_DAYS);
  if (asOf > deadline) return { ok: false, reason: "EXPIRED" };
  return { ok: true, deadline };
}

/** The status of a customer's holding of a product on a day, over its purchases (worst first). */
const SEVERITY: Readonly<Record<TxnRecordingStatus, number>> = {
  MISSING: 3,
  SUPPLEMENT_PENDING: 2,
  RECORDED: 1,
  NOT_REQUIRED: 0,
};

/**
 * QueryRecordingStatus: with purchases that day, the worst of theirs (a reversed one counts as NOT_REQUIRED);
 * with none (the counter asks before selling), NOT_REQUIRED when the product needs no recording there, RECORDED
 * when a recording of that day exists, else MISSING.
 */
export function holdingStatus(
  purchases: readonly TxnRecordingStatus[],
  recordingRequired: boolean,
  recordingsThatDay: number,
): TxnRecordingStatus {
  if (purchases.length)
    return purchases.reduce((worst, s) => (SEVERITY[s] > SEVERITY[worst] ? s : worst), "NOT_REQUIRED");
  if (!recordingRequired) return "NOT_REQUIRED";
  return recordingsThatDay > 0 ? "RECORDED" : "MISSING";
}
