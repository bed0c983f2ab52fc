/**
 * Catalog sync (docs/api.md `POST /api/v1/products/sync`, docs/plugins.md): products added or changed in the
 * systems of record — `products.list` of fund, wealth, bancassurance — applied to the catalog.
 *
 * The system of record wins for the fields it provides (SOURCE_FIELDS); what only the hub keeps (是否双录, the
 * script texts) is left as it is. Each provider has its own watermark in the settings table: it is asked for what
 * changed since its watermark, and the watermark moves in the same transaction that applies its products, so a
 * crash loses nothing (the next run asks again). Each provider's batch commits only if its watermark is still the
 * one read before asking: a node that lost the race to another asks again from the new watermark, so nothing is
 * applied twice, an older answer never overwrites a newer one, and a watermark never moves backwards.
 */
import crypto from "node:crypto";
import { In, type EntityManager } from "typeorm";
import type { LegacyProduct, PluginHost } from "../../../plugins/sdk";
import type { Database } from "../../db/database";
import { ProductEntity, SettingEntity, type ProductRow } from "../../db/entities";
import type { ChainEntry, EntryDraft, JsonValue } from "../../domain/audit-chain";
import { businessDay } from "../../domain/business-day";
import { isProductType } from "../../domain/recording-required";
import { ERROR_CODES, type ErrorCode } from "../../errors/codes";
import type { HubError } from "../../errors/hub-error";
import { productProblems, productView } from "./catalog.service";

/** The fields the system of record decides. */
export const SOURCE_FIELDS = [
  "name",
  "type",
  "risk",
  "issuer",
  "inceptionDate",
  "maturityDate",
  "termMonths",
] as const;
export type SourceField = (typeof SOURCE_FIELDS)[number];

/** A change of these recomputes the retention of the product's recordings (as after a manual edit). */
const RETENTION_FIELDS: readonly SourceField[] = ["type", "maturityDate", "termMonths"];

/** Asked of a system never synced before: earlier than any product a bank still keeps recordings of. */
export const FIRST_SYNC_SINCE = "1990-01-01";

/** Attempts of one provider's batch when another node commits between our read and our write. */
const ATTEMPTS = 3;
/** Rejections kept in an audit entry; the count is always whole. */
const REJECTIONS_AUDITED = 50;

export interface SyncRejection {
  /** The product's code. */
  code: string;
  field: string;
  reason: string;
  message: string;
}

export type ProductMerge =
  | { outcome: "created" | "updated" | "unchanged"; row: ProductRow; changed: SourceField[] }
  | { outcome: "rejected"; problems: SyncRejection[] };

const RISKS = new Set(["R1", "R2", "R3", "R4", "R5"]);

/**
 * The catalog row a product of the system of record makes, given the stored one (null when new): the source's
 * fields over the stored row, the hub's own fields kept. Rejected, with each problem's field, when the result
 * would break the catalog's rules (productProblems) or has values the catalog cannot hold.
 */
export function mergeLegacyProduct(
  legacy: LegacyProduct,
  stored: ProductRow | null,
  now: string,
): ProductMerge {
  const code = legacy.code;
  const problems: SyncRejection[] = [];
  const reject = (field: string, reason: string, message: string) =>
    problems.push({ code, field, reason, message });
  if (!isProductType(legacy.type)) reject("type", "productType", "is not a known product type");
  if (!RISKS.has(legacy.risk)) reject("risk", "productRisk", "must be one of R1–R5");
  if (!legacy.name || legacy.name.length > 100) reject("name", "length", "must be 1–100 characters");
  if (legacy.issuer !== null && legacy.issuer.length > 100)
    reject("issuer", "length", "must be at most 100 characters");

  const source: Pick<ProductRow, SourceField> = {
    name: legacy.name,
    type: legacy.type,
    risk: legacy.risk,
    issuer: legacy.issuer ?? null,
    inceptionDate: legacy.inceptionDate ?? null,
    maturityDate: legacy.maturityDate ?? null,
    termMonths: legacy.termMonths ?? null,
  };
  const row: ProductRow = stored
    ? { ...stored, ...source }
    : {
        code,
        ...source,
        recordingRequired: null,
        features: null,
        risks: null,
        customerRights: null,
        createdAt: now,
        updatedAt: now,
      };
  for (const p of productProblems(row)) reject(p.field.replace(/^body\./, ""), p.code, p.message);
  if (problems.length) return { outcome: "rejected", problems };

  if (!stored) return { outcome: "created", row, changed: [...SOURCE_FIELDS] };
  const changed = SOURCE_FIELDS.filter((f) => (stored[f] ?? null) !== (row[f] ?? null));
  if (!changed.length) return { outcome: "unchanged", row: stored, changed };
  return { outcome: "updated", row: { ...row, updatedAt: now }, changed };
}

