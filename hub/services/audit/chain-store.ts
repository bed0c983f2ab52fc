import type { KeyObject } from "node:crypto";
import type { EntityManager } from "typeorm";
import {
  ChainVerifier,
  canonicalJson,
  sealEntries,
  signCheckpoint,
  type ChainEntry,
  type Checkpoint,
  type EntryDraft,
  type EntryKind,
  type AuditResult,
  type VerifyResult,
} from "../../domain/audit-chain";
import type { Database } from "../../db/database";
import type { HubRuntime } from "../../runtime";
import {
  AuditCheckpointEntity,
  AuditEntryEntity,
  type AuditCheckpointRow,
  type AuditEntryRow,
} from "../../db/entities";

/*
 * The audit/evidence chain as stored in the database. Appends lock the single head row, so every node of a
 * cluster extends the same chain; recordings append their manifests, and the retention sweep its purge tombstones, through here too.
 */

export function toRow(entry: ChainEntry): AuditEntryRow {
  return {
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
    details: entry.details === null ? null : canonicalJson(entry.details),
    prevHash: entry.prevHash,
    hash: entry.hash,
  };
}

export function fromRow(row: AuditEntryRow): ChainEntry {
  return {
    seq: Number(row.seq),
    at: row.at,
    kind: row.kind as EntryKind,
    actor: row.actor,
    role: row.role,
    org: row.org,
    action: row.action,
    target: row.target,
    result: row.result as AuditResult,
    ip: row.ip,
    details: row.details === null ? null : JSON.parse(row.details),
    prevHash: row.prevHash,
    hash: row.hash,
  };
}

function checkpointFromRow(row: AuditCheckpointRow): Checkpoint {
  return { seq: Number(row.seq), hash: row.hash, at: row.at, keyId: row.keyId, signature: row.signature };
}

async function lockHead(db: Database, manager: EntityManager): Promise<{ seq: number; hash: string }> {
  const forUpdate = db.lockClause() ? " FOR UPDATE" : "";
  const [head] = await db.query<{ seq: string | number; hash: string }>(
    manager,
    `SELECT "seq", "hash" FROM "audit_head" WHERE "id" = 1${forUpdate}`,
  );
  if (!head) throw new Error("audit_head row missing: migrations not applied?");
  return { seq: Number(head.seq), hash: head.hash };
}

async function lastCheckpointSeq(db: Database, manager: EntityManager): Promise<number> {
  const [row] = await db.query<{ max_seq: string | number | null }>(
    manager,
    'SELECT MAX("seq") AS "max_seq" FROM "audit_checkpoints"',
  );
  return row?.max_seq == null ? 0 : Number(row.max_seq);
}

// Identifiers quoted: TypeORM creates them quoted and lower-case, which Oracle then takes literally.
const INSERT_ENTRY =
  'INSERT INTO "audit_entries" ("seq", "at", "kind", "actor", "role", "org", "action", "target", "result", "ip", "details", "prev_hash", "hash") ' +
  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

export interface AppendOptions {
  privateKey: KeyObject | null;
  checkpointEvery: number;
  now: () => Date;
  /** More writes in the same transaction (a purge's row changes with its tombstone): all or nothing. */
  alongside?: (manager: EntityManager, entries: readonly ChainEntry[]) => Promise<void>;
}

/** Seals and stores drafts in one transaction; signs a checkpoint when `checkpointEvery` entries have passed. */
export async function appendEntries(
  db: Database,
  drafts: readonly EntryDraft[],
  options: AppendOptions,
): Promise<ChainEntry[]> {
  return db.transaction((manager) => appendEntriesIn(db, manager, drafts, options));
}

/**
 * Appending as the node itself, signed with its key: for work that holds the database rather than calling the audit
 * service (the command line, the retention sweep, the catalog sync).
 */
export function runtimeAppender(rt: Pick<HubRuntime, "db" | "auditKeys" | "config" | "clock">) {
  return (drafts: readonly EntryDraft[], alongside?: AppendOptions["alongside"]): Promise<ChainEntry[]> =>
    appendEntries(rt.db, drafts, {
      privateKey: rt.auditKeys.privateKey,
      checkpointEvery: rt.config.auditCheckpointEvery,
      now: rt.clock,
      alongside,
    });
}

/**
 * The same inside a transaction the caller holds, so that the entries commit with the caller's own writes or not
 * at all. The head row stays locked until that transaction ends: lock it last (PostgreSQL), after any row the
 * caller locks, so that two writers never wait for each other's locks in opposite order.
 */
