/**
 * The append-only audit / evidence hash chain (ARCHITECTURE §6).
 *
 * Audit entries ("audit"), recording manifests ("manifest") and purge tombstones ("tombstone") are appended to ONE
 * chain. Every entry carries the hash of its predecessor, and the chain head is periodically signed with Ed25519
 * (a "checkpoint"), so that a changed, removed, inserted or re-ordered entry — and even a chain re-computed by
 * someone with write access to the database — is detected by an offline verifier.
 *
 * Pure logic: no file or database I/O here.
 *
 * ## What exactly is hashed (reproducible with standard tools)
 *
 * For entry `e`, the hashed bytes are the UTF-8 encoding of {@link entryPayload}(e): the canonical JSON
 * ({@link canonicalJson}) of an object with exactly these twelve members, which canonical ordering puts in this order:
 *
 *     {"action":…,"actor":…,"at":…,"details":…,"ip":…,"kind":…,"org":…,"prevHash":…,"result":…,"role":…,"seq":…,"target":…}
 *
 * `e.hash` is the lowercase hexadecimal SHA-256 of those bytes. The first entry (seq 1) has
 * `prevHash` = {@link GENESIS_HASH} (64 zeros); entry n has `prevHash` = hash of entry n−1. So a court holding the
 * payload text of one entry in `payload.json` (no trailing newline) checks it with
 *
 *     sha256sum payload.json                 # or: printf '%s' "$payload" | sha256sum
 *
 * ## Checkpoints
 *
 * A checkpoint signs the text `dual-record-checkpoint:v1:<seq>:<hash>:<at>` ({@link checkpointPayload}, ASCII, no
 * newline) with Ed25519 (pure Ed25519 over the raw bytes, RFC 8032). With the public key in PEM (SPKI) form,
 * the signature decoded from base64 into `sig.bin`, and the payload text in `payload.txt`:
 *
 *     openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in payload.txt -sigfile sig.bin
 *
 * The key id ({@link keyIdOf}) is the first 16 hex digits of the SHA-256 of the DER SPKI public key:
 *
 *     openssl pkey -pubin -in pub.pem -outform DER | sha256sum | cut -c1-16
 *
 * ## Limits (by design)
 *
 * Without a checkpoint at or beyond them, entries appended at the end, or a tail re-computed from an edited entry
 * on, form a valid chain: the chain proves internal consistency, the signed checkpoints prove that it is the chain
 * the hub actually wrote. Verify with the public key and all checkpoints covering the range being verified.
 */
import { createHash, createPublicKey, KeyObject, sign, verify } from "node:crypto";

/** `prevHash` of the first entry (seq 1), and hash of the empty chain's head (seq 0). */
export const GENESIS_HASH = "0".repeat(64);

export const ENTRY_KINDS = ["audit", "manifest", "tombstone"] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

export const RESULTS = ["ok", "denied", "failed"] as const;
export type AuditResult = (typeof RESULTS)[number];

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

/** An entry as the caller describes it, before the chain assigns its place (seq) and links it. */
export interface EntryDraft {
  /** ISO-8601 UTC with milliseconds, e.g. `2026-11-23T09:30:00.123Z`. */
  at: string;
  kind: EntryKind;
  /** Username of whoever acted; null for the system. */
  actor: string | null;
  role: string | null;
  org: string | null;
  /** What was done, e.g. `recording.view`; never empty. */
  action: string;
  /** What it was done to (recording id, user, …), if anything. */
  target: string | null;
  result: AuditResult;
  ip: string | null;
  /** Free structured facts; for a manifest, the manifest itself. */
  details: JsonValue | null;
}

export interface ChainEntry extends EntryDraft {
  /** 1, 2, 3, … without gaps. */
  seq: number;
  /** Hash of entry seq−1, or {@link GENESIS_HASH} for seq 1. */
  prevHash: string;
  /** Lowercase hex SHA-256 of the UTF-8 bytes of {@link entryPayload}(this entry). */
  hash: string;
}

