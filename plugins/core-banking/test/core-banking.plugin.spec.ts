import { runConformance } from "../../sdk/conformance";
import { expectHubError, hostFor } from "../../sdk/harness";
import { notePostgresSkipped, soapAndSqlTargets, useSimulator } from "../../../test/simulators/for-tests";
import { simulate } from "../../../test/simulators";

describe.each(soapAndSqlTargets("DB2"))("core-banking plugin over %s", (_label, transport, options) => {
  const simulator = useSimulator("core-banking", transport, options);

  it("passes the conformance kit against the simulator, answers equal to the fixtures", async () => {
    const report = await runConformance({
      plugin: "core-banking",
      transport: transport as never,
      settings: simulator().settings,
      env: {},
      compareExpected: true,
    });
    expect(report.results.filter((r) => !r.ok)).toEqual([]);
  });

  it("finds a customer by any active card and shows only the last four digits of each", async () => {
    const host = hostFor("core-banking", { transport: transport as never, settings: simulator().settings });
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

notePostgresSkipped("core-banking", "DB2");

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