/** Whether the change makes the product's recordings' retention be recomputed. */
export function affectsRetention(merge: ProductMerge): boolean {
  return (
    merge.outcome === "created" ||
    (merge.outcome === "updated" && merge.changed.some((f) => RETENTION_FIELDS.includes(f)))
  );
}

/**
 * The watermark after an answer: the latest `updatedOn` seen (asked again inclusively next time, so a product
 * changed later that day is not missed, whatever the two systems' clocks say), never beyond today (a product
 * dated in the future would stop the sync until then) and never before the current one.
 */
export function nextWatermark(
  current: string,
  products: readonly { updatedOn: string }[],
  today: string,
): string {
  let latest = current;
  for (const p of products) if (p.updatedOn > latest) latest = p.updatedOn;
  const capped = latest > today ? today : latest;
  return capped > current ? capped : current;
}

export interface PlannedProduct {
  legacy: LegacyProduct;
  before: ProductRow | null;
  merge: ProductMerge;
}

/** What was decided for each product of one answer (a code given twice: the second is rejected). */
export function planAnswer(
  products: readonly LegacyProduct[],
  stored: ReadonlyMap<string, ProductRow>,
  now: string,
): PlannedProduct[] {
  const seen = new Set<string>();
  return products.map((legacy) => {
    const before = stored.get(legacy.code) ?? null;
    if (seen.has(legacy.code)) {
      const merge: ProductMerge = {
        outcome: "rejected",
        problems: [
          {
            code: legacy.code,
            field: "code",
            reason: "duplicate",
            message: "appears more than once in the answer",
          },
        ],
      };
      return { legacy, before, merge };
    }
    seen.add(legacy.code);
    return { legacy, before, merge: mergeLegacyProduct(legacy, before, now) };
  });
}

export interface ProviderSyncResult {
  plugin: string;
  /** The day the provider was asked for changes since. */
  changedSince: string;
  /** Its watermark after this run (unchanged when it failed). */
  watermark: string;
  /** Products of its answer taken: created + updated + unchanged. */
  applied: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: SyncRejection[];
  error?: { code: string; message: string; detail: string };
}

export interface SyncResult {
  providers: ProviderSyncResult[];
}

export interface SyncActor {
  username: string;
  role: string;
  orgCode: string | null;
}

export interface ProductSyncDeps {
  db: Database;
  plugins: PluginHost;
  now: () => Date;
  /** Appends audit entries; `alongside` runs in the same transaction. */
  append(
    drafts: EntryDraft[],
    alongside: (manager: EntityManager, entries: readonly ChainEntry[]) => Promise<void>,
  ): Promise<unknown>;
  /** Called after commit for each product whose recordings' retention must be recomputed. */
  productChanged(code: string): void;
}

/** The system's own run (the schedule). */
export const SYSTEM_SYNC_ACTOR: SyncActor = { username: "system:catalog", role: "system", orgCode: null };

export const watermarkSetting = (plugin: string) => `catalog.sync.${plugin}`;

interface Watermark {
  since: string;
  /** The stored value as read (the compare-and-set token); null when never synced. */
  raw: string | null;
}

async function readWatermark(db: Database, plugin: string): Promise<Watermark> {
  const row = await db.manager.getRepository(SettingEntity).findOneBy({ name: watermarkSetting(plugin) });
  if (!row) return { since: FIRST_SYNC_SINCE, raw: null };
  return { since: (JSON.parse(row.value) as { since: string }).since, raw: row.value };
}

/** Another node committed between our read and our write. */
class SyncConflict extends Error {}

