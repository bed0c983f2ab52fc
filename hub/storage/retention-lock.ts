/*
 * Retention locks (docs/evidence-store.md, "Retention locks"): what each replica root keeps about how long a
 * recording's objects must stay, like S3 Object Lock's retain-until date and legal holds. The store applies the
 * changes below and refuses to destroy a recording's objects unless `destroyRefusal` is null, whoever asks.
 *
 * Days are calendar days `YYYY-MM-DD` (the bank's business day, decided by the store's own clock); two valid days
 * compare correctly as strings. Pure functions only: a lock is never changed in place.
 */

import { addDays, parseDay } from "../domain/calendar";

/** Days a recording stays in the recycle bin (restorable) before its objects may be destroyed. */
export const RECYCLE_BIN_DAYS = 30;

export interface RetentionLock {
  version: 1;
  recordingId: string;
  /** Last day it must be kept; null = no end yet (never deletable). */
  retainUntil: string | null;
  /** Open legal holds (dispute ids), sorted, unique. */
  holds: string[];
  /** Day it went to the recycle bin. */
  recycledOn: string | null;
  /** Day its objects were destroyed (the lock stays as the record of it). */
  purgedOn: string | null;
  /** ISO instant of the last change. */
  updatedAt: string;
}

export type LockChange =
  /** Sets the date: raising (or to null) is always allowed; lowering only with no holds and not purged. */
  | { kind: "retain"; retainUntil: string | null }
  /** Adds a hold; also takes the recording out of the bin (opening a dispute restores a recycled recording). */
  | { kind: "hold"; disputeId: string }
  | { kind: "release"; disputeId: string }
  /** Only with no holds and past retainUntil; sets recycledOn = today (already recycled: keeps the first day). */
  | { kind: "recycle" }
  /** Takes it out of the bin; refused once purged. */
  | { kind: "restore" }
  /** Marks purgedOn = today; only when destroyRefusal(...) is null. */
  | { kind: "purge" };

export type LockRefusalReason =
  | "NO_LOCK"
  | "HELD"
  | "RETAINED"
  | "NO_END"
  | "NOT_RECYCLED"
  | "IN_BIN"
  | "PURGED"
  | "SHORTENS_HELD"
  | "OTHER_RECORDING";

/** The store refuses a lock change or a destruction the retention rules do not allow. */
export class RetentionLockedError extends Error {
  constructor(
    readonly recordingId: string,
    readonly reason: LockRefusalReason,
    readonly detail: string,
  ) {
    super(`recording ${recordingId} is retention-locked (${reason}): ${detail}`);
    this.name = "RetentionLockedError";
  }
}

// Calendar days: the domain's (integer arithmetic, no Date), re-exported for the store's callers.
export { addDays };

/** A real calendar day written `YYYY-MM-DD` (2030-02-30 and 2030-2-1 are not). */
export function isDay(day: unknown): day is string {
  return typeof day === "string" && parseDay(day) !== null;
}

function requireDay(day: unknown, what: string): string {
  if (!isDay(day)) throw new RangeError(`${what} is not a YYYY-MM-DD calendar day: ${JSON.stringify(day)}`);
  return day;
}

// ---------------------------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------------------------

/**
 * Why the objects of the recording under `lock` may not be destroyed on `today`, or null when they may: the lock
 * exists, has no hold, its retainUntil is set and passed, and it went to the bin (after its retention ended) more
 * than RECYCLE_BIN_DAYS days ago. A purged lock still satisfies all of it (a purged lock never changes), so
 * destroying again is allowed and finds nothing.
 */
