import crypto from "node:crypto";
import type { Service, ServiceSchema } from "moleculer";
import {
  DisputeEntity,
  ProductEntity,
  RecordingEntity,
  RedemptionEntity,
  SettingEntity,
  type DisputeRow,
  type RecordingRow,
} from "../../db/entities";
import { businessDay, CHINA_UTC_OFFSET_HOURS } from "../../domain/business-day";
import { isProductType } from "../../domain/recording-required";
import {
  computeRetention,
  isDeletable,
  retentionFactsProblems,
  type RetentionFacts,
} from "../../domain/retention";
import { defaultPolicyFor } from "../../domain/retention-policy";
import { HubError, ValidationError } from "../../errors/hub-error";
import type { HubRuntime } from "../../runtime";
import type { EvidenceStore } from "../../storage";
import { addDays, RECYCLE_BIN_DAYS, RetentionLockedError } from "../../storage/retention-lock";
import { actorOf, authorize, type HubContext, type OrgRef } from "../actor";
import type { AuditLocals } from "../audit/audit-spec";
import { runtimeAppender } from "../audit/chain-store";
import { healthAction } from "../health.mixin";
import { loadPolicies, sweepRetention, type SweepDeps, type SweepOptions, type SweepResult } from "./sweep";

type Locals = { locals: AuditLocals };

/** How often the scheduler looks whether today's sweep is due (it runs once a day, at HUB_RETENTION_SWEEP_AT). */
const SCHEDULE_CHECK_MS = 60_000;
const LAST_SWEEP = "retention.lastSweep";
/** Refusals listed in an answer; the count is always whole. */
const REFUSALS_SHOWN = 50;

/** The dependencies of a sweep in a process that holds the database and the store (hub node, CLI, bench). */
export function sweepDeps(rt: HubRuntime, store: SweepDeps["store"]): SweepDeps {
  return {
    db: rt.db,
    store,
    now: rt.clock,
    holdings: { plugins: rt.plugins, batch: rt.config.retentionHoldingsBatch },
    append: runtimeAppender(rt),
  };
}

export function disputeView(d: DisputeRow) {
  return {
    id: d.id,
    scope: d.scope,
    recordingId: d.recordingId,
    customerNo: d.customerNo,
    productCode: d.productCode,
    orgCode: d.orgCode,
    reason: d.reason,
    reference: d.reference,
    status: d.status,
    openedOn: d.openedOn,
    openedBy: d.openedBy,
    closedOn: d.closedOn,
    closedBy: d.closedBy,
  };
}

/**
 * The day to sweep now, or null: once a day, from `at` (HH:MM, Beijing time) on, unless that day was swept already.
 * A node down at `at` sweeps when it comes back the same day; a day missed altogether is covered by the next one.
 */
export function sweepDue(now: Date, at: string, lastSweptDay: string | null): string | null {
  const day = businessDay(now);
  const beijingTime = new Date(now.getTime() + CHINA_UTC_OFFSET_HOURS * 3_600_000)
    .toISOString()
    .slice(11, 16);
  if (beijingTime < at) return null;
  return lastSweptDay !== null && lastSweptDay >= day ? null : day;
}

const summary = (r: SweepResult) => ({
  ...r,
  refusedCount: r.refused.length,
  refused: r.refused.slice(0, REFUSALS_SHOWN),
});

/**
 * Retention (docs/retention.md): previews, redemptions, disputes as legal holds, the recycle bin and the daily
 * sweep. The rules are hub/domain/retention.ts; the sweep is ./sweep.ts; the evidence store enforces the result.
 */
