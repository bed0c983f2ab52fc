/**
 * The database side of the SOAP face: a notification is stored with its outbox row in one transaction before it
 * is answered; processing it later (outbox poller or JetStream consumer) binds the purchase to its recordings,
 * idempotently. The rules are hub/domain/transaction-binding.ts.
 *
 * Notifications are group-committed: those arriving while a transaction is being written wait for the next one,
 * which takes them all (each still checked and stored on its own, in arrival order), so that fifty counters
 * notifying at once cost a few fsyncs rather than fifty. The audit entry of each call is written in that same
 * transaction (one commit per batch, not two). Processing takes outbox rows in batches the same way.
 * The statements on these paths are plain SQL, prepared once (Database.query).
 */
import crypto from "node:crypto";
import { LessThanOrEqual, type EntityManager } from "typeorm";
import type { Database } from "../../db/database";
import {
  RecordingArchiveEntity,
  RecordingEntity,
  SupplementApplicationEntity,
  TransactionBindingEntity,
  TransactionEntity,
  TransactionOutboxEntity,
  type RecordingRow,
  type SupplementApplicationRow,
  type TransactionOutboxRow,
  type TransactionRow,
} from "../../db/entities";
import { businessDay } from "../../domain/business-day";
import { addDays } from "../../domain/calendar";
import {
  SUPPLEMENT_DAYS,
  bindingCandidates,
  classifyNotice,
  decideSupplement,
  noticeFingerprint,
  planBinding,
  recordingStatusOf,
  type BindableRecording,
  type NormalizedNotice,
  type NoticeAnswer,
  type TxnRecordingStatus,
  type TxnStatus,
} from "../../domain/transaction-binding";
import type { EntryDraft } from "../../domain/audit-chain";
import { HubError } from "../../errors/hub-error";
import type { AuditWriter } from "../audit/audit.service";

export type NoticeOutcome = "new" | "repeat" | "reversal";

/** Backoff of a notification whose processing or publishing failed: 1 s, 2 s, 4 s … at most 5 minutes. */
export function retryDelayMs(attempts: number): number {
  return Math.min(1000 * 2 ** Math.max(0, attempts - 1), 5 * 60_000);
}

/** How long a recording submitted before now may still be looked for by the re-check (commits land late). */
const RECHECK_MARGIN_MS = 5 * 60_000;
/** Notifications (or outbox rows) written in one transaction at most. */
const MAX_BATCH = 200;

// Identifiers quoted: TypeORM creates them quoted and lower-case, which Oracle then takes literally.
const SELECT_TXN =
  'SELECT "txn_id", "customer_no", "product_code", "branch_code", "trade_date", "status", "fingerprint", ' +
  '"recording_required", "bound_count", "supplement_deadline", "success_answer", "reversal_answer" ' +
  'FROM "transactions" WHERE "txn_id" = ?';
const SELECT_RECORDINGS =
  'SELECT "id", "kind", "status", "customer_no", "product_code", "org_code", "submitted_at" FROM "recordings" ' +
  'WHERE "customer_no" = ? AND "product_code" = ? AND "org_code" = ? AND "status" = \'submitted\' ' +
  "AND \"kind\" IN ('sale', 'supplement')";
const INSERT_TXN =
  'INSERT INTO "transactions" ("txn_id", "source_system", "customer_no", "product_code", "amount", "branch_code", ' +
  '"teller_id", "trade_time", "trade_date", "status", "fingerprint", "recording_required", "recording_status", ' +
  '"bound_count", "supplement_deadline", "success_answer", "reversal_answer", "notified_by", "notified_at", ' +
  '"reversed_at", "checked_at") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, ?, ?, ?, ?, ?, ?)';
const REVERSE_TXN =
  'UPDATE "transactions" SET "status" = \'REVERSED\', "reversal_answer" = ?, "reversed_at" = ? WHERE "txn_id" = ?';
const INSERT_OUTBOX =
  'INSERT INTO "transaction_outbox" ("id", "txn_id", "event", "state", "attempts", "next_attempt_at", "created_at") ' +
  "VALUES (?, ?, ?, 'pending', 0, ?, ?)";
