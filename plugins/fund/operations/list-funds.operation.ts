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
  type SqlClient,
} from "../../sdk";

function fund(f: Record<string, unknown>): LegacyProduct {
  return {
    code: text(f.code),
    name: text(f.name),
    type: "FUND",
    risk: text(f.risk),
    issuer: text(f.issuer),
    inceptionDate: day(f.inceptionDate),
    maturityDate: day(f.maturityDate),
    termMonths: null,
    status: text(f.status),
    updatedOn: day(f.updatedOn),
  } as LegacyProduct;
}

async function fromViews(ctx: OperationContext<SqlClient>, request: ProductsListRequest) {
  const rows = await ctx.transport.query(
    `SELECT FUND_CODE, FUND_NAME, RISK_GRADE, MANAGER_NAME, SETUP_DATE, END_DATE, SALE_STATUS, MODIFY_DATE
       FROM ${ctx.settings.string("schema")}.V_FUND_PRODUCT WHERE MODIFY_DATE >= :since ORDER BY FUND_CODE`,
    { since: request.changedSince },
    ctx.callOptions(),
  );
  return {
    products: rows.map((r) =>
      fund({
        code: r.FUND_CODE,
        name: r.FUND_NAME,
        risk: r.RISK_GRADE,
        issuer: r.MANAGER_NAME,
        inceptionDate: r.SETUP_DATE,
        maturityDate: r.END_DATE,
        status: r.SALE_STATUS,
        updatedOn: r.MODIFY_DATE,
      }),
    ),
  };
}

async function fromService(ctx: OperationContext<SoapClient>, request: ProductsListRequest) {
  const answer = await ctx.transport.call(
    "QueryFundList",
    { ModifiedSince: request.changedSince },
    ctx.callOptions(),
  );
  checkReturnCode(answer);
  return {
    products: asArray(answer.Fund as Record<string, unknown>[]).map((f) =>
      fund({
        code: f.FundCode,
        name: f.FundName,
        risk: f.RiskGrade,
        issuer: f.Manager,
        inceptionDate: f.SetupDate,
        maturityDate: f.EndDate,
        status: f.SaleStatus,
        updatedOn: f.ModifyDate,
      }),
    ),
  };
}

/** 基金信息同步: funds added or changed since a day. */
export const listFunds = defineOperation({
  capability: "products.list",
  description: "Funds changed on or after a day (QueryFundList, or V_FUND_PRODUCT)",
  timeoutMs: 30_000,
  retryable: true,
  run: { oracle: fromViews, sql: fromViews, soap: fromService },
});
