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
  ["Oracle-shaped views on SQLite", "sql", {}],
  ...(postgres
    ? [
        [
          "Oracle-shaped views on PostgreSQL",
          "sql",
          { database: { type: "postgres", adminUrl: postgres } },
        ] as [string, string, SimulateOptions],
      ]
    : []),
];

describe.each(targets)("fund plugin over %s", (_label, transport, options) => {
  let system: SimulatedSystem;
  beforeAll(async () => {
    system = await simulate("fund", transport, options);
  }, 60_000);
  afterAll(() => system.stop());

  it("passes the conformance kit against the simulator, answers equal to the fixtures", async () => {
    const report = await runConformance({
      plugin: "fund",
      transport: transport as never,
      settings: system.settings,
      env: {},
      compareExpected: true,
    });
    expect(report.results.filter((r) => !r.ok)).toEqual([]);
  });

  it("tells a full redemption from a partial one", async () => {
    const host = hostFor("fund", { transport: transport as never, settings: system.settings });
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
