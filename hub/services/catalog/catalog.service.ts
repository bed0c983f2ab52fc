import type { Service, ServiceSchema } from "moleculer";
import { Like } from "typeorm";
import {
  effectiveRecordingRequired,
  PRODUCT_TYPES,
  PRODUCT_TYPE_NAMES,
  type ProductType,
  type RecordingOverride,
} from "../../domain/recording-required";
import { PRODUCT_RISK_NAMES, type ProductRisk } from "../../domain/risk";
import {
  ProductEntity,
  RecordingOverrideEntity,
  RetentionPolicyEntity,
  type ProductRow,
} from "../../db/entities";
import {
  defaultPolicyFor,
  retentionPolicyProblems,
  type RetentionPolicy,
} from "../../domain/retention-policy";
import { HubError, ValidationError, type FieldProblem } from "../../errors/hub-error";
import type { HubRuntime } from "../../runtime";
import { actorOf, authorize, type HubContext, type OrgRef } from "../actor";
import type { AuditLocals } from "../audit/audit-spec";
import { runtimeAppender } from "../audit/chain-store";
import { healthAction } from "../health.mixin";
import { repeat, type Repeating } from "../repeat";
import { claimScheduledSync, syncProducts, type ProductSyncDeps, type SyncResult } from "./product-sync";

type Locals = { locals: AuditLocals };

export type ProductChanges = Partial<
  Pick<
    ProductRow,
    | "name"
    | "risk"
    | "issuer"
    | "inceptionDate"
    | "maturityDate"
    | "termMonths"
    | "recordingRequired"
    | "features"
    | "risks"
    | "customerRights"
  >
>;

/** What must hold of a product whoever edits or imports it. */
export function productProblems(p: ProductRow): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (p.inceptionDate && p.maturityDate && p.maturityDate < p.inceptionDate) {
    problems.push({
      field: "body.maturityDate",
      code: "beforeInception",
      message: "must not precede the inception date",
    });
  }
  if (p.type === "INSURANCE" && !p.termMonths) {
    problems.push({
      field: "body.termMonths",
      code: "required",
      message: "an insurance product needs its term in months",
    });
  }
  return problems;
}

export function productView(p: ProductRow) {
  return {
    code: p.code,
    name: p.name,
    type: p.type,
    typeName: PRODUCT_TYPE_NAMES[p.type as ProductType],
    risk: p.risk,
    riskName: PRODUCT_RISK_NAMES[p.risk as ProductRisk],
    issuer: p.issuer,
    inceptionDate: p.inceptionDate,
    maturityDate: p.maturityDate,
    openEnded: p.maturityDate === null,
    termMonths: p.termMonths,
    features: p.features,
    risks: p.risks,
    customerRights: p.customerRights,
  };
}

