/**
 * Archive at idle time (ARCHITECTURE §2, "Upload"): once a purchase is bound to a recording, both replicas of the
 * recording are re-verified (and repaired from the good copy) by the evidence scrubber, and the recording is marked
 * archived. The work waits while the node is busy, retries with backoff, and is kept in the database
 * (`recording_archives`), so that it resumes after a restart.
 */
import { LessThanOrEqual } from "typeorm";
import type { Database } from "../../db/database";
import { RecordingArchiveEntity, type RecordingArchiveRow } from "../../db/entities";
import type { LoadReading } from "./load";
import { repeat, type Repeating } from "../repeat";

/** One try's outcome: verified (archived), not verifiable now (retried), or no longer archivable (skipped). */
export type VerifyOutcome = { ok: true } | { ok: false; retry: boolean; error: string };

export interface ArchiveQueue {
  /** Due items, oldest first. */
  due(now: Date, limit: number): Promise<RecordingArchiveRow[]>;
  /** Takes an item for `until` (another node skips it meanwhile); false when someone else took it. */
  claim(item: RecordingArchiveRow, until: Date): Promise<boolean>;
  archived(item: RecordingArchiveRow, now: Date): Promise<void>;
  retry(item: RecordingArchiveRow, next: Date, error: string): Promise<void>;
  skip(item: RecordingArchiveRow, error: string): Promise<void>;
}

export interface ArchiverDeps {
  queue: ArchiveQueue;
  verify(recordingId: string): Promise<VerifyOutcome>;
  load(): LoadReading;
  now(): Date;
  log(level: "debug" | "info" | "warn", message: string, facts?: object): void;
  /** An item waiting longer than this since it was requested runs even on a busy node: idle time may never come. */
  maxDeferMs?: number;
}

export interface ArchivePass {
  archived: number;
  retried: number;
  skipped: number;
  /** Items left for later because the node was (or became) busy. */
  deferred: boolean;
}

/** 10 s, 20 s, 40 s … at most an hour between tries of one recording. */
export function archiveBackoffMs(attempts: number): number {
  return Math.min(10_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
}

/** How long a claimed item is left alone by other nodes. */
const CLAIM_MS = 5 * 60_000;
/** Items looked at per pass; the node is re-checked for load before each. */
const PER_PASS = 10;

export class Archiver {
  private repeating: Repeating | null = null;

  constructor(private readonly deps: ArchiverDeps) {}

  /** One pass: while the node is idle, archives due items one by one. */
  async pass(): Promise<ArchivePass> {
    const result: ArchivePass = { archived: 0, retried: 0, skipped: 0, deferred: false };
    const { deps } = this;
    const items = await deps.queue.due(deps.now(), PER_PASS);
    for (const item of items) {
      const load = deps.load();
      const waited = deps.now().getTime() - Date.parse(item.requestedAt);
      const overdue = deps.maxDeferMs !== undefined && waited >= deps.maxDeferMs;
      if (load.busy && !overdue) {
        deps.log("debug", "archive deferred: the node is busy", load);
        result.deferred = true;
        break;
      }
      const now = deps.now();
      if (!(await deps.queue.claim(item, new Date(now.getTime() + CLAIM_MS)))) continue;
      let outcome: VerifyOutcome;
      try {
        outcome = await deps.verify(item.recordingId);
      } catch (err) {
        outcome = { ok: false, retry: true, error: (err as Error).message };
      }
      if (outcome.ok) {
        await deps.queue.archived(item, deps.now());
        deps.log("info", "recording archived", { recordingId: item.recordingId });
        result.archived++;
      } else if (outcome.retry) {
        const next = new Date(deps.now().getTime() + archiveBackoffMs(item.attempts + 1));
        await deps.queue.retry(item, next, outcome.error);
        deps.log("warn", "archive failed; retried later", {
          recordingId: item.recordingId,
          next: next.toISOString(),
          error: outcome.error,
        });
        result.retried++;
      } else {
        await deps.queue.skip(item, outcome.error);
        deps.log("info", "archive skipped", { recordingId: item.recordingId, error: outcome.error });
        result.skipped++;
      }
    }
    return result;
  }

  /** Runs a pass every `intervalMs` (never two at once), and one now. */
  start(intervalMs: number): void {
    this.repeating = repeat(intervalMs, () =>
      this.pass().catch((err) =>
        this.deps.log("warn", "archive pass failed", { error: (err as Error).message }),
      ),
    );
  }

  async stop(): Promise<void> {
    await this.repeating?.stop();
    this.repeating = null;
  }
}

/** The queue in `recording_archives`; a claim moves the item's next try forward, conditionally. */
export function databaseArchiveQueue(db: Database): ArchiveQueue {
  const repo = () => db.manager.getRepository(RecordingArchiveEntity);
  const write = (criteria: Partial<RecordingArchiveRow>, changes: Partial<RecordingArchiveRow>) =>
    db.transaction((m) =>
      m.getRepository(RecordingArchiveEntity).update(criteria as never, changes as never),
    );
  return {
    due: (now, limit) =>
      repo().find({
        where: { state: "pending", nextAttemptAt: LessThanOrEqual(now.toISOString()) },
        order: { nextAttemptAt: "ASC" },
        take: limit,
      }),
    async claim(item, until) {
      const result = await write(
        { recordingId: item.recordingId, state: "pending", nextAttemptAt: item.nextAttemptAt },
        { nextAttemptAt: until.toISOString() },
      );
      return result.affected === 1;
    },
    async archived(item, now) {
      await write(
        { recordingId: item.recordingId },
        { state: "archived", archivedAt: now.toISOString(), attempts: item.attempts + 1, lastError: null },
      );
    },
    async retry(item, next, error) {
      await write(
        { recordingId: item.recordingId },
        { attempts: item.attempts + 1, nextAttemptAt: next.toISOString(), lastError: error.slice(0, 500) },
      );
    },
    async skip(item, error) {
      await write(
        { recordingId: item.recordingId },
        { state: "skipped", attempts: item.attempts + 1, lastError: error.slice(0, 500) },
      );
    },
  };
}
