import {
  asArray,
  checkReturnCode,
  day,
  defineOperation,
  text,
  type HoldingsFullRedemptionRequest,
  type HoldingsFullRedemptionResponse,
  type HttpXmlClient,
  type OperationContext,
  type SoapClient,
} from "../../sdk";
import { ybtTransaction } from "../ybt";

/** 保单状态 00 有效; 02 退保 and 03 满期终止 end the policy. */
const IN_FORCE = "00";

function status(
  request: HoldingsFullRedemptionRequest,
  policies: Record<string, unknown>[],
): HoldingsFullRedemptionResponse {
  const base = { customerNo: request.customerNo, productCode: request.productCode };
  if (policies.length === 0)
    return { ...base, status: "NOT_HELD", firstPurchasedOn: null, fullyRedeemedOn: null, reference: null };
  const signed = policies
    .map((p) => day(p.SignDate))
    .filter((d): d is string => d !== null)
    .sort();
  const firstPurchasedOn = signed[0] ?? null;
  if (policies.some((p) => text(p.ContState) === IN_FORCE)) {
    return { ...base, status: "HELD", firstPurchasedOn, fullyRedeemedOn: null, reference: null };
  }
  const ended = policies
    .map((p) => ({ on: day(p.StateDate) ?? day(p.ContEnd), contNo: text(p.ContNo) }))
    .sort((a, b) => String(a.on).localeCompare(String(b.on)));
  const last = ended[ended.length - 1];
  return {
    ...base,
    status: "FULLY_REDEEMED",
    firstPurchasedOn,
    fullyRedeemedOn: last.on,
    reference: last.contNo,
  };
}

async function overXml(ctx: OperationContext<HttpXmlClient>, request: HoldingsFullRedemptionRequest) {
  const body = await ybtTransaction(ctx, "POL001", {
    CustNo: request.customerNo,
    RiskCode: request.productCode,
  });
  const list = (body.Policies ?? {}) as Record<string, unknown>;
  return status(request, asArray(list.Policy as Record<string, unknown>[]));
}

async function overSoap(ctx: OperationContext<SoapClient>, request: HoldingsFullRedemptionRequest) {
  const answer = await ctx.transport.call(
    "QueryPolicy",
    { CustNo: request.customerNo, RiskCode: request.productCode },
    ctx.callOptions(),
  );
  checkReturnCode(answer);
  return status(request, asArray(answer.Policy as Record<string, unknown>[]));
}

/**
 * 保单状态查询: a policy in force is HELD; when every policy of the product has ended (退保, 满期) it is
 * FULLY_REDEEMED on the last end day, with that policy's number as reference.
 */
export const policyStatus = defineOperation({
  capability: "holdings.fullRedemption",
  description:
    "The customer's policies of a product: in force, ended (surrender or maturity) or none (银保通 POL001, or QueryPolicy)",
  timeoutMs: 10_000,
  retryable: true,
  run: { "http-xml": overXml, soap: overSoap },
});
