import {
  assessmentAnswer,
  checkReturnCode,
  defineOperation,
  text,
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
    `SELECT RISK_LEVEL, ASSESS_DATE, EXPIRE_DATE, ASSESS_BRANCH
       FROM ${ctx.settings.string("schema")}.V_RISK_ASSESSMENT
      WHERE CUST_NO = :customerNo ORDER BY ASSESS_DATE DESC, ASSESS_SEQ DESC`,
    { customerNo: request.customerNo },
    { ...ctx.callOptions(), maxRows: 1 },
  );
  return assessmentAnswer(
    request.customerNo,
    row && {
      level: row.RISK_LEVEL,
      assessedAt: row.ASSESS_DATE,
      validUntil: row.EXPIRE_DATE,
      orgCode: row.ASSESS_BRANCH,
    },
  );
}

async function fromService(
  ctx: OperationContext<SoapClient>,
  request: RiskLatestAssessmentRequest,
): Promise<RiskLatestAssessmentResponse> {
  const answer = await ctx.transport.call(
    "QueryRiskAssessment",
    { CustNo: request.customerNo },
    ctx.callOptions(),
  );
  checkReturnCode(answer);
  const a = answer.Assessment as Record<string, unknown> | undefined;
  return assessmentAnswer(
    request.customerNo,
    a && {
      // The core keeps the level as a digit, 1 保守型 … 5 进取型.
      level: `C${text(a.RiskLevel)}`,
      assessedAt: a.AssessDate,
      validUntil: a.ExpireDate,
      orgCode: a.AssessBranch,
    },
  );
}

/** 最新风险评估 in the core: the latest assessment, valid or expired (the hub judges validity). */
export const latestAssessment = defineOperation({
  capability: "risk.latestAssessment",
  description: "The customer's latest risk assessment (QueryRiskAssessment, or V_RISK_ASSESSMENT)",
  timeoutMs: 5_000,
  retryable: true,
  run: { db2: fromViews, sql: fromViews, soap: fromService },
});
