import {
  assessmentAnswer,
  checkReturnCode,
  defineOperation,
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
  return assessmentAnswer(
    request.customerNo,
    p && { level: p.RiskLevel, assessedAt: p.EvalDate, validUntil: p.ExpireDate, orgCode: p.BranchNo },
  );
}

/** 风险画像 in the CRM: the assessment the CRM holds for the customer. */
export const latestRiskProfile = defineOperation({
  capability: "risk.latestAssessment",
  description: "The customer's risk profile held by the CRM (QueryRiskProfile)",
  timeoutMs: 5_000,
  retryable: true,
  run: { soap: fromService },
});