/** A signed statement "the entry at `seq` has hash `hash`", made at time `at`. */
export interface Checkpoint {
  seq: number;
  hash: string;
  /** ISO-8601 UTC with milliseconds: when the checkpoint was signed. */
  at: string;
  /** {@link keyIdOf} the signing key's public half. */
  keyId: string;
  /** Base64 (with padding) of the 64-byte Ed25519 signature over {@link checkpointPayload}. */
  signature: string;
}

export type VerifyFailure =
  "HASH_MISMATCH" | "LINK_BROKEN" | "SEQ_GAP" | "CHECKPOINT_SIGNATURE" | "CHECKPOINT_MISMATCH" | "TRUNCATED";

export interface VerifyResult {
  ok: boolean;
  /** Entries that verified before the break (all of them when ok). Always those with seq < brokenAt. */
  entries: number;
  /** Seq of the first wrong entry (see {@link ChainVerifier} for each reason). Absent when ok. */
  brokenAt?: number;
  reason?: VerifyFailure;
  /** Seq and hash of the last entry that verified (the start anchor if none did). */
  lastSeq: number;
  lastHash: string;
  /** Checkpoints whose signature and hash were both checked and found right. */
  checkpointsVerified: number;
}

export interface VerifyOptions {
  /** Ed25519 public key of the hub. Without it, checkpoints are not checked at all. */
  publicKey?: KeyObject;
  /** Signed checkpoints covering the range being verified (any order). */
  checkpoints?: readonly Checkpoint[];
  /** Trusted head just before the first entry to be pushed; default `{ seq: 0, hash: GENESIS_HASH }`. */
  startAfter?: { seq: number; hash: string };
}

// ---------------------------------------------------------------------------------------------------------------
// Canonical JSON
// ---------------------------------------------------------------------------------------------------------------

/**
 * Canonical JSON text of `value`, the form hashed by the chain and reproduced byte for byte by a verifier:
 *
 * - object members sorted by key, comparing keys as sequences of UTF-16 code units (JavaScript's default
 *   `Array.prototype.sort`, i.e. NOT code-point order for characters outside the BMP), recursively;
 *   members whose value is `undefined` are omitted;
 * - no whitespace at all (`{"a":1,"b":[true,null]}`);
 * - strings escaped exactly as `JSON.stringify` does: `"` `\` and control characters escaped, lone surrogates as
 *   `\udXXX`, every other character (e.g. Chinese text such as 浦东支行) written as itself, encoded in UTF-8;
 * - numbers as `JSON.stringify` writes them (shortest round-trip form, `-0` as `0`); NaN and ±Infinity are refused.
 *   Prefer integers and strings in audit details: other languages format big or fractional numbers differently.
 *
 * @throws TypeError for a non-finite number, `undefined` (other than as a member value), a function, symbol or
 *   bigint, an object that is not a plain object or array (Date, Map, Buffer, class instances…), or a cycle.
 */
export function canonicalJson(value: JsonValue): string {
  return canonical(value, "$", new Set<object>());
}

function canonical(value: unknown, path: string, ancestors: Set<object>): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "string":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value))
        throw new TypeError(`canonicalJson: ${path} is not a finite number (${value})`);
      return JSON.stringify(value);
    case "object":
      break;
    default:
      throw new TypeError(`canonicalJson: ${path} has unsupported type ${typeof value}`);
  }
  const obj = value as object;
  if (ancestors.has(obj)) throw new TypeError(`canonicalJson: ${path} is a circular reference`);
  ancestors.add(obj);
  let text: string;
  if (Array.isArray(obj)) {
    const parts: string[] = [];
    for (let i = 0; i < obj.length; i++) {
      const item: unknown = obj[i];
      if (item === undefined) throw new TypeError(`canonicalJson: ${path}[${i}] is undefined`);
      parts.push(canonical(item, `${path}[${i}]`, ancestors));
    }
    text = `[${parts.join(",")}]`;
  } else {
    const proto: unknown = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`canonicalJson: ${path} is not a plain object`);
    }
    const record = obj as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const member = record[key];
      if (member === undefined) continue;
      parts.push(`${JSON.stringify(key)}:${canonical(member, `${path}.${key}`, ancestors)}`);
    }
    text = `{${parts.join(",")}}`;
  }
  ancestors.delete(obj);
  return text;
}

