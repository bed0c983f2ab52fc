/**
 * The life of a recording (录音录像) and who may do what with one: kinds, status transitions, which media types
 * each kind may carry, the submit body, the manifest sealed at submit (docs/evidence-store.md, "Manifest"), and
 * the read / upload / submit / playback / evidence decisions on top of the permission table.
 *
 * Pure functions only: no I/O, no clock. Access is still decided by `decide` in ./permissions; the functions here
 * add what depends on the recording itself (its creator, its status, its upload), and fail closed.
 */
import { canonicalJson, type JsonValue } from "./audit-chain";
import { decide, isWithinScope, type Role } from "./permissions";

export const RECORDING_KINDS = ["sale", "supplement", "callback", "cctv", "scan"] as const;
/** sale 销售双录 · supplement 补录 · callback 回访 (audio) · cctv 监控录像 · scan 凭证/问卷扫描件. */
export type RecordingKind = (typeof RECORDING_KINDS)[number];

/** recycled: past retention, in the recycle bin (not playable, restorable for 30 days); purged: destroyed. */
export const RECORDING_STATUSES = ["draft", "submitted", "recycled", "purged"] as const;
export type RecordingStatus = (typeof RECORDING_STATUSES)[number];

/** Where the media worker is with the original: nothing uploaded, queued, done, or given up (error kept). */
export const MEDIA_STATUSES = ["none", "pending", "done", "failed"] as const;
export type MediaStatus = (typeof MEDIA_STATUSES)[number];

export const RENDITIONS = ["original", "canonical"] as const;
export type Rendition = (typeof RENDITIONS)[number];

/** Kinds that may name the sale they belong to (`relatedTo`); a sale never names another recording. */
export const RELATABLE_KINDS: readonly RecordingKind[] = ["supplement", "callback", "cctv", "scan"];

const KIND_SET: ReadonlySet<unknown> = new Set<unknown>(RECORDING_KINDS);
const RENDITION_SET: ReadonlySet<unknown> = new Set<unknown>(RENDITIONS);

export function isRecordingKind(x: unknown): x is RecordingKind {
  return KIND_SET.has(x);
}

export function isRendition(x: unknown): x is Rendition {
  return RENDITION_SET.has(x);
}

/** Only a sale is gated by the product-risk match (a supplement records a sale that already passed it). */
export function needsRiskMatch(kind: RecordingKind): boolean {
  return kind === "sale";
}

/** A new recording's id: 32 lowercase hex digits from 16 random bytes (given, so that this stays pure). */
export function recordingIdFrom(random: Uint8Array): string {
  if (random.length !== 16) throw new RangeError("a recording id is made from exactly 16 random bytes");
  return Buffer.from(random).toString("hex");
}

export const RECORDING_ID_PATTERN = /^[0-9a-f]{32}$/;

// ---------------------------------------------------------------------------------------------------------------
// Media types
// ---------------------------------------------------------------------------------------------------------------

/**
 * What each kind may carry. A sale or supplementary recording is audio and video (双录); a follow-up call is a
 * phone recording; imported security-camera footage is video; a scan is a voucher or questionnaire image or PDF.
 */
export const MEDIA_TYPES_BY_KIND: Readonly<Record<RecordingKind, readonly string[]>> = {
  sale: ["video/webm", "video/mp4"],
  supplement: ["video/webm", "video/mp4"],
  callback: ["audio/webm", "audio/ogg", "audio/mpeg", "audio/wav"],
  cctv: ["video/webm", "video/mp4"],
  scan: ["image/jpeg", "image/png", "application/pdf"],
};

/** `Video/WebM; codecs="vp8,opus"` → `video/webm`: the type without parameters, lower-case; null if malformed. */
export function mediaTypeEssence(type: string): string | null {
  if (typeof type !== "string") return null;
  const essence = type.split(";")[0].trim().toLowerCase();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(essence) ? essence : null;
}

export function mediaTypeAllowed(kind: RecordingKind, type: string): boolean {
  const essence = mediaTypeEssence(type);
  return essence !== null && (MEDIA_TYPES_BY_KIND[kind] ?? []).includes(essence);
}

// ---------------------------------------------------------------------------------------------------------------
// Status and upload
// ---------------------------------------------------------------------------------------------------------------

export type RecordingEvent = "uploadStarted" | "uploadCompleted" | "uploadTerminated" | "submit" | "abort";

