import {
  checkReturnCode,
  day,
  defineOperation,
  text,
  type OperationContext,
  type RiskLatestAssessmentRequest,
  type RiskLatestAssessmentResponse,
  type SoapClient,
} from "../../sdk";

async function fromService(
  ctx: OperationContext<SoapClient>,
  request: RiskLatestAssessmentRequest,
): Promise<RiskLatestAssessmentResponse> {
  const answer = await ctx.transport.call(
    "QueryRiskProfile",
    { CustNo: request.customerNo },
    ctx.callOptions(),
  );
  checkReturnCode(answer);
  const p = answer.Profile as Record<string, unknown> | undefined;
  return {
    customerNo: request.customerNo,
    assessment: p
      ? ({
          level: text(p.RiskLevel),
          assessedAt: day(p.EvalDate),
          validUntil: day(p.ExpireDate),
          orgCode: text(p.BranchNo),
        } as NonNullable<RiskLatestAssessmentResponse["assessment"]>)
      : null,
  };
}

/** 风险画像 in the CRM: the assessment the CRM holds for the customer. */
export const latestRiskProfile = defineOperation({
  capability: "risk.latestAssessment",
  description: "The customer's risk profile held by the CRM (QueryRiskProfile)",
  timeoutMs: 5_000,
  retryable: true,
  run: { soap: fromService },
});
