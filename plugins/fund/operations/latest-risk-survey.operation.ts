import {
  assessmentAnswer,
  checkReturnCode,
  defineOperation,
  type OperationContext,
  type RiskLatestAssessmentRequest,
  type RiskLatestAssessmentResponse,
  type SoapClient,
  type SqlClient,
} from "../../sdk";

async function fromViews(
  ctx: OperationContext<SqlClient>,
  request: RiskLatestAssessmentRequest,
): Promise<RiskLatestAssessmentResponse> {
  const [row] = await ctx.transport.query(
    `SELECT RISK_LEVEL, ASSESS_DATE, EXPIRE_DATE, BRANCH_NO FROM ${ctx.settings.string("schema")}.V_FUND_RISK
      WHERE CUST_NO = :customerNo ORDER BY ASSESS_DATE DESC, SURVEY_NO DESC`,
    { customerNo: request.customerNo },
    { ...ctx.callOptions(), maxRows: 1 },
  );
  return assessmentAnswer(
    request.customerNo,
    row && {
      level: row.RISK_LEVEL,
      assessedAt: row.ASSESS_DATE,
      validUntil: row.EXPIRE_DATE,
      orgCode: row.BRANCH_NO,
    },
  );
}

async function fromService(
  ctx: OperationContext<SoapClient>,
  request: RiskLatestAssessmentRequest,
): Promise<RiskLatestAssessmentResponse> {
  const answer = await ctx.transport.call(
    "QueryRiskSurvey",
    { CustNo: request.customerNo },
    ctx.callOptions(),
  );
  checkReturnCode(answer);
  const s = answer.Survey as Record<string, unknown> | undefined;
  return assessmentAnswer(
    request.customerNo,
    s && { level: s.RiskLevel, assessedAt: s.SurveyDate, validUntil: s.ValidTo, orgCode: s.BranchNo },
  );
}

/** 风险测评 in the fund sales system: the investor's latest survey. */
export const latestRiskSurvey = defineOperation({
  capability: "risk.latestAssessment",
  description: "The investor's latest risk survey (QueryRiskSurvey, or V_FUND_RISK)",
  timeoutMs: 5_000,
  retryable: true,
  run: { oracle: fromViews, sql: fromViews, soap: fromService },
});