/**
 * The status after `event`, or null when the event is refused. A draft takes uploads (again and again: staff may
 * re-record before saving) and is submitted once; a submitted recording never changes again. An aborted session
 * leaves its draft a draft: the abort is recorded in the audit trail, and nothing is ever deleted.
 */
export function nextStatus(status: RecordingStatus, event: RecordingEvent): RecordingStatus | null {
  if (status !== "draft") return null;
  switch (event) {
    case "uploadStarted":
    case "uploadCompleted":
    case "uploadTerminated":
    case "abort":
      return "draft";
    case "submit":
      return "submitted";
    default:
      return null;
  }
}

export type UploadState = "none" | "in-progress" | "complete";

export function uploadState(r: { originalObject: string | null; uploadedAt: string | null }): UploadState {
  if (!r.originalObject) return "none";
  return r.uploadedAt ? "complete" : "in-progress";
}

// ---------------------------------------------------------------------------------------------------------------
// Decisions
// ---------------------------------------------------------------------------------------------------------------

export interface RecordingActor {
  username: string;
  role: Role;
  orgPath: string;
}

/** What the decisions need to know of a recording; `orgPath` is the path of its org unit. */
export interface RecordingFacts {
  createdBy: string;
  orgPath: string;
  status: RecordingStatus;
  originalObject: string | null;
  uploadedAt: string | null;
  canonicalObject?: string | null;
}

export type RecordingRefusalCode =
  | "HUB_FORBIDDEN"
  | "HUB_RECORDING_NOT_CREATOR"
  | "HUB_RECORDING_NOT_DRAFT"
  | "HUB_RECORDING_UPLOAD_INCOMPLETE"
  | "HUB_RECORDING_NO_REPLAY"
  | "HUB_RECORDING_RENDITION_NOT_FOUND"
  | "HUB_RECORDING_NOT_SUBMITTED"
  | "HUB_RECORDING_RECYCLED"
  | "HUB_RECORDING_PURGED";

/** A refusal: the error code to answer with, and for HUB_FORBIDDEN the permission and reason as `decide` gave them. */
export type RecordingDecision =
  | { allowed: true }
  | { allowed: false; code: "HUB_FORBIDDEN"; action: string; reason: "ROLE" | "SCOPE" }
  | { allowed: false; code: Exclude<RecordingRefusalCode, "HUB_FORBIDDEN">; reason: string };

const ALLOWED: RecordingDecision = Object.freeze({ allowed: true });

function permission(
  actor: RecordingActor,
  action:
    | "recording.create"
    | "recording.upload"
    | "recording.list"
    | "recording.play"
    | "recording.exportEvidence",
  orgPath: string,
): RecordingDecision {
  const d = decide(actor, action, { orgPath });
  if (d.allowed) return ALLOWED;
  return { allowed: false, code: "HUB_FORBIDDEN", action, reason: d.reason === "SCOPE" ? "SCOPE" : "ROLE" };
}

function refuse(code: Exclude<RecordingRefusalCode, "HUB_FORBIDDEN">, reason: string): RecordingDecision {
  return { allowed: false, code, reason };
}

function isCreator(actor: RecordingActor, r: Pick<RecordingFacts, "createdBy">): boolean {
  return typeof actor.username === "string" && actor.username !== "" && actor.username === r.createdBy;
}

/** How a role lists recordings: its org subtree (`recording.list`), only its own (`recording.create`), or none. */
export function listMode(role: Role): "subtree" | "own" | "none" {
  if (decide({ role, orgPath: "x" }, "recording.list", { orgPath: "x" }).allowed) return "subtree";
  if (decide({ role, orgPath: "x" }, "recording.create", { orgPath: "x" }).allowed) return "own";
  return "none";
}

/**
 * Reading a recording's metadata: `recording.list` over its org unit, or — for those who record but may not list
 * (sales) — being its creator, still within scope. Sales staff see their own recordings, nobody else's.
 */
export function decideRead(actor: RecordingActor, r: RecordingFacts): RecordingDecision {
  const listed = permission(actor, "recording.list", r.orgPath);
  if (listed.allowed) return listed;
  if (isCreator(actor, r) && permission(actor, "recording.create", r.orgPath).allowed) return ALLOWED;
  return listed;
}

