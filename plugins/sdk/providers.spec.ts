/**
 * The host as a hub service would use it: several real plugins from HUB_PLUGINS, against their simulators,
 * answering capabilities in order, skipping a system that is down.
 */
import { PluginHost } from "./host";
import { simulate, type SimulatedSystem } from "../../test/simulators";

describe("PluginHost with the bundled plugins", () => {
  const systems: Record<string, SimulatedSystem> = {};
  let host: PluginHost;

  beforeAll(async () => {
    systems.core = await simulate("core-banking", "soap");
    systems.fund = await simulate("fund", "sql");
    systems.crm = await simulate("crm", "soap");
    systems.wealth = await simulate("wealth", "soap");
    systems.banca = await simulate("bancassurance", "http-xml");
    host = PluginHost.fromEnv({
      HUB_PLUGINS: "core-banking:soap,fund:sql,crm:soap,wealth,bancassurance:http-xml",
      HUB_PLUGIN_CORE_BANKING_WSDL_URL: systems.core.settings.wsdlUrl,
      HUB_PLUGIN_FUND_URL: systems.fund.settings.url,
      HUB_PLUGIN_FUND_SCHEMAS: systems.fund.settings.schemas,
      HUB_PLUGIN_CRM_WSDL_URL: systems.crm.settings.wsdlUrl,
      HUB_PLUGIN_CRM_TIMELINE_URL:
        "https://crm.bank.example/customer/{customerNo}/timeline?activity={activityNo}",
      HUB_PLUGIN_WEALTH_WSDL_URL: systems.wealth.settings.wsdlUrl,
      HUB_PLUGIN_BANCASSURANCE_URL: systems.banca.settings.url,
    });
  });

  afterAll(async () => {
    await host.close();
    for (const system of Object.values(systems)) await system.stop();
  });

  it("knows who provides what, in manifest order", () => {
    expect(host.providers("customers.lookup")).toEqual(["core-banking", "fund", "crm"]);
    expect(host.providers("risk.latestAssessment")).toEqual(["core-banking", "fund", "crm"]);
    expect(host.providers("products.list")).toEqual(["fund", "wealth", "bancassurance"]);
    expect(host.providers("holdings.fullRedemption")).toEqual(["fund", "wealth", "bancassurance"]);
    expect(host.providers("crm.pushActivity")).toEqual(["crm"]);
    expect(host.has("sales.listByDay")).toBe(false);
  });

  it("finds a customer in the first system that knows them", async () => {
    expect((await host.ask("customers.lookup", { customerNo: "C000000001" })).provider).toBe("core-banking");
    const prospect = await host.ask("customers.lookup", { customerNo: "C000000010" });
    expect(prospect.provider).toBe("crm");
    expect(prospect.response.customers[0].name).toBe("欧阳娜娜");
  });

  it("takes the assessment from the fund system when the core has none", async () => {
    const answer = await host.ask("risk.latestAssessment", { customerNo: "C000000005" });
    expect(answer.provider).toBe("fund");
    expect(answer.response.assessment).toEqual({
      level: "C2",
      assessedAt: "2026-02-18",
      validUntil: "2027-02-17",
      orgCode: "310100",
    });
  });

  it("asks for the holding in each product system until one holds it", async () => {
    const insurance = await host.ask("holdings.fullRedemption", {
      customerNo: "C000000007",
      productCode: "IN2026002",
    });
    expect(insurance.provider).toBe("bancassurance");
    expect(insurance.response.fullyRedeemedOn).toBe("2026-01-14");
  });

  it("skips the core while it is down, saying why, and answers from the next system", async () => {
    await systems.core.behave({ mode: "down" });
    try {
      const answer = await host.ask("customers.lookup", { customerNo: "C000000001" });
      expect(answer.provider).toBe("fund");
      expect(answer.failures).toEqual([
        expect.objectContaining({ plugin: "core-banking", code: "HUB_LEGACY_UNAVAILABLE" }),
      ]);
    } finally {
      await systems.core.behave({ mode: "up" });
    }
  });

  it("collects the product lists of every product system", async () => {
    const all = await host.callAll("products.list", { changedSince: "2026-01-01" });
    expect(all.failures).toEqual([]);
    expect(all.answers.map((a) => [a.plugin, a.response.products.length])).toEqual([
      ["fund", 2],
      ["wealth", 5],
      ["bancassurance", 2],
    ]);
  });

  it("reports the health of every plugin", async () => {
    const health = await host.health();
    expect(health.map((h) => [h.plugin, h.status])).toEqual([
      ["core-banking", "up"],
      ["fund", "up"],
      ["crm", "up"],
      ["wealth", "up"],
      ["bancassurance", "up"],
    ]);
  });
});
