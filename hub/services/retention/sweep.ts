import crypto from "node:crypto";
import type { EntityManager } from "typeorm";
import type { Database } from "../../db/database";
import { RecordingEntity, RetentionPolicyEntity, type RecordingRow } from "../../db/entities";
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
import { askHoldings, NO_HOLDINGS_ASKED, type HoldingsDeps, type HoldingsReport } from "./holdings";

/*
 * The retention sweep (docs/retention.md). Sales and what belongs to them (relatedTo: follow-up calls, CCTV,
 * scans, supplements) form a group that shares one retention, computed from the sale. A full daily pass first asks
 * the systems of record about holdings held until redemption and records the full redemptions they report
 * (./holdings.ts), so that step 1 uses them. A pass walks the groups by the sale's id in batches and, for each:
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
  /** Who to ask about holdings (holdings.fullRedemption) and how many per full pass; absent: nobody. */
  holdings?: Pick<HoldingsDeps, "plugins" | "batch">;
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

export interface SweepResult extends HoldingsReport {
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
  p."type", p."maturity_date", p."term_months"`;

/** IN lists of at most 1000 values (Oracle's limit), each answered by `query`. */
async function inChunks<T>(
  values: readonly string[],
  query: (marks: string, chunk: string[]) => Promise<T[]>,
): Promise<T[]> {
  const unique = [...new Set(values)];
  const out: T[] = [];
  for (let i = 0; i < unique.length; i += 1000) {
    const chunk = unique.slice(i, i + 1000);
    out.push(...(await query(chunk.map(() => "?").join(", "), chunk)));
  }
  return out;
}

const holdingKey = (customerNo: string, productCode: string) => `${customerNo}\u0000${productCode}`;

/** For each sale, the first full redemption of its holding on or after its purchase day (looked up per batch). */
async function loadRedemptions(db: Database, groups: readonly GroupRow[]): Promise<Map<string, string>> {
  const full = db.type === "postgres" ? true : 1;
  const rows = await inChunks(
    groups.map((g) => g.customer_no),
    (marks, chunk) =>
      db.query<{ customer_no: string; product_code: string; redeemed_on: string }>(
        db.manager,
        `SELECT "customer_no", "product_code", "redeemed_on" FROM "redemptions"
          WHERE "full_redemption" = ? AND "customer_no" IN (${marks})`,
        [full, ...chunk],
      ),
  );
  const byHolding = new Map<string, string[]>();
  for (const r of rows) {
    const key = holdingKey(r.customer_no, r.product_code);
    byHolding.set(key, [...(byHolding.get(key) ?? []), r.redeemed_on]);
  }
  const out = new Map<string, string>();
  for (const g of groups) {
    const days = byHolding.get(holdingKey(g.customer_no, g.product_code));
    if (!days || !g.purchase_date) continue;
    const first = days.filter((d) => d >= g.purchase_date!).sort()[0];
    if (first) out.set(g.id, first);
  }
  return out;
}

/** The policies of every product type, head office's where set. */
export async function loadPolicies(db: Database): Promise<Map<ProductType, RetentionPolicy>> {
  const rows = await db.manager.getRepository(RetentionPolicyEntity).find();
  const policies = new Map<ProductType, RetentionPolicy>();
  for (const row of rows)
    if (isProductType(row.productType))
      policies.set(row.productType, { ...defaultPolicyFor(row.productType), ...JSON.parse(row.parameters) });
  return policies;
}

type GroupDisputes = DisputeFact[] & { ids?: string[] };

/** The disputes of the given sales: on their group, or on every recording of their customer and product. */
async function loadDisputes(db: Database, groups: readonly GroupRow[]): Promise<Map<string, GroupDisputes>> {
  const out = new Map<string, GroupDisputes>();
  if (!groups.length) return out;
  type Row = {
    id: string;
    scope: string;
    recording_id: string | null;
    customer_no: string;
    product_code: string;
    status: string;
    opened_on: string;
    closed_on: string | null;
  };
  const columns = `d."id", d."scope", d."recording_id", d."customer_no", d."product_code", d."status", d."opened_on", d."closed_on"`;
  const onGroups = await inChunks(
    groups.map((g) => g.id),
    (marks, chunk) =>
      db.query<Row>(
        db.manager,
        `SELECT ${columns} FROM "disputes" d WHERE d."recording_id" IN (${marks})`,
        chunk,
      ),
  );
  const onHoldings = await inChunks(
    groups.map((g) => g.customer_no),
    (marks, chunk) =>
      db.query<Row>(
        db.manager,
        `SELECT ${columns} FROM "disputes" d WHERE d."scope" = 'holding' AND d."customer_no" IN (${marks})`,
        chunk,
      ),
  );
  if (!onGroups.length && !onHoldings.length) return out;
  const byGroup = new Map<string, Row[]>();
  for (const d of onGroups) byGroup.set(d.recording_id!, [...(byGroup.get(d.recording_id!) ?? []), d]);
  const byHolding = new Map<string, Row[]>();
  for (const d of onHoldings) {
    const key = holdingKey(d.customer_no, d.product_code);
    byHolding.set(key, [...(byHolding.get(key) ?? []), d]);
  }
  for (const g of groups) {
    const mine = [
      ...(byGroup.get(g.id) ?? []),
      ...(byHolding.get(holdingKey(g.customer_no, g.product_code)) ?? []),
    ];
    if (!mine.length) continue;
    const facts: GroupDisputes = mine.map((d) => ({ openedAt: d.opened_on, closedAt: d.closed_on }));
    facts.ids = mine.filter((d) => d.status === "open").map((d) => d.id);
    out.set(g.id, facts);
  }
  return out;
}

/** The retention of one group from its row (and disputes, when it has any). */
export function retentionOf(
  g: GroupRow,
  disputes: readonly DisputeFact[],
  fullRedemptionDate: string | null,
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
        fullRedemptionDate,
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
       FROM "recordings" WHERE "id" = ? AND "status" IN ('submitted', 'recycled', 'purged')`,
    [rootId],
  );
  // The related ones by their own index (an OR of both keys is planned as a walk of the status index).
  rows.push(
    ...(await db.query<Record<string, string | number | null>>(
      db.manager,
      `SELECT "id", "status", "lock_synced", "wrapped_key", "manifest", "manifest_seq",
              "original_object", "stored_size", "stored_sha256",
              "canonical_object", "canonical_stored_size", "canonical_stored_sha256",
              "poster_object", "poster_stored_size", "poster_stored_sha256"
         FROM "recordings" WHERE "related_to" = ? AND "status" IN ('submitted', 'recycled', 'purged') ORDER BY "id"`,
      [rootId],
    )),
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

/** Sweeps of one database in this process run one after another (other nodes are kept apart by appendIfMoved). */
const running = new WeakMap<Database, Promise<unknown>>();

/** One pass; see the comment at the top. */
export function sweepRetention(deps: SweepDeps, options: SweepOptions): Promise<SweepResult> {
  const before = running.get(deps.db) ?? Promise.resolve();
  const run = before.catch(() => undefined).then(() => sweepOnce(deps, options));
  running.set(deps.db, run);
  return run;
}

async function sweepOnce(deps: SweepDeps, options: SweepOptions): Promise<SweepResult> {
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
    ...NO_HOLDINGS_ASKED,
  };
  if (mode === "full" && !options.scope && deps.holdings)
    Object.assign(result, await askHoldings({ ...deps.holdings, db, now: deps.now, append: deps.append }));

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

  let after = "";
  for (;;) {
    const groups = await db.query<GroupRow & Record<string, unknown>>(db.manager, select, [after, ...params]);
    if (!groups.length) break;
    after = groups[groups.length - 1].id;
    result.examined += groups.length;
    const disputes = await loadDisputes(db, groups);
    const redemptions = await loadRedemptions(db, groups);

    const changed: { id: string; retention: Retention }[] = [];
    const work: { g: GroupRow; retention: Retention; holds: string[] }[] = [];
    for (const g of groups) {
      const facts = disputes.get(g.id) ?? [];
      const retention = retentionOf(g, facts, redemptions.get(g.id) ?? null, policies);
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
          for (const key of ['"id"', '"related_to"'])
            await db.query(
              m,
              `UPDATE "recordings" SET "retain_until" = ?, "retention_rule" = ? WHERE ${key} = ? AND "status" IN ('submitted', 'recycled')`,
              [c.retention.retainUntil, c.retention.rule, c.id],
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
    const restored = await appendIfMoved(deps, auditDraft("retention.restore", { why: "recomputed" }), (m) =>
      moveGroup(m, g.id, "recycled", { status: "submitted", recycledOn: null }),
    );
    if (restored) result.restored++;
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
    const recycled = await appendIfMoved(deps, auditDraft("retention.recycle"), (m) =>
      moveGroup(m, g.id, "submitted", { status: "recycled", recycledOn: asOf }),
    );
    if (recycled) result.recycled++;
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
      // The data key goes with the tombstone: both or neither (and neither if another sweep got there first).
      const purged = await appendIfMoved(deps, tombstone, async (m) => {
        const r = await m
          .createQueryBuilder()
          .update(RecordingEntity)
          .set({ status: "purged", purgedOn, wrappedKey: DESTROYED_KEY })
          .where("id = :id AND status = 'recycled'", { id: member.id })
          .execute();
        return r.affected ?? 0;
      });
      if (purged) result.purged++;
    }
  }
}

/** Raised inside a transaction to roll it back when another sweep already made the change. */
class AlreadyMoved extends Error {}

/** The group's rows in status `from` get `changes`; how many did. */
async function moveGroup(
  m: EntityManager,
  saleId: string,
  from: string,
  changes: Partial<RecordingRow>,
): Promise<number> {
  let moved = 0;
  // Two statements, each on its own index: an OR of both keys is planned as a walk of the status index.
  for (const key of ["id", "related_to"]) {
    const r = await m
      .createQueryBuilder()
      .update(RecordingEntity)
      .set(changes)
      .where(`${key} = :id AND status = :from`, { id: saleId, from })
      .execute();
    moved += r.affected ?? 0;
  }
  return moved;
}

/**
 * Appends `entry` to the chain in the same transaction as `move`, only if `move` changed a row: two sweeps racing
 * (the scheduled one and one run by hand, or two nodes) never write an entry twice.
 */
async function appendIfMoved(
  deps: SweepDeps,
  entry: EntryDraft,
  move: (m: EntityManager) => Promise<number>,
): Promise<boolean> {
  try {
    await deps.append([entry], async (m) => {
      if ((await move(m)) === 0) throw new AlreadyMoved();
    });
    return true;
  } catch (err) {
    if (err instanceof AlreadyMoved) return false;
    throw err;
  }
}

export const sha256 = (text: string): string =>
  crypto.createHash("sha256").update(text, "utf8").digest("hex");

export type { RetentionRule };