/** The creator, holding `action` over the recording's unit, on a recording whose status lets `event` happen. */
function creatorOnDraft(
  actor: RecordingActor,
  r: RecordingFacts,
  action: "recording.upload" | "recording.create",
  event: RecordingEvent,
  verb: string,
): RecordingDecision {
  if (!isCreator(actor, r))
    return refuse("HUB_RECORDING_NOT_CREATOR", `only the creator ${verb} a recording`);
  const allowed = permission(actor, action, r.orgPath);
  if (!allowed.allowed) return allowed;
  if (nextStatus(r.status, event) === null)
    return refuse("HUB_RECORDING_NOT_DRAFT", `the recording is ${r.status}`);
  return ALLOWED;
}

/** Uploading the media (the tus grant and its start, end and termination): the creator, on a draft. */
export function decideUpload(actor: RecordingActor, r: RecordingFacts): RecordingDecision {
  return creatorOnDraft(actor, r, "recording.upload", "uploadStarted", "uploads");
}

/** Submitting: the creator, on a draft whose upload is complete. */
export function decideSubmit(actor: RecordingActor, r: RecordingFacts): RecordingDecision {
  const decision = creatorOnDraft(actor, r, "recording.create", "submit", "submits");
  if (!decision.allowed) return decision;
  if (uploadState(r) !== "complete")
    return refuse("HUB_RECORDING_UPLOAD_INCOMPLETE", `the upload is ${uploadState(r)}`);
  return ALLOWED;
}

/**
 * Recording that a session was aborted, naming the draft it had created: the creator, still holding
 * `recording.create` over its unit, on a draft (which stays a draft; a submitted recording was not aborted).
 */
export function decideAbort(actor: RecordingActor, r: RecordingFacts): RecordingDecision {
  return creatorOnDraft(actor, r, "recording.create", "abort", "aborts");
}

/**
 * Playing a rendition back. Sales staff never replay (ARCHITECTURE §2: they preview in the browser before
 * submitting), whoever created the recording; others need `recording.play` over its org unit. Then the media
 * must be there: the original once uploaded, the canonical rendition once the media worker made it.
 */
export function decidePlay(
  actor: RecordingActor,
  r: RecordingFacts,
  rendition: Rendition,
): RecordingDecision {
  if (actor.role === "sales")
    return refuse("HUB_RECORDING_NO_REPLAY", "sales staff preview before submitting and never replay after");
  const allowed = permission(actor, "recording.play", r.orgPath);
  if (!allowed.allowed) return allowed;
  if (r.status === "recycled")
    return refuse("HUB_RECORDING_RECYCLED", "the recording is in the recycle bin (past its retention)");
  if (r.status === "purged") return refuse("HUB_RECORDING_PURGED", "the recording has been destroyed");
  if (uploadState(r) !== "complete")
    return refuse("HUB_RECORDING_UPLOAD_INCOMPLETE", `the upload is ${uploadState(r)}`);
  if (!isRendition(rendition)) return refuse("HUB_RECORDING_RENDITION_NOT_FOUND", "unknown rendition");
  if (rendition === "canonical" && !r.canonicalObject)
    return refuse("HUB_RECORDING_RENDITION_NOT_FOUND", "the canonical rendition has not been made");
  return ALLOWED;
}

/** Exporting the evidence package: `recording.exportEvidence` over its org unit, of a submitted recording. */
export function decideEvidence(actor: RecordingActor, r: RecordingFacts): RecordingDecision {
  const allowed = permission(actor, "recording.exportEvidence", r.orgPath);
  if (!allowed.allowed) return allowed;
  if (r.status === "recycled")
    return refuse("HUB_RECORDING_RECYCLED", "the recording is in the recycle bin (past its retention)");
  if (r.status === "purged") return refuse("HUB_RECORDING_PURGED", "the recording has been destroyed");
  if (r.status !== "submitted")
    return refuse("HUB_RECORDING_NOT_SUBMITTED", "only a submitted recording has a manifest to prove");
  return ALLOWED;
}

// ---------------------------------------------------------------------------------------------------------------
// relatedTo
// ---------------------------------------------------------------------------------------------------------------

export interface RelatedRecording {
  kind: RecordingKind;
  customerNo: string;
  productCode: string;
  orgPath: string;
}

export type RelatedProblem = "NOT_FOR_SALE" | "NOT_FOUND" | "NOT_A_SALE" | "OTHER_CUSTOMER" | "OTHER_PRODUCT";

