import { runConformance } from "../../sdk/conformance";
import { expectHubError, hostFor } from "../../sdk/harness";
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

describe.each(targets)("core-banking plugin over %s", (_label, transport, options) => {
  let system: SimulatedSystem;
  beforeAll(async () => {
    system = await simulate("core-banking", transport, options);
  }, 60_000);
  afterAll(() => system.stop());

  it("passes the conformance kit against the simulator, answers equal to the fixtures", async () => {
    const report = await runConformance({
      plugin: "core-banking",
      transport: transport as never,
      settings: system.settings,
      env: {},
      compareExpected: true,
    });
    expect(report.results.filter((r) => !r.ok)).toEqual([]);
  });

  it("finds a customer by any active card and shows only the last four digits of each", async () => {
    const host = hostFor("core-banking", { transport: transport as never, settings: system.settings });
    try {
      const { customers } = await host.call("customers.lookup", { card: "6222020000000001" });
      expect(customers.map((c) => [c.customerNo, c.cardLast4])).toEqual([["C000000001", ["0001", "0011"]]]);
      expect((await host.call("customers.lookup", { card: "6222020000000021" })).customers).toEqual([]);
      expect((await host.call("customers.lookup", { customerNo: "C000000008" })).customers[0].idType).toBe(
        "HK_MO_PASS",
      );
    } finally {
      await host.close();
    }
  });
});

describe("core-banking plugin over SOAP, business errors", () => {
  it("turns a non-success RetCode into LegacyFaultError with the code", async () => {
    const system = await simulate("core-banking", "soap");
    try {
      // The hub never sends two keys (its schema refuses them), so ask the system directly through the transport.
      const soap = (await import("../../sdk/transports/soap.transport")).soapTransport;
      const { resolveSettings } = await import("../../sdk/settings");
      const client = soap.create(resolveSettings("core-banking", soap.settings, system.settings, {}), {
        plugin: "core-banking",
        log: console,
      });
      const answer = await client.call("QueryCustomer", { CustNo: "C000000001", CustName: "张伟" });
      expect(answer.RetCode).toBe("CB1001");
      const { checkReturnCode } = await import("../../sdk/esb");
      const e = await expectHubError(async () => checkReturnCode(answer), "HUB_LEGACY_FAULT");
      expect(e.data).toEqual({ faultCode: "CB1001" });
    } finally {
      await system.stop();
    }
  });
});
