/**
 * The plugin outbox: calls the hub owes a bank system (today `crm.pushActivity`), written in the same transaction as
 * what causes them and delivered afterwards, so that a crash, a restart or the system being down loses none.
 *
 * A pass every HUB_PLUGIN_OUTBOX_INTERVAL seconds takes due rows of the capabilities this node's plugins provide.
 * Each row is leased first (`claimed_until`, `claimed_by`, conditionally), so that the nodes of a cluster never
 * deliver one row at once; a node that dies mid-call leaves a lease that runs out. Then:
 * - answered: `delivered`, with the answer; kept DELIVERED_KEEP_DAYS as the record that it was delivered;
 * - unreachable (unavailable, timeout, open circuit): tried again after a capped exponential backoff, for as long
 *   as it takes; the rest of that capability waits for the next pass (the system is down);
 * - refused (a fault, a plugin error): tried again the same way, and `failed` after MAX_FAULTS refusals — kept with
 *   its last error for an operator (docs/operations.md), never deleted;
 * - a request the plugin host finds invalid: `failed` at once (the same request is refused the same way).
 * The system must treat a repeated call as a duplicate (the CRM is idempotent on activityId): a lease that ran out
 * during a slow answer may deliver a row twice.
 */
import crypto from "node:crypto";
import { IsNull, LessThan, LessThanOrEqual, Or, type EntityManager } from "typeorm";
import type { CapabilityName, PluginHost } from "../../../plugins/sdk";
import type { Database } from "../../db/database";
import { PluginOutboxEntity, type PluginOutboxRow } from "../../db/entities";
import { repeat, type Repeating } from "../repeat";

/** Capabilities delivered through the outbox. */
export const OUTBOX_CAPABILITIES: readonly CapabilityName[] = ["crm.pushActivity"];

/** A lease outlives one call (the CRM's 10 s timeout, retried once) with room to spare. */
export const LEASE_MS = 2 * 60_000;
/** Refusals after which a row is left as failed for an operator. */
export const MAX_FAULTS = 5;
/** Delivered rows are kept this long (what was pushed when, and the system's answer), then deleted. */
export const DELIVERED_KEEP_DAYS = 30;
const BACKOFF_FIRST_MS = 5_000;
const BACKOFF_MAX_MS = 10 * 60_000;
const BATCH = 50;
const PURGE_EVERY_MS = 3600_000;
const DAY_MS = 86_400_000;

/** Codes of a system that could not be reached: waited for, never counted against the row. */
const UNREACHABLE = new Set(["HUB_LEGACY_UNAVAILABLE", "HUB_LEGACY_TIMEOUT", "HUB_LEGACY_CIRCUIT_OPEN"]);

/** The wait before try `attempts + 1`: 5 s, 10 s, 20 s … at most 10 minutes. */
export function retryBackoffMs(attempts: number): number {
  return Math.min(BACKOFF_FIRST_MS * 2 ** Math.max(0, attempts - 1), BACKOFF_MAX_MS);
}

const codeOf = (err: unknown): string | null => {
  const type = (err as { type?: unknown } | null)?.type;
  return typeof type === "string" ? type : null;
};

function errorText(err: unknown): string {
  const code = codeOf(err);
  const message = (err as Error | null)?.message ?? String(err);
  return (code && !message.startsWith(code) ? `${code}: ${message}` : message).slice(0, 500);
}

/** What a failed call leaves in its row: tried again later, or failed for good. */
export interface AfterFailure {
  state: "pending" | "failed";
  attempts: number;
  faults: number;
  nextAttemptAt: string;
  lastError: string;
  /** The system could not be reached: the pass stops asking it. */
  unreachable: boolean;
}

export function afterFailure(
  row: Pick<PluginOutboxRow, "attempts" | "faults">,
  err: unknown,
  now: Date,
): AfterFailure {
  const attempts = row.attempts + 1;
  const code = codeOf(err);
  const unreachable = code !== null && UNREACHABLE.has(code);
  const faults = unreachable ? row.faults : row.faults + 1;
  const failed = code === "HUB_VALIDATION_FAILED" || faults >= MAX_FAULTS;
  return {
    state: failed ? "failed" : "pending",
    attempts,
    faults,
    nextAttemptAt: new Date(now.getTime() + retryBackoffMs(attempts)).toISOString(),
    lastError: errorText(err),
    unreachable,
  };
}

export interface PluginCall {
  capability: CapabilityName;
  /** Makes a second enqueue of the same call a no-op. */
  dedupeKey: string;
  payload: unknown;
  /** Not delivered before this (default: at once). */
  notBefore?: Date;
}