/**
 * Why `relatedTo` is refused, or null when it is fine. A sale names no other recording. Otherwise the named one
 * must be a sale within the actor's org subtree (one outside it is reported as not found: its existence is not
 * the caller's to learn) of the same customer and product.
 */
export function relatedToProblem(
  input: { kind: RecordingKind; customerNo: string; productCode: string; relatedTo: string | null },
  actorOrgPath: string,
  related: RelatedRecording | null,
): { reason: RelatedProblem; message: string } | null {
  if (input.relatedTo === null || input.relatedTo === undefined) return null;
  if (!RELATABLE_KINDS.includes(input.kind))
    return { reason: "NOT_FOR_SALE", message: `a ${input.kind} recording does not name a related recording` };
  if (related === null || !isWithinScope(actorOrgPath, related.orgPath))
    return { reason: "NOT_FOUND", message: `no recording ${input.relatedTo} in your scope` };
  if (related.kind !== "sale")
    return { reason: "NOT_A_SALE", message: `recording ${input.relatedTo} is a ${related.kind}, not a sale` };
  if (related.customerNo !== input.customerNo)
    return { reason: "OTHER_CUSTOMER", message: `recording ${input.relatedTo} is of another customer` };
  if (related.productCode !== input.productCode)
    return { reason: "OTHER_PRODUCT", message: `recording ${input.relatedTo} is of another product` };
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Submit body
// ---------------------------------------------------------------------------------------------------------------

export interface Step {
  /** The script step, e.g. `consent`, `risk-warning`. */
  code: string;
  /** Milliseconds from the start of the recording. */
  at: number;
}

export interface Submission {
  /** ISO-8601 UTC with milliseconds. */
  startedAt: string;
  endedAt: string;
  steps: Step[];
  watermark: { [k: string]: JsonValue };
}

export interface SubmitProblem {
  /** Path inside the body, e.g. `steps.2.at`. */
  field: string;
  code: string;
  message: string;
}

export const MAX_STEPS = 500;
export const MAX_STEP_CODE_LENGTH = 64;

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-](\d{2}):(\d{2}))$/;

/**
 * An RFC 3339 timestamp with a time zone (`Z` or `±hh:mm`) as ISO-8601 UTC with milliseconds, or null when it is
 * not one or names no real instant (2026-02-30, 24:00, a 60th second). Digits beyond milliseconds are dropped.
 */
export function normalizeTimestamp(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const m = TIMESTAMP.exec(value);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > days || hour > 23 || minute > 59 || second > 59)
    return null;
  if (m[8] !== "Z" && (Number(m[9]) > 23 || Number(m[10]) > 59)) return null;
  const ms = Number((m[7] ?? "").padEnd(3, "0").slice(0, 3));
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const offset = m[8] === "Z" ? 0 : (m[8][0] === "-" ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10])) * 60_000;
  const instant = new Date(utc - offset);
  if (year < 1 || !Number.isFinite(instant.getTime())) return null;
  return instant.toISOString();
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== "object" || Array.isArray(x)) return false;
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/**
 * Checks a list of script steps (of a submit or an abort) and gives it back with only `code` and `at` of each step,
 * adding every problem to `problems` under `field` (`steps.2.at`): at most {@link MAX_STEPS} steps, each a non-empty
 * `code` (≤ {@link MAX_STEP_CODE_LENGTH} characters) and an `at` that is a whole, non-negative number of milliseconds
 * from the start, never earlier than the step before (compared with the last step that has a usable time).
 */
export function checkSteps(value: unknown, field: string, problems: SubmitProblem[]): Step[] {
  const steps: Step[] = [];
  if (!Array.isArray(value)) {
    problems.push({ field, code: "type", message: "must be an array" });
    return steps;
  }
  if (value.length > MAX_STEPS) {
    problems.push({ field, code: "maxItems", message: `must have at most ${MAX_STEPS} steps` });
    return steps;
  }
  let previous: number | null = null;
  value.forEach((step: unknown, i) => {
    const where = `${field}.${i}`;
    if (!isPlainObject(step)) {
      problems.push({ field: where, code: "type", message: "must be an object with code and at" });
      previous = null;
      return;
    }
    const code = step.code;
    if (typeof code !== "string" || code.trim() === "")
      problems.push({ field: `${where}.code`, code: "required", message: "must be a non-empty string" });
    else if (code.length > MAX_STEP_CODE_LENGTH)
      problems.push({
        field: `${where}.code`,
        code: "maxLength",
        message: `must be at most ${MAX_STEP_CODE_LENGTH} characters`,
      });
    const at = step.at;
    if (typeof at !== "number" || !Number.isSafeInteger(at) || at < 0) {
      problems.push({
        field: `${where}.at`,
        code: "integer",
        message: "must be a whole, non-negative number of milliseconds from the start",
      });
      previous = null;
    } else {
      if (previous !== null && at < previous)
        problems.push({
          field: `${where}.at`,
          code: "order",
          message: `must not be earlier than the step before (${previous})`,
        });
      previous = at;
    }
    if (typeof code === "string" && typeof at === "number") steps.push({ code, at });
  });
  return steps;
}

