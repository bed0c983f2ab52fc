import type { ServiceSchema } from "moleculer";
import { Like } from "typeorm";
import {
  effectiveRecordingRequired,
  PRODUCT_TYPE_NAMES,
  type ProductType,
  type RecordingOverride,
} from "../../domain/recording-required";
import { PRODUCT_RISK_NAMES, type ProductRisk } from "../../domain/risk";
import { ProductEntity, RecordingOverrideEntity, type ProductRow } from "../../db/entities";
import { HubError } from "../../errors/hub-error";
import type { HubRuntime } from "../../runtime";
import { actorOf, authorize, type HubContext, type OrgRef } from "../actor";
import { healthAction } from "../health.mixin";

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
    },
  };
}
