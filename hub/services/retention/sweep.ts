import crypto from "node:crypto";
import type { EntityManager } from "typeorm";
import type { Database } from "../../db/database";
import { RetentionPolicyEntity } from "../../db/entities";
import type { ChainEntry, EntryDraft, JsonValue } from "../../domain/audit-chain";
import { isProductType, type ProductType } from "../../domain/recording-required";
import {
  computeRetention,
  isDeletable,
  type DisputeFact,
  type Retention,
  type RetentionRule,
} from "../../domain/retention";
import { defaultPolicyFor, type RetentionPolicy } from "../../domain/retention-policy";
import { addDays, RECYCLE_BIN_DAYS, RetentionLockedError } from "../../storage/retention-lock";
import type { EvidenceStore } from "../../storage";

/*
 * The retention sweep (docs/retention.md). Sales and what belongs to them (relatedTo: follow-up calls, CCTV,
 * scans, supplements) form a group that shares one retention, computed from the sale. A pass walks the groups by
 * the sale's id in batches and, for each:
 *   1. recomputes its retention from the product, the purchase day, the first full redemption after it and its
 *      disputes (hub/domain/retention.ts), and writes it only if it changed;
 *   2. brings the evidence store's retention lock of each recording in step (the store refuses any deletion its
 *      own lock does not allow, whoever asks);
 *   3. moves a group past its retention to the recycle bin, or back out when it is no longer past it;
 *   4. purges a group that has been in the bin more than 30 days: the store destroys its objects on both
 *      replicas, and a tombstone goes into the audit chain in the same transaction that destroys the data key.
 * Every step is idempotent: a second pass over the same day finds nothing to do. A crash between steps leaves
 * the next pass to finish them.
 */

export type RetentionStore = Pick<
  EvidenceStore,
  "updateRetentionLock" | "retentionLock" | "destroyRecording"
>;

export interface SweepDeps {
  db: Database;
  store: RetentionStore;
  /** Appends chain entries; `alongside` runs in the same transaction (tombstone + key destruction). */
  append(
    drafts: EntryDraft[],
    alongside?: (manager: EntityManager, entries: readonly ChainEntry[]) => Promise<void>,
  ): Promise<ChainEntry[]>;
  now: () => Date;
}

export interface SweepScope {
  /** Only these sales' groups (a dispute, a redemption). */
  rootIds?: readonly string[];
  productCode?: string;
  productType?: ProductType;
  customerNo?: string;
}

export interface SweepOptions {
  /** The day the sweep acts as of (YYYY-MM-DD). */
  asOf: string;
  /** "full": recompute, lock, recycle, purge; "recompute": only the first two (after a change of facts). */
  mode?: "full" | "recompute";
  scope?: SweepScope;
  batchSize?: number;
  onProgress?: (progress: SweepProgress) => void;
}

export interface SweepProgress {
  examined: number;
  recomputed: number;
}

export interface SweepRefusal {
  recordingId: string;
  step: "lock" | "recycle" | "restore" | "purge";
  reason: string;
  detail: string;
}

export interface SweepResult {
  asOf: string;
  /** Sales (groups) looked at. */
  examined: number;
  /** Groups whose retention changed. */
  recomputed: number;
  /** Recordings whose store lock was written. */
  locked: number;
  recycled: number;
  restored: number;
  purged: number;
  refused: SweepRefusal[];
  ms: number;
}

interface GroupRow {
  id: string;
  status: string;
  kind: string;
  customer_no: string;
  product_code: string;
  org_code: string;
  purchase_date: string | null;
  retain_until: string | null;
  retention_rule: string | null;
  lock_synced: string | null;
  recycled_on: string | null;
  restored_on: string | null;
  type: string | null;
  maturity_date: string | null;
  term_months: number | string | null;
  redeemed_on: string | null;
  disputes: number | string;
}

interface Member {
  id: string;
  status: string;
  lockSynced: string | null;
  wrappedKey: string;
  manifest: string | null;
  manifestSeq: number | null;
  objects: { name: string; objectId: string; storedSize: number | null; storedSha256: string | null }[];
}

/** What the store lock is told for a retention: the day, or "none" for no end yet. */
export const lockToken = (retainUntil: string | null): string => retainUntil ?? "none";