/** Sets the watermark only if it is still the one read (each value carries a fresh run id, so any write shows). */
async function moveWatermark(
  m: EntityManager,
  plugin: string,
  read: Watermark,
  since: string,
  actor: SyncActor,
  at: string,
): Promise<void> {
  const repo = m.getRepository(SettingEntity);
  const name = watermarkSetting(plugin);
  const value = JSON.stringify({ since, run: crypto.randomBytes(8).toString("hex") });
  if (read.raw === null) {
    if (await repo.existsBy({ name })) throw new SyncConflict();
    await repo.insert({ name, value, updatedBy: actor.username, updatedAt: at });
    return;
  }
  const result = await repo.update(
    { name, value: read.raw },
    { value, updatedBy: actor.username, updatedAt: at },
  );
  if (result.affected !== 1) throw new SyncConflict();
}

async function storedProducts(db: Database, codes: readonly string[]): Promise<Map<string, ProductRow>> {
  const unique = [...new Set(codes)];
  const out = new Map<string, ProductRow>();
  // IN lists of at most 1000 values (Oracle's limit).
  for (let i = 0; i < unique.length; i += 1000) {
    const rows = await db.manager
      .getRepository(ProductEntity)
      .findBy({ code: In(unique.slice(i, i + 1000)) });
    for (const r of rows) out.set(r.code, r);
  }
  return out;
}

function errorOf(err: unknown): { code: string; message: string; detail: string } {
  const e = err as HubError;
  const code = typeof e?.type === "string" && e.type in ERROR_CODES ? e.type : "HUB_INTERNAL";
  return { code, message: ERROR_CODES[code as ErrorCode].zh, detail: e?.message ?? String(err) };
}

/** Asks one provider for what changed since its watermark and applies the answer; never throws. */
export async function syncProvider(
  deps: ProductSyncDeps,
  plugin: string,
  actor: SyncActor = SYSTEM_SYNC_ACTOR,
): Promise<ProviderSyncResult> {
  let mark: Watermark = { since: FIRST_SYNC_SINCE, raw: null };
  const failed = (err: unknown): ProviderSyncResult => ({
    plugin,
    changedSince: mark.since,
    watermark: mark.since,
    applied: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    rejected: [],
    error: errorOf(err),
  });
  for (let attempt = 1; ; attempt++) {
    let outcome: { result: ProviderSyncResult; changed: string[] };
    try {
      mark = await readWatermark(deps.db, plugin);
      const answer = await deps.plugins.invoke(plugin, "products.list", { changedSince: mark.since });
      outcome = await apply(deps, plugin, mark, answer.products, actor);
    } catch (err) {
      if (err instanceof SyncConflict && attempt < ATTEMPTS) continue;
      if (err instanceof SyncConflict)
        return failed({
          type: "HUB_SERVICE_UNAVAILABLE",
          message: `other nodes kept syncing ${plugin} at the same time; it is synced at the next run`,
        });
      return failed(err);
    }
    for (const code of outcome.changed) deps.productChanged(code);
    return outcome.result;
  }
}

