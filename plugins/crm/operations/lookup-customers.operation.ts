import {
  asArray,
  legacyCustomer,
  checkReturnCode,
  defineOperation,
  type CustomersLookupRequest,
  type OperationContext,
  type SoapClient,
} from "../../sdk";

const SOAP_KEYS: Readonly<Record<string, string>> = {
  customerNo: "CustNo",
  idNo: "IdNo",
  card: "CardNo",
  name: "CustName",
};

async function fromService(ctx: OperationContext<SoapClient>, request: CustomersLookupRequest) {
  const [key, raw] = Object.entries(request)[0] as [string, string];
  const value = key === "idNo" ? raw.toUpperCase() : raw;
  const answer = await ctx.transport.call("QueryCustomer", { [SOAP_KEYS[key]]: value }, ctx.callOptions());
  checkReturnCode(answer);
  return {
    customers: asArray(answer.Customer as Record<string, unknown>[])
      .slice(0, 50)
      .map((c) =>
        legacyCustomer({
          customerNo: c.CustNo,
          name: c.CustName,
          idType: c.IdType,
          idNumber: c.IdNo,
          phone: c.Mobile,
          birthDate: c.BirthDate,
          cards: c.CardNo ? [c.CardNo] : [],
          orgCode: c.BranchNo,
        }),
      ),
  };
}

/** 客户查询 in the CRM: customers the CRM knows (also prospects not yet in the core). */
export const lookupCustomers = defineOperation({
  capability: "customers.lookup",
  description: "Customers by customer number, identity number, card or name (QueryCustomer)",
  timeoutMs: 5_000,
  retryable: true,
  run: { soap: fromService },
});
