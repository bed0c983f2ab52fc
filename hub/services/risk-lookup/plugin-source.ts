import type { PluginHost } from "../../../plugins/sdk";
import type { Assessment } from "../../domain/risk";
import type { CustomerQuery, CustomerRecord, RiskSource } from "./sources";

/** The one key a lookup is made by, as the capability `customers.lookup` takes it. */
function lookupRequest(query: CustomerQuery) {
  if (query.card !== undefined) return { card: query.card };
  if (query.idNo !== undefined) return { idNo: query.idNo };
  if (query.customerNo !== undefined) return { customerNo: query.customerNo };
  return { name: query.name ?? "" };
}

/**
 * The bank's systems of record as a risk source, through the plugins providing `customers.lookup` and
 * `risk.latestAssessment` (core banking, CRM, fund; in the manifest's order). A system that cannot answer throws its
 * typed error (HUB_LEGACY_*); the service decides whether it can do without it.
 */
export function pluginRiskSource(host: PluginHost): RiskSource {
  return {
    name: "plugins",
    async findCustomers(query) {
      if (!host.has("customers.lookup")) return [];
      const { response } = await host.ask("customers.lookup", lookupRequest(query));
      return response.customers.map((c): CustomerRecord => ({
        customerNo: c.customerNo,
        name: c.name,
        idType: c.idType,
        idNumber: c.idNumber,
        phone: c.phone,
        birthDate: c.birthDate,
        cardLast4: c.cardLast4,
      }));
    },
    async assessments(customerNo) {
      if (!host.has("risk.latestAssessment")) return [];
      const { provider, response } = await host.ask("risk.latestAssessment", { customerNo });
      const a = response.assessment;
      return a
        ? [{ level: a.level, assessedAt: a.assessedAt, validUntil: a.validUntil, source: "system", provider }]
        : ([] as Assessment[]);
    },
  };
}