async function apply(
  deps: ProductSyncDeps,
  plugin: string,
  mark: Watermark,
  products: readonly LegacyProduct[],
  actor: SyncActor,
): Promise<{ result: ProviderSyncResult; changed: string[] }> {
  const now = deps.now();
  const at = now.toISOString();
  const stored = await storedProducts(
    deps.db,
    products.map((p) => p.code),
  );
  const merges = planAnswer(products, stored, at);
  const watermark = nextWatermark(mark.since, products, businessDay(now));
  const count = (o: string) => merges.filter((m) => m.merge.outcome === o).length;
  const rejected = merges.flatMap((m) => (m.merge.outcome === "rejected" ? m.merge.problems : []));
  const result: ProviderSyncResult = {
    plugin,
    changedSince: mark.since,
    watermark,
    applied: count("created") + count("updated") + count("unchanged"),
    created: count("created"),
    updated: count("updated"),
    unchanged: count("unchanged"),
    rejected,
  };

  const draft = (target: string, details: JsonValue): EntryDraft => ({
    at,
    kind: "audit",
    actor: actor.username,
    role: actor.role,
    org: actor.orgCode,
    action: "product.sync",
    target,
    result: "ok",
    ip: null,
    details,
  });
  const writes = merges.flatMap(({ legacy, before, merge }) =>
    merge.outcome === "created" || merge.outcome === "updated"
      ? [{ legacy, before, merge, row: merge.row }]
      : [],
  );
  // Each product's before and after, as a manual edit leaves them; and the batch, with what was rejected.
  const drafts: EntryDraft[] = writes.map(({ before, row }) =>
    draft(`product:${row.code}`, {
      plugin,
      before: before ? (productView(before) as JsonValue) : null,
      after: productView(row) as JsonValue,
    }),
  );
  if (drafts.length || rejected.length)
    drafts.push(
      draft(`plugin:${plugin}`, {
        changedSince: mark.since,
        watermark,
        created: result.created,
        updated: result.updated,
        unchanged: result.unchanged,
        rejectedCount: rejected.length,
        rejected: rejected.slice(0, REJECTIONS_AUDITED) as unknown as JsonValue,
      }),
    );

  const work = async (m: EntityManager) => {
    // First: on PostgreSQL and Oracle the row lock makes a racing node wait here, then fail the compare.
    await moveWatermark(m, plugin, mark, watermark, actor, at);
    const repo = m.getRepository(ProductEntity);
    for (const { before, row } of writes) {
      if (!before) {
        if (await repo.existsBy({ code: row.code })) throw new SyncConflict();
        await repo.insert(row);
        continue;
      }
      // Only the source's fields: a 是否双录 or script text edited meanwhile is kept.
      const changes: Partial<ProductRow> = { updatedAt: row.updatedAt };
      for (const f of SOURCE_FIELDS) (changes as Record<string, unknown>)[f] = row[f];
      const r = await repo.update({ code: row.code, updatedAt: before.updatedAt }, changes);
      if (r.affected !== 1) throw new SyncConflict();
    }
  };
  try {
    if (drafts.length) await deps.append(drafts, work);
    else await deps.db.transaction(work);
  } catch (err) {
    // A node that inserted the first watermark (or a product) at the same moment: a unique key violation.
    if (
      !(err instanceof SyncConflict) &&
      mark.raw === null &&
      (await readWatermark(deps.db, plugin)).raw !== null
    )
      throw new SyncConflict();
    throw err;
  }
  return { result, changed: writes.filter((w) => affectsRetention(w.merge)).map((w) => w.legacy.code) };
}

/** Every provider of `products.list`, each from its own watermark; one failing never stops the others. */
export async function syncProducts(
  deps: ProductSyncDeps,
  actor: SyncActor = SYSTEM_SYNC_ACTOR,
): Promise<SyncResult> {
  // Not callAll: each provider is asked from its own watermark.
  const providers = deps.plugins.providers("products.list");
  return { providers: await Promise.all(providers.map((plugin) => syncProvider(deps, plugin, actor))) };
}

/**
 * Claims the scheduled run for this node when the last one (on any node) is at least `intervalSeconds` old, so
 * that one node of a cluster syncs per interval. False when not due or another node claimed it first.
 */
export async function claimScheduledSync(db: Database, now: Date, intervalSeconds: number): Promise<boolean> {
  const name = "catalog.sync.lastRun";
  const repo = db.manager.getRepository(SettingEntity);
  const previous = await repo.findOneBy({ name });
  // A little early rather than a whole interval late when the check timer drifts.
  if (previous && now.getTime() - Date.parse(previous.value) < intervalSeconds * 1000 - 5_000) return false;
  const at = now.toISOString();
  try {
    return await db.transaction(async (m) => {
      const settings = m.getRepository(SettingEntity);
      if (!previous) {
        if (await settings.existsBy({ name })) return false;
        await settings.insert({ name, value: at, updatedBy: SYSTEM_SYNC_ACTOR.username, updatedAt: at });
        return true;
      }
      const r = await settings.update({ name, value: previous.value }, { value: at, updatedAt: at });
      return r.affected === 1;
    });
  } catch (err) {
    // Two nodes inserting the first claim at once: the loser's insert violates the key.
    if (!previous && (await repo.existsBy({ name }))) return false;
    throw err;
  }
}