const DELETE_OUTBOX = 'DELETE FROM "transaction_outbox" WHERE "id" = ?';
const SELECT_BOUND =
  'SELECT "recording_id" FROM "transaction_bindings" WHERE "txn_id" = ? AND "state" = \'bound\'';
const UPDATE_TXN_STATUS =
  'UPDATE "transactions" SET "bound_count" = ?, "recording_status" = ?, "checked_at" = ? WHERE "txn_id" = ?';

/** A transaction as the hot paths read it (plain SQL: column names as in the table). */
interface TxnFacts {
  txn_id: string;
  customer_no: string;
  product_code: string;
  branch_code: string;
  trade_date: string;
  status: string;
  fingerprint: string;
  recording_required: boolean | number;
  bound_count: number | string;
  supplement_deadline: string | null;
  success_answer: string | null;
  reversal_answer: string | null;
}

interface RecordingFacts {
  id: string;
  kind: string;
  status: string;
  customer_no: string;
  product_code: string;
  org_code: string;
  submitted_at: string | null;
}

function answerOf(text: string | null): NoticeAnswer | null {
  return text ? (JSON.parse(text) as NoticeAnswer) : null;
}

const randomId = () => crypto.randomBytes(16).toString("hex");

/** A transaction's recording status today (a lapsed 补录 deadline counts). */
export function currentStatus(row: TransactionRow, today: string): TxnRecordingStatus {
  return recordingStatusOf(
    {
      status: row.status as TxnStatus,
      recordingRequired: row.recordingRequired,
      boundCount: row.boundCount,
      supplementDeadline: row.supplementDeadline,
    },
    today,
  );
}

export interface ProcessResult {
  txnId: string;
  bound: string[];
  released: string[];
  recordingStatus: TxnRecordingStatus | null;
}

export interface StoredNotice {
  answer: NoticeAnswer;
  outcome: NoticeOutcome;
}

/** The audit entry of the call that stored a notification, drafted once its answer is known. */
export type NoticeAuditDraft = (stored: StoredNotice) => EntryDraft;

interface PendingNotice {
  notice: NormalizedNotice;
  recordingRequired: boolean;
  notifiedBy: string;
  audit: NoticeAuditDraft | null;
  resolve(value: StoredNotice & { audited: boolean }): void;
  reject(err: unknown): void;
}

/** What a binding causes beyond this store, written in the binding's transaction (the CRM push). */
export interface BindingHooks {
  recordingBound?(
    m: EntityManager,
    binding: { txnId: string; recording: RecordingRow; boundAt: string },
  ): Promise<void>;
}