/** Stored in place of a destroyed data key. */
export const DESTROYED_KEY = "destroyed";

// Identifiers quoted: TypeORM creates them quoted and lower-case, which Oracle then takes literally.
const GROUP_COLUMNS = `r."id", r."status", r."kind", r."customer_no", r."product_code", r."org_code", r."purchase_date",
  r."retain_until", r."retention_rule", r."lock_synced", r."recycled_on", r."restored_on",
  p."type", p."maturity_date", p."term_months",
  (SELECT MIN(x."redeemed_on") FROM "redemptions" x WHERE x."customer_no" = r."customer_no"
     AND x."product_code" = r."product_code" AND x."full_redemption" = ? AND x."redeemed_on" >= r."purchase_date") AS "redeemed_on",
  (SELECT COUNT(*) FROM "disputes" d WHERE d."recording_id" = r."id")
  + (SELECT COUNT(*) FROM "disputes" d WHERE d."scope" = 'holding' AND d."customer_no" = r."customer_no"
     AND d."product_code" = r."product_code") AS "disputes"`;

/** The policies of every product type, head office's where set. */
export async function loadPolicies(db: Database): Promise<Map<ProductType, RetentionPolicy>> {
  const rows = await db.manager.getRepository(RetentionPolicyEntity).find();
  const policies = new Map<ProductType, RetentionPolicy>();
  for (const row of rows)
    if (isProductType(row.productType))
      policies.set(row.productType, { ...defaultPolicyFor(row.productType), ...JSON.parse(row.parameters) });
  return policies;
}

/** The disputes of the given sales: on their group, or on every recording of their customer and product. */
async function loadDisputes(
  db: Database,
  groups: readonly GroupRow[],
): Promise<Map<string, DisputeFact[] & { ids?: string[] }>> {
  const out = new Map<string, DisputeFact[] & { ids?: string[] }>();
  if (!groups.length) return out;
  const marks = groups.map(() => "?").join(", ");
  const rows = await db.query<{
    id: string;
    scope: string;
    recording_id: string | null;
    customer_no: string;
    product_code: string;
    status: string;
    opened_on: string;
    closed_on: string | null;
  }>(
    db.manager,
    `SELECT d."id", d."scope", d."recording_id", d."customer_no", d."product_code", d."status", d."opened_on", d."closed_on"
       FROM "disputes" d
      WHERE d."recording_id" IN (${marks}) OR (d."scope" = 'holding' AND d."customer_no" IN (${marks}))`,
    [...groups.map((g) => g.id), ...groups.map((g) => g.customer_no)],
  );
  for (const g of groups) {
    const mine = rows.filter(
      (d) =>
        d.recording_id === g.id ||
        (d.scope === "holding" && d.customer_no === g.customer_no && d.product_code === g.product_code),
    );
    const facts = mine.map((d) => ({ openedAt: d.opened_on, closedAt: d.closed_on })) as DisputeFact[] & {
      ids?: string[];
    };
    facts.ids = mine.filter((d) => d.status === "open").map((d) => d.id);
    out.set(g.id, facts);
  }
  return out;
}

/** The retention of one group from its row (and disputes, when it has any). */
export function retentionOf(
  g: GroupRow,
  disputes: readonly DisputeFact[],
  policies: ReadonlyMap<ProductType, RetentionPolicy>,
): Retention {
  const type = g.type;
  if (!type || !isProductType(type) || !g.purchase_date) {
    return {
      retainUntil: null,
      rule: "INCOMPLETE_PRODUCT",
      explanation: !type
        ? `产品${g.product_code}不在产品目录中，无法计算保存期限，暂不删除`
        : "缺少购买日期，无法计算保存期限，暂不删除",
    };
  }
  try {
    return computeRetention(
      {
        product: {
          type,
          maturityDate: g.maturity_date,
          termMonths: g.term_months === null ? null : Number(g.term_months),
        },
        purchaseDate: g.purchase_date,
        fullRedemptionDate: g.redeemed_on,
        disputes,
        previousRetainUntil: g.retain_until,
      },
      policies.get(type) ?? defaultPolicyFor(type),
    );
  } catch (err) {
    // Facts that contradict each other (a maturity before the purchase): kept until someone corrects them.
    return {
      retainUntil: null,
      rule: "INCOMPLETE_PRODUCT",
      explanation: `产品或购买信息有误（${(err as Error).message}），无法计算保存期限，暂不删除`,
    };
  }
}

