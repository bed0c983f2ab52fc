import { runConformance } from "../../sdk/conformance";
import { hostFor } from "../../sdk/harness";
import { notePostgresSkipped, soapAndSqlTargets, useSimulator } from "../../../test/simulators/for-tests";

describe.each(soapAndSqlTargets("DB2"))("counter plugin over %s", (_label, transport, options) => {
  const simulator = useSimulator("counter", transport, options);

  it("passes the conformance kit against the simulator, answers equal to the fixtures", async () => {
    const report = await runConformance({
      plugin: "counter",
      transport: transport as never,
      settings: simulator().settings,
      env: {},
      compareExpected: true,
    });
    expect(report.results.filter((r) => !r.ok)).toEqual([]);
    expect(report.results.map((r) => r.check)).toContain("sales.listByDay: 浦东支行 310100, 2026-03-02");
  });

  it("reports reversed (冲正) sales as REVERSED and keeps amounts exact", async () => {
    const host = hostFor("counter", { transport: transport as never, settings: simulator().settings });
    try {
      const { sales } = await host.call("sales.listByDay", {
        day: "2026-03-02",
        orgCode: "310100",
        staffNo: "S1002",
      });
      expect(sales.map((s) => [s.saleNo, s.status, s.amount])).toEqual([
        ["CT20260302310100001", "SUCCESS", "50000.00"],
        ["CT20260302310100002", "SUCCESS", "200000.00"],
        ["CT20260302310100003", "REVERSED", "10000.00"],
      ]);
    } finally {
      await host.close();
    }
  });
});

notePostgresSkipped("counter", "DB2");