export function createRetentionService(rt: HubRuntime, evidence: { store: EvidenceStore }): ServiceSchema {
  const deps = sweepDeps(rt, evidence.store);
  const today = () => businessDay(rt.clock());
  const recordings = () => rt.db.manager.getRepository(RecordingEntity);
  const disputes = () => rt.db.manager.getRepository(DisputeEntity);

  const notFound = (id: string) => new HubError("HUB_RECORDING_NOT_FOUND", `no recording ${id}`, { id });
  const invalid = (field: string, code: string, message: string) =>
    new ValidationError([{ field, code, message }]);

  async function recordingRow(id: string): Promise<RecordingRow> {
    const row = await recordings().findOneBy({ id });
    if (!row) throw notFound(id);
    return row;
  }

  /** Recompute (and lock) the groups a change of facts touches; never recycles or purges. */
  const recompute = (scope: SweepOptions["scope"]) =>
    sweepRetention(deps, { asOf: today(), mode: "recompute", scope });

  /** A day given by a caller: not after today. */
  function notFuture(field: string, day: string): void {
    if (day > today()) throw invalid(field, "future", `must not be after today (${today()})`);
  }

  return {
    name: "retention",
    mixins: [healthAction(rt)],

    actions: {
      /** The rule applied to facts given in the request (or a catalog product's). */
      preview: {
        async handler(
          ctx: HubContext<{
            productCode?: string;
            product?: RetentionFacts["product"];
            purchaseDate: string;
            fullRedemptionDate?: string | null;
            disputes?: { openedAt: string; closedAt?: string | null }[];
            asOf?: string;
          }>,
        ) {
          const actor = actorOf(ctx);
          await authorize(ctx, "product.read", actor.orgCode);
          const p = ctx.params;
          if ((p.productCode === undefined) === (p.product === undefined))
            throw invalid(
              "body.productCode",
              "oneOf",
              "give either productCode or product, not both or neither",
            );
          let product: RetentionFacts["product"];
          if (p.productCode !== undefined) {
            const row = await rt.db.manager.getRepository(ProductEntity).findOneBy({ code: p.productCode });
            if (!row) throw new HubError("HUB_PRODUCT_NOT_FOUND", `no product ${p.productCode}`);
            if (!isProductType(row.type))
              throw new HubError("HUB_PRODUCT_NOT_FOUND", `product type ${row.type}`);
            product = { type: row.type, maturityDate: row.maturityDate, termMonths: row.termMonths };
          } else {
            product = {
              type: p.product!.type,
              maturityDate: p.product!.maturityDate ?? null,
              termMonths: p.product!.termMonths ?? null,
            };
          }
          const facts: RetentionFacts = {
            product,
            purchaseDate: p.purchaseDate,
            fullRedemptionDate: p.fullRedemptionDate ?? null,
            disputes: (p.disputes ?? []).map((d) => ({ openedAt: d.openedAt, closedAt: d.closedAt ?? null })),
          };
          const problems = retentionFactsProblems(facts);
          if (problems.length)
            throw new ValidationError(problems.map((q) => ({ ...q, field: `body.${q.field}` })));
          const policy = (await loadPolicies(rt.db)).get(product.type) ?? defaultPolicyFor(product.type);
          const retention = computeRetention(facts, policy);
          const asOf = p.asOf ?? today();
          return { ...retention, asOf, deletable: isDeletable(retention, asOf), policy };
        },
      },

      /** Where a recording is in its life: its retention (as last computed), its disputes, the bin. */
      ofRecording: {
        async handler(ctx: HubContext<{ id: string }>) {
          const row = await recordingRow(ctx.params.id);
          await authorize(ctx, "recording.list", row.orgCode);
          const sale = row.relatedTo ?? row.id;
          const saleRow = sale === row.id ? row : await recordings().findOneBy({ id: sale });
          const held = await rt.db.manager
            .getRepository(DisputeEntity)
            .createQueryBuilder("d")
            .where("d.recordingId = :sale", { sale })
            .orWhere("(d.scope = 'holding' AND d.customerNo = :c AND d.productCode = :p)", {
              c: saleRow?.customerNo ?? row.customerNo,
              p: saleRow?.productCode ?? row.productCode,
            })
            .orderBy("d.openedAt", "ASC")
            .getMany();
          return {
            recordingId: row.id,
            sale,
            status: row.status,
            purchaseDate: saleRow?.purchaseDate ?? null,
            retainUntil: row.retainUntil,
            rule: row.retentionRule,
            deletable:
              row.retainUntil !== null && today() > row.retainUntil && !held.some((d) => d.status === "open"),
            recycledOn: row.recycledOn,
            restorableUntil: row.recycledOn ? addDays(row.recycledOn, RECYCLE_BIN_DAYS) : null,
            purgedOn: row.purgedOn,
            disputes: held.map(disputeView),
          };
        },
      },

      recordRedemption: {
        audit: {
          action: "redemption.record",
          target: (p) => `holding:${p.customerNo}/${p.productCode}`,
        },
        async handler(
          ctx: HubContext<{
            customerNo: string;
            productCode: string;
            redeemedOn: string;
            full?: boolean;
            reference?: string;
          }> &
            Locals,
        ) {
          const actor = actorOf(ctx);
          await authorize(ctx, "redemption.record", actor.orgCode);
          const p = ctx.params;
          notFuture("body.redeemedOn", p.redeemedOn);
          const product = await rt.db.manager.getRepository(ProductEntity).findOneBy({ code: p.productCode });
          if (!product) throw new HubError("HUB_PRODUCT_NOT_FOUND", `no product ${p.productCode}`);
          const row = {
            id: crypto.randomBytes(16).toString("hex"),
            customerNo: p.customerNo,
            productCode: p.productCode,
            redeemedOn: p.redeemedOn,
            fullRedemption: p.full ?? true,
            source: actor.role === "system" ? actor.username : "api",
            reference: p.reference ?? null,
            recordedBy: actor.username,
            recordedAt: rt.clock().toISOString(),
          };
          await rt.db.transaction((m) => m.getRepository(RedemptionEntity).insert(row));
          const swept = await recompute({ customerNo: p.customerNo, productCode: p.productCode });
          ctx.locals.auditDetails = { redemption: row, recomputed: swept.recomputed };
          return { ...row, recomputed: swept.recomputed, refused: swept.refused };
        },
      },

      /** 录音录像延长: a legal hold on the recording's sale and everything that belongs to it. */
      openDispute: {
        audit: { action: "dispute.open", target: (p) => `recording:${p.id}` },
        async handler(ctx: HubContext<{ id: string; reason: string; reference: string }> & Locals) {
          const row = await recordingRow(ctx.params.id);
          const actor = await authorize(ctx, "dispute.manage", row.orgCode);
          if (row.status === "draft")
            throw new HubError("HUB_RECORDING_NOT_SUBMITTED", "a draft has no retention to extend");
          if (row.status === "purged")
            throw new HubError(
              "HUB_RECORDING_PURGED",
              `recording ${row.id} was destroyed on ${row.purgedOn}`,
            );
          const sale = row.relatedTo ? await recordingRow(row.relatedTo) : row;
          const now = rt.clock();
          const dispute: DisputeRow = {
            id: crypto.randomBytes(16).toString("hex"),
            scope: "recording",
            recordingId: sale.id,
            customerNo: sale.customerNo,
            productCode: sale.productCode,
            orgCode: sale.orgCode,
            reason: ctx.params.reason,
            reference: ctx.params.reference,
            status: "open",
            openedOn: businessDay(now),
            openedAt: now.toISOString(),
            openedBy: actor.username,
            closedOn: null,
            closedAt: null,
            closedBy: null,
          };
          await rt.db.transaction((m) => m.getRepository(DisputeEntity).insert(dispute));
          // Recomputing puts the hold into the store's locks and takes a recycled group out of the bin.
          const swept = await recompute({ rootIds: [sale.id] });
          ctx.locals.auditDetails = { dispute: disputeView(dispute), restored: swept.restored };
          return { ...disputeView(dispute), restored: swept.restored > 0, refused: swept.refused };
        },
      },

      /** A legal hold on every recording of a customer and product, present and future, until closed. */
      openHoldingDispute: {
        audit: {
          action: "dispute.open",
          target: (p) => `holding:${p.customerNo}/${p.productCode}`,
        },
        async handler(
          ctx: HubContext<{ customerNo: string; productCode: string; reason: string; reference: string }> &
            Locals,
        ) {
          const actor = await authorize(ctx, "dispute.manage", actorOf(ctx).orgCode);
          const p = ctx.params;
          const now = rt.clock();
          const dispute: DisputeRow = {
            id: crypto.randomBytes(16).toString("hex"),
            scope: "holding",
            recordingId: null,
            customerNo: p.customerNo,
            productCode: p.productCode,
            orgCode: actor.orgCode,
            reason: p.reason,
            reference: p.reference,
            status: "open",
            openedOn: businessDay(now),
            openedAt: now.toISOString(),
            openedBy: actor.username,
            closedOn: null,
            closedAt: null,
            closedBy: null,
          };
          await rt.db.transaction((m) => m.getRepository(DisputeEntity).insert(dispute));
          const swept = await recompute({ customerNo: p.customerNo, productCode: p.productCode });
          ctx.locals.auditDetails = { dispute: disputeView(dispute), sales: swept.examined };
          return {
            ...disputeView(dispute),
            sales: swept.examined,
            restored: swept.restored,
            refused: swept.refused,
          };
        },
      },

      closeDispute: {
        audit: { action: "dispute.close", target: (p) => `dispute:${p.id}` },
        async handler(ctx: HubContext<{ id: string; closedAt: string }> & Locals) {
          const found = await disputes().findOneBy({ id: ctx.params.id });
          if (!found) throw new HubError("HUB_DISPUTE_NOT_FOUND", `no dispute ${ctx.params.id}`);
          const actor = await authorize(ctx, "dispute.manage", found.orgCode);
          const closedOn = ctx.params.closedAt;
          notFuture("body.closedAt", closedOn);
          if (closedOn < found.openedOn)
            throw invalid(
              "body.closedAt",
              "beforeOpened",
              `must not be before the day it was opened (${found.openedOn})`,
            );
          const closed = await rt.db.transaction(async (m) => {
            const result = await m
              .getRepository(DisputeEntity)
              .update(
                { id: found.id, status: "open" },
                { status: "closed", closedOn, closedAt: rt.clock().toISOString(), closedBy: actor.username },
              );
            return result.affected === 1;
          });
          if (!closed) throw new HubError("HUB_DISPUTE_CLOSED", `dispute ${found.id} is already closed`);
          const swept = await recompute(
            found.scope === "recording"
              ? { rootIds: [found.recordingId!] }
              : { customerNo: found.customerNo, productCode: found.productCode },
          );
          const after = (await disputes().findOneBy({ id: found.id }))!;
          ctx.locals.auditDetails = { dispute: disputeView(after) };
          return { ...disputeView(after), refused: swept.refused };
        },
      },

      listDisputes: {
        async handler(
          ctx: HubContext<{
            customerNo?: string;
            productCode?: string;
            recordingId?: string;
            status?: "open" | "closed";
            page?: number;
            pageSize?: number;
          }>,
        ) {
          const actor = actorOf(ctx);
          const scope = await ctx.call<OrgRef, { code: string }>("org.resolve", { code: actor.orgCode });
          await authorize(ctx, "recording.list", actor.orgCode);
          const p = ctx.params;
          const page = p.page ?? 1;
          const pageSize = p.pageSize ?? 50;
          const qb = disputes()
            .createQueryBuilder("d")
            .innerJoin("OrgUnit", "o", "o.code = d.orgCode")
            .where("(o.path = :path OR o.path LIKE :prefix)", {
              path: scope.path,
              prefix: `${scope.path}/%`,
            });
          if (p.customerNo) qb.andWhere("d.customerNo = :c", { c: p.customerNo });
          if (p.productCode) qb.andWhere("d.productCode = :pc", { pc: p.productCode });
          if (p.recordingId) qb.andWhere("d.recordingId = :r", { r: p.recordingId });
          if (p.status) qb.andWhere("d.status = :s", { s: p.status });
          const [rows, total] = await qb
            .orderBy("d.openedAt", "DESC")
            .skip((page - 1) * pageSize)
            .take(pageSize)
            .getManyAndCount();
          return { items: rows.map(disputeView), total, page, pageSize };
        },
      },

      /** 回收站: recordings past retention in the caller's subtree, with the day each is destroyed. */
      recycleBin: {
        async handler(ctx: HubContext<{ orgCode?: string; page?: number; pageSize?: number }>) {
          const actor = actorOf(ctx);
          const scopeCode = ctx.params.orgCode ?? actor.orgCode;
          await authorize(ctx, "recording.list", scopeCode);
          const scope = await ctx.call<OrgRef, { code: string }>("org.resolve", { code: scopeCode });
          const page = ctx.params.page ?? 1;
          const pageSize = ctx.params.pageSize ?? 50;
          const [rows, total] = await recordings()
            .createQueryBuilder("r")
            .innerJoin("OrgUnit", "o", "o.code = r.orgCode")
            .where("(o.path = :path OR o.path LIKE :prefix)", { path: scope.path, prefix: `${scope.path}/%` })
            .andWhere("r.status = 'recycled'")
            .orderBy("r.recycledOn", "ASC")
            .addOrderBy("r.id", "ASC")
            .skip((page - 1) * pageSize)
            .take(pageSize)
            .getManyAndCount();
          return {
            items: rows.map((r) => ({
              id: r.id,
              kind: r.kind,
              relatedTo: r.relatedTo,
              customerNo: r.customerNo,
              productCode: r.productCode,
              orgCode: r.orgCode,
              createdAt: r.createdAt,
              purchaseDate: r.purchaseDate,
              retainUntil: r.retainUntil,
              rule: r.retentionRule,
              recycledOn: r.recycledOn,
              restorableUntil: addDays(r.recycledOn!, RECYCLE_BIN_DAYS),
              purgeFrom: addDays(r.recycledOn!, RECYCLE_BIN_DAYS + 1),
            })),
            total,
            page,
            pageSize,
          };
        },
      },

      /** Back out of the bin within 30 days; kept out of it for 30 days, to correct its facts or open a dispute. */
      restore: {
        audit: { action: "recording.restore", target: (p) => `recording:${p.id}` },
        async handler(ctx: HubContext<{ id: string; reason: string }> & Locals) {
          const row = await recordingRow(ctx.params.id);
          await authorize(ctx, "recycleBin.restore", row.orgCode);
          const sale = row.relatedTo ? await recordingRow(row.relatedTo) : row;
          if (sale.status !== "recycled" || !sale.recycledOn)
            throw new HubError(
              "HUB_RECORDING_NOT_RECYCLED",
              `recording ${row.id} is ${row.status}, not in the recycle bin`,
            );
          const until = addDays(sale.recycledOn, RECYCLE_BIN_DAYS);
          if (today() > until)
            throw new HubError(
              "HUB_RECYCLE_RESTORE_EXPIRED",
              `it could be restored until ${until}; it is being destroyed`,
            );
          const members = await recordings()
            .createQueryBuilder("r")
            .where("(r.id = :id OR r.relatedTo = :id)", { id: sale.id })
            .andWhere("r.status = 'recycled'")
            .getMany();
          try {
            for (const m of members) await evidence.store.updateRetentionLock(m.id, { kind: "restore" });
          } catch (err) {
            if (err instanceof RetentionLockedError)
              throw new HubError("HUB_RETENTION_LOCKED", err.message, { reason: err.reason });
            throw err;
          }
          await rt.db.transaction(async (m) => {
            for (const key of ["id", "related_to"])
              await m
                .createQueryBuilder()
                .update(RecordingEntity)
                .set({ status: "submitted", recycledOn: null, restoredOn: today() })
                .where(`${key} = :id AND status = 'recycled'`, { id: sale.id })
                .execute();
          });
          ctx.locals.auditDetails = { reason: ctx.params.reason, recordings: members.map((m) => m.id) };
          return {
            id: row.id,
            sale: sale.id,
            restored: members.map((m) => m.id),
            keptOutOfBinUntil: addDays(today(), RECYCLE_BIN_DAYS),
          };
        },
      },

      /** Per outlet: recordings whose retention ends in the next 30 and 90 days. */
      expiring: {
        async handler(ctx: HubContext<{ orgCode?: string; asOf?: string }>) {
          const actor = actorOf(ctx);
          const scopeCode = ctx.params.orgCode ?? actor.orgCode;
          await authorize(ctx, "report.read", scopeCode);
          const scope = await ctx.call<OrgRef, { code: string }>("org.resolve", { code: scopeCode });
          const asOf = ctx.params.asOf ?? today();
          const in30 = addDays(asOf, 30);
          const in90 = addDays(asOf, 90);
          const rows = await rt.db.query<{
            org_code: string;
            name: string;
            within30: string | number;
            within90: string | number;
          }>(
            rt.db.manager,
            `SELECT r."org_code", o."name",
                    SUM(CASE WHEN r."retain_until" <= ? THEN 1 ELSE 0 END) AS "within30",
                    COUNT(*) AS "within90"
               FROM "recordings" r JOIN "org_units" o ON o."code" = r."org_code"
              WHERE r."status" = 'submitted' AND r."retain_until" >= ? AND r."retain_until" <= ?
                AND (o."path" = ? OR o."path" LIKE ?)
              GROUP BY r."org_code", o."name" ORDER BY r."org_code"`,
            [in30, asOf, in90, scope.path, `${scope.path}/%`],
          );
          const outlets = rows.map((r) => ({
            orgCode: r.org_code,
            orgName: r.name,
            within30: Number(r.within30),
            within90: Number(r.within90),
          }));
          return {
            asOf,
            orgCode: scopeCode,
            windows: { within30: in30, within90: in90 },
            outlets,
            totals: {
              within30: outlets.reduce((n, o) => n + o.within30, 0),
              within90: outlets.reduce((n, o) => n + o.within90, 0),
            },
          };
        },
      },

      /** The daily sweep, now (head office). Idempotent: a second run the same day changes nothing. */
      sweep: {
        timeout: 0,
        audit: { action: "retention.sweep", target: () => null },
        async handler(ctx: HubContext<{ asOf?: string }> & Locals) {
          const root = await ctx.call<OrgRef>("org.root");
          await authorize(ctx, "retention.configure", root.code);
          const asOf = ctx.params.asOf ?? today();
          notFuture("body.asOf", asOf);
          const result = summary(await sweepRetention(deps, { asOf }));
          ctx.locals.auditDetails = { ...result, refused: result.refused.slice(0, 5) };
          return result;
        },
      },
    },

    events: {
      /** A product's end date or term changed: its recordings' retention is recomputed at once. */
      "catalog.productChanged": {
        handler(this: Service, ctx: HubContext<{ code: string }>) {
          recompute({ productCode: ctx.params.code }).catch((err) =>
            this.logger.error("retention recompute after a product change failed", err),
          );
        },
      },
      /** Head office changed a product type's policy. */
      "catalog.retentionPolicyChanged": {
        handler(this: Service, ctx: HubContext<{ productType: string }>) {
          if (!isProductType(ctx.params.productType)) return;
          recompute({ productType: ctx.params.productType }).catch((err) =>
            this.logger.error("retention recompute after a policy change failed", err),
          );
        },
      },
    },

    async started(this: Service) {
      const at = rt.config.retentionSweepAt;
      if (!at) return;
      const self = this as Service & { scheduleTimer?: NodeJS.Timeout; sweeping?: Promise<unknown> };
      const tick = () => {
        if (self.sweeping) return;
        self.sweeping = runScheduled(at)
          .then((r) => r && this.logger.info("retention sweep", { ...summary(r), refused: r.refused.length }))
          .catch((err) => this.logger.error("retention sweep failed; retried at the next check", err))
          .finally(() => (self.sweeping = undefined));
      };
      self.scheduleTimer = setInterval(tick, SCHEDULE_CHECK_MS);
      self.scheduleTimer.unref();
      tick();
    },

    async stopped(this: Service) {
      const self = this as Service & { scheduleTimer?: NodeJS.Timeout; sweeping?: Promise<unknown> };
      if (self.scheduleTimer) clearInterval(self.scheduleTimer);
      await self.sweeping;
    },
  };

  /**
   * Today's sweep when it is due (past `at`, Beijing time, and not yet run today). The day is claimed in the
   * settings table first, so one node of a cluster runs it; a failed run gives the claim back.
   */
  async function runScheduled(at: string): Promise<SweepResult | null> {
    const now = rt.clock();
    const settings = rt.db.manager.getRepository(SettingEntity);
    const previous = await settings.findOneBy({ name: LAST_SWEEP });
    const day = sweepDue(now, at, previous?.value ?? null);
    if (!day) return null;
    const claimed = await rt.db.transaction(async (m) => {
      const repo = m.getRepository(SettingEntity);
      if (!previous) {
        const exists = await repo.findOneBy({ name: LAST_SWEEP });
        if (exists) return false;
        await repo.insert({
          name: LAST_SWEEP,
          value: day,
          updatedBy: "system:retention",
          updatedAt: now.toISOString(),
        });
        return true;
      }
      const result = await repo.update(
        { name: LAST_SWEEP, value: previous.value },
        { value: day, updatedAt: now.toISOString() },
      );
      return result.affected === 1;
    });
    if (!claimed) return null;
    try {
      return await sweepRetention(deps, { asOf: day });
    } catch (err) {
      await rt.db.transaction((m) =>
        previous
          ? m.getRepository(SettingEntity).update({ name: LAST_SWEEP }, { value: previous.value })
          : m.getRepository(SettingEntity).delete({ name: LAST_SWEEP }),
      );
      throw err;
    }
  }
}