// ---------------------------------------------------------------------------------------------------------------
// Entries
// ---------------------------------------------------------------------------------------------------------------

const HEX64 = /^[0-9a-f]{64}$/;
const ISO_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function isIsoMsUtc(at: unknown): at is string {
  if (typeof at !== "string" || !ISO_MS_UTC.test(at)) return false;
  const ms = Date.parse(at);
  return Number.isFinite(ms) && new Date(ms).toISOString() === at; // rejects 2026-02-30, 24:00, …
}

function isSeq(seq: unknown, min: number): seq is number {
  return typeof seq === "number" && Number.isSafeInteger(seq) && seq >= min;
}

function nullableString(v: unknown): v is string | null {
  return v === null || typeof v === "string";
}

/**
 * The exact text whose UTF-8 bytes are hashed for `entry` (see the module comment for its layout). Any property
 * other than the twelve listed is ignored.
 *
 * @throws TypeError if a field has the wrong type (seq not a positive safe integer, a missing field, …), so that a
 *   payload is only ever produced for a well-formed entry.
 */
export function entryPayload(entry: Omit<ChainEntry, "hash">): string {
  const e = entry as unknown as Record<string, unknown>;
  if (typeof e !== "object" || e === null) throw new TypeError("entryPayload: entry is not an object");
  if (!isSeq(e.seq, 1)) throw new TypeError("entryPayload: seq must be a positive safe integer");
  for (const field of ["at", "kind", "action", "result", "prevHash"] as const) {
    if (typeof e[field] !== "string") throw new TypeError(`entryPayload: ${field} must be a string`);
  }
  for (const field of ["actor", "role", "org", "target", "ip"] as const) {
    if (!nullableString(e[field])) throw new TypeError(`entryPayload: ${field} must be a string or null`);
  }
  if (e.details === undefined) throw new TypeError("entryPayload: details must be present (null if none)");
  return canonicalJson({
    seq: entry.seq,
    at: entry.at,
    kind: entry.kind,
    actor: entry.actor,
    role: entry.role,
    org: entry.org,
    action: entry.action,
    target: entry.target,
    result: entry.result,
    ip: entry.ip,
    details: entry.details,
    prevHash: entry.prevHash,
  });
}

/** Lowercase hex SHA-256 of the UTF-8 bytes of {@link entryPayload}(entry). */
export function hashEntry(entry: Omit<ChainEntry, "hash">): string {
  return createHash("sha256").update(entryPayload(entry), "utf8").digest("hex");
}

function checkDraft(d: EntryDraft, i: number): void {
  const where = `sealEntries: drafts[${i}]`;
  if (typeof d !== "object" || d === null) throw new TypeError(`${where} is not an object`);
  if (!isIsoMsUtc(d.at))
    throw new TypeError(`${where}.at must be ISO-8601 UTC with milliseconds, got ${String(d.at)}`);
  if (!(ENTRY_KINDS as readonly unknown[]).includes(d.kind))
    throw new TypeError(`${where}.kind is not one of ${ENTRY_KINDS.join("|")}`);
  if (!(RESULTS as readonly unknown[]).includes(d.result))
    throw new TypeError(`${where}.result is not one of ${RESULTS.join("|")}`);
  if (typeof d.action !== "string" || d.action.length === 0)
    throw new TypeError(`${where}.action must be a non-empty string`);
  for (const field of ["actor", "role", "org", "target", "ip"] as const) {
    if (!nullableString(d[field])) throw new TypeError(`${where}.${field} must be a string or null`);
  }
  if (d.details === undefined) throw new TypeError(`${where}.details must be present (null if none)`);
}

