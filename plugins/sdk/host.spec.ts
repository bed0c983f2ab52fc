import { inspect } from "node:util";
import { defineOperation, definePlugin, type OperationContext, type PluginDefinition } from "./contract";
import type { CustomersLookupRequest, CustomersLookupResponse } from "./capabilities";
import {
  LegacyCircuitOpenError,
  LegacyFaultError,
  LegacyTimeoutError,
  LegacyUnavailableError,
  PluginResponseError,
} from "./errors";
import { expectHubError, FakeClock } from "./harness";
import { PluginHost, type PluginHostOptions } from "./host";
import type { PluginManifest } from "./manifest";

type Behaviour = (request: CustomersLookupRequest, ctx: OperationContext) => Promise<CustomersLookupResponse>;

const ZHANG_WEI = {
  customerNo: "C000000001",
  name: "张伟",
  idType: "ID_CARD" as const,
  idNumber: "310115198503121234",
  phone: "13801380001",
  birthDate: "1985-03-12",
  cardLast4: ["0001"],
  orgCode: "310100",
};

/** A plugin whose customers.lookup does whatever the test says, counting its calls. */
function scripted(
  name: string,
  behaviour: Behaviour,
  options: { retryable?: boolean; timeoutMs?: number } = {},
) {
  const calls: CustomersLookupRequest[] = [];
  const definition: PluginDefinition = definePlugin({
    name,
    version: "1.0.0",
    sdk: "^1.0.0",
    system: name,
    transport: "sql",
    settings: { apiKey: { type: "string", secret: true, description: "a secret" } },
    operations: {
      lookup: defineOperation({
        capability: "customers.lookup",
        description: "scripted",
        timeoutMs: options.timeoutMs ?? 1000,
        retryable: options.retryable ?? false,
        run: async (ctx, request) => {
          calls.push(request);
          return behaviour(request, ctx);
        },
      }),
    },
    health: async () => undefined,
  });
  return { definition, calls };
}

function host(
  plugins: { name: string; definition: PluginDefinition }[],
  options: PluginHostOptions = {},
  capabilities = {},
): PluginHost {
  const manifest: PluginManifest = {
    source: "list",
    plugins: plugins.map((p) => ({ name: p.name, settings: { url: "sqlite:/nonexistent/never.sqlite" } })),
    capabilities,
  };
  return new PluginHost(manifest, {
    env: {},
    retry: { attempts: 0, delayMs: 0 },
    ...options,
    definitions: Object.fromEntries(plugins.map((p) => [p.name, p.definition])),
  });
}

const found = async () => ({ customers: [ZHANG_WEI] });
const nobody = async () => ({ customers: [] });
const down = async (): Promise<never> => {
  throw new LegacyUnavailableError("connection refused");
};