async function loadMembers(db: Database, rootId: string): Promise<Member[]> {
  const rows = await db.query<Record<string, string | number | null>>(
    db.manager,
    `SELECT "id", "status", "lock_synced", "wrapped_key", "manifest", "manifest_seq",
            "original_object", "stored_size", "stored_sha256",
            "canonical_object", "canonical_stored_size", "canonical_stored_sha256",
            "poster_object", "poster_stored_size", "poster_stored_sha256"
       FROM "recordings" WHERE ("id" = ? OR "related_to" = ?) AND "status" IN ('submitted', 'recycled', 'purged')
      ORDER BY "id"`,
    [rootId, rootId],
  );
  const num = (v: string | number | null) => (v === null ? null : Number(v));
  return rows.map((r) => ({
    id: r.id as string,
    status: r.status as string,
    lockSynced: r.lock_synced as string | null,
    wrappedKey: r.wrapped_key as string,
    manifest: r.manifest as string | null,
    manifestSeq: num(r.manifest_seq),
    objects: (["original", "canonical", "poster"] as const)
      .filter((name) => r[`${name}_object`])
      .map((name) => ({
        name,
        objectId: r[`${name}_object`] as string,
        storedSize: num(r[name === "original" ? "stored_size" : `${name}_stored_size`]),
        storedSha256: r[name === "original" ? "stored_sha256" : `${name}_stored_sha256`] as string | null,
      })),
  }));
}

/**
 * Brings one recording's store lock to `retainUntil` with exactly `holds` open: holds first (so that a release
 * never meets a lowered date it would have forbidden), then the date.
 */
async function syncLock(
  store: RetentionStore,
  recordingId: string,
  retainUntil: string | null,
  holds: readonly string[],
): Promise<number> {
  const locks = Object.values(await store.retentionLock(recordingId));
  const current = new Set(locks.flatMap((l) => l?.holds ?? []));
  let writes = 0;
  const write = async (change: Parameters<RetentionStore["updateRetentionLock"]>[1]) => {
    await store.updateRetentionLock(recordingId, change);
    writes++;
  };
  for (const id of holds)
    if (!locks.every((l) => l?.holds.includes(id))) await write({ kind: "hold", disputeId: id });
  for (const id of current) if (!holds.includes(id)) await write({ kind: "release", disputeId: id });
  if (locks.some((l) => !l || l.retainUntil !== retainUntil)) await write({ kind: "retain", retainUntil });
  return writes;
}

const refusalOf = (err: unknown, recordingId: string, step: SweepRefusal["step"]): SweepRefusal => ({
  recordingId,
  step,
  reason: err instanceof RetentionLockedError ? err.reason : ((err as { code?: string })?.code ?? "ERROR"),
  detail: (err as Error)?.message ?? String(err),
});

