import {
  checkReturnCode,
  day,
  defineOperation,
  text,
  type CustomerLevel,
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
  return {
    customerNo: request.customerNo,
    assessment: row
      ? ({
          level: text(row.RISK_LEVEL) as CustomerLevel,
          assessedAt: day(row.ASSESS_DATE),
          validUntil: day(row.EXPIRE_DATE),
          orgCode: text(row.ASSESS_BRANCH),
        } as NonNullable<RiskLatestAssessmentResponse["assessment"]>)
      : null,
  };
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
  return {
    customerNo: request.customerNo,
    assessment: a
      ? ({
          // The core keeps the level as a digit, 1 保守型 … 5 进取型.
          level: `C${text(a.RiskLevel)}` as CustomerLevel,
          assessedAt: day(a.AssessDate),
          validUntil: day(a.ExpireDate),
          orgCode: text(a.AssessBranch),
        } as NonNullable<RiskLatestAssessmentResponse["assessment"]>)
      : null,
  };
}

/** 最新风险评估 in the core: the latest assessment, valid or expired (the hub judges validity). */
export const latestAssessment = defineOperation({
  capability: "risk.latestAssessment",
  description: "The customer's latest risk assessment (QueryRiskAssessment, or V_RISK_ASSESSMENT)",
  timeoutMs: 5_000,
  retryable: true,
  run: { db2: fromViews, sql: fromViews, soap: fromService },
});
