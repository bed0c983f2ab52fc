import { runConformance } from "../../sdk/conformance";
import { hostFor } from "../../sdk/harness";
import { useSimulator } from "../../../test/simulators/for-tests";

describe("wealth plugin over SOAP", () => {
  const simulator = useSimulator("wealth", "soap");

  it("passes the conformance kit against the simulator, answers equal to the fixtures", async () => {
    const report = await runConformance({
      plugin: "wealth",
      settings: simulator().settings,
      env: {},
      compareExpected: true,
    });
    expect(report.results.filter((r) => !r.ok)).toEqual([]);
  });

  it("lists agency products with the hub's product types and sale status", async () => {
    const host = hostFor("wealth", { settings: simulator().settings });
    try {
      const { products } = await host.call("products.list", { changedSince: "2024-01-01" });
      expect(products.map((p) => `${p.code} ${p.type} ${p.risk} ${p.status}`)).toEqual([
        "AM2026001 ASSET_MGMT R3 SUSPENDED",
        "EQ2026001 EQUITY R5 ON_SALE",
        "OT2026001 OTHER R3 ON_SALE",
        "TR2026001 TRUST R4 ON_SALE",
        "WM2026001 WEALTH R2 ON_SALE",
        "WM2026002 WEALTH R3 ON_SALE",
        "WM2026003 WEALTH R1 ON_SALE",
      ]);
      expect(products.find((p) => p.code === "WM2026003")?.maturityDate).toBeNull();
    } finally {
      await host.close();
    }
  });
});
