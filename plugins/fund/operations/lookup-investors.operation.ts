import {
  asArray,
  legacyCustomer,
  checkReturnCode,
  defineOperation,
  type CustomersLookupRequest,
  type OperationContext,
  type SoapClient,
  type SqlClient,
} from "../../sdk";

const MAX_MATCHES = 50;

const COLUMNS: Readonly<Record<string, string>> = {
  customerNo: "CUST_NO",
  idNo: "ID_NO",
  card: "CARD_NO",
  name: "CUST_NAME",
};

async function fromViews(ctx: OperationContext<SqlClient>, request: CustomersLookupRequest) {
  const [key, raw] = Object.entries(request)[0] as [string, string];
  const rows = await ctx.transport.query(
    `SELECT CUST_NO, CUST_NAME, ID_TYPE, ID_NO, MOBILE, BIRTH_DATE, BRANCH_NO, CARD_NO
       FROM ${ctx.settings.string("schema")}.V_FUND_INVESTOR WHERE ${COLUMNS[key]} = :value ORDER BY CUST_NO`,
    { value: key === "idNo" ? raw.toUpperCase() : raw },
    { ...ctx.callOptions(), maxRows: MAX_MATCHES },
  );
  return {
    customers: rows.map((r) =>
      legacyCustomer({
        customerNo: r.CUST_NO,
        name: r.CUST_NAME,
        idType: r.ID_TYPE,
        idNumber: r.ID_NO,
        phone: r.MOBILE,
        birthDate: r.BIRTH_DATE,
        cards: r.CARD_NO ? [r.CARD_NO] : [],
        orgCode: r.BRANCH_NO,
      }),
    ),
  };
}

const SOAP_KEYS: Readonly<Record<string, string>> = {
  customerNo: "CustNo",
  idNo: "IdNo",
  card: "CardNo",
  name: "CustName",
};

async function fromService(ctx: OperationContext<SoapClient>, request: CustomersLookupRequest) {
  const [key, raw] = Object.entries(request)[0] as [string, string];
  const value = key === "idNo" ? raw.toUpperCase() : raw;
  const answer = await ctx.transport.call("QueryInvestor", { [SOAP_KEYS[key]]: value }, ctx.callOptions());
  checkReturnCode(answer);
  return {
    customers: asArray(answer.Investor as Record<string, unknown>[])
      .slice(0, MAX_MATCHES)
      .map((i) =>
        legacyCustomer({
          customerNo: i.CustNo,
          name: i.CustName,
          idType: i.IdType,
          idNumber: i.IdNo,
          phone: i.Mobile,
          birthDate: i.BirthDate,
          cards: i.CardNo ? [i.CardNo] : [],
          orgCode: i.BranchNo,
        }),
      ),
  };
}

/** 投资人查询 in the fund sales system (customers who opened a fund account). */
export const lookupInvestors = defineOperation({
  capability: "customers.lookup",
  description:
    "Fund investors by customer number, identity number, linked card or name (QueryInvestor, or V_FUND_INVESTOR)",
  timeoutMs: 5_000,
  retryable: true,
  run: { oracle: fromViews, sql: fromViews, soap: fromService },
});