export function destroyRefusal(
  lock: RetentionLock | null,
  today: string,
): { reason: LockRefusalReason; detail: string } | null {
  requireDay(today, "today");
  if (!lock) return { reason: "NO_LOCK", detail: "no retention lock: it is kept until one is set" };
  if (lock.holds.length) {
    return { reason: "HELD", detail: `under legal hold for dispute ${lock.holds.join(", ")}` };
  }
  if (lock.retainUntil === null) return { reason: "NO_END", detail: "no retention end date is set yet" };
  if (today <= lock.retainUntil) {
    return { reason: "RETAINED", detail: `retained until ${lock.retainUntil} inclusive (today is ${today})` };
  }
  if (lock.recycledOn === null) return { reason: "NOT_RECYCLED", detail: "not in the recycle bin" };
  if (lock.recycledOn <= lock.retainUntil) {
    // Only a lock written by hand can say this: recycling is refused until the retention has passed.
    return {
      reason: "NOT_RECYCLED",
      detail: `put in the recycle bin on ${lock.recycledOn}, before its retention ended on ${lock.retainUntil}`,
    };
  }
  const lastInBin = addDays(lock.recycledOn, RECYCLE_BIN_DAYS);
  if (today <= lastInBin) {
    return {
      reason: "IN_BIN",
      detail: `in the recycle bin since ${lock.recycledOn}: destroyable after ${lastInBin} (today is ${today})`,
    };
  }
  return null;
}

/**
 * The lock after `change` on `today` (`now` is its updatedAt), or throws RetentionLockedError when the rules refuse
 * it. A change that changes nothing (a hold already there, the same date, recycling a recycled recording, purging
 * a purged one) returns `lock` itself, so the caller need not write it. A missing lock is created by "retain" and
 * "hold" only; every other change of a missing lock is refused with NO_LOCK.
 */
export function applyLockChange(
  lock: RetentionLock | null,
  recordingId: string,
  change: LockChange,
  today: string,
  now: string,
): RetentionLock {
  requireDay(today, "today");
  if (typeof now !== "string" || Number.isNaN(Date.parse(now))) {
    throw new RangeError(`now is not an ISO instant: ${JSON.stringify(now)}`);
  }
  if (lock && lock.recordingId !== recordingId) {
    throw new RetentionLockedError(
      recordingId,
      "OTHER_RECORDING",
      `the lock given is recording ${lock.recordingId}'s`,
    );
  }
  const refuse = (reason: LockRefusalReason, detail: string): never => {
    throw new RetentionLockedError(recordingId, reason, detail);
  };
  const purged = (what: string): never =>
    refuse("PURGED", `cannot ${what}: its objects were destroyed on ${lock!.purgedOn}`);
  const changed = (next: Partial<RetentionLock>): RetentionLock => ({ ...lock!, ...next, updatedAt: now });

  switch (change.kind) {
    case "retain": {
      const to = change.retainUntil;
      if (to !== null) requireDay(to, "retainUntil");
      if (!lock) return fresh(recordingId, { retainUntil: to }, now);
      if (to === lock.retainUntil) return lock;
      // A purged lock is the record of the destruction: it never changes (a later date would say the objects
      // were destroyed before their retention ended).
      if (lock.purgedOn !== null) purged(`set its retention to ${to ?? "no end"}`);
      const lowering = to !== null && (lock.retainUntil === null || to < lock.retainUntil);
      if (lowering && lock.holds.length) {
        refuse(
          "SHORTENS_HELD",
          `cannot lower its retention from ${lock.retainUntil ?? "no end"} to ${to} while under legal hold ` +
            `for dispute ${lock.holds.join(", ")}`,
        );
      }
      // In the bin only after its retention ended: a date that has not passed by the day it was recycled
      // takes it out.
      const stillRecycled = lock.recycledOn !== null && to !== null && lock.recycledOn > to;
      return changed({ retainUntil: to, recycledOn: stillRecycled ? lock.recycledOn : null });
    }
    case "hold": {
      const id = requireDisputeId(change.disputeId);
      if (!lock) return fresh(recordingId, { holds: [id] }, now);
      if (lock.purgedOn !== null) purged(`hold it for dispute ${id}`);
      if (lock.holds.includes(id) && lock.recycledOn === null) return lock;
      const holds = [...new Set([...lock.holds, id])].sort();
      return changed({ holds, recycledOn: null });
    }
    case "release": {
      const id = requireDisputeId(change.disputeId);
      if (!lock) return refuse("NO_LOCK", `no retention lock to release dispute ${id} from`);
      if (!lock.holds.includes(id)) return lock;
      return changed({ holds: lock.holds.filter((h) => h !== id) });
    }
    case "recycle": {
      if (!lock) return refuse("NO_LOCK", "no retention lock: it cannot go to the recycle bin");
      if (lock.holds.length) refuse("HELD", `under legal hold for dispute ${lock.holds.join(", ")}`);
      if (lock.retainUntil === null) refuse("NO_END", "no retention end date is set yet");
      if (today <= lock.retainUntil!) {
        refuse("RETAINED", `retained until ${lock.retainUntil} inclusive (today is ${today})`);
      }
      if (lock.recycledOn !== null) return lock;
      return changed({ recycledOn: today });
    }
    case "restore": {
      if (!lock) return refuse("NO_LOCK", "no retention lock: nothing to restore");
      if (lock.purgedOn !== null) purged("restore it");
      if (lock.recycledOn === null) return lock;
      return changed({ recycledOn: null });
    }
    case "purge": {
      const refusal = destroyRefusal(lock, today);
      if (refusal) refuse(refusal.reason, refusal.detail);
      if (lock!.purgedOn !== null) return lock!;
      return changed({ purgedOn: today });
    }
    default:
      throw new TypeError(`unknown lock change: ${JSON.stringify(change)}`);
  }
}

