import { runConformance } from "../../sdk/conformance";
import { hostFor } from "../../sdk/harness";
import {
  postgresForTests,
  simulate,
  type SimulatedSystem,
  type SimulateOptions,
} from "../../../test/simulators";

const postgres = postgresForTests();
const targets: [string, string, SimulateOptions][] = [
  ["SOAP", "soap", {}],
  ["DB2-shaped views on SQLite", "sql", {}],
  ...(postgres
    ? [
        ["DB2-shaped views on PostgreSQL", "sql", { database: { type: "postgres", adminUrl: postgres } }] as [
          string,
          string,
          SimulateOptions,
        ],
      ]
    : []),
];

describe.each(targets)("counter plugin over %s", (_label, transport, options) => {
  let system: SimulatedSystem;
  beforeAll(async () => {
    system = await simulate("counter", transport, options);
  }, 60_000);
  afterAll(() => system.stop());

  it("passes the conformance kit against the simulator, answers equal to the fixtures", async () => {
    const report = await runConformance({
      plugin: "counter",
      transport: transport as never,
      settings: system.settings,
      env: {},
      compareExpected: true,
    });
    expect(report.results.filter((r) => !r.ok)).toEqual([]);
    expect(report.results.map((r) => r.check)).toContain("sales.listByDay: 浦东支行 310100, 2026-03-02");
  });

  it("reports reversed (冲正) sales as REVERSED and keeps amounts exact", async () => {
    const host = hostFor("counter", { transport: transport as never, settings: system.settings });
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

if (!postgres) {
  it.skip("counter plugin over DB2-shaped views on PostgreSQL (PostgreSQL is not reachable)", () =>
    undefined);
}