/**
 * Checks a submit body whole and reports every problem, or gives it normalised (UTC timestamps, steps with only
 * `code` and `at`). Rules: both times real instants with a zone, `startedAt` ≤ `endedAt`; at most {@link MAX_STEPS}
 * steps, each a non-empty `code` (≤ {@link MAX_STEP_CODE_LENGTH} characters) and an `at` that is a whole,
 * non-negative number of milliseconds from the start, never earlier than the step before; `watermark` an object.
 */
export function checkSubmission(
  body: unknown,
): { ok: true; value: Submission } | { ok: false; problems: SubmitProblem[] } {
  const problems: SubmitProblem[] = [];
  const input: Record<string, unknown> = isPlainObject(body) ? body : {};
  if (!isPlainObject(body)) problems.push({ field: "", code: "type", message: "must be an object" });

  const times: Record<"startedAt" | "endedAt", string | null> = { startedAt: null, endedAt: null };
  for (const field of ["startedAt", "endedAt"] as const) {
    if (input[field] === undefined) {
      problems.push({ field, code: "required", message: "is required" });
      continue;
    }
    times[field] = normalizeTimestamp(input[field]);
    if (times[field] === null)
      problems.push({ field, code: "format", message: "must be an ISO-8601 timestamp with a time zone" });
  }
  if (times.startedAt && times.endedAt && times.endedAt < times.startedAt)
    problems.push({ field: "endedAt", code: "beforeStart", message: "must not be earlier than startedAt" });

  let steps: Step[] = [];
  if (input.steps === undefined) problems.push({ field: "steps", code: "required", message: "is required" });
  else steps = checkSteps(input.steps, "steps", problems);

  let watermark: Submission["watermark"] = {};
  if (input.watermark === undefined)
    problems.push({ field: "watermark", code: "required", message: "is required" });
  else if (!isPlainObject(input.watermark))
    problems.push({ field: "watermark", code: "type", message: "must be an object" });
  else {
    try {
      canonicalJson(input.watermark as JsonValue);
      watermark = input.watermark as Submission["watermark"];
    } catch (err) {
      problems.push({ field: "watermark", code: "type", message: (err as Error).message });
    }
  }

  if (problems.length) return { ok: false, problems };
  return { ok: true, value: { startedAt: times.startedAt!, endedAt: times.endedAt!, steps, watermark } };
}

// ---------------------------------------------------------------------------------------------------------------
// Abort body
// ---------------------------------------------------------------------------------------------------------------

/** Why a session was aborted: a code the caller chooses (`HUB_RISK_MISMATCH`, `consent-refused`) and a message. */
export interface AbortReason {
  code: string;
  message: string;
}

/** A recording session that was aborted, as it goes into the audit trail (absent fields are null). */
export interface Abort {
  kind: RecordingKind;
  reason: AbortReason;
  customerNo: string | null;
  productCode: string | null;
  /** The script step current when the session was aborted. */
  step: string | null;
  steps: Step[] | null;
  /** ISO-8601 UTC with milliseconds. */
  startedAt: string | null;
  /** The draft the session had created. */
  recordingId: string | null;
}

export const ABORT_REASON_CODE_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
export const MAX_ABORT_MESSAGE_LENGTH = 500;
const CUSTOMER_NO_PATTERN = /^[0-9A-Za-z]{1,32}$/;
const PRODUCT_CODE_PATTERN = /^[0-9A-Za-z_-]{1,32}$/;

