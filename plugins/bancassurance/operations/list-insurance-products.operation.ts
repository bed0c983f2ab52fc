import {
  asArray,
  checkReturnCode,
  compactDay,
  day,
  defineOperation,
  int,
  text,
  type HttpXmlClient,
  type LegacyProduct,
  type OperationContext,
  type ProductsListRequest,
  type SoapClient,
} from "../../sdk";
import { ybtTransaction } from "../ybt";

/** 险种状态 1 在售, 2 暂停, 3 停售. */
const STATE: Readonly<Record<string, LegacyProduct["status"]>> = {
  "1": "ON_SALE",
  "2": "SUSPENDED",
  "3": "CLOSED",
};

function product(r: Record<string, unknown>): LegacyProduct {
  return {
    code: text(r.RiskCode),
    name: text(r.RiskName),
    type: "INSURANCE",
    risk: text(r.RiskGrade),
    issuer: text(r.Insurer),
    inceptionDate: day(r.StartDate),
    maturityDate: day(r.EndDate),
    termMonths: int(r.InsuMonths),
    status: STATE[text(r.State) ?? ""] ?? text(r.State),
    updatedOn: day(r.ModifyDate),
  } as LegacyProduct;
}

async function overXml(ctx: OperationContext<HttpXmlClient>, request: ProductsListRequest) {
  const body = await ybtTransaction(ctx, "PRD001", { ModifyDate: compactDay(request.changedSince) });
  const risks = (body.Risks ?? {}) as Record<string, unknown>;
  return { products: asArray(risks.Risk as Record<string, unknown>[]).map(product) };
}

async function overSoap(ctx: OperationContext<SoapClient>, request: ProductsListRequest) {
  const answer = await ctx.transport.call(
    "QueryRiskList",
    { ModifiedSince: compactDay(request.changedSince) },
    ctx.callOptions(),
  );
  checkReturnCode(answer);
  return { products: asArray(answer.Risk as Record<string, unknown>[]).map(product) };
}

/** 险种信息同步: insurance products sold through 银保通, with their term (保险期间) in months. */
export const listInsuranceProducts = defineOperation({
  capability: "products.list",
  description: "Insurance products changed on or after a day (银保通 PRD001, or QueryRiskList)",
  timeoutMs: 30_000,
  retryable: true,
  run: { "http-xml": overXml, soap: overSoap },
});
