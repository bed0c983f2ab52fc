import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { main } from "./check";

async function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const code = await main(args, (line) => lines.push(line));
    return { code, output: lines.join("\n") };
  } finally {
    for (const key of Object.keys(env)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

function file(name: string, content: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dr-check-"));
  const full = path.join(dir, name);
  fs.writeFileSync(full, typeof content === "string" ? content : JSON.stringify(content));
  return full;
}

describe("npm run plugin:check", () => {
  it("prints its usage and exits 2 without a plugin or with an unknown option", async () => {
    expect(await run([])).toMatchObject({
      code: 2,
      output: expect.stringContaining("usage: npm run plugin:check"),
    });
    expect((await run(["counter", "--fast"])).code).toBe(2);
    expect((await run(["--help"])).code).toBe(0);
  });

  it("passes a plugin against its simulator and prints the table", async () => {
    const { code, output } = await run(["wealth", "--simulator"]);
    expect(code).toBe(0);
    expect(output).toMatch(/^plugin wealth 1\.0\.0 — 理财系统 \(wealth management\) over soap$/m);
    expect(output).toMatch(/^health +PASS/m);
    expect(output).toMatch(
      /^holdings\.fullRedemption: bad request is refused +PASS .* HUB_VALIDATION_FAILED/m,
    );
    expect(output).toMatch(/^10 passed, 0 failed$/m);
  });

  it("fails (exit 1) when the system cannot be reached, showing the typed error", async () => {
    const settings = file("counter.json", {
      transport: "soap",
      settings: { wsdlUrl: "http://127.0.0.1:1/services/counter?wsdl", connectTimeoutMs: 1000 },
    });
    const { code, output } = await run(["counter", "--settings", settings]);
    expect(code).toBe(1);
    expect(output).toMatch(/^health +FAIL .*HUB_LEGACY_UNAVAILABLE/m);
    expect(output).toMatch(/^sales\.listByDay: 浦东支行 310100, 2026-03-02 +FAIL .*HUB_LEGACY_UNAVAILABLE/m);
  });

  it("fails at load with the coded error when a secret is written in the settings file", async () => {
    const settings = file("plugins.json", {
      plugins: [{ name: "crm", settings: { wsdlUrl: "http://crm.bank/ws?wsdl", password: "in-the-file" } }],
    });
    const { code, output } = await run(["crm", "--settings", settings]);
    expect(code).toBe(1);
    expect(output).toMatch(
      /^load: .* FAIL .*HUB_PLUGIN_SETTINGS: plugin crm, setting "password": is a secret .* HUB_PLUGIN_CRM_PASSWORD/m,
    );
  });

  it("checks an integrator's own plugin from its file, with their sample requests", async () => {
    const sdk = path.join(__dirname, "index.ts");
    const plugin = file(
      "teller-pad.plugin.js",
      `const { definePlugin, defineOperation, checkReturnCode, asArray, compactDay, text, day, yuan } = require(${JSON.stringify(sdk)});
module.exports = definePlugin({
  name: "teller-pad", version: "0.1.0", sdk: "^1.0.0", system: "柜面助手", transport: "soap", settings: {},
  operations: {
    sales: defineOperation({
      capability: "sales.listByDay", description: "sales", timeoutMs: 5000, retryable: true,
      run: async (ctx, request) => {
        const answer = await ctx.transport.call("QuerySalesByDay", { TxnDate: compactDay(request.day) }, ctx.callOptions());
        checkReturnCode(answer);
        return { day: request.day, sales: asArray(answer.Sale).map((s) => ({
          saleNo: text(s.TxnSerial), day: day(s.TxnDate), time: null, orgCode: text(s.BranchNo), orgName: null,
          staffNo: text(s.TellerNo), customerNo: text(s.CustNo), customerName: text(s.CustName), productCode: text(s.ProdCode),
          productName: null, productType: text(s.ProdType), amount: yuan(s.TxnAmt), status: text(s.TxnStatus) })) };
      },
    }),
  },
});`,
    );
    const samples = file("samples.json", {
      "sales.listByDay": [{ title: "3 March", request: { day: "2026-03-03" } }],
    });
    const { simulate } = await import("../../test/simulators");
    const system = await simulate("counter", "soap");
    try {
      const settings = file("settings.json", { settings: system.settings });
      const { code, output } = await run([plugin, "--settings", settings, "--samples", samples]);
      expect(output).toMatch(/^sales\.listByDay: 3 March +PASS .* valid; 2 sales$/m);
      expect(code).toBe(0);
    } finally {
      await system.stop();
    }
  });

  it("reports a plugin that is not installed", async () => {
    const { code, output } = await run(["teller-pad"]);
    expect(code).toBe(1);
    expect(output).toMatch(/HUB_PLUGIN_NOT_FOUND: plugin teller-pad is not installed/);
  });
});
