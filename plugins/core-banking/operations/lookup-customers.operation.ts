import {
  asArray,
  legacyCustomer,
  checkReturnCode,
  defineOperation,
  type CustomersLookupRequest,
  type IdType,
  type OperationContext,
  type SoapClient,
  type SqlClient,
} from "../../sdk";
import { idTypeOfCertType } from "../customer-mapping";

const MAX_MATCHES = 50;

function key(request: CustomersLookupRequest): { column: string; value: string } {
  if ("customerNo" in request) return { column: "CUST_NO", value: request.customerNo };
  if ("idNo" in request) return { column: "ID_NO", value: request.idNo.toUpperCase() };
  if ("card" in request) return { column: "CARD_NO", value: request.card };
  return { column: "CUST_NAME", value: request.name };
}

async function fromViews(ctx: OperationContext<SqlClient>, request: CustomersLookupRequest) {
  const schema = ctx.settings.string("schema");
  const { column, value } = key(request);
  const where =
    column === "CARD_NO"
      ? `CUST_NO IN (SELECT CUST_NO FROM ${schema}.V_CUSTOMER_CARD WHERE CARD_NO = :value)`
      : `${column} = :value`;
  const rows = await ctx.transport.query(
    `SELECT CUST_NO, CUST_NAME, ID_TYPE, ID_NO, MOBILE, BIRTH_DATE, OPEN_BRANCH
       FROM ${schema}.V_CUSTOMER WHERE ${where} ORDER BY CUST_NO`,
    { value },
    { ...ctx.callOptions(), maxRows: MAX_MATCHES },
  );
  if (rows.length === 0) return { customers: [] };
  const numbers = Object.fromEntries(rows.map((r, i) => [`c${i}`, String(r.CUST_NO)]));
  const cards = await ctx.transport.query(
    `SELECT CUST_NO, CARD_NO FROM ${schema}.V_CUSTOMER_CARD
      WHERE CUST_NO IN (${Object.keys(numbers)
        .map((k) => `:${k}`)
        .join(", ")}) ORDER BY CARD_NO`,
    numbers,
    ctx.callOptions(),
  );
  return {
    customers: rows.map((r) =>
      legacyCustomer({
        customerNo: r.CUST_NO,
        name: r.CUST_NAME,
        idType: (r.ID_TYPE as IdType) ?? "OTHER",
        idNumber: r.ID_NO,
        phone: r.MOBILE,
        birthDate: r.BIRTH_DATE,
        cards: cards.filter((c) => c.CUST_NO === r.CUST_NO).map((c) => c.CARD_NO),
        orgCode: r.OPEN_BRANCH,
      }),
    ),
  };
}

const SOAP_KEYS: Readonly<Record<string, string>> = {
  card: "CardNo",
  idNo: "CertNo",
  customerNo: "CustNo",
  name: "CustName",
};

async function fromService(ctx: OperationContext<SoapClient>, request: CustomersLookupRequest) {
  const [name, raw] = Object.entries(request)[0] as [string, string];
  const value = name === "idNo" ? raw.toUpperCase() : raw;
  const answer = await ctx.transport.call("QueryCustomer", { [SOAP_KEYS[name]]: value }, ctx.callOptions());
  checkReturnCode(answer);
  return {
    customers: asArray(answer.Customer as Record<string, unknown>[])
      .slice(0, MAX_MATCHES)
      .map((c) =>
        legacyCustomer({
          customerNo: c.CustNo,
          name: c.CustName,
          idType: idTypeOfCertType(c.CertType),
          idNumber: c.CertNo,
          phone: c.Mobile,
          birthDate: c.BirthDate,
          cards: asArray(c.CardNo as unknown[]),
          orgCode: c.OpenBranch,
        }),
      ),
  };
}

/** 客户查询 in the core: by card, identity number, customer number or exact name (at most 50). */
export const lookupCustomers = defineOperation({
  capability: "customers.lookup",
  description: "Customers by card, identity number, customer number or name (QueryCustomer, or V_CUSTOMER)",
  timeoutMs: 5_000,
  retryable: true,
  run: { db2: fromViews, sql: fromViews, soap: fromService },
});