/**
 * Adds a call to the outbox inside the caller's transaction (so it is committed with what causes it, or not at all).
 * Returns false when the same call (capability and dedupe key) is there already.
 */
export async function enqueuePluginCall(m: EntityManager, call: PluginCall, now: Date): Promise<boolean> {
  const repo = m.getRepository(PluginOutboxEntity);
  // Looked up first: a failed insert would abort the caller's whole transaction on PostgreSQL.
  if (await repo.existsBy({ capability: call.capability, dedupeKey: call.dedupeKey })) return false;
  await repo.insert({
    id: crypto.randomBytes(16).toString("hex"),
    capability: call.capability,
    dedupeKey: call.dedupeKey,
    payload: JSON.stringify(call.payload),
    state: "pending",
    attempts: 0,
    faults: 0,
    nextAttemptAt: (call.notBefore ?? now).toISOString(),
    claimedUntil: null,
    claimedBy: null,
    lastError: null,
    createdAt: now.toISOString(),
    deliveredAt: null,
    result: null,
  });
  return true;
}

/** A call held back (`notBefore`) may go now, unless it was tried already (inside the caller's transaction). */
export async function releasePluginCall(
  m: EntityManager,
  capability: CapabilityName,
  dedupeKey: string,
  now: Date,
): Promise<void> {
  await m
    .getRepository(PluginOutboxEntity)
    .update({ capability, dedupeKey, state: "pending", attempts: 0 }, { nextAttemptAt: now.toISOString() });
}

/** What caused a call was undone before it was delivered: the call goes too (inside the caller's transaction). */
export async function withdrawPluginCall(
  m: EntityManager,
  capability: CapabilityName,
  dedupeKey: string,
): Promise<void> {
  await m.getRepository(PluginOutboxEntity).delete({ capability, dedupeKey, state: "pending" });
}

export interface PluginOutboxStatus {
  pending: number;
  failed: number;
  /** Delivered and still kept (DELIVERED_KEEP_DAYS). */
  delivered: number;
  /** When the oldest call still to deliver was written, and how long ago. */
  oldestPendingAt: string | null;
  oldestPendingAgeSeconds: number | null;
}

/** Counts for operators (GET /api/v1/plugins): what waits, what failed for good, and how old the oldest wait is. */
export async function pluginOutboxStatus(db: Database, now: Date = new Date()): Promise<PluginOutboxStatus> {
  const counts = await db.query<{ state: string; n: number | string }>(
    db.manager,
    'SELECT "state", COUNT(*) AS "n" FROM "plugin_outbox" GROUP BY "state"',
  );
  const count = (state: string) => Number(counts.find((c) => c.state === state)?.n ?? 0);
  const [oldest] = await db.query<{ at: string | null }>(
    db.manager,
    'SELECT MIN("created_at") AS "at" FROM "plugin_outbox" WHERE "state" = \'pending\'',
  );
  const at = oldest?.at ?? null;
  return {
    pending: count("pending"),
    failed: count("failed"),
    delivered: count("delivered"),
    oldestPendingAt: at,
    oldestPendingAgeSeconds:
      at === null ? null : Math.max(0, Math.floor((now.getTime() - Date.parse(at)) / 1000)),
  };
}

export interface PluginOutboxDeps {
  db: Database;
  plugins: Pick<PluginHost, "has" | "call">;
  now(): Date;
  log(level: "debug" | "info" | "warn" | "error", message: string, facts?: object): void;
}

export interface PluginOutboxPass {
  delivered: number;
  retried: number;
  failed: number;
  /** Rows another node had leased first, or took over after this node's lease ran out. */
  skipped: number;
  purged: number;
}

export class PluginOutboxWorker {
  private repeating: Repeating | null = null;
  private lastPurge = 0;

  constructor(private readonly deps: PluginOutboxDeps) {}

  private write(criteria: object, changes: Partial<PluginOutboxRow>) {
    return this.deps.db.transaction((m) =>
      m.getRepository(PluginOutboxEntity).update(criteria as never, changes as never),
    );
  }

  /** Due rows of one capability that no live lease holds. */
  private due(capability: CapabilityName, now: Date): Promise<PluginOutboxRow[]> {
    const at = now.toISOString();
    return this.deps.db.manager.getRepository(PluginOutboxEntity).find({
      where: {
        capability,
        state: "pending",
        nextAttemptAt: LessThanOrEqual(at),
        claimedUntil: Or(IsNull(), LessThanOrEqual(at)),
      },
      order: { nextAttemptAt: "ASC", createdAt: "ASC" },
      take: BATCH,
    });
  }

