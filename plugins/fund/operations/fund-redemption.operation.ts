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
  type SqlClient,
} from "../../sdk";

function status(
  request: HoldingsFullRedemptionRequest,
  share: { shares: unknown; firstBuy: unknown; fullRedeem: unknown; serial: unknown } | null,
): HoldingsFullRedemptionResponse {
  const base = { customerNo: request.customerNo, productCode: request.productCode };
  if (!share)
    return { ...base, status: "NOT_HELD", firstPurchasedOn: null, fullyRedeemedOn: null, reference: null };
  const redeemed = yuan(share.shares) === "0.00" && day(share.fullRedeem) !== null;
  return {
    ...base,
    status: redeemed ? "FULLY_REDEEMED" : "HELD",
    firstPurchasedOn: day(share.firstBuy),
    fullyRedeemedOn: redeemed ? day(share.fullRedeem) : null,
    reference: redeemed ? text(share.serial) : null,
  };
}

async function fromViews(ctx: OperationContext<SqlClient>, request: HoldingsFullRedemptionRequest) {
  const [row] = await ctx.transport.query(
    `SELECT TOTAL_SHARE, FIRST_BUY_DATE, FULL_REDEEM_DATE, REDEEM_SERIAL FROM ${ctx.settings.string("schema")}.V_FUND_HOLDING
      WHERE CUST_NO = :customerNo AND FUND_CODE = :productCode`,
    { customerNo: request.customerNo, productCode: request.productCode },
    ctx.callOptions(),
  );
  return status(
    request,
    row
      ? {
          shares: row.TOTAL_SHARE,
          firstBuy: row.FIRST_BUY_DATE,
          fullRedeem: row.FULL_REDEEM_DATE,
          serial: row.REDEEM_SERIAL,
        }
      : null,
  );
}

async function fromService(ctx: OperationContext<SoapClient>, request: HoldingsFullRedemptionRequest) {
  const answer = await ctx.transport.call(
    "QueryFundShare",
    { CustNo: request.customerNo, FundCode: request.productCode },
    ctx.callOptions(),
  );
  checkReturnCode(answer);
  const s = answer.Share as Record<string, unknown> | undefined;
  return status(
    request,
    s
      ? {
          shares: s.TotalShare,
          firstBuy: s.FirstBuyDate,
          fullRedeem: s.FullRedeemDate,
          serial: s.RedeemSerial,
        }
      : null,
  );
}

/** 份额查询: whether the customer still holds the fund and, if all shares are redeemed, since when. */
export const fundRedemption = defineOperation({
  capability: "holdings.fullRedemption",
  description: "The customer's holding of a fund: held, fully redeemed (day, serial) or never held",
  timeoutMs: 5_000,
  retryable: true,
  run: { oracle: fromViews, sql: fromViews, soap: fromService },
});