/** `audit`: appends the audit entries of notifications inside the transaction that stores them (null: none). */
export function createTransactionStore(
  db: Database,
  clock: () => Date,
  audit: AuditWriter | null = null,
  hooks: BindingHooks = {},
) {
  const lock = db.lockClause() ? { mode: "pessimistic_write" as const } : undefined;
  const forUpdate = db.lockClause() ? " FOR UPDATE" : "";
  /** better-sqlite3 and Oracle bind booleans as numbers. */
  const bool = (value: boolean) => (db.type === "postgres" ? value : value ? 1 : 0);

  async function txnFacts(m: EntityManager, txnId: string): Promise<TxnFacts | null> {
    const [row] = await db.query<TxnFacts & Record<string, unknown>>(m, SELECT_TXN + forUpdate, [txnId]);
    return row ?? null;
  }

  /** Submitted sale and supplementary recordings of the customer and product made at the outlet, any day. */
  async function recordingsAt(
    m: EntityManager,
    customerNo: string,
    productCode: string,
    branchCode: string,
  ): Promise<BindableRecording[]> {
    const rows = await db.query<RecordingFacts & Record<string, unknown>>(m, SELECT_RECORDINGS, [
      customerNo,
      productCode,
      branchCode,
    ]);
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      status: r.status,
      customerNo: r.customer_no,
      productCode: r.product_code,
      orgCode: r.org_code,
      submittedAt: r.submitted_at,
    }));
  }

  /** One notification inside the batch's transaction; a conflict is thrown before anything is written. */
  async function storeNotice(
    m: EntityManager,
    item: Pick<PendingNotice, "notice" | "recordingRequired" | "notifiedBy">,
    now: Date,
  ): Promise<StoredNotice> {
    const { notice, recordingRequired, notifiedBy } = item;
    const at = now.toISOString();
    const fingerprint = noticeFingerprint(notice);
    const row = await txnFacts(m, notice.txnId);
    const decision = classifyNotice(
      row && {
        fingerprint: row.fingerprint,
        status: row.status as TxnStatus,
        successAnswer: answerOf(row.success_answer),
        reversalAnswer: answerOf(row.reversal_answer),
      },
      notice.status,
      fingerprint,
    );
    if (decision.kind === "conflict") {
      const why =
        decision.reason === "CONTENT_DIFFERS"
          ? "its facts differ from those first notified"
          : "the purchase was reversed before it was notified";
      throw new HubError("HUB_TXN_CONFLICT", `txnId ${notice.txnId}: ${why}`, {
        txnId: notice.txnId,
        reason: decision.reason,
      });
    }
    if (decision.kind === "repeat") return { answer: decision.answer, outcome: "repeat" };
    const reversedAnswer: NoticeAnswer = {
      accepted: true,
      recordingStatus: "NOT_REQUIRED",
      recordingIds: [],
    };
    if (decision.kind === "reversal") {
      await db.query(m, REVERSE_TXN, [JSON.stringify(reversedAnswer), at, notice.txnId]);
      await db.query(m, INSERT_OUTBOX, [randomId(), notice.txnId, "reversed", at, at]);
      return { answer: reversedAnswer, outcome: "reversal" };
    }
    let answer = reversedAnswer;
    if (notice.status === "SUCCESS") {
      const ids = bindingCandidates(
        { ...notice, supplementDeadline: null },
        await recordingsAt(m, notice.customerNo, notice.productCode, notice.branchCode),
      );
      const recordingStatus = recordingStatusOf(
        { status: "SUCCESS", recordingRequired, boundCount: ids.length, supplementDeadline: null },
        businessDay(now),
      );
      answer = { accepted: true, recordingStatus, recordingIds: ids };
    }
    const stored = recordingStatusOf(
      { status: notice.status, recordingRequired, boundCount: 0, supplementDeadline: null },
      businessDay(now),
    );
    await db.query(m, INSERT_TXN, [
      notice.txnId,
      notice.sourceSystem,
      notice.customerNo,
      notice.productCode,
      notice.amount,
      notice.branchCode,
      notice.tellerId,
      notice.tradeTime,
      notice.tradeDay,
      notice.status,
      fingerprint,
      bool(recordingRequired),
      stored,
      notice.status === "SUCCESS" ? JSON.stringify(answer) : null,
      notice.status === "REVERSED" ? JSON.stringify(answer) : null,
      notifiedBy,
      at,
      notice.status === "REVERSED" ? at : null,
      at,
    ]);
    const event = notice.status === "SUCCESS" ? "notified" : "reversed";
    await db.query(m, INSERT_OUTBOX, [randomId(), notice.txnId, event, at, at]);
    return { answer, outcome: "new" };
  }

  let queue: PendingNotice[] = [];
  let writing: Promise<void> | null = null;

  /** The audit entries of the stored notifications that want one, after them in their transaction. */
  async function appendAudit(m: EntityManager, stored: ReadonlyArray<[PendingNotice, StoredNotice]>) {
    const drafts = audit
      ? stored.filter(([item]) => item.audit).map(([item, value]) => item.audit!(value))
      : [];
    if (drafts.length) await audit!.append(m, drafts);
    return drafts.length;
  }

  /** Writes queued notifications, a batch per transaction, until none is left. */
  async function writeQueued(): Promise<void> {
    while (queue.length) {
      const batch = queue.slice(0, MAX_BATCH);
      queue = queue.slice(MAX_BATCH);
      const outcomes = new Map<
        PendingNotice,
        { ok: true; value: StoredNotice } | { ok: false; err: unknown }
      >();
      try {
        const audited = await db.transaction(async (m) => {
          outcomes.clear();
          const now = clock();
          const stored: Array<[PendingNotice, StoredNotice]> = [];
          for (const item of batch) {
            try {
              const value = await storeNotice(m, item, now);
              outcomes.set(item, { ok: true, value });
              stored.push([item, value]);
            } catch (err) {
              // A refusal (conflict) writes nothing and is that caller's alone; a database error ends the batch.
              if (!(err instanceof HubError)) throw err;
              outcomes.set(item, { ok: false, err });
            }
          }
          return appendAudit(m, stored);
        });
        audit?.committed(audited);
      } catch {
        // One notification broke the batch (e.g. the same txnId inserted meanwhile by another node): each alone.
        outcomes.clear();
        for (const item of batch) {
          try {
            const [value, audited] = await db.transaction(async (m) => {
              const stored = await storeNotice(m, item, clock());
              return [stored, await appendAudit(m, [[item, stored]])] as const;
            });
            audit?.committed(audited);
            outcomes.set(item, { ok: true, value });
          } catch (err) {
            outcomes.set(item, { ok: false, err });
          }
        }
      }
      for (const item of batch) {
        const outcome = outcomes.get(item)!;
        if (outcome.ok) item.resolve({ ...outcome.value, audited: Boolean(audit && item.audit) });
        else item.reject(outcome.err);
      }
    }
  }

  /**
   * Writes from the next turn of the event loop, so that the requests read in the same turn share a transaction at
   * no added wait; one writer at a time, and one more if something was queued as it finished.
   */
  function startWriting(): void {
    if (writing) return;
    writing = new Promise<void>((go) => setImmediate(go)).then(writeQueued).finally(() => {
      writing = null;
      if (queue.length) startWriting();
    });
  }

  /**
   * Stores a notification and its outbox row (committed before this resolves) and returns the answer to give (the
   * stored one for a repeat). The answer of a new purchase says which recordings it will be bound to; the binding
   * itself is written when the outbox row is processed. With `auditDraft` (and a store made with an AuditWriter)
   * the call's audit entry is committed in the same transaction for a new, repeated or reversing notification
   * (`audited`); a refused one (conflict) writes nothing and is the caller's to audit.
   */
  function recordNotice(
    notice: NormalizedNotice,
    recordingRequired: boolean,
    notifiedBy: string,
    auditDraft: NoticeAuditDraft | null = null,
  ): Promise<StoredNotice & { audited: boolean }> {
    return new Promise((resolve, reject) => {
      queue.push({ notice, recordingRequired, notifiedBy, audit: auditDraft, resolve, reject });
      startWriting();
    });
  }

  /** Waits for the notifications being written (at stop). */
  async function drain(): Promise<void> {
    while (writing) await writing;
  }

  /** One transaction's binding, inside a transaction. */
  async function processIn(
    m: EntityManager,
    txnId: string,
    outboxId: string | null,
    now: Date,
  ): Promise<ProcessResult> {
    const at = now.toISOString();
    if (outboxId) await db.query(m, DELETE_OUTBOX, [outboxId]);
    const row = await txnFacts(m, txnId);
    if (!row) return { txnId, bound: [], released: [], recordingStatus: null };
    const current = (await db.query<{ recording_id: string }>(m, SELECT_BOUND, [txnId])).map(
      (b) => b.recording_id,
    );
    const status = row.status as TxnStatus;
    const candidates =
      status === "SUCCESS"
        ? bindingCandidates(
            {
              customerNo: row.customer_no,
              productCode: row.product_code,
              branchCode: row.branch_code,
              tradeDay: row.trade_date,
              supplementDeadline: row.supplement_deadline,
            },
            await recordingsAt(m, row.customer_no, row.product_code, row.branch_code),
          )
        : [];
    const plan = planBinding(status, current, candidates);
    const bindings = m.getRepository(TransactionBindingEntity);
    const recordings = m.getRepository(RecordingEntity);
    for (const recordingId of plan.bind) {
      const recording = await recordings.findOneByOrFail({ id: recordingId });
      await bindings.save({
        txnId,
        recordingId,
        state: "bound",
        boundAt: at,
        releasedAt: null,
        previousPurchaseDate: recording.purchaseDate,
      });
      await recordings.update({ id: recordingId }, { purchaseDate: row.trade_date });
      const archives = m.getRepository(RecordingArchiveEntity);
      if (!(await archives.existsBy({ recordingId })))
        await archives.insert({
          recordingId,
          state: "pending",
          attempts: 0,
          nextAttemptAt: at,
          requestedAt: at,
          archivedAt: null,
          lastError: null,
        });
      await hooks.recordingBound?.(m, { txnId, recording, boundAt: at });
    }
    for (const recordingId of plan.release) {
      const binding = await bindings.findOneByOrFail({ txnId, recordingId });
      await bindings.update({ txnId, recordingId }, { state: "released", releasedAt: at });
      // Another purchase that day may still hold the recording; its trade day then stays.
      if ((await bindings.countBy({ recordingId, state: "bound" })) === 0)
        await recordings.update(
          { id: recordingId, purchaseDate: row.trade_date },
          { purchaseDate: binding.previousPurchaseDate },
        );
    }
    const boundCount = current.length + plan.bind.length - plan.release.length;
    const recordingStatus = recordingStatusOf(
      {
        status,
        recordingRequired: Boolean(row.recording_required),
        boundCount,
        supplementDeadline: row.supplement_deadline,
      },
      businessDay(now),
    );
    await db.query(m, UPDATE_TXN_STATUS, [boundCount, recordingStatus, at, txnId]);
    return { txnId, bound: plan.bind, released: plan.release, recordingStatus };
  }

  /**
   * Works out a transaction's bindings now: a purchase binds the recordings of its sale it is not bound to yet (and
   * their purchase day becomes the trade day; each is queued for the idle-time archive), a reversal releases them
   * (the purchase day they had is put back). Removes the outbox row in the same transaction. Idempotent.
   */
  function processTransaction(txnId: string, outboxId: string | null): Promise<ProcessResult> {
    return db.transaction((m) => processIn(m, txnId, outboxId, clock()));
  }

  /**
   * Several outbox rows in one transaction; when that fails, each in its own, and those that fail alone are
   * returned with their error (for a later try).
   */
  async function processBatch(
    rows: readonly TransactionOutboxRow[],
  ): Promise<Array<{ row: TransactionOutboxRow; err: unknown }>> {
    try {
      await db.transaction(async (m) => {
        const now = clock();
        for (const row of rows) await processIn(m, row.txnId, row.id, now);
      });
      return [];
    } catch {
      const failed: Array<{ row: TransactionOutboxRow; err: unknown }> = [];
      for (const row of rows) {
        try {
          await processTransaction(row.txnId, row.id);
        } catch (err) {
          failed.push({ row, err });
        }
      }
      return failed;
    }
  }

  /** Outbox rows to hand on now: pending ones due, and (cluster) published ones unprocessed for `stale` ms. */
  async function dueOutbox(limit: number, staleMs: number | null): Promise<TransactionOutboxRow[]> {
    const now = clock();
    const repo = db.manager.getRepository(TransactionOutboxEntity);
    const pending = await repo.find({
      where: { state: "pending", nextAttemptAt: LessThanOrEqual(now.toISOString()) },
      order: { nextAttemptAt: "ASC" },
      take: limit,
    });
    if (staleMs === null || pending.length >= limit) return pending;
    const stale = await repo.find({
      where: {
        state: "published",
        nextAttemptAt: LessThanOrEqual(new Date(now.getTime() - staleMs).toISOString()),
      },
      order: { nextAttemptAt: "ASC" },
      take: limit - pending.length,
    });
    return [...pending, ...stale];
  }

  /** A row was handed to the JetStream channel (its consumer removes it once processed). */
  async function markPublished(row: TransactionOutboxRow): Promise<void> {
    const at = clock().toISOString();
    await db.transaction((m) =>
      m.getRepository(TransactionOutboxEntity).update(
        { id: row.id },
        {
          state: "published",
          publishedAt: at,
          nextAttemptAt: at,
          attempts: row.attempts + 1,
          lastError: null,
        },
      ),
    );
  }

  async function markFailed(row: TransactionOutboxRow, err: unknown): Promise<void> {
    const attempts = row.attempts + 1;
    const next = new Date(clock().getTime() + retryDelayMs(attempts)).toISOString();
    await db.transaction((m) =>
      m.getRepository(TransactionOutboxEntity).update(
        { id: row.id },
        {
          state: "pending",
          attempts,
          nextAttemptAt: next,
          lastError: String((err as Error)?.message ?? err).slice(0, 500),
        },
      ),
    );
  }

  /**
   * Purchases that a recording submitted since `since` may now record (a purchase notified before its recording
   * was submitted, or a retake): same customer, product and outlet, trade day within the 补录 window, and looked at
   * before that recording was submitted.
   */
  async function purchasesToRecheck(since: Date): Promise<string[]> {
    const now = clock();
    const oldestDay = addDays(businessDay(now), -(SUPPLEMENT_DAYS + 1));
    const rows = await db.query<{ txn_id: string }>(
      db.manager,
      `SELECT DISTINCT t."txn_id" FROM "recordings" r
         JOIN "transactions" t ON t."customer_no" = r."customer_no" AND t."product_code" = r."product_code"
                              AND t."branch_code" = r."org_code"
        WHERE r."submitted_at" > ? AND r."status" = 'submitted' AND r."kind" IN ('sale', 'supplement')
          AND t."status" = 'SUCCESS' AND t."trade_date" >= ? AND t."checked_at" < r."submitted_at"`,
      [new Date(since.getTime() - RECHECK_MARGIN_MS).toISOString(), oldestDay],
    );
    return rows.map((r) => r.txn_id);
  }

  async function lockedTxn(m: EntityManager, txnId: string): Promise<TransactionRow | null> {
    return m.getRepository(TransactionEntity).findOne({ where: { txnId }, ...(lock ? { lock } : {}) });
  }

  /** The counter's 补录 tick; a repeat returns the application already made. */
  async function applySupplement(
    txnId: string,
    tellerId: string,
    reason: string,
    appliedBy: string,
  ): Promise<{ application: SupplementApplicationRow; created: boolean }> {
    return db.transaction(async (m) => {
      const now = clock();
      const row = await lockedTxn(m, txnId);
      if (!row) throw new HubError("HUB_TXN_NOT_FOUND", `no transaction ${txnId}`, { txnId });
      const applications = m.getRepository(SupplementApplicationEntity);
      const existing = await applications.findOneBy({ txnId });
      if (existing) return { application: existing, created: false };
      const decision = decideSupplement(
        {
          status: row.status as TxnStatus,
          recordingRequired: row.recordingRequired,
          boundCount: row.boundCount,
        },
        row.tradeDate,
        businessDay(now),
      );
      if (!decision.ok) {
        const why = {
          REVERSED: "the purchase was reversed",
          NOT_REQUIRED: "the product needs no recording at that outlet",
          RECORDED: "the purchase is recorded already",
          EXPIRED: `the ${SUPPLEMENT_DAYS} days after the trade day (${row.tradeDate}) have passed`,
        }[decision.reason];
        throw new HubError("HUB_SUPPLEMENT_NOT_APPLICABLE", `txnId ${txnId}: ${why}`, {
          txnId,
          reason: decision.reason,
        });
      }
      const application: SupplementApplicationRow = {
        id: randomId(),
        txnId,
        tellerId,
        reason,
        appliedBy,
        appliedAt: now.toISOString(),
        tradeDate: row.tradeDate,
        deadline: decision.deadline,
        status: "applied",
      };
      await applications.insert(application);
      await m.getRepository(TransactionEntity).update(
        { txnId },
        {
          supplementDeadline: decision.deadline,
          recordingStatus: currentStatus({ ...row, supplementDeadline: decision.deadline }, businessDay(now)),
        },
      );
      return { application, created: true };
    });
  }

  return {
    recordNotice,
    drain,
    processTransaction,
    processBatch,
    dueOutbox,
    markPublished,
    markFailed,
    purchasesToRecheck,
    applySupplement,
  };
}

export type TransactionStore = ReturnType<typeof createTransactionStore>;