  /** Leases a row, if still due and no other node leased it since it was read. */
  private async claim(row: PluginOutboxRow, token: string, now: Date): Promise<boolean> {
    const at = now.toISOString();
    const result = await this.write(
      {
        id: row.id,
        state: "pending",
        nextAttemptAt: row.nextAttemptAt,
        claimedUntil: Or(IsNull(), LessThanOrEqual(at)),
      },
      { claimedUntil: new Date(now.getTime() + LEASE_MS).toISOString(), claimedBy: token },
    );
    return result.affected === 1;
  }

  /** Delivers one row; false when the system could not be reached. */
  private async deliver(row: PluginOutboxRow, result: PluginOutboxPass): Promise<boolean> {
    const { plugins, now, log } = this.deps;
    const token = crypto.randomBytes(16).toString("hex");
    if (!(await this.claim(row, token, now()))) {
      result.skipped++;
      return true;
    }
    const facts = { id: row.id, capability: row.capability, key: row.dedupeKey };
    try {
      const answer = await plugins.call(row.capability as CapabilityName, JSON.parse(row.payload) as never);
      const written = await this.write(
        { id: row.id, claimedBy: token },
        {
          state: "delivered",
          attempts: row.attempts + 1,
          deliveredAt: now().toISOString(),
          result: JSON.stringify(answer),
          lastError: null,
          claimedUntil: null,
          claimedBy: null,
        },
      );
      if (written.affected === 1) {
        result.delivered++;
        log("debug", "plugin call delivered", { ...facts, answer });
      } else {
        // The lease ran out during the call and another node took the row over: its outcome stands.
        result.skipped++;
        log(
          "warn",
          "plugin call answered after its lease ran out; left to the node that took it over",
          facts,
        );
      }
      return true;
    } catch (err) {
      const next = afterFailure(row, err, now());
      const written = await this.write(
        { id: row.id, claimedBy: token },
        {
          state: next.state,
          attempts: next.attempts,
          faults: next.faults,
          nextAttemptAt: next.nextAttemptAt,
          lastError: next.lastError,
          claimedUntil: null,
          claimedBy: null,
        },
      );
      if (written.affected !== 1) {
        result.skipped++;
      } else if (next.state === "failed") {
        result.failed++;
        log("error", "plugin call failed for good; kept for an operator", {
          ...facts,
          error: next.lastError,
        });
      } else {
        result.retried++;
        log("warn", "plugin call not delivered; tried again later", {
          ...facts,
          next: next.nextAttemptAt,
          error: next.lastError,
        });
      }
      return !next.unreachable;
    }
  }

  /** Delivered rows past their keeping time, at most once an hour. */
  private async purge(now: Date): Promise<number> {
    if (now.getTime() - this.lastPurge < PURGE_EVERY_MS) return 0;
    this.lastPurge = now.getTime();
    const before = new Date(now.getTime() - DELIVERED_KEEP_DAYS * DAY_MS).toISOString();
    const result = await this.deps.db.transaction((m) =>
      m.getRepository(PluginOutboxEntity).delete({ state: "delivered", deliveredAt: LessThan(before) }),
    );
    return result.affected ?? 0;
  }

  async pass(): Promise<PluginOutboxPass> {
    const result: PluginOutboxPass = { delivered: 0, retried: 0, failed: 0, skipped: 0, purged: 0 };
    // Only what this node's plugins provide: rows of another capability wait for a node (or a restart) that has it.
    for (const capability of OUTBOX_CAPABILITIES.filter((c) => this.deps.plugins.has(c))) {
      let reachable = true;
      while (reachable) {
        const rows = await this.due(capability, this.deps.now());
        for (const row of rows) {
          reachable = await this.deliver(row, result);
          if (!reachable) break;
        }
        if (rows.length < BATCH) break;
      }
    }
    result.purged = await this.purge(this.deps.now());
    return result;
  }

  /** A pass every `intervalMs` (never two at once), the first one now. */
  start(intervalMs: number): void {
    this.repeating = repeat(intervalMs, () =>
      this.pass()
        .then((r) => {
          if (r.delivered || r.retried || r.failed || r.purged)
            this.deps.log("debug", "plugin outbox pass", r);
        })
        .catch((err) =>
          this.deps.log("error", "plugin outbox pass failed; tried again next pass", { error: String(err) }),
        ),
    );
  }

  async stop(): Promise<void> {
    await this.repeating?.stop();
    this.repeating = null;
  }
}
