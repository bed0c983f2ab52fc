import { runConformance } from "../../sdk/conformance";
import { expectHubError, hostFor } from "../../sdk/harness";
import { simulate, type SimulateOptions } from "../../../test/simulators";
import { useSimulator } from "../../../test/simulators/for-tests";

describe.each<[string, string, SimulateOptions]>([
  ["银保通 XML in GBK", "http-xml", { encoding: "GBK" }],
  ["银保通 XML in UTF-8", "http-xml", { encoding: "UTF-8" }],
  ["SOAP", "soap", {}],
])("bancassurance plugin over %s", (_label, transport, options) => {
  const simulator = useSimulator("bancassurance", transport, options);

  it("passes the conformance kit against the simulator, answers equal to the fixtures", async () => {
    const report = await runConformance({
      plugin: "bancassurance",
      transport: transport as never,
      settings: simulator().settings,
      env: {},
      compareExpected: true,
    });
    expect(report.results.filter((r) => !r.ok)).toEqual([]);
  });

  it("gives insurance products their term in months (the retention of 银保通 sales depends on it)", async () => {
    const host = hostFor("bancassurance", { transport: transport as never, settings: simulator().settings });
    try {
      const { products } = await host.call("products.list", { changedSince: "2026-01-01" });
      expect(products.map((p) => [p.code, p.type, p.termMonths])).toEqual([
        ["IN2026001", "INSURANCE", 120],
        ["IN2026002", "INSURANCE", 12],
      ]);
    } finally {
      await host.close();
    }
  });
});

describe("bancassurance plugin, 银保通 failure flag", () => {
  it("turns Flag 1 into LegacyFaultError carrying the insurer's error code", async () => {
    const system = await simulate("bancassurance", "http-xml");
    const host = hostFor("bancassurance", { transport: "http-xml", settings: system.settings });
    try {
      await system.behave({ mode: "fault", code: "YBT9001", message: "保险公司系统日终处理中，请稍后再试" });
      const e = await expectHubError(
        host.call("products.list", { changedSince: "2026-01-01" }),
        "HUB_LEGACY_FAULT",
      );
      expect(e.message).toBe("银保通 PRD001 failed: 保险公司系统日终处理中，请稍后再试");
      expect(e.data).toMatchObject({
        faultCode: "YBT9001",
        plugin: "bancassurance",
        operation: "listInsuranceProducts",
      });
    } finally {
      await host.close();
      await system.stop();
    }
  });
});