/**
 * Checks an abort body whole and reports every problem, or gives it normalised (`startedAt` in UTC, steps with only
 * `code` and `at`, absent fields null). `kind` and `reason` are required; `reason.code` is 1–64 letters, digits,
 * `_`, `.` or `-`, `reason.message` at most {@link MAX_ABORT_MESSAGE_LENGTH} characters (may be empty); the steps
 * follow the rules of a submit ({@link checkSteps}), the current `step` is a code of the same length.
 */
export function checkAbort(
  body: unknown,
): { ok: true; value: Abort } | { ok: false; problems: SubmitProblem[] } {
  const problems: SubmitProblem[] = [];
  const input: Record<string, unknown> = isPlainObject(body) ? body : {};
  if (!isPlainObject(body)) problems.push({ field: "", code: "type", message: "must be an object" });
  const present = (field: string) => input[field] !== undefined && input[field] !== null;

  if (input.kind === undefined) problems.push({ field: "kind", code: "required", message: "is required" });
  else if (!isRecordingKind(input.kind))
    problems.push({ field: "kind", code: "enum", message: "must be one of the recording kinds" });

  let reason: AbortReason = { code: "", message: "" };
  if (input.reason === undefined)
    problems.push({ field: "reason", code: "required", message: "is required" });
  else if (!isPlainObject(input.reason))
    problems.push({ field: "reason", code: "type", message: "must be an object with code and message" });
  else {
    const { code, message } = input.reason;
    if (typeof code !== "string" || !ABORT_REASON_CODE_PATTERN.test(code))
      problems.push({
        field: "reason.code",
        code: "pattern",
        message: "must be 1–64 letters, digits, '_', '.' or '-'",
      });
    if (typeof message !== "string")
      problems.push({
        field: "reason.message",
        code: "required",
        message: "must be a string (may be empty)",
      });
    else if (message.length > MAX_ABORT_MESSAGE_LENGTH)
      problems.push({
        field: "reason.message",
        code: "maxLength",
        message: `must be at most ${MAX_ABORT_MESSAGE_LENGTH} characters`,
      });
    reason = { code: String(code), message: String(message) };
  }

  const text = (field: string, pattern: RegExp, what: string): string | null => {
    if (!present(field)) return null;
    const value = input[field];
    if (typeof value === "string" && pattern.test(value)) return value;
    problems.push({ field, code: "pattern", message: `must be ${what}` });
    return null;
  };
  const customerNo = text("customerNo", CUSTOMER_NO_PATTERN, "1–32 letters or digits");
  const productCode = text("productCode", PRODUCT_CODE_PATTERN, "1–32 letters, digits, '_' or '-'");
  const recordingId = text("recordingId", RECORDING_ID_PATTERN, "32 lowercase hexadecimal digits");

  let step: string | null = null;
  if (present("step")) {
    const value = input.step;
    if (typeof value !== "string" || value.trim() === "")
      problems.push({ field: "step", code: "required", message: "must be a non-empty string" });
    else if (value.length > MAX_STEP_CODE_LENGTH)
      problems.push({
        field: "step",
        code: "maxLength",
        message: `must be at most ${MAX_STEP_CODE_LENGTH} characters`,
      });
    else step = value;
  }

  const steps = present("steps") ? checkSteps(input.steps, "steps", problems) : null;

  let startedAt: string | null = null;
  if (present("startedAt")) {
    startedAt = normalizeTimestamp(input.startedAt);
    if (startedAt === null)
      problems.push({
        field: "startedAt",
        code: "format",
        message: "must be an ISO-8601 timestamp with a time zone",
      });
  }

  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    value: {
      kind: input.kind as RecordingKind,
      reason,
      customerNo,
      productCode,
      step,
      steps,
      startedAt,
      recordingId,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Manifest
// ---------------------------------------------------------------------------------------------------------------

export interface StoredObject {
  /** `original`, `canonical` or `poster`. */
  name: string;
  objectId: string;
  /** Size of the stored (encrypted) file in bytes. */
  size: number;
  /** Lowercase hex SHA-256 of the stored (encrypted) file. */
  sha256: string;
}

/** The facts of a recording a manifest is built from (the row, its columns parsed). */
export interface ManifestSource {
  id: string;
  kind: RecordingKind;
  relatedTo: string | null;
  customerNo: string;
  productCode: string;
  orgCode: string;
  createdBy: string;
  createdAt: string;
  mediaType: string | null;
  sizeBytes: number | null;
  sha256: string | null;
  objects: StoredObject[];
  mediaStatus: MediaStatus;
  mediaFacts: JsonValue | null;
  mediaError: string | null;
}

export interface Manifest {
  version: 1;
  recordingId: string;
  kind: RecordingKind;
  relatedTo: string | null;
  customerNo: string;
  productCode: string;
  orgCode: string;
  createdBy: string;
  createdAt: string;
  startedAt: string;
  endedAt: string;
  submittedAt: string;
  media: { type: string; size: number; sha256: string };
  objects: StoredObject[];
  steps: Step[];
  watermark: { [k: string]: JsonValue };
  mediaFacts: JsonValue | null;
  mediaError: string | null;
}

const HEX64 = /^[0-9a-f]{64}$/;

function isSize(n: unknown): n is number {
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
}

/**
 * The manifest sealed at submit, exactly as docs/evidence-store.md lays it out. Media facts and error are those
 * of the media worker if it has finished (`done` / `failed`), else null: what it finds later goes to the chain as
 * its own entry, never into this manifest.
 *
 * @throws RangeError when the source lacks what a manifest must prove (the plaintext hash and size, the original
 *   object with its stored size and hash): a manifest is never sealed with holes.
 */
export function buildManifest(source: ManifestSource, submission: Submission, submittedAt: string): Manifest {
  if (!source.mediaType || !isSize(source.sizeBytes) || !HEX64.test(source.sha256 ?? ""))
    throw new RangeError("the upload's type, size and SHA-256 must be known before a manifest is sealed");
  if (!source.objects.some((o) => o.name === "original"))
    throw new RangeError("the original object must be listed in a manifest");
  for (const o of source.objects) {
    if (!o.objectId || !isSize(o.size) || !HEX64.test(o.sha256))
      throw new RangeError(`stored object ${o.name} lacks its id, size or SHA-256`);
  }
  if (normalizeTimestamp(submittedAt) !== submittedAt)
    throw new RangeError("submittedAt must be ISO-8601 UTC with milliseconds");
  return {
    version: 1,
    recordingId: source.id,
    kind: source.kind,
    relatedTo: source.relatedTo,
    customerNo: source.customerNo,
    productCode: source.productCode,
    orgCode: source.orgCode,
    createdBy: source.createdBy,
    createdAt: source.createdAt,
    startedAt: submission.startedAt,
    endedAt: submission.endedAt,
    submittedAt,
    media: { type: source.mediaType, size: source.sizeBytes, sha256: source.sha256! },
    objects: source.objects.map((o) => ({
      name: o.name,
      objectId: o.objectId,
      size: o.size,
      sha256: o.sha256,
    })),
    steps: submission.steps.map((s) => ({ code: s.code, at: s.at })),
    watermark: submission.watermark,
    mediaFacts: source.mediaStatus === "done" ? source.mediaFacts : null,
    mediaError: source.mediaStatus === "failed" ? source.mediaError : null,
  };
}

/** The manifest as the canonical JSON text stored with the recording and hashed by the chain. */
export function manifestText(manifest: Manifest): string {
  return canonicalJson(manifest as unknown as JsonValue);
}

// ---------------------------------------------------------------------------------------------------------------
// List filters
// ---------------------------------------------------------------------------------------------------------------

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * `from` / `to` of a list as bounds on `createdAt` (ISO UTC text, compared as strings). A day is the bank's
 * business day in Beijing time (UTC+8): `from=2026-11-23` starts at 2026-11-22T16:00:00.000Z and `to=2026-11-23`
 * ends at 2026-11-23T15:59:59.999Z. A timestamp is taken as it is.
 */
export function createdAtBounds(
  from?: string,
  to?: string,
  utcOffsetHours = 8,
): { from: string | null; to: string | null } {
  const shift = utcOffsetHours * 3_600_000;
  const bound = (value: string | undefined, end: boolean): string | null => {
    if (value === undefined || value === "") return null;
    if (DAY.test(value)) {
      const start = Date.parse(`${value}T00:00:00.000Z`);
      if (!Number.isFinite(start) || new Date(start).toISOString().slice(0, 10) !== value)
        throw new RangeError(`not a calendar day: ${value}`);
      return new Date(start - shift + (end ? 86_400_000 - 1 : 0)).toISOString();
    }
    const ts = normalizeTimestamp(value);
    if (ts === null) throw new RangeError(`not a day or a timestamp: ${value}`);
    return ts;
  };
  return { from: bound(from, false), to: bound(to, true) };
}
