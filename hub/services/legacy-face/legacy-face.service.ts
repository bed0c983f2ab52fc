import type { Service, ServiceSchema } from "moleculer";
import { In } from "typeorm";
import {
  OrgUnitEntity,
  RecordingArchiveEntity,
  RecordingEntity,
  TransactionBindingEntity,
  TransactionEntity,
  type TransactionRow,
} from "../../db/entities";
import { businessDay } from "../../domain/business-day";
import type { Action } from "../../domain/permissions";
import { outletReconciliation, reconcile, totalOf, type ReconciledTxn } from "../../domain/reconciliation";
import { effectiveRecordingRequired, type ProductType } from "../../domain/recording-required";
import {
  BINDABLE_KINDS,
  holdingStatus,
  normalizeNotice,
  recordedDay,
  type NormalizedNotice,
  type TransactionNotice,
  type TxnStatus,
} from "../../domain/transaction-binding";
import { ForbiddenError, HubError, ValidationError } from "../../errors/hub-error";
import type { HubRuntime } from "../../runtime";
import type { EvidenceStore } from "../../storage";
import { actorOf, authorize, type Actor, type HubContext, type OrgRef } from "../actor";
import type { AuditLocals } from "../audit/audit-spec";
import { auditWriter } from "../audit/audit.service";
import { healthAction } from "../health.mixin";
import { crmPushes } from "../plugin-outbox/crm-pushes";
import { pluginOutboxStatus, PluginOutboxWorker } from "../plugin-outbox/plugin-outbox";
import { scrubRecordings } from "../recordings/scrubber";
import { Archiver, databaseArchiveQueue } from "./archiver";
import type { LoadProbe } from "./load";
import { channelPublisher, OutboxWorker, TRANSACTIONS_CHANNEL, type ChannelMessage } from "./outbox";
import { CAPABILITY_NAMES } from "../../../plugins/sdk";
import { SalesPuller, type CounterSalesStatus } from "./sales-pull";
import { createTransactionStore, currentStatus, type StoredNotice } from "./transaction-store";

type Locals = { locals: AuditLocals };
/** A request context, or the broker itself for the service's own timers. */
type Caller = Pick<HubContext<unknown>, "call">;

/** Seconds between archive passes (each defers while the node is busy). */
const ARCHIVE_TICK_MS = 2000;

function reconciledOf(row: TransactionRow, today: string): ReconciledTxn {
  return {
    txnId: row.txnId,
    branchCode: row.branchCode,
    tellerId: row.tellerId,
    status: row.status as TxnStatus,
    recordingStatus: currentStatus(row, today),
  };
}

/**
 * The SOAP face's operations (docs/soap.md), called by the gateway's SOAP endpoint for legacy systems signed in
 * with WS-Security as users of role `system`; and the reconciliation report of the REST API. Rules are
 * hub/domain/transaction-binding.ts and reconciliation.ts; storage and processing are ./transaction-store.ts and
 * ./outbox.ts; the idle-time archive is ./archiver.ts.
 */
