import {
  checkReturnCode,
  day,
  defineOperation,
  text,
  yuan,
  type HoldingsFullRedemptionRequest,
  type HoldingsFullRedemptionResponse,
  type OperationContext,
  type SoapClient,
} from "../../sdk";

async function fromService(
  ctx: OperationContext<SoapClient>,
  request: HoldingsFullRedemptionRequest,
): Promise<HoldingsFullRedemptionResponse> {
  const answer = await ctx.transport.call(
    "QueryHolding",
    { CustNo: request.customerNo, PrdCode: request.productCode },
    ctx.callOptions(),
  );
  checkReturnCode(answer);
  const base = { customerNo: request.customerNo, productCode: request.productCode };
  const h = answer.Holding as Record<string, unknown> | undefined;
  if (!h)
    return { ...base, status: "NOT_HELD", firstPurchasedOn: null, fullyRedeemedOn: null, reference: null };
  const cleared = yuan(h.Balance) === "0.00" && day(h.ClearDate) !== null;
  return {
    ...base,
    status: cleared ? "FULLY_REDEEMED" : "HELD",
    firstPurchasedOn: day(h.FirstBuyDate),
    fullyRedeemedOn: cleared ? day(h.ClearDate) : null,
    reference: cleared ? text(h.ClearSerial) : null,
  };
}

/** 持仓查询: held, fully redeemed or paid out at maturity (全部赎回/兑付: day and serial), or never held. */
export const holdingStatus = defineOperation({
  capability: "holdings.fullRedemption",
  description: "The customer's holding of a product (QueryHolding)",
  timeoutMs: 5_000,
  retryable: true,
  run: { soap: fromService },
});
