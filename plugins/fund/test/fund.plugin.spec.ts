import { runConformance } from "../../sdk/conformance";
import { hostFor } from "../../sdk/harness";
import { notePostgresSkipped, soapAndSqlTargets, useSimulator } from "../../../test/simulators/for-tests";

describe.each(soapAndSqlTargets("Oracle"))("fund plugin over %s", (_label, transport, options) => {
  const simulator = useSimulator("fund", transport, options);

  it("passes the conformance kit against the simulator, answers equal to the fixtures", async () => {
    const report = await runConformance({
      plugin: "fund",
      transport: transport as never,
      settings: simulator().settings,
      env: {},
      compareExpected: true,
    });
    expect(report.results.filter((r) => !r.ok)).toEqual([]);
  });

  it("tells a full redemption from a partial one", async () => {
    const host = hostFor("fund", { transport: transport as never, settings: simulator().settings });
    try {
      const full = await host.call("holdings.fullRedemption", {
        customerNo: "C000000001",
        productCode: "FD000002",
      });
      const partial = await host.call("holdings.fullRedemption", {
        customerNo: "C000000005",
        productCode: "FD000001",
      });
      expect([full.status, full.fullyRedeemedOn, full.reference]).toEqual([
        "FULLY_REDEEMED",
        "2026-02-27",
        "FR202602270031",
      ]);
      expect([partial.status, partial.fullyRedeemedOn]).toEqual(["HELD", null]);
    } finally {
      await host.close();
    }
  });
});

notePostgresSkipped("fund", "Oracle");
