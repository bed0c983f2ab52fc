import {
  asArray,
  checkReturnCode,
  day,
  defineOperation,
  text,
  type LegacyProduct,
  type OperationContext,
  type ProductsListRequest,
  type SoapClient,
} from "../../sdk";

/** 产品状态 0 在售, 1 暂停, 2 停售. */
const STATUS: Readonly<Record<string, LegacyProduct["status"]>> = {
  "0": "ON_SALE",
  "1": "SUSPENDED",
  "2": "CLOSED",
};

async function fromService(ctx: OperationContext<SoapClient>, request: ProductsListRequest) {
  const answer = await ctx.transport.call(
    "QueryProductList",
    { UpdatedSince: request.changedSince },
    ctx.callOptions(),
  );
  checkReturnCode(answer);
  return {
    products: asArray(answer.Product as Record<string, unknown>[]).map(
      (p) =>
        ({
          code: text(p.PrdCode),
          name: text(p.PrdName),
          type: text(p.PrdType),
          risk: text(p.RiskLevel),
          issuer: text(p.Issuer),
          inceptionDate: day(p.StartDate),
          maturityDate: day(p.EndDate),
          termMonths: null,
          status: STATUS[text(p.Status) ?? ""] ?? text(p.Status),
          updatedOn: day(p.UpdateDate),
        }) as LegacyProduct,
    ),
  };
}

/** 理财及代销产品同步: wealth-management, trust, asset-management, equity and other agency products. */
export const listProducts = defineOperation({
  capability: "products.list",
  description: "Products changed on or after a day (QueryProductList)",
  timeoutMs: 30_000,
  retryable: true,
  run: { soap: fromService },
});