/** Products: what is sold, its risk, its texts, and whether selling it must be recorded at a given outlet. */
export function createCatalogService(rt: HubRuntime): ServiceSchema {
  const products = () => rt.db.manager.getRepository(ProductEntity);

  /** Products synced from the systems of record; `emit` tells retention which products' dates moved. */
  const syncDeps = (emit: (code: string) => void): ProductSyncDeps => ({
    db: rt.db,
    plugins: rt.plugins,
    now: rt.clock,
    append: runtimeAppender(rt),
    productChanged: emit,
  });
  const syncSummary = (r: SyncResult) =>
    r.providers.map(({ rejected, ...p }) => ({ ...p, rejectedCount: rejected.length }));

  async function overridesOf(ctx: HubContext<unknown>, productCode: string): Promise<RecordingOverride[]> {
    const rows = await rt.db.manager.getRepository(RecordingOverrideEntity).find({ where: { productCode } });
    return Promise.all(
      rows.map(async (r) => {
        const org = await ctx.call<OrgRef, { code: string }>("org.resolve", { code: r.orgCode });
        return { orgPath: org.path, required: r.required };
      }),
    );
  }

  return {
    name: "catalog",
    mixins: [healthAction(rt)],
    actions: {
      getProduct: {
        async handler(ctx: HubContext<{ code: string; orgCode?: string }>) {
          const actor = actorOf(ctx);
          const orgCode = ctx.params.orgCode ?? actor.orgCode;
          await authorize(ctx, "product.read", orgCode);
          const product = await products().findOneBy({ code: ctx.params.code });
          if (!product)
            throw new HubError("HUB_PRODUCT_NOT_FOUND", `no product ${ctx.params.code}`, { field: "code" });
          const org = await ctx.call<OrgRef, { code: string }>("org.resolve", { code: orgCode });
          const effective = effectiveRecordingRequired(
            { type: product.type as ProductType, recordingRequired: product.recordingRequired },
            await overridesOf(ctx, product.code),
            org.path,
          );
          return { ...productView(product), recordingRequired: { ...effective, orgCode } };
        },
      },

      searchProducts: {
        async handler(
          ctx: HubContext<{ q?: string; type?: string; risk?: string; page: number; pageSize: number }>,
        ) {
          const actor = actorOf(ctx);
          await authorize(ctx, "product.read", actor.orgCode);
          const p = ctx.params;
          const filter = { ...(p.type ? { type: p.type } : {}), ...(p.risk ? { risk: p.risk } : {}) };
          const q = p.q?.replace(/[\\%_]/g, "");
          const [rows, total] = await products().findAndCount({
            where: q
              ? [
                  { ...filter, code: Like(`%${q}%`) },
                  { ...filter, name: Like(`%${q}%`) },
                ]
              : filter,
            order: { code: "ASC" },
            skip: (p.page - 1) * p.pageSize,
            take: p.pageSize,
          });
          return { items: rows.map(productView), total, page: p.page, pageSize: p.pageSize };
        },
      },

      /** 总行 edits a product; before and after go to the audit trail. */
      updateProduct: {
        audit: { action: "product.edit", target: (p) => `product:${p.code}` },
        async handler(ctx: HubContext<ProductChanges & { code: string }> & Locals) {
          const root = await ctx.call<OrgRef>("org.root");
          await authorize(ctx, "product.edit", root.code);
          const { code, ...changes } = ctx.params;
          const { before, after } = await rt.db.transaction(async (m) => {
            const repo = m.getRepository(ProductEntity);
            const row = await repo.findOneBy({ code });
            if (!row) throw new HubError("HUB_PRODUCT_NOT_FOUND", `no product ${code}`, { field: "code" });
            const next: ProductRow = { ...row, ...changes, updatedAt: rt.clock().toISOString() };
            const problems = productProblems(next);
            if (problems.length) throw new ValidationError(problems);
            await repo.update({ code }, { ...changes, updatedAt: next.updatedAt });
            return { before: row, after: next };
          });
          ctx.locals.auditDetails = { before: productView(before), after: productView(after) };
          if (
            before.maturityDate !== after.maturityDate ||
            before.termMonths !== after.termMonths ||
            before.type !== after.type
          )
            ctx.emit("catalog.productChanged", { code }); // its recordings' retention is recomputed
          return productView(after);
        },
      },

      /**
       * 总行 takes the products changed in the systems of record (products.list) now, as the schedule does every
       * HUB_CATALOG_SYNC_INTERVAL seconds (product-sync.ts).
       */
      syncProducts: {
        timeout: 0,
        audit: { action: "product.sync", target: () => null },
        async handler(ctx: HubContext<Record<string, never>> & Locals) {
          const root = await ctx.call<OrgRef>("org.root");
          const actor = await authorize(ctx, "product.edit", root.code);
          if (!rt.plugins.has("products.list"))
            throw new HubError("HUB_PLUGIN_NO_PROVIDER", "no enabled plugin provides products.list", {
              capability: "products.list",
            });
          const result = await syncProducts(
            // Each product's retention recomputed as after a manual edit.
            syncDeps((code) => ctx.emit("catalog.productChanged", { code })),
            { username: actor.username, role: actor.role, orgCode: actor.orgCode },
          );
          ctx.locals.auditDetails = { providers: syncSummary(result) };
          return result;
        },
      },

      /** A branch (or head office) decides for its subtree whether selling this product must be recorded. */
      setRecordingOverride: {
        audit: { action: "recordingRequired.set", target: (p) => `product:${p.code}@${p.orgCode}` },
        async handler(ctx: HubContext<{ code: string; orgCode: string; required: boolean }> & Locals) {
          const actor = await authorize(ctx, "recordingRequired.set", ctx.params.orgCode);
          const { code, orgCode, required } = ctx.params;
          await rt.db.transaction(async (m) => {
            if (!(await m.getRepository(ProductEntity).existsBy({ code }))) {
              throw new HubError("HUB_PRODUCT_NOT_FOUND", `no product ${code}`, { field: "code" });
            }
            const repo = m.getRepository(RecordingOverrideEntity);
            const before = await repo.findOneBy({ productCode: code, orgCode });
            await repo.save({
              productCode: code,
              orgCode,
              required,
              setBy: actor.username,
              setAt: rt.clock().toISOString(),
            });
            ctx.locals.auditDetails = {
              before: before ? { required: before.required } : null,
              after: { required },
            };
          });
          return { productCode: code, orgCode, required };
        },
      },

      clearRecordingOverride: {
        audit: { action: "recordingRequired.set", target: (p) => `product:${p.code}@${p.orgCode}` },
        async handler(ctx: HubContext<{ code: string; orgCode: string }> & Locals) {
          await authorize(ctx, "recordingRequired.set", ctx.params.orgCode);
          const { code, orgCode } = ctx.params;
          const removed = await rt.db.transaction(async (m) => {
            const repo = m.getRepository(RecordingOverrideEntity);
            const before = await repo.findOneBy({ productCode: code, orgCode });
            if (before) await repo.delete({ productCode: code, orgCode });
            return before;
          });
          ctx.locals.auditDetails = { before: removed ? { required: removed.required } : null, after: null };
          return { productCode: code, orgCode, cleared: Boolean(removed) };
        },
      },

      listRetentionPolicies: {
        async handler(ctx: HubContext) {
          const actor = actorOf(ctx);
          await authorize(ctx, "product.read", actor.orgCode);
          const stored = await rt.db.manager.getRepository(RetentionPolicyEntity).find();
          return {
            items: PRODUCT_TYPES.map((type) => {
              const row = stored.find((r) => r.productType === type);
              return {
                productType: type,
                typeName: PRODUCT_TYPE_NAMES[type],
                openEndedHeldUntilRedemption: true,
                ...(row ? (JSON.parse(row.parameters) as RetentionPolicy) : defaultPolicyFor(type)),
                isDefault: !row,
                updatedBy: row?.updatedBy ?? null,
                updatedAt: row?.updatedAt ?? null,
              };
            }),
          };
        },
      },

      /** 总行 sets the retention parameters of a product type; the insurance regulator's minimums hold. */
      updateRetentionPolicy: {
        audit: { action: "retention.configure", target: (p) => `retention:${p.productType}` },
        async handler(ctx: HubContext<Partial<RetentionPolicy> & { productType: ProductType }> & Locals) {
          const root = await ctx.call<OrgRef>("org.root");
          const actor = await authorize(ctx, "retention.configure", root.code);
          const { productType, ...changes } = ctx.params;
          const result = await rt.db.transaction(async (m) => {
            const repo = m.getRepository(RetentionPolicyEntity);
            const row = await repo.findOneBy({ productType });
            const before: RetentionPolicy = row ? JSON.parse(row.parameters) : defaultPolicyFor(productType);
            const after: RetentionPolicy = { ...before, ...changes };
            const problems = retentionPolicyProblems(after);
            if (problems.length)
              throw new ValidationError(problems.map((p) => ({ ...p, field: `body.${p.field}` })));
            await repo.save({
              productType,
              parameters: JSON.stringify(after),
              updatedBy: actor.username,
              updatedAt: rt.clock().toISOString(),
            });
            return { before, after };
          });
          ctx.locals.auditDetails = { ...result };
          ctx.emit("catalog.retentionPolicyChanged", { productType }); // recordings' retention is recomputed
          return { productType, ...result.after };
        },
      },
    },

    /** The scheduled sync: one node per interval (claimed in the settings table); off without a provider. */
    async started(this: Service) {
      const interval = rt.config.catalogSyncIntervalSeconds;
      if (!interval || !rt.plugins.has("products.list")) return;
      const self = this as Service & { syncing?: Repeating };
      // Checked at least every minute, so that a node started late takes over a missed run soon.
      self.syncing = repeat(
        Math.min(interval, 60) * 1000,
        () =>
          claimScheduledSync(rt.db, rt.clock(), interval)
            .then(async (claimed) => {
              if (!claimed) return;
              const result = await syncProducts(
                syncDeps((code) => this.broker.emit("catalog.productChanged", { code })),
              );
              const failed = result.providers.filter((p) => p.error || p.rejected.length);
              this.logger[failed.length ? "warn" : "info"]("catalog sync", syncSummary(result));
            })
            .catch((err) => this.logger.error("catalog sync failed; retried at the next interval", err)),
        { firstAfterMs: Math.min(interval, 60) * 1000 },
      );
    },

    async stopped(this: Service) {
      await (this as Service & { syncing?: Repeating }).syncing?.stop();
    },
  };
}
