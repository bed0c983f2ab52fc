import type { ServiceSchema } from "moleculer";
import { businessDay } from "../../domain/business-day";
import { maskIdNumber, maskPhone } from "../../domain/masking";
import {
  isAssessmentValid,
  latestAssessment,
  matchRisk,
  RISK_LEVEL_NAMES,
  type Assessment,
  type ProductRisk,
} from "../../domain/risk";
import { ProductEntity } from "../../db/entities";
import { HubError } from "../../errors/hub-error";
import type { HubRuntime } from "../../runtime";
import { actorOf, authorize, type HubContext } from "../actor";
import type { AuditLocals } from "../audit/audit-spec";
import { healthAction } from "../health.mixin";
import { localCatalogSource } from "./local-source";
import type { CustomerQuery, CustomerRecord, RiskSource } from "./sources";

type Locals = { locals: AuditLocals };

function assessmentView(a: Assessment | null, onDay: string) {
  if (!a) return null;
  return {
    level: a.level,
    levelName: RISK_LEVEL_NAMES[a.level],
    assessedAt: a.assessedAt,
    validUntil: a.validUntil,
    valid: isAssessmentValid(a, onDay),
    source: a.source,
  };
}

/** The query as it may appear in the audit trail: which key was used, never the card or identity number itself. */
function auditQuery(q: CustomerQuery): Record<string, string> {
  if (q.card) return { by: "card", value: `****${q.card.replace(/\D/g, "").slice(-4)}` };
  if (q.idNo) return { by: "idNo", value: maskIdNumber(q.idNo) };
  if (q.customerNo) return { by: "customerNo", value: q.customerNo };
  return { by: "name", value: q.name ?? "" };
}

/**
 * Who the customer is and whether they may buy a product: customer lookup (card, identity number, number, name)
 * with the assessment in force, and the product-risk match. Sources are asked in order; the first that knows the
 * customer answers.
 */
export function createRiskLookupService(
  rt: HubRuntime,
  sources: RiskSource[] = [localCatalogSource(rt)],
): ServiceSchema {
  async function findCustomers(query: CustomerQuery): Promise<CustomerRecord[]> {
    for (const source of sources) {
      const found = await source.findCustomers(query);
      if (found.length) return found;
    }
    return [];
  }

  async function assessmentInForce(customerNo: string): Promise<Assessment | null> {
    for (const source of sources) {
      const latest = latestAssessment(await source.assessments(customerNo));
      if (latest) return latest;
    }
    return null;
  }

  async function customerView(c: CustomerRecord, onDay: string, unmasked: boolean) {
    return {
      customerNo: c.customerNo,
      name: c.name,
      idType: c.idType,
      idNumber: unmasked ? c.idNumber : maskIdNumber(c.idNumber),
      phone: c.phone === null ? null : unmasked ? c.phone : maskPhone(c.phone),
      birthDate: c.birthDate,
      cards: c.cardLast4.map((last4) => ({ last4 })),
      assessment: assessmentView(await assessmentInForce(c.customerNo), onDay),
    };
  }

  return {
    name: "risk-lookup",
    mixins: [healthAction(rt)],
    actions: {
      lookup: {
        audit: { action: "customer.read", target: (p) => (p.customerNo ? `customer:${p.customerNo}` : null) },
        async handler(ctx: HubContext<CustomerQuery> & Locals) {
          const actor = actorOf(ctx);
          await authorize(ctx, "customer.read", actor.orgCode);
          const query = ctx.params;
          const given = (["card", "idNo", "customerNo", "name"] as const).filter(
            (k) => query[k] !== undefined,
          );
          if (given.length !== 1) {
            throw new HubError("HUB_VALIDATION_FAILED", "give exactly one of card, idNo, customerNo, name", [
              { field: "query", code: "oneOf", message: "exactly one of card, idNo, customerNo, name" },
            ]);
          }
          ctx.locals.auditDetails = { query: auditQuery(query) };
          const onDay = businessDay(rt.clock());
          const found = await findCustomers(query);
          if (!found.length) throw new HubError("HUB_CUSTOMER_NOT_FOUND", `no customer by ${given[0]}`);
          ctx.locals.auditDetails.customers = found.map((c) => c.customerNo);
          return { items: await Promise.all(found.map((c) => customerView(c, onDay, false))) };
        },
      },

      get: {
        audit: { action: "customer.read", target: (p) => `customer:${p.customerNo}` },
        async handler(ctx: HubContext<{ customerNo: string; unmasked?: boolean }> & Locals) {
          const actor = actorOf(ctx);
          // Identity data in clear is its own permission, and every such read is marked in the audit trail.
          await authorize(
            ctx,
            ctx.params.unmasked ? "customer.readUnmasked" : "customer.read",
            actor.orgCode,
          );
          ctx.locals.auditDetails = { unmasked: Boolean(ctx.params.unmasked) };
          const [customer] = await findCustomers({ customerNo: ctx.params.customerNo });
          if (!customer) throw new HubError("HUB_CUSTOMER_NOT_FOUND", `no customer ${ctx.params.customerNo}`);
          return customerView(customer, businessDay(rt.clock()), Boolean(ctx.params.unmasked));
        },
      },

      match: {
        audit: { action: "risk.match", target: (p) => `customer:${p.customerNo}` },
        async handler(ctx: HubContext<{ customerNo: string; productCode: string; onDay?: string }> & Locals) {
          const actor = actorOf(ctx);
          await authorize(ctx, "customer.read", actor.orgCode);
          await authorize(ctx, "product.read", actor.orgCode);
          const product = await rt.db.manager
            .getRepository(ProductEntity)
            .findOneBy({ code: ctx.params.productCode });
          if (!product)
            throw new HubError("HUB_PRODUCT_NOT_FOUND", `no product ${ctx.params.productCode}`, {
              field: "productCode",
            });
          const [customer] = await findCustomers({ customerNo: ctx.params.customerNo });
          if (!customer)
            throw new HubError("HUB_CUSTOMER_NOT_FOUND", `no customer ${ctx.params.customerNo}`, {
              field: "customerNo",
            });
          const onDay = ctx.params.onDay ?? businessDay(rt.clock());
          const result = matchRisk(
            await assessmentInForce(customer.customerNo),
            product.risk as ProductRisk,
            onDay,
          );
          ctx.locals.auditDetails = { productCode: product.code, onDay, code: result.code };
          return { ...result, customerNo: customer.customerNo, productCode: product.code, onDay };
        },
      },
    },
  };
}
