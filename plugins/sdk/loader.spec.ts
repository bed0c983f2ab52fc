import { defineOperation, definePlugin, type PluginDefinition } from "./contract";
import { PluginContractError } from "./errors";
import { checkPlugin, loadPlugins } from "./loader";
import type { ManifestEntry, PluginManifest } from "./manifest";
import { register, resolve } from "./transports/index";
import { createDb2Transport, IBM_DB_INSTALL_HINT } from "./transports/db2.transport";

const lookup = defineOperation({
  capability: "customers.lookup",
  description: "lookup",
  timeoutMs: 1000,
  retryable: true,
  run: async () => ({ customers: [] }),
});

function plugin(overrides: Partial<PluginDefinition> = {}): PluginDefinition {
  return definePlugin({
    name: "sample",
    version: "1.2.0",
    sdk: "^1.0.0",
    system: "样例系统",
    transport: "sql",
    settings: {},
    operations: { lookup },
    ...overrides,
  });
}

const SQLITE = { url: "sqlite:/nonexistent/never-opened.sqlite" };

function entry(overrides: Partial<ManifestEntry> = {}): ManifestEntry {
  return { name: "sample", settings: SQLITE, ...overrides };
}

function contractError(work: () => unknown): PluginContractError {
  try {
    work();
  } catch (error) {
    if (!(error instanceof PluginContractError)) throw error;
    return error;
  }
  throw new Error("expected a PluginContractError");
}