describe("PluginHost", () => {
  it("validates the request before any plugin is asked, and does not change the caller's object", async () => {
    const core = scripted("core", found);
    const h = host([{ name: "core", ...core }]);
    const e = await expectHubError(
      h.call("customers.lookup", { customerNo: "C1", name: "张伟" } as never),
      "HUB_VALIDATION_FAILED",
    );
    expect(e.code).toBe(422);
    await expectHubError(h.call("customers.lookup", { customerNo: "C-1" }), "HUB_VALIDATION_FAILED");
    expect(core.calls).toEqual([]);
    const request = { customerNo: "C000000001" };
    await h.call("customers.lookup", request);
    expect(request).toEqual({ customerNo: "C000000001" });
  });

  it("refuses an answer that breaks the response schema (HUB_PLUGIN_RESPONSE_INVALID), naming the fields", async () => {
    const bad = scripted("core", async () => ({
      customers: [{ ...ZHANG_WEI, idType: "身份证" as never, cardLast4: ["1"] }],
    }));
    const h = host([{ name: "core", ...bad }]);
    const e = await expectHubError(
      h.call("customers.lookup", { customerNo: "C000000001" }),
      "HUB_PLUGIN_RESPONSE_INVALID",
    );
    expect(e).toBeInstanceOf(PluginResponseError);
    expect((e.data as { problems: { field: string }[] }).problems.map((p) => p.field)).toEqual([
      "response.customers.0.idType",
      "response.customers.0.cardLast4.0",
    ]);
    expect(h.breaker("core").consecutiveFailures).toBe(1);
  });

  it("gives an attempt its deadline: LegacyTimeoutError, and the signal the plugin got is aborted", async () => {
    const clock = new FakeClock();
    let signal: AbortSignal | null = null;
    const slow = scripted(
      "core",
      (_r, ctx) => {
        signal = ctx.signal;
        expect(ctx.remainingMs()).toBe(2000);
        return new Promise(() => undefined);
      },
      { timeoutMs: 2000 },
    );
    const h = host([{ name: "core", ...slow }], { clock });
    const outcome = h.call("customers.lookup", { customerNo: "C000000001" }).catch((e: unknown) => e);
    await clock.advance(2000);
    const e = await outcome;
    expect(e).toBeInstanceOf(LegacyTimeoutError);
    expect((e as LegacyTimeoutError).data).toMatchObject({ plugin: "core", operation: "lookup" });
    expect(signal!.aborted).toBe(true);
  });

  it("retries a retryable operation after a retryable error, with a pause, and not a non-retryable one", async () => {
    const clock = new FakeClock();
    let failures = 1;
    const flaky = scripted(
      "core",
      async () => {
        if (failures-- > 0) return down();
        return found();
      },
      { retryable: true },
    );
    const h = host([{ name: "core", ...flaky }], { clock, retry: { attempts: 2, delayMs: 100 } });
    const answer = h.call("customers.lookup", { customerNo: "C000000001" });
    await clock.advance(100);
    expect((await answer).customers).toHaveLength(1);
    expect(flaky.calls).toHaveLength(2);

    const once = scripted("crm", down, { retryable: false });
    const h2 = host([{ name: "crm", ...once }], { clock, retry: { attempts: 2, delayMs: 100 } });
    await expectHubError(h2.call("customers.lookup", { customerNo: "C000000001" }), "HUB_LEGACY_UNAVAILABLE");
    expect(once.calls).toHaveLength(1);

    const faulty = scripted("fund", async () => Promise.reject(new LegacyFaultError("RetCode CB1001")), {
      retryable: true,
    });
    const h3 = host([{ name: "fund", ...faulty }], { clock, retry: { attempts: 2, delayMs: 100 } });
    await expectHubError(h3.call("customers.lookup", { customerNo: "C000000001" }), "HUB_LEGACY_FAULT");
    expect(faulty.calls).toHaveLength(1);
  });

  describe("several providers", () => {
    it("asks them in manifest order; an unavailable one is skipped and its error collected", async () => {
      const core = scripted("core", down);
      const crm = scripted("crm", found);
      const h = host([
        { name: "core", ...core },
        { name: "crm", ...crm },
      ]);
      expect(h.providers("customers.lookup")).toEqual(["core", "crm"]);
      const answer = await h.ask("customers.lookup", { customerNo: "C000000001" });
      expect(answer.provider).toBe("crm");
      expect(answer.response.customers[0].name).toBe("张伟");
      expect(answer.failures).toEqual([
        {
          plugin: "core",
          code: "HUB_LEGACY_UNAVAILABLE",
          message: "connection refused",
          retryable: true,
        },
      ]);
    });

    it("moves on when a provider does not know the customer, and returns the last answer when nobody does", async () => {
      const core = scripted("core", nobody);
      const crm = scripted("crm", found);
      expect(
        (
          await host([
            { name: "core", ...core },
            { name: "crm", ...crm },
          ]).ask("customers.lookup", { name: "张伟" })
        ).provider,
      ).toBe("crm");
      const fund = scripted("fund", nobody);
      const none = await host([
        { name: "core", ...core },
        { name: "fund", ...fund },
      ]).ask("customers.lookup", { name: "李四" });
      expect(none).toMatchObject({ provider: "fund", response: { customers: [] }, failures: [] });
    });

    it("stops at a fault (the system answered) unless told to fall back on any legacy error", async () => {
      const core = scripted("core", async () => Promise.reject(new LegacyFaultError("SQLSTATE 42704")));
      const crm = scripted("crm", found);
      const plugins = [
        { name: "core", ...core },
        { name: "crm", ...crm },
      ];
      await expectHubError(
        host(plugins).call("customers.lookup", { customerNo: "C000000001" }),
        "HUB_LEGACY_FAULT",
      );
      expect(crm.calls).toHaveLength(0);
      const answer = await host(plugins, { fallbackOn: "any-legacy-error" }).ask("customers.lookup", {
        customerNo: "C000000001",
      });
      expect(answer.provider).toBe("crm");
      expect(answer.failures[0].code).toBe("HUB_LEGACY_FAULT");
    });

    it("throws the only provider's own error, and one LegacyUnavailableError listing every failure when all fail", async () => {
      const clock = new FakeClock();
      const slow = scripted("core", () => new Promise(() => undefined), { timeoutMs: 500 });
      const only = host([{ name: "core", ...slow }], { clock })
        .call("customers.lookup", { customerNo: "C1" })
        .catch((e: unknown) => e);
      await clock.advance(500);
      expect(await only).toBeInstanceOf(LegacyTimeoutError);

      const h = host([
        { name: "core", ...scripted("core", down) },
        { name: "crm", ...scripted("crm", down) },
      ]);
      const e = await expectHubError(
        h.call("customers.lookup", { customerNo: "C1" }),
        "HUB_LEGACY_UNAVAILABLE",
      );
      expect(e.message).toBe(
        "no provider of customers.lookup could answer: core HUB_LEGACY_UNAVAILABLE, crm HUB_LEGACY_UNAVAILABLE",
      );
      expect((e.data as { failures: unknown[] }).failures).toHaveLength(2);
    });

    it("follows a per-capability order from the manifest", async () => {
      const core = scripted("core", found);
      const crm = scripted("crm", found);
      const h = host(
        [
          { name: "core", ...core },
          { name: "crm", ...crm },
        ],
        {},
        { "customers.lookup": ["crm", "core"] },
      );
      expect((await h.ask("customers.lookup", { customerNo: "C000000001" })).provider).toBe("crm");
      expect(core.calls).toHaveLength(0);
    });

    it("collects every provider's answer with callAll", async () => {
      const h = host([
        { name: "core", ...scripted("core", found) },
        { name: "crm", ...scripted("crm", down) },
        { name: "fund", ...scripted("fund", nobody) },
      ]);
      const all = await h.callAll("customers.lookup", { name: "张伟" });
      expect(all.answers.map((a) => [a.plugin, a.response.customers.length])).toEqual([
        ["core", 1],
        ["fund", 0],
      ]);
      expect(all.failures.map((f) => f.plugin)).toEqual(["crm"]);
    });
  });

  it("HUB_PLUGIN_NO_PROVIDER when no enabled plugin provides the capability", async () => {
    const h = host([{ name: "core", ...scripted("core", found) }]);
    const e = await expectHubError(
      h.call("sales.listByDay", { day: "2026-03-02" }),
      "HUB_PLUGIN_NO_PROVIDER",
    );
    expect(e.code).toBe(501);
    expect(h.has("sales.listByDay")).toBe(false);
    expect(PluginHost.fromEnv({}).plugins).toEqual([]);
  });

  it("opens the circuit after consecutive failures, fails fast without calling, and closes after a good trial call", async () => {
    const clock = new FakeClock();
    let healthy = false;
    const core = scripted("core", () => (healthy ? found() : down()));
    const h = host([{ name: "core", ...core }], {
      clock,
      breaker: { failureThreshold: 3, coolDownMs: 30_000 },
    });
    for (let i = 0; i < 3; i += 1)
      await expectHubError(h.call("customers.lookup", { customerNo: "C1" }), "HUB_LEGACY_UNAVAILABLE");
    expect(h.breaker("core").state).toBe("open");
    const open = await expectHubError(
      h.call("customers.lookup", { customerNo: "C1" }),
      "HUB_LEGACY_CIRCUIT_OPEN",
    );
    expect(open).toBeInstanceOf(LegacyCircuitOpenError);
    expect(core.calls).toHaveLength(3);
    await clock.advance(30_000);
    expect(h.breaker("core").state).toBe("half-open");
    healthy = true;
    await h.call("customers.lookup", { customerNo: "C000000001" });
    expect(h.breaker("core")).toEqual({ state: "closed", consecutiveFailures: 0, retryAt: null });
  });

  it("does not count a plugin bug against the system: HUB_INTERNAL, breaker untouched", async () => {
    const buggy = scripted("core", async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'CUST_NO')");
    });
    const h = host([{ name: "core", ...buggy }], { breaker: { failureThreshold: 1 } });
    const e = await expectHubError(h.call("customers.lookup", { customerNo: "C1" }), "HUB_INTERNAL");
    expect(e.message).toBe(
      "plugin core, operation lookup: Cannot read properties of undefined (reading 'CUST_NO')",
    );
    expect(h.breaker("core").state).toBe("closed");
  });

  it("reports each plugin's health with its breaker, and never shows a secret", async () => {
    const core = scripted("core", found);
    const h = new PluginHost(
      {
        source: "list",
        plugins: [{ name: "core", settings: { url: "sqlite:/nonexistent/never.sqlite" } }],
        capabilities: {},
      },
      { env: { HUB_PLUGIN_CORE_API_KEY: "k3y-very-secret" }, definitions: { core: core.definition } },
    );
    expect(await h.health()).toEqual([
      {
        plugin: "core",
        status: "up",
        latencyMs: expect.any(Number),
        breaker: { state: "closed", consecutiveFailures: 0, retryAt: null },
      },
    ]);
    expect(h.plugins[0]).toMatchObject({
      name: "core",
      transport: "sql",
      capabilities: ["customers.lookup"],
      settings: { apiKey: "[secret]" },
    });
    expect(JSON.stringify(h.plugins) + inspect(h, { depth: 10 })).not.toContain("k3y-very-secret");
  });
});