export function createLegacyFaceService(
  rt: HubRuntime,
  evidence: { store: EvidenceStore },
  load: LoadProbe,
): ServiceSchema {
  const store = createTransactionStore(rt.db, rt.clock, auditWriter(rt), {
    recordingBound: crmPushes(rt).recordingBound,
  });
  const today = () => businessDay(rt.clock());
  let outbox: OutboxWorker | null = null;
  let archiver: Archiver | null = null;
  let pluginOutbox: PluginOutboxWorker | null = null;
  let counter: SalesPuller | null = null;

  /** Stores a sale the counter listed as the notification it stands for (outlet, recording rule, outbox). */
  async function recordPulled(caller: Caller, notice: NormalizedNotice, notifiedBy: string) {
    const outlet = await caller.call<OrgRef, { code: string }>("org.resolve", { code: notice.branchCode });
    const required = await recordingRequiredAt(caller, notice.productCode, outlet.path);
    return store.recordNotice(notice, required, notifiedBy);
  }

  /** What the counter lists of `day`, stored before a reconciliation is counted. */
  const counterSales = async (day: string): Promise<CounterSalesStatus> =>
    counter ? counter.status(day) : { status: "not-configured" };

  /** Only legacy systems call the SOAP face; within it, the permission table and scope apply as everywhere. */
  async function systemCaller(ctx: HubContext<unknown>, action: Action, orgCode: string): Promise<Actor> {
    const actor = actorOf(ctx);
    if (actor.role !== "system") {
      throw new ForbiddenError(`the SOAP face is for legacy systems (role system), not role ${actor.role}`, {
        action,
        reason: "ROLE",
        orgCode,
      });
    }
    return authorize(ctx, action, orgCode);
  }

  /** hub/domain/recording-required.ts at the outlet (plain SQL: every notification asks). */
  async function recordingRequiredAt(ctx: Caller, productCode: string, outletPath: string) {
    const [product] = await rt.db.query<{ type: string; recording_required: boolean | number | null }>(
      rt.db.manager,
      'SELECT "type", "recording_required" FROM "products" WHERE "code" = ?',
      [productCode],
    );
    if (!product)
      throw new HubError("HUB_PRODUCT_NOT_FOUND", `no product ${productCode}`, { field: "productCode" });
    const overrides = await rt.db.query<{ org_code: string; required: boolean | number }>(
      rt.db.manager,
      'SELECT "org_code", "required" FROM "recording_overrides" WHERE "product_code" = ?',
      [productCode],
    );
    const resolved = await Promise.all(
      overrides.map(async (o) => ({
        orgPath: (await ctx.call<OrgRef, { code: string }>("org.resolve", { code: o.org_code })).path,
        required: Boolean(o.required),
      })),
    );
    const flag = product.recording_required;
    return effectiveRecordingRequired(
      { type: product.type as ProductType, recordingRequired: flag === null ? null : Boolean(flag) },
      resolved,
      outletPath,
    ).required;
  }

  const schema: ServiceSchema & { channels?: Record<string, unknown> } = {
    name: "legacy-face",
    mixins: [healthAction(rt)],

    actions: {
      /** NotifyTransaction: stored with its outbox row before it is answered; bound to recordings afterwards. */
      notifyTransaction: {
        audit: { action: "transaction.notify", target: (p) => `txn:${p.txnId}` },
        async handler(ctx: HubContext<TransactionNotice> & Locals) {
          const p = ctx.params;
          const actor = await systemCaller(ctx, "transaction.notify", p.branchCode);
          const checked = normalizeNotice(p);
          if (!checked.ok)
            throw new ValidationError(
              checked.problems.map((q) => ({ ...q, field: `NotifyTransaction.${q.field}` })),
            );
          const outlet = await ctx.call<OrgRef, { code: string }>("org.resolve", { code: p.branchCode });
          const required = await recordingRequiredAt(ctx, p.productCode, outlet.path);
          const details = ({ answer, outcome }: StoredNotice) => ({
            outcome,
            status: p.status,
            sourceSystem: p.sourceSystem,
            customerNo: p.customerNo,
            productCode: p.productCode,
            branchCode: p.branchCode,
            tellerId: p.tellerId,
            amount: checked.value.amount,
            tradeTime: checked.value.tradeTime,
            recordingStatus: answer.recordingStatus,
            recordingIds: answer.recordingIds,
          });
          // The call's audit entry commits with the purchase: one commit before the answer, not two.
          const draft = ctx.locals.auditDraft;
          const stored = await store.recordNotice(
            checked.value,
            required,
            actor.username,
            draft ? (s) => draft({ txnId: p.txnId, ...s.answer }, details(s)) : null,
          );
          ctx.locals.auditDetails = details(stored);
          ctx.locals.auditCommitted = stored.audited;
          return { txnId: p.txnId, ...stored.answer };
        },
      },

      /** QueryRecordingStatus: a customer's purchases of a product on a day, and the recordings of that day. */
      queryRecordingStatus: {
        audit: {
          action: "transaction.query",
          target: (p) => `holding:${p.customerNo}/${p.productCode}`,
        },
        async handler(
          ctx: HubContext<{
            customerNo: string;
            productCode: string;
            tradeDate: string;
            branchCode?: string;
          }>,
        ) {
          const { customerNo, productCode, tradeDate, branchCode } = ctx.params;
          const actor = await systemCaller(ctx, "recording.list", branchCode ?? actorOf(ctx).orgCode);
          const at = branchCode
            ? (await ctx.call<OrgRef, { code: string }>("org.resolve", { code: branchCode })).path
            : actor.orgPath;
          const required = await recordingRequiredAt(ctx, productCode, at);
          const asOf = today();
          const txns = await rt.db.manager.getRepository(TransactionEntity).find({
            where: { customerNo, productCode, tradeDate, ...(branchCode ? { branchCode } : {}) },
            order: { tradeTime: "ASC", txnId: "ASC" },
          });
          const bindings = txns.length
            ? await rt.db.manager
                .getRepository(TransactionBindingEntity)
                .findBy({ txnId: In(txns.map((t) => t.txnId)), state: "bound" })
            : [];
          const boundIds = new Set(bindings.map((b) => b.recordingId));
          const recordings = (
            await rt.db.manager.getRepository(RecordingEntity).find({
              where: {
                customerNo,
                productCode,
                status: In(["submitted", "recycled"]),
                kind: In(BINDABLE_KINDS),
                ...(branchCode ? { orgCode: branchCode } : {}),
              },
              order: { submittedAt: "ASC", id: "ASC" },
            })
          ).filter((r) => boundIds.has(r.id) || recordedDay(r) === tradeDate);
          const archived = new Set(
            recordings.length
              ? (
                  await rt.db.manager
                    .getRepository(RecordingArchiveEntity)
                    .findBy({ recordingId: In(recordings.map((r) => r.id)), state: "archived" })
                ).map((a) => a.recordingId)
              : [],
          );
          const statuses = txns.map((t) => currentStatus(t, asOf));
          return {
            customerNo,
            productCode,
            tradeDate,
            recordingStatus: holdingStatus(
              statuses,
              required,
              recordings.filter((r) => r.status === "submitted" && recordedDay(r) === tradeDate).length,
            ),
            transactions: txns.map((t, i) => ({
              txnId: t.txnId,
              status: t.status,
              branchCode: t.branchCode,
              tellerId: t.tellerId,
              tradeTime: t.tradeTime,
              recordingStatus: statuses[i],
              supplementDeadline: t.supplementDeadline,
            })),
            recordings: recordings.map((r) => ({
              recordingId: r.id,
              kind: r.kind,
              status: r.status,
              orgCode: r.orgCode,
              createdBy: r.createdBy,
              submittedAt: r.submittedAt,
              bound: boundIds.has(r.id),
              archived: archived.has(r.id),
            })),
          };
        },
      },

      /** ApplySupplement: the counter's 补录 tick; the recording must be made within 5 days of the trade day. */
      applySupplement: {
        audit: { action: "supplement.apply", target: (p) => `txn:${p.txnId}` },
        async handler(ctx: HubContext<{ txnId: string; tellerId: string; reason: string }> & Locals) {
          const { txnId, tellerId, reason } = ctx.params;
          const txn = await rt.db.manager.getRepository(TransactionEntity).findOneBy({ txnId });
          if (!txn) throw new HubError("HUB_TXN_NOT_FOUND", `no transaction ${txnId}`, { txnId });
          const actor = await systemCaller(ctx, "supplement.apply", txn.branchCode);
          // Bindings are worked out first (the notification may still be in the outbox), and again with the window.
          await store.processTransaction(txnId, null);
          const { application, created } = await store.applySupplement(
            txnId,
            tellerId,
            reason,
            actor.username,
          );
          const after = await store.processTransaction(txnId, null);
          ctx.locals.auditDetails = {
            applicationId: application.id,
            created,
            deadline: application.deadline,
          };
          return {
            applicationId: application.id,
            txnId,
            deadline: application.deadline,
            recordingStatus: after.recordingStatus,
          };
        },
      },

      /** GetDailyReconciliation: one outlet's (or one teller's) counts on a day, with the teller's message. */
      getDailyReconciliation: {
        audit: { action: "reconciliation.read", target: (p) => `org:${p.branchCode}` },
        async handler(ctx: HubContext<{ branchCode: string; date: string; tellerId?: string }>) {
          const { branchCode, date, tellerId } = ctx.params;
          await systemCaller(ctx, "reconciliation.read", branchCode);
          await counterSales(date);
          const rows = await rt.db.manager
            .getRepository(TransactionEntity)
            .findBy({ branchCode, tradeDate: date });
          const asOf = today();
          const outlet = outletReconciliation(
            rows.map((r) => reconciledOf(r, asOf)),
            branchCode,
            tellerId,
          );
          return { date, ...outlet };
        },
      },

      /**
       * GET /api/v1/plugins (head office): the adapters this node runs, settings redacted, each system's health and
       * circuit, and which plugins answer each capability in order. A system down is reported here, never makes
       * the hub unready: the hub works on its own catalog and stored notifications meanwhile.
       */
      plugins: {
        async handler(ctx: HubContext) {
          const root = await ctx.call<OrgRef>("org.root");
          await authorize(ctx, "plugins.read", root.code);
          const health = new Map((await rt.plugins.health()).map((h) => [h.plugin, h]));
          return {
            manifest: rt.plugins.manifest.source,
            plugins: rt.plugins.plugins.map((p) => ({ ...p, health: health.get(p.name) ?? null })),
            capabilities: Object.fromEntries(CAPABILITY_NAMES.map((c) => [c, rt.plugins.providers(c)])),
            outbox: await pluginOutboxStatus(rt.db, rt.clock()),
          };
        },
      },

      /** GET /api/v1/reconciliation: per outlet and teller in the caller's scope, on a day. */
      reconciliation: {
        async handler(ctx: HubContext<{ orgCode?: string; date?: string }>) {
          const actor = actorOf(ctx);
          const orgCode = ctx.params.orgCode ?? actor.orgCode;
          await authorize(ctx, "reconciliation.read", orgCode);
          const scope = await ctx.call<OrgRef, { code: string }>("org.resolve", { code: orgCode });
          const date = ctx.params.date ?? today();
          const counterList = await counterSales(date);
          const rows = await rt.db.manager
            .getRepository(TransactionEntity)
            .createQueryBuilder("t")
            .innerJoin("OrgUnit", "o", "o.code = t.branchCode")
            .where("t.tradeDate = :date", { date })
            .andWhere("(o.path = :path OR o.path LIKE :prefix)", {
              path: scope.path,
              prefix: `${scope.path}/%`,
            })
            .getMany();
          const asOf = today();
          const outlets = reconcile(rows.map((r) => reconciledOf(r, asOf)));
          const names = new Map(
            outlets.length
              ? (
                  await rt.db.manager
                    .getRepository(OrgUnitEntity)
                    .findBy({ code: In(outlets.map((o) => o.branchCode)) })
                ).map((o) => [o.code, o.name])
              : [],
          );
          return {
            orgCode,
            date,
            ...totalOf(outlets),
            counter: counterList,
            outlets: outlets.map((o) => ({ ...o, orgName: names.get(o.branchCode) ?? null })),
          };
        },
      },
    },

    async started(this: Service) {
      const logger = this.logger;
      const log = (level: "debug" | "info" | "warn" | "error", message: string, facts?: object) =>
        logger[level](message, facts ?? "");
      outbox = new OutboxWorker({
        store,
        now: rt.clock,
        channel: rt.config.transporter ? channelPublisher(this.broker) : null,
        log,
      });
      outbox.start(rt.config.outboxIntervalSeconds * 1000);
      archiver = new Archiver({
        queue: databaseArchiveQueue(rt.db),
        load: () => load.read(),
        now: rt.clock,
        log,
        maxDeferMs: rt.config.archiveMaxDeferSeconds * 1000,
        async verify(recordingId) {
          try {
            const report = await scrubRecordings(rt.db, evidence.store, { id: recordingId });
            return report.ok
              ? { ok: true }
              : {
                  ok: false,
                  retry: true,
                  error: `${report.failed.length} stored object(s) have no good copy`,
                };
          } catch (err) {
            if (err instanceof RangeError) return { ok: false, retry: false, error: err.message };
            throw err;
          }
        },
      });
      archiver.start(ARCHIVE_TICK_MS);
      // Pushes owed to bank systems (the CRM timeline), written with the submits and bindings that cause them.
      pluginOutbox = new PluginOutboxWorker({ db: rt.db, plugins: rt.plugins, now: rt.clock, log });
      pluginOutbox.start(rt.config.pluginOutboxIntervalSeconds * 1000);
      const broker = this.broker;
      counter = new SalesPuller({
        host: rt.plugins,
        db: rt.db,
        record: (notice, by) => recordPulled(broker, notice, by),
        now: rt.clock,
        today,
        log,
      });
      counter.start(rt.config.salesPullIntervalSeconds * 1000);
    },

    async stopped() {
      await counter?.stop();
      await outbox?.stop();
      await archiver?.stop();
      await pluginOutbox?.stop();
      await store.drain();
    },
  };

  if (rt.config.transporter) {
    // A cluster: stored notifications travel through JetStream from the outbox to whichever node processes them.
    schema.channels = {
      [TRANSACTIONS_CHANNEL]: {
        group: "legacy-face",
        maxInFlight: 8,
        // A message that keeps failing is dropped by the channel, never lost: its outbox row is published again.
        maxRetries: 10,
        nats: { consumerOptions: { config: { deliver_policy: "all" } } },
        async handler(message: ChannelMessage) {
          await store.processTransaction(message.txnId, message.outboxId);
        },
      },
    };
  }
  return schema;
}
