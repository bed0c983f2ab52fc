import {
  asArray,
  checkReturnCode,
  compactDay,
  day,
  defineOperation,
  text,
  time,
  yuan,
  type CounterSale,
  type OperationContext,
  type SalesListByDayRequest,
  type SoapClient,
  type SqlClient,
  type SqlRow,
} from "../../sdk";

function fromView(r: SqlRow): CounterSale {
  return {
    saleNo: text(r.TXN_SERIAL),
    day: day(r.TXN_DATE),
    time: time(r.TXN_TIME),
    orgCode: text(r.BRANCH_NO),
    orgName: text(r.BRANCH_NAME),
    staffNo: text(r.TELLER_NO),
    customerNo: text(r.CUST_NO),
    customerName: text(r.CUST_NAME),
    productCode: text(r.PROD_CODE),
    productName: text(r.PROD_NAME),
    productType: text(r.PROD_TYPE),
    amount: yuan(r.TXN_AMT),
    status: text(r.TXN_STATUS),
  } as CounterSale;
}

function fromSoap(s: Record<string, unknown>): CounterSale {
  return {
    saleNo: text(s.TxnSerial),
    day: day(s.TxnDate),
    time: time(s.TxnTime),
    orgCode: text(s.BranchNo),
    orgName: text(s.BranchName),
    staffNo: text(s.TellerNo),
    customerNo: text(s.CustNo),
    customerName: text(s.CustName),
    productCode: text(s.ProdCode),
    productName: text(s.ProdName),
    productType: text(s.ProdType),
    amount: yuan(s.TxnAmt),
    status: text(s.TxnStatus),
  } as CounterSale;
}

async function fromViews(ctx: OperationContext<SqlClient>, request: SalesListByDayRequest) {
  const schema = ctx.settings.string("schema");
  const where = ["TXN_DATE = :day"];
  if (request.orgCode) where.push("BRANCH_NO = :orgCode");
  if (request.staffNo) where.push("TELLER_NO = :staffNo");
  const rows = await ctx.transport.query(
    `SELECT TXN_SERIAL, TXN_DATE, TXN_TIME, BRANCH_NO, BRANCH_NAME, TELLER_NO, CUST_NO, CUST_NAME,
            PROD_CODE, PROD_NAME, PROD_TYPE, TXN_AMT, TXN_STATUS
       FROM ${schema}.V_SALES_DAY
      WHERE ${where.join(" AND ")}
      ORDER BY TXN_SERIAL`,
    {
      day: request.day,
      ...(request.orgCode ? { orgCode: request.orgCode } : {}),
      ...(request.staffNo ? { staffNo: request.staffNo } : {}),
    },
    ctx.callOptions(),
  );
  return { day: request.day, sales: rows.map(fromView) };
}

async function fromService(ctx: OperationContext<SoapClient>, request: SalesListByDayRequest) {
  const answer = await ctx.transport.call(
    "QuerySalesByDay",
    {
      TxnDate: compactDay(request.day),
      ...(request.orgCode ? { BranchNo: request.orgCode } : {}),
      ...(request.staffNo ? { TellerNo: request.staffNo } : {}),
    },
    ctx.callOptions(),
  );
  checkReturnCode(answer);
  return { day: request.day, sales: asArray(answer.Sale as Record<string, unknown>[]).map(fromSoap) };
}

/** 当日产品销售: the counter's product sales of a day, for the end-of-day reconciliation. */
export const listSalesByDay = defineOperation({
  capability: "sales.listByDay",
  description: "Product sales booked at the counter on a day (QuerySalesByDay, or the view V_SALES_DAY)",
  timeoutMs: 30_000,
  retryable: true,
  run: { soap: fromService, db2: fromViews, sql: fromViews },
});