describe("load-time checks", () => {
  it("accepts a plugin that keeps the contract, with its transport's settings added to its own", () => {
    const loaded = checkPlugin(plugin(), entry(), { env: {} });
    expect(loaded.transportName).toBe("sql");
    expect([...loaded.operations]).toEqual([["customers.lookup", "lookup"]]);
    expect(loaded.settings.toJSON()).toEqual({
      url: SQLITE.url,
      schemas: "",
      poolSize: 4,
      connectTimeoutMs: 5000,
    });
  });

  it("HUB_PLUGIN_SDK_RANGE: the plugin needs another SDK", () => {
    const e = contractError(() => checkPlugin(plugin({ sdk: "^2.0.0" }), entry(), { env: {} }));
    expect(e.type).toBe("HUB_PLUGIN_SDK_RANGE");
    expect(e.data).toEqual({ plugin: "sample", needs: "^2.0.0", has: "1.0.0" });
  });

  it.each<[string, Partial<PluginDefinition>, RegExp]>([
    ["a name other than its folder's", { name: "other" }, /named "other"/],
    ["a version that is not semver", { version: "1.2" }, /not semver/],
    ["an sdk that is not a range", { sdk: "latest" }, /not a semver range/],
    ["no operations", { operations: {} }, /has no operations/],
    [
      "an unknown capability",
      { operations: { x: { ...lookup, capability: "customers.find" as never } } },
      /unknown capability/,
    ],
    ["a timeout out of range", { operations: { lookup: { ...lookup, timeoutMs: 0 } } }, /timeoutMs/],
    [
      "two operations for one capability",
      { operations: { lookup, again: lookup } },
      /both answer customers.lookup/,
    ],
    ["an operation name that is not camelCase", { operations: { "look-up": lookup } }, /camelCase/],
    [
      "no run for one of its transports",
      {
        transport: ["sql", "soap"],
        operations: { lookup: { ...lookup, run: { sql: lookup.run as never } } },
      },
      /no run for its transport soap/,
    ],
  ])("HUB_PLUGIN_CONTRACT: %s", (_what, overrides, message) => {
    const e = contractError(() => checkPlugin(plugin(overrides), entry(), { env: {} }));
    expect(e.type).toBe("HUB_PLUGIN_CONTRACT");
    expect(e.message).toMatch(message);
  });

  it("HUB_PLUGIN_SCHEMA: an operation must use its capability's schemas", () => {
    const e = contractError(() =>
      checkPlugin(
        plugin({
          operations: {
            lookup: { ...lookup, responseSchema: "plugins/capabilities/risk.latestAssessment.response" },
          },
        }),
        entry(),
        {
          env: {},
        },
      ),
    );
    expect(e.type).toBe("HUB_PLUGIN_SCHEMA");
    expect(e.message).toMatch(
      /must be the capability's schema plugins\/capabilities\/customers.lookup.response/,
    );
    const missing = contractError(() =>
      checkPlugin(
        plugin({ operations: { lookup: { ...lookup, requestSchema: "plugins/capabilities/nothing" } } }),
        entry(),
        { env: {} },
      ),
    );
    expect(missing.type).toBe("HUB_PLUGIN_SCHEMA");
    expect(missing.message).toMatch(/is not under schemas\/plugins/);
  });

  it("HUB_PLUGIN_SETTINGS: a plugin setting may not shadow a transport's, and must be described", () => {
    const shadow = contractError(() =>
      checkPlugin(plugin({ settings: { url: { type: "url", description: "mine" } } }), entry(), { env: {} }),
    );
    expect(shadow.type).toBe("HUB_PLUGIN_SETTINGS");
    expect(shadow.data).toEqual({ plugin: "sample", setting: "url" });
    const undescribed = contractError(() =>
      checkPlugin(plugin({ settings: { schema: { type: "string", description: "" } } }), entry(), {
        env: {},
      }),
    );
    expect(undescribed.data).toEqual({ plugin: "sample", setting: "schema" });
  });

  it("HUB_PLUGIN_SETTINGS: a missing transport setting, named with its variable", () => {
    const e = contractError(() => checkPlugin(plugin(), entry({ settings: {} }), { env: {} }));
    expect(e.type).toBe("HUB_PLUGIN_SETTINGS");
    expect(e.message).toMatch(/setting "url": is required .*HUB_PLUGIN_SAMPLE_URL/);
  });

  it("HUB_PLUGIN_TRANSPORT: a transport the plugin does not speak", () => {
    const e = contractError(() => checkPlugin(plugin(), entry({ transport: "soap" }), { env: {} }));
    expect(e.type).toBe("HUB_PLUGIN_TRANSPORT");
    expect(e.message).toBe("plugin sample does not speak soap; it speaks sql");
  });

  it("HUB_PLUGIN_TRANSPORT: db2 without IBM's driver says how to install it", () => {
    const original = resolve("db2");
    register(createDb2Transport(() => null) as never);
    try {
      const db2 = plugin({ transport: "db2", operations: { lookup } });
      const e = contractError(() =>
        checkPlugin(db2, entry({ settings: { url: "db2://hub@db2.bank:50000/COREDB" } }), {
          env: { HUB_PLUGIN_SAMPLE_PASSWORD: "x" },
        }),
      );
      expect(e.type).toBe("HUB_PLUGIN_TRANSPORT");
      expect(e.message).toBe(`plugin sample: ${IBM_DB_INSTALL_HINT}`);
      expect(e.message).toContain("npm install ibm_db");
    } finally {
      register(original);
    }
  });

  it("HUB_PLUGIN_NOT_FOUND: a plugin whose folder is not there", () => {
    const manifest: PluginManifest = {
      source: "list",
      plugins: [{ name: "teller-pad", settings: {} }],
      capabilities: {},
    };
    const e = contractError(() => loadPlugins(manifest, { env: {} }));
    expect(e.type).toBe("HUB_PLUGIN_NOT_FOUND");
    expect(e.message).toMatch(/plugin teller-pad is not installed: no .*teller-pad\.plugin/);
  });

  describe("HUB_PLUGIN_DEPENDENCY", () => {
    const crm = plugin({ name: "crm", version: "1.4.0" });
    const needsCrm = plugin({ dependsOn: { crm: "^1.2.0" } });
    const manifest = (names: string[]): PluginManifest => ({
      source: "list",
      plugins: names.map((name) => ({ name, settings: SQLITE })),
      capabilities: {},
    });

    it("passes when the dependency is enabled in a version inside the range", () => {
      expect(
        loadPlugins(manifest(["sample", "crm"]), { env: {}, definitions: { sample: needsCrm, crm } }),
      ).toHaveLength(2);
    });

    it("fails when the dependency is not enabled", () => {
      const e = contractError(() =>
        loadPlugins(manifest(["sample"]), { env: {}, definitions: { sample: needsCrm } }),
      );
      expect(e.type).toBe("HUB_PLUGIN_DEPENDENCY");
      expect(e.message).toBe("plugin sample needs plugin crm ^1.2.0, which is not in HUB_PLUGINS");
    });

    it("fails when the enabled version is outside the range", () => {
      const old = plugin({ name: "crm", version: "1.1.9" });
      const e = contractError(() =>
        loadPlugins(manifest(["sample", "crm"]), { env: {}, definitions: { sample: needsCrm, crm: old } }),
      );
      expect(e.type).toBe("HUB_PLUGIN_DEPENDENCY");
      expect(e.data).toMatchObject({ dependency: "crm", range: "^1.2.0", enabled: "1.1.9" });
    });
  });

  it("HUB_PLUGIN_MANIFEST: a capability order naming a plugin that does not provide it", () => {
    const manifest: PluginManifest = {
      source: "file",
      plugins: [{ name: "sample", settings: SQLITE }],
      capabilities: { "sales.listByDay": ["sample"] },
    };
    const e = contractError(() => loadPlugins(manifest, { env: {}, definitions: { sample: plugin() } }));
    expect(e.type).toBe("HUB_PLUGIN_MANIFEST");
  });

  it.each([
    ["counter", "soap", { wsdlUrl: "http://esb.bank/counter?wsdl" }],
    ["counter", "sql", SQLITE],
    ["core-banking", "soap", { wsdlUrl: "http://esb.bank/core?wsdl" }],
    ["fund", "oracle", { url: "oracle://hub@ora.bank:1521/FUNDPDB" }],
    ["wealth", "soap", { wsdlUrl: "http://esb.bank/wealth?wsdl" }],
    ["bancassurance", "http-xml", { url: "http://ybt.bank:7001/gateway" }],
    ["crm", "soap", { wsdlUrl: "http://crm.bank/ws?wsdl", timelineUrl: "https://crm.bank/c/{customerNo}" }],
  ])("loads the bundled plugin %s over %s", (name, transport, settings) => {
    const manifest: PluginManifest = {
      source: "list",
      plugins: [{ name, transport: transport as never, settings }],
      capabilities: {},
    };
    const [loaded] = loadPlugins(manifest, { env: { HUB_PLUGIN_FUND_PASSWORD: "x" } });
    expect(loaded.definition.name).toBe(name);
    expect(loaded.transportName).toBe(transport);
  });
});