function fresh(recordingId: string, fields: Partial<RetentionLock>, now: string): RetentionLock {
  return {
    version: 1,
    recordingId,
    retainUntil: null,
    holds: [],
    recycledOn: null,
    purgedOn: null,
    ...fields,
    updatedAt: now,
  };
}

function requireDisputeId(id: unknown): string {
  if (typeof id !== "string" || !id.trim() || id.length > 200) {
    throw new RangeError(`not a dispute id: ${JSON.stringify(id)}`);
  }
  return id;
}

// ---------------------------------------------------------------------------------------------------------------
// Stored form
// ---------------------------------------------------------------------------------------------------------------

/** The lock as stored (its fields in a fixed order). */
export function serializeLock(lock: RetentionLock): Buffer {
  const { version, recordingId, retainUntil, holds, recycledOn, purgedOn, updatedAt } = lock;
  return Buffer.from(
    `${JSON.stringify({ version, recordingId, retainUntil, holds, recycledOn, purgedOn, updatedAt }, null, 2)}\n`,
  );
}

/**
 * A stored lock, checked: anything that is not a well-formed lock of `recordingId` throws, so that a damaged or
 * misplaced lock file refuses every change and every destruction rather than being read as "no lock".
 */
export function parseLock(bytes: Buffer, recordingId: string): RetentionLock {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    throw new Error(`the retention lock of ${recordingId} is not JSON: ${(err as Error).message}`);
  }
  const bad = (why: string): never => {
    throw new Error(`the retention lock of ${recordingId} is damaged: ${why}`);
  };
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) bad("not an object");
  const lock = doc as Record<string, unknown>;
  if (lock.version !== 1) bad(`version ${JSON.stringify(lock.version)}`);
  if (lock.recordingId !== recordingId) bad(`it names recording ${JSON.stringify(lock.recordingId)}`);
  for (const field of ["retainUntil", "recycledOn", "purgedOn"] as const) {
    if (lock[field] !== null && !isDay(lock[field])) bad(`${field} ${JSON.stringify(lock[field])}`);
  }
  const holds = lock.holds;
  if (
    !Array.isArray(holds) ||
    holds.some((h, i) => typeof h !== "string" || !h || (i > 0 && holds[i - 1] >= h))
  ) {
    bad("holds are not sorted, unique dispute ids");
  }
  if (typeof lock.updatedAt !== "string" || Number.isNaN(Date.parse(lock.updatedAt))) bad("updatedAt");
  return {
    version: 1,
    recordingId,
    retainUntil: lock.retainUntil as string | null,
    holds: [...(holds as string[])],
    recycledOn: lock.recycledOn as string | null,
    purgedOn: lock.purgedOn as string | null,
    updatedAt: lock.updatedAt as string,
  };
}