export async function appendEntriesIn(
  db: Database,
  manager: EntityManager,
  drafts: readonly EntryDraft[],
  options: AppendOptions,
): Promise<ChainEntry[]> {
  if (!drafts.length) return [];
  const head = await lockHead(db, manager);
  const entries = sealEntries(head, drafts);
  // One fixed statement per row: prepared once, whatever the batch size.
  for (const r of entries.map(toRow)) {
    await db.query(manager, INSERT_ENTRY, [
      r.seq,
      r.at,
      r.kind,
      r.actor,
      r.role,
      r.org,
      r.action,
      r.target,
      r.result,
      r.ip,
      r.details,
      r.prevHash,
      r.hash,
    ]);
  }
  if (options.alongside) await options.alongside(manager, entries);
  const last = entries[entries.length - 1];
  await db.query(manager, 'UPDATE "audit_head" SET "seq" = ?, "hash" = ? WHERE "id" = 1', [
    last.seq,
    last.hash,
  ]);
  if (options.privateKey && last.seq - (await lastCheckpointSeq(db, manager)) >= options.checkpointEvery) {
    await insertCheckpoint(manager, options.privateKey, {
      seq: last.seq,
      hash: last.hash,
      at: options.now().toISOString(),
    });
  }
  return entries;
}

async function insertCheckpoint(
  manager: EntityManager,
  privateKey: KeyObject,
  head: { seq: number; hash: string; at: string },
): Promise<Checkpoint> {
  const cp = signCheckpoint(privateKey, head);
  await manager.getRepository(AuditCheckpointEntity).insert({ ...cp });
  return cp;
}

/** Signs the current head if entries were added since the last checkpoint (the periodic timer calls this). */
export async function checkpointHead(
  db: Database,
  privateKey: KeyObject,
  now: Date,
): Promise<Checkpoint | null> {
  return db.transaction(async (manager) => {
    const head = await lockHead(db, manager);
    if (head.seq === 0 || head.seq <= (await lastCheckpointSeq(db, manager))) return null;
    return insertCheckpoint(manager, privateKey, { ...head, at: now.toISOString() });
  });
}

export async function loadCheckpoints(db: Database): Promise<Checkpoint[]> {
  const rows = await db.manager.getRepository(AuditCheckpointEntity).find({ order: { seq: "ASC" } });
  return rows.map(checkpointFromRow);
}

const VERIFY_PAGE = 5000;

/** Re-hashes the whole stored chain page by page, checking every signed checkpoint with the public key. */
export async function verifyStoredChain(
  db: Database,
  publicKey: KeyObject,
  onProgress?: (verified: number) => void,
): Promise<VerifyResult> {
  const verifier = new ChainVerifier({ publicKey, checkpoints: await loadCheckpoints(db) });
  const repo = db.manager.getRepository(AuditEntryEntity);
  let after = 0;
  for (;;) {
    const rows = await repo
      .createQueryBuilder("e")
      .where("e.seq > :after", { after })
      .orderBy("e.seq", "ASC")
      .limit(VERIFY_PAGE)
      .getMany();
    for (const row of rows) {
      if (!verifier.push(fromRow(row))) return verifier.finish();
    }
    if (rows.length < VERIFY_PAGE) break;
    after = Number(rows[rows.length - 1].seq);
    onProgress?.(after);
  }
  return verifier.finish();
}

/** The stored entries with `fromSeq` ≤ seq ≤ `toSeq`, in order: a slice of the chain for an evidence package. */
export async function loadEntryRange(db: Database, fromSeq: number, toSeq: number): Promise<ChainEntry[]> {
  const rows = await db.manager
    .getRepository(AuditEntryEntity)
    .createQueryBuilder("e")
    .where("e.seq >= :fromSeq AND e.seq <= :toSeq", { fromSeq, toSeq })
    .orderBy("e.seq", "ASC")
    .getMany();
  return rows.map(fromRow);
}

/** The first signed checkpoint at or after `seq` (the one that proves that entry), or null while none covers it. */
export async function firstCheckpointFrom(db: Database, seq: number): Promise<Checkpoint | null> {
  const rows = await db.manager
    .getRepository(AuditCheckpointEntity)
    .createQueryBuilder("c")
    .where("c.seq >= :seq", { seq })
    .orderBy("c.seq", "ASC")
    .limit(1)
    .getMany();
  return rows.length ? checkpointFromRow(rows[0]) : null;
}
