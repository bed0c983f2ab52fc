import {
  asArray,
  cardLast4,
  checkReturnCode,
  day,
  defineOperation,
  text,
  type CustomersLookupRequest,
  type LegacyCustomer,
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
      .map(
        (c) =>
          ({
            customerNo: text(c.CustNo),
            name: text(c.CustName),
            idType: text(c.IdType) ?? "OTHER",
            idNumber: text(c.IdNo)?.toUpperCase(),
            phone: text(c.Mobile),
            birthDate: day(c.BirthDate),
            cardLast4: cardLast4(c.CardNo ? [c.CardNo] : []),
            orgCode: text(c.BranchNo),
          }) as LegacyCustomer,
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