/**
 * Seals drafts onto the chain whose current head is `head` (`{ seq: 0, hash: GENESIS_HASH }` for an empty chain):
 * assigns seq = head.seq+1, head.seq+2, …, links each entry to its predecessor and computes its hash.
 *
 * Returns new objects; the inputs are not modified. `details` is stored as a canonical deep copy, so later changes
 * to the caller's object cannot silently diverge from what was hashed.
 *
 * @throws TypeError (naming the draft index and field) for a malformed head or draft; nothing is sealed then.
 */
export function sealEntries(
  head: { seq: number; hash: string },
  drafts: readonly EntryDraft[],
): ChainEntry[] {
  if (!isSeq(head.seq, 0)) throw new TypeError("sealEntries: head.seq must be a non-negative safe integer");
  if (typeof head.hash !== "string" || !HEX64.test(head.hash))
    throw new TypeError("sealEntries: head.hash must be 64 lowercase hex digits");
  if (head.seq === 0 && head.hash !== GENESIS_HASH)
    throw new TypeError("sealEntries: the head at seq 0 must be GENESIS_HASH");
  drafts.forEach(checkDraft);
  if (!isSeq(head.seq + drafts.length, 0)) throw new TypeError("sealEntries: seq would overflow");

  const out: ChainEntry[] = [];
  let seq = head.seq;
  let prevHash = head.hash;
  for (const d of drafts) {
    seq += 1;
    const unsealed: Omit<ChainEntry, "hash"> = {
      seq,
      at: d.at,
      kind: d.kind,
      actor: d.actor,
      role: d.role,
      org: d.org,
      action: d.action,
      target: d.target,
      result: d.result,
      ip: d.ip,
      details: d.details === null ? null : (JSON.parse(canonicalJson(d.details)) as JsonValue),
      prevHash,
    };
    const hash = hashEntry(unsealed);
    out.push({ ...unsealed, hash });
    prevHash = hash;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Checkpoints
// ---------------------------------------------------------------------------------------------------------------

/** The exact ASCII text signed for a checkpoint: `dual-record-checkpoint:v1:<seq>:<hash>:<at>`. */
export function checkpointPayload(cp: { seq: number; hash: string; at: string }): string {
  return `dual-record-checkpoint:v1:${cp.seq}:${cp.hash}:${cp.at}`;
}

/**
 * Key id: first 16 hex digits of SHA-256 over the DER SubjectPublicKeyInfo of the public key (a private key is
 * reduced to its public half first).
 */
export function keyIdOf(publicKey: KeyObject): string {
  if (publicKey.type === "secret") throw new TypeError("keyIdOf: a symmetric key has no key id");
  const pub = publicKey.type === "private" ? createPublicKey(publicKey) : publicKey;
  const der = pub.export({ type: "spki", format: "der" });
  return createHash("sha256").update(der).digest("hex").slice(0, 16);
}

function requireEd25519(key: KeyObject, type: "private" | "public", fn: string): void {
  if (!(key instanceof KeyObject) || key.type !== type || key.asymmetricKeyType !== "ed25519") {
    throw new TypeError(`${fn}: expected an Ed25519 ${type} KeyObject`);
  }
}

/**
 * Signs the head `{ seq, hash }` at time `at` (pure Ed25519 over the raw {@link checkpointPayload} bytes).
 *
 * @throws TypeError for a non-Ed25519 private key or a malformed head.
 */
export function signCheckpoint(
  privateKey: KeyObject,
  head: { seq: number; hash: string; at: string },
): Checkpoint {
  requireEd25519(privateKey, "private", "signCheckpoint");
  if (!isSeq(head.seq, 0)) throw new TypeError("signCheckpoint: seq must be a non-negative safe integer");
  if (typeof head.hash !== "string" || !HEX64.test(head.hash))
    throw new TypeError("signCheckpoint: hash must be 64 lowercase hex digits");
  if (!isIsoMsUtc(head.at)) throw new TypeError("signCheckpoint: at must be ISO-8601 UTC with milliseconds");
  const cp = { seq: head.seq, hash: head.hash, at: head.at };
  const signature = sign(null, Buffer.from(checkpointPayload(cp), "utf8"), privateKey).toString("base64");
  return { ...cp, keyId: keyIdOf(privateKey), signature };
}

/** Canonical padded base64 of exactly 64 bytes (an Ed25519 signature); anything else is refused, never decoded. */
const ED25519_SIG_B64 = /^[A-Za-z0-9+/]{85}[AQgw]==$/;

/**
 * True iff `cp` was signed by the private half of `publicKey`: the key id matches and the signature verifies over
 * {@link checkpointPayload}(cp). Malformed checkpoints (bad base64, wrong types, …) give false, never an exception.
 *
 * @throws TypeError only if `publicKey` is not an Ed25519 public key (a programming error, not bad data).
 */
export function verifyCheckpoint(publicKey: KeyObject, cp: Checkpoint): boolean {
  requireEd25519(publicKey, "public", "verifyCheckpoint");
  try {
    if (typeof cp !== "object" || cp === null) return false;
    if (!isSeq(cp.seq, 0) || typeof cp.hash !== "string" || !HEX64.test(cp.hash)) return false;
    if (typeof cp.at !== "string" || typeof cp.keyId !== "string" || typeof cp.signature !== "string")
      return false;
    if (cp.keyId !== keyIdOf(publicKey)) return false;
    if (!ED25519_SIG_B64.test(cp.signature)) return false;
    const signature = Buffer.from(cp.signature, "base64");
    return verify(null, Buffer.from(checkpointPayload(cp), "utf8"), publicKey, signature);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------------------------------

interface Broken {
  at: number;
  reason: VerifyFailure;
}

/**
 * Streaming verifier: constant memory in the number of entries (only the checkpoints are held).
 *
 * Push entries in seq order, starting at `startAfter.seq + 1` (default 1). Each entry is checked, in this order:
 *
 * 1. `SEQ_GAP` — its seq is not previous+1 (an entry was deleted, or entries arrive out of order / twice);
 *    brokenAt = previous+1, the first missing seq.
 * 2. `LINK_BROKEN` — its prevHash is not the previous entry's hash (re-ordered rows, an inserted row, a removed row
 *    with the rest renumbered); brokenAt = its seq.
 * 3. `HASH_MISMATCH` — its hash is not the hash of its content (a field was edited); brokenAt = its seq.
 *
 * Then, if a public key was given, every checkpoint at that seq: its signature must verify with the key (else
 * `CHECKPOINT_SIGNATURE`, including a checkpoint signed by another key) and its hash must be this entry's hash
 * (else `CHECKPOINT_MISMATCH`: the chain was re-computed after an edit); brokenAt = the checkpoint's seq.
 * A checkpoint at exactly `startAfter.seq` is checked against `startAfter.hash` the same way (it is what makes an
 * excerpt's starting point trustworthy); checkpoints before it are ignored.
 *
 * At {@link finish}, a validly signed checkpoint beyond the last entry proves the tail was deleted: `TRUNCATED`,
 * brokenAt = lastSeq+1. (A checkpoint beyond the end whose signature is bad gives `CHECKPOINT_SIGNATURE` instead,
 * so a forged checkpoint can never make the verifier claim a truncation.) So pass only checkpoints covering the
 * range you verify.
 *
 * The first failure is final: later pushes are ignored and return false.
 */
export class ChainVerifier {
  private readonly publicKey: KeyObject | undefined;
  private readonly pending: readonly Checkpoint[];
  private readonly startSeq: number;
  private readonly startHash: string;
  private next = 0;
  private lastSeq: number;
  private lastHash: string;
  private count = 0;
  private verified = 0;
  private broken: Broken | undefined;

  constructor(opts: VerifyOptions) {
    const start = opts.startAfter ?? { seq: 0, hash: GENESIS_HASH };
    if (!isSeq(start.seq, 0))
      throw new TypeError("ChainVerifier: startAfter.seq must be a non-negative safe integer");
    if (typeof start.hash !== "string")
      throw new TypeError("ChainVerifier: startAfter.hash must be a string");
    this.startSeq = this.lastSeq = start.seq;
    this.startHash = this.lastHash = start.hash;

    if (opts.publicKey !== undefined) requireEd25519(opts.publicKey, "public", "ChainVerifier");
    this.publicKey = opts.publicKey;
    const cps = opts.publicKey === undefined ? [] : [...(opts.checkpoints ?? [])];
    cps.forEach((cp, i) => {
      if (typeof cp !== "object" || cp === null || !isSeq(cp.seq, 0)) {
        throw new TypeError(`ChainVerifier: checkpoints[${i}].seq must be a non-negative safe integer`);
      }
    });
    // Stable sort: checkpoints at the same seq are checked in the order given.
    const sorted = cps.filter((cp) => cp.seq >= this.startSeq).sort((a, b) => a.seq - b.seq);
    let i = 0;
    while (i < sorted.length && sorted[i]!.seq === this.startSeq && this.broken === undefined) {
      this.checkCheckpoint(sorted[i]!, this.startHash);
      i++;
    }
    this.pending = sorted.slice(i);
  }

  /** Checks the next entry. Returns false once the chain is broken (then and for every later push). */
  push(entry: ChainEntry): boolean {
    if (this.broken !== undefined) return false;
    const expected = this.lastSeq + 1;
    if (typeof entry !== "object" || entry === null || entry.seq !== expected) {
      return this.fail(expected, "SEQ_GAP");
    }
    if (entry.prevHash !== this.lastHash) return this.fail(entry.seq, "LINK_BROKEN");
    let actual: string;
    try {
      actual = hashEntry(entry);
    } catch {
      return this.fail(entry.seq, "HASH_MISMATCH"); // malformed field: cannot be what was sealed
    }
    if (actual !== entry.hash) return this.fail(entry.seq, "HASH_MISMATCH");

    while (this.next < this.pending.length && this.pending[this.next]!.seq === entry.seq) {
      if (!this.checkCheckpoint(this.pending[this.next]!, entry.hash)) return false;
      this.next++;
    }
    this.lastSeq = entry.seq;
    this.lastHash = entry.hash;
    this.count++;
    return true;
  }

  /** The verdict for everything pushed so far (may be called more than once; does not change the state). */
  finish(): VerifyResult {
    const base = {
      entries: this.count,
      lastSeq: this.lastSeq,
      lastHash: this.lastHash,
      checkpointsVerified: this.verified,
    };
    if (this.broken !== undefined)
      return { ok: false, ...base, brokenAt: this.broken.at, reason: this.broken.reason };
    const beyond = this.pending.slice(this.next); // all have seq > lastSeq
    if (beyond.length > 0 && this.publicKey !== undefined) {
      const key = this.publicKey;
      if (beyond.some((cp) => verifyCheckpoint(key, cp))) {
        return { ok: false, ...base, brokenAt: this.lastSeq + 1, reason: "TRUNCATED" };
      }
      return { ok: false, ...base, brokenAt: beyond[0]!.seq, reason: "CHECKPOINT_SIGNATURE" };
    }
    return { ok: true, ...base };
  }

  private checkCheckpoint(cp: Checkpoint, hashAtSeq: string): boolean {
    if (!verifyCheckpoint(this.publicKey!, cp)) return this.fail(cp.seq, "CHECKPOINT_SIGNATURE");
    if (cp.hash !== hashAtSeq) return this.fail(cp.seq, "CHECKPOINT_MISMATCH");
    this.verified++;
    return true;
  }

  private fail(at: number, reason: VerifyFailure): false {
    this.broken = { at, reason };
    return false;
  }
}

/** Verifies a whole sequence of entries (stops reading at the first failure). */
export function verifyEntries(entries: Iterable<ChainEntry>, opts: VerifyOptions = {}): VerifyResult {
  const verifier = new ChainVerifier(opts);
  for (const entry of entries) {
    if (!verifier.push(entry)) break;
  }
  return verifier.finish();
}
