import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseManifest } from "./manifest";

function manifestFile(content: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dr-manifest-"));
  const file = path.join(dir, "plugins.json");
  fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

function manifestError(raw: string): { type: string; message: string } {
  try {
    parseManifest(raw);
  } catch (error) {
    return error as { type: string; message: string };
  }
  throw new Error("expected HUB_PLUGIN_MANIFEST");
}

describe("HUB_PLUGINS", () => {
  it("is empty by default: no plugins", () => {
    expect(parseManifest(undefined)).toEqual({ source: "none", plugins: [], capabilities: {} });
    expect(parseManifest("  ")).toEqual({ source: "none", plugins: [], capabilities: {} });
  });

  it("reads a comma list of name or name:transport, in order", () => {
    expect(parseManifest("counter:soap, core-banking:db2 ,crm").plugins).toEqual([
      { name: "counter", transport: "soap", settings: {} },
      { name: "core-banking", transport: "db2", settings: {} },
      { name: "crm", settings: {} },
    ]);
  });

  it.each([
    ["counter:ftp", /unknown transport "ftp"/],
    ["Counter", /is not name or name:transport/],
    ["counter:soap:x", /is not name or name:transport/],
    ["counter,counter:soap", /listed twice/],
  ])("refuses %s", (raw, message) => {
    const e = manifestError(raw);
    expect(e.type).toBe("HUB_PLUGIN_MANIFEST");
    expect(e.message).toMatch(/^HUB_PLUGINS: /);
    expect(e.message).toMatch(message);
  });

  it("reads a JSON manifest file: order, transports, settings, breaker, module paths, capability orders", () => {
    const file = manifestFile({
      plugins: [
        { name: "core-banking", transport: "db2", settings: { url: "db2://hub@db2.bank:50000/COREDB" } },
        { name: "crm", settings: { wsdlUrl: "http://crm.bank/ws?wsdl" }, breaker: { failureThreshold: 3 } },
        { name: "my-crm", module: "./my-crm/my-crm.plugin.js" },
      ],
      capabilities: { "customers.lookup": ["crm", "core-banking"] },
    });
    const m = parseManifest(file);
    expect(m.source).toBe("file");
    expect(m.plugins.map((p) => p.name)).toEqual(["core-banking", "crm", "my-crm"]);
    expect(m.plugins[0].settings).toEqual({ url: "db2://hub@db2.bank:50000/COREDB" });
    expect(m.plugins[1].breaker).toEqual({ failureThreshold: 3 });
    expect(m.plugins[2].module).toBe(path.join(path.dirname(file), "my-crm", "my-crm.plugin.js"));
    expect(m.capabilities).toEqual({ "customers.lookup": ["crm", "core-banking"] });
  });

  it.each([
    ["a file that is not JSON", "{ plugins: [", /is not valid JSON/],
    [
      "an unknown field",
      { plugins: [{ name: "crm", transprt: "soap" }] },
      /plugins\.0\.transprt unknown field/,
    ],
    [
      "a setting of another type",
      { plugins: [{ name: "crm", settings: { a: [1] } }] },
      /plugins\.0\.settings\.a/,
    ],
    [
      "a capability order naming a plugin not listed",
      { plugins: [{ name: "crm" }], capabilities: { "customers.lookup": ["fund"] } },
      /names "fund"/,
    ],
    [
      "an unknown capability",
      { plugins: [{ name: "crm" }], capabilities: { "customers.find": ["crm"] } },
      /capabilities/,
    ],
  ])("refuses %s", (_what, content, message) => {
    const e = manifestError(manifestFile(content));
    expect(e.type).toBe("HUB_PLUGIN_MANIFEST");
    expect(e.message).toMatch(message);
  });

  it("names a manifest file that cannot be read", () => {
    expect(manifestError("/nonexistent/plugins.json").message).toMatch(/cannot read the manifest file/);
  });
});