/** One pass; see the comment at the top. */
export async function sweepRetention(deps: SweepDeps, options: SweepOptions): Promise<SweepResult> {
  const started = Date.now();
  const { db } = deps;
  const mode = options.mode ?? "full";
  const batchSize = options.batchSize ?? 5000;
  const asOf = options.asOf;
  const policies = await loadPolicies(db);
  const result: SweepResult = {
    asOf,
    examined: 0,
    recomputed: 0,
    locked: 0,
    recycled: 0,
    restored: 0,
    purged: 0,
    refused: [],
    ms: 0,
  };

  const where: string[] = [`r."related_to" IS NULL`, `r."status" IN ('submitted', 'recycled')`, `r."id" > ?`];
  const params: unknown[] = [];
  const scope = options.scope ?? {};
  const filter = (clause: string, value: unknown) => {
    where.push(clause);
    params.push(value);
  };
  if (scope.productCode) filter(`r."product_code" = ?`, scope.productCode);
  if (scope.customerNo) filter(`r."customer_no" = ?`, scope.customerNo);
  if (scope.productType) filter(`p."type" = ?`, scope.productType);
  if (scope.rootIds) {
    if (!scope.rootIds.length) return { ...result, ms: Date.now() - started };
    where.push(`r."id" IN (${scope.rootIds.map(() => "?").join(", ")})`);
    params.push(...scope.rootIds);
  }
  const select = `SELECT ${GROUP_COLUMNS} FROM "recordings" r LEFT JOIN "products" p ON p."code" = r."product_code"
    WHERE ${where.join(" AND ")} ORDER BY r."id" LIMIT ${batchSize}`;
  const fullTrue = db.type === "postgres" ? true : 1;

  let after = "";
  for (;;) {
    const groups = await db.query<GroupRow & Record<string, unknown>>(db.manager, select, [
      fullTrue,
      after,
      ...params,
    ]);
    if (!groups.length) break;
    after = groups[groups.length - 1].id;
    result.examined += groups.length;
    const disputes = await loadDisputes(
      db,
      groups.filter((g) => Number(g.disputes) > 0),
    );

    const changed: { id: string; retention: Retention }[] = [];
    const work: { g: GroupRow; retention: Retention; holds: string[] }[] = [];
    for (const g of groups) {
      const facts = disputes.get(g.id) ?? [];
      const retention = retentionOf(g, facts, policies);
      if (retention.retainUntil !== g.retain_until || retention.rule !== g.retention_rule)
        changed.push({ id: g.id, retention });
      const holds = disputes.get(g.id)?.ids ?? [];
      const needsLock = g.lock_synced !== lockToken(retention.retainUntil) || holds.length > 0;
      const deletable = isDeletable(retention, asOf);
      const recycle = mode === "full" && g.status === "submitted" && deletable && !recentlyRestored(g, asOf);
      const restore = g.status === "recycled" && !deletable;
      const purge =
        mode === "full" &&
        g.status === "recycled" &&
        deletable &&
        g.recycled_on !== null &&
        asOf > addDays(g.recycled_on, RECYCLE_BIN_DAYS);
      if (needsLock || recycle || restore || purge) work.push({ g, retention, holds });
    }

    if (changed.length) {
      await db.transaction(async (m) => {
        for (const c of changed)
          await db.query(
            m,
            `UPDATE "recordings" SET "retain_until" = ?, "retention_rule" = ? WHERE ("id" = ? OR "related_to" = ?) AND "status" IN ('submitted', 'recycled')`,
            [c.retention.retainUntil, c.retention.rule, c.id, c.id],
          );
      });
      result.recomputed += changed.length;
    }

    for (const item of work) await actOnGroup(deps, item, asOf, mode, result);
    options.onProgress?.({ examined: result.examined, recomputed: result.recomputed });
  }
  if (result.purged && db.type === "sqlite") {
    // Destroyed keys are zeroed in the file (secure_delete); the write-ahead log still holds the old pages.
    await db.manager.query("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  result.ms = Date.now() - started;
  return result;
}

/** A recording restored from the bin stays out of it for 30 days, to correct its facts or open a dispute. */
function recentlyRestored(g: GroupRow, asOf: string): boolean {
  return g.restored_on !== null && asOf <= addDays(g.restored_on, RECYCLE_BIN_DAYS);
}

async function actOnGroup(
  deps: SweepDeps,
  item: { g: GroupRow; retention: Retention; holds: string[] },
  asOf: string,
  mode: "full" | "recompute",
  result: SweepResult,
): Promise<void> {
  const { db, store } = deps;
  const { g, retention, holds } = item;
  const members = await loadMembers(db, g.id);
  const token = lockToken(retention.retainUntil);

  // 2. The store's locks.
  for (const member of members) {
    if (member.status === "purged") continue;
    if (member.lockSynced === token && !holds.length) continue;
    try {
      const writes = await syncLock(store, member.id, retention.retainUntil, holds);
      if (member.lockSynced !== token) {
        await db.query(db.manager, `UPDATE "recordings" SET "lock_synced" = ? WHERE "id" = ?`, [
          token,
          member.id,
        ]);
        member.lockSynced = token;
      } else if (!writes) continue;
      result.locked++;
    } catch (err) {
      result.refused.push(refusalOf(err, member.id, "lock"));
      return; // nothing further for a group whose locks are not in step
    }
  }

  const deletable = isDeletable(retention, asOf);
  const details = (extra: Record<string, JsonValue> = {}): JsonValue => ({
    retainUntil: retention.retainUntil,
    rule: retention.rule,
    explanation: retention.explanation,
    asOf,
    members: members.map((m) => m.id),
    ...extra,
  });
  const auditDraft = (action: string, extra?: Record<string, JsonValue>): EntryDraft => ({
    at: deps.now().toISOString(),
    kind: "audit",
    actor: "system:retention",
    role: "system",
    org: g.org_code,
    action,
    target: `recording:${g.id}`,
    result: "ok",
    ip: null,
    details: details(extra),
  });

  // 3. Out of the bin when no longer past retention (a late redemption, a longer policy, a dispute).
  if (g.status === "recycled" && !deletable) {
    try {
      for (const m of members)
        if (m.status === "recycled") await store.updateRetentionLock(m.id, { kind: "restore" });
    } catch (err) {
      result.refused.push(refusalOf(err, g.id, "restore"));
      return;
    }
    await deps.append([auditDraft("retention.restore", { why: "recomputed" })], async (m) => {
      await db.query(
        m,
        `UPDATE "recordings" SET "status" = 'submitted', "recycled_on" = NULL WHERE ("id" = ? OR "related_to" = ?) AND "status" = 'recycled'`,
        [g.id, g.id],
      );
    });
    result.restored++;
    return;
  }
  if (mode !== "full") return;

  // 3. Into the bin.
  if (g.status === "submitted" && deletable && !recentlyRestored(g, asOf)) {
    try {
      for (const m of members)
        if (m.status === "submitted") await store.updateRetentionLock(m.id, { kind: "recycle" });
    } catch (err) {
      result.refused.push(refusalOf(err, g.id, "recycle"));
      return;
    }
    await deps.append([auditDraft("retention.recycle")], async (m) => {
      await db.query(
        m,
        `UPDATE "recordings" SET "status" = 'recycled', "recycled_on" = ? WHERE ("id" = ? OR "related_to" = ?) AND "status" = 'submitted'`,
        [asOf, g.id, g.id],
      );
    });
    result.recycled++;
    return;
  }

  // 4. Purge after 30 days in the bin.
  if (
    g.status === "recycled" &&
    deletable &&
    g.recycled_on !== null &&
    asOf > addDays(g.recycled_on, RECYCLE_BIN_DAYS)
  ) {
    for (const member of members) {
      if (member.status === "purged") continue;
      let replicas: { destroyed: number; absent: number };
      try {
        replicas = await store.destroyRecording(
          member.id,
          member.objects.map((o) => o.objectId),
        );
      } catch (err) {
        result.refused.push(refusalOf(err, member.id, "purge"));
        return;
      }
      const purgedOn = asOf;
      const tombstone: EntryDraft = {
        at: deps.now().toISOString(),
        kind: "tombstone",
        actor: "system:retention",
        role: "system",
        org: g.org_code,
        action: "recording.purge",
        target: `recording:${member.id}`,
        result: "ok",
        ip: null,
        details: {
          recordingId: member.id,
          sale: g.id,
          why: retention.explanation,
          rule: retention.rule,
          retainUntil: retention.retainUntil,
          recycledOn: g.recycled_on,
          purgedOn,
          manifestSeq: member.manifestSeq,
          manifestSha256: member.manifest === null ? null : sha256(member.manifest),
          objects: member.objects.map((o) => ({
            name: o.name,
            objectId: o.objectId,
            storedSize: o.storedSize,
            storedSha256: o.storedSha256,
          })),
          replicas: { destroyed: replicas.destroyed, absent: replicas.absent },
          dataKey: "destroyed",
        },
      };
      await deps.append([tombstone], async (m) => {
        // The data key goes with the tombstone: both or neither.
        await db.query(
          m,
          `UPDATE "recordings" SET "status" = 'purged', "purged_on" = ?, "wrapped_key" = ? WHERE "id" = ? AND "status" = 'recycled'`,
          [purgedOn, DESTROYED_KEY, member.id],
        );
      });
      result.purged++;
    }
  }
}

export const sha256 = (text: string): string =>
  crypto.createHash("sha256").update(text, "utf8").digest("hex");

export type { RetentionRule };
