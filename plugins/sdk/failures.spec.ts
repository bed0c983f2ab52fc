/**
 * A legacy system that is down, slow or faulting gives typed errors, and repeated failures open the plugin's circuit:
 * calls then fail fast without reaching the system, a trial call is let through after the cool-down, and the
 * circuit closes again when the system is back. Real simulators (SOAP, 银保通 XML, PostgreSQL behind a proxy,
 * SQLite), a fake clock for deadlines and cool-downs.
 */
import type { CapabilityName } from "./capabilities";
import {
  LegacyCircuitOpenError,
  LegacyFaultError,
  LegacyTimeoutError,
  LegacyUnavailableError,
} from "./errors";
import { FakeClock, hostFor } from "./harness";
import type { PluginHost } from "./host";
import {
  postgresForTests,
  simulate,
  type SimulatedSystem,
  type SimulateOptions,
} from "../../test/simulators";

interface Case {
  plugin: string;
  transport: string;
  options: SimulateOptions;
  capability: CapabilityName;
  request: Record<string, string>;
  timeoutMs: number;
  countsRequests: boolean;
}

const postgres = postgresForTests();
const cases: [string, Case][] = [
  [
    "SOAP (counter)",
    {
      plugin: "counter",
      transport: "soap",
      options: {},
      capability: "sales.listByDay",
      request: { day: "2026-03-02" },
      timeoutMs: 30_000,
      countsRequests: true,
    },
  ],
  [
    "银保通 XML over HTTP (bancassurance)",
    {
      plugin: "bancassurance",
      transport: "http-xml",
      options: {},
      capability: "products.list",
      request: { changedSince: "2026-01-01" },
      timeoutMs: 30_000,
      countsRequests: true,
    },
  ],
  ...(postgres
    ? [
        [
          "SQL on PostgreSQL behind a proxy (core-banking)",
          {
            plugin: "core-banking",
            transport: "sql",
            options: { database: { type: "postgres", adminUrl: postgres } },
            capability: "customers.lookup",
            request: { customerNo: "C000000001" },
            timeoutMs: 5_000,
            countsRequests: false,
          },
        ] as [string, Case],
      ]
    : []),
];

const BREAKER = { failureThreshold: 3, coolDownMs: 30_000 };

describe.each(cases)("a legacy system over %s", (_label, c) => {
  let system: SimulatedSystem;
  let clock: FakeClock;
  let host: PluginHost;
  const call = () => host.call(c.capability, c.request as never);
  const outcome = () =>
    call().then(
      () => "answered",
      (e: unknown) => e,
    );

  beforeEach(async () => {
    system = await simulate(c.plugin, c.transport, c.options);
    clock = new FakeClock();
    host = hostFor(c.plugin, {
      transport: c.transport as never,
      settings: system.settings,
      clock,
      breaker: BREAKER,
      retry: { attempts: 0, delayMs: 0 },
    });
  }, 60_000);

  afterEach(async () => {
    await host.close();
    await system.stop();
  });

  it("down: LegacyUnavailableError (retryable, 503)", async () => {
    await system.behave({ mode: "down" });
    const e = await outcome();
    expect(e).toBeInstanceOf(LegacyUnavailableError);
    expect(e).toMatchObject({ code: 503, retryable: true, data: { plugin: c.plugin } });
  });

  it("slow: LegacyTimeoutError at the operation's deadline", async () => {
    await system.behave({ mode: "slow", delayMs: 60_000 });
    const pending = outcome();
    await clock.advance(c.timeoutMs - 1);
    await clock.advance(1);
    const e = await pending;
    expect(e).toBeInstanceOf(LegacyTimeoutError);
    expect(e).toMatchObject({ code: 504, retryable: true, data: { plugin: c.plugin } });
    await system.behave({ mode: "up" });
  });

  it("faulting: LegacyFaultError with the system's fault code or SQLSTATE", async () => {
    await system.behave({ mode: "fault" });
    const e = (await outcome()) as LegacyFaultError;
    expect(e).toBeInstanceOf(LegacyFaultError);
    expect(e.code).toBe(502);
    expect(e.faultCode ?? e.sqlState).toBeTruthy();
  });

  it("opens the circuit after consecutive failures, fails fast, half-opens after the cool-down, closes when the system is back", async () => {
    await system.behave({ mode: "fault" });
    for (let i = 0; i < BREAKER.failureThreshold; i += 1)
      expect(await outcome()).toBeInstanceOf(LegacyFaultError);
    expect(host.breaker(c.plugin).state).toBe("open");
    const reached = system.simulator.received.length;

    const open = await outcome();
    expect(open).toBeInstanceOf(LegacyCircuitOpenError);
    expect(open).toMatchObject({ type: "HUB_LEGACY_CIRCUIT_OPEN", code: 503, retryable: true });
    if (c.countsRequests) expect(system.simulator.received.length).toBe(reached);

    await clock.advance(BREAKER.coolDownMs);
    expect(host.breaker(c.plugin).state).toBe("half-open");
    expect(await outcome()).toBeInstanceOf(LegacyFaultError);
    expect(host.breaker(c.plugin).state).toBe("open");

    await clock.advance(BREAKER.coolDownMs);
    await system.behave({ mode: "up" });
    expect(await outcome()).toBe("answered");
    expect(host.breaker(c.plugin)).toEqual({ state: "closed", consecutiveFailures: 0, retryAt: null });
    expect(await outcome()).toBe("answered");
  });

  it("opens the circuit on a system that is down, too, and closes it once it is up again", async () => {
    await system.behave({ mode: "down" });
    for (let i = 0; i < BREAKER.failureThreshold; i += 1)
      expect(await outcome()).toBeInstanceOf(LegacyUnavailableError);
    expect(await outcome()).toBeInstanceOf(LegacyCircuitOpenError);
    await system.behave({ mode: "up" });
    await clock.advance(BREAKER.coolDownMs);
    expect(await outcome()).toBe("answered");
    expect(host.breaker(c.plugin).state).toBe("closed");
  });
});

if (!postgres) {
  it.skip("a legacy system over SQL on PostgreSQL (PostgreSQL is not reachable here)", () => undefined);
}

describe("a legacy system over SQL on SQLite (core-banking)", () => {
  it("faulting (views dropped): LegacyFaultError with the SQLSTATE, and the circuit opens", async () => {
    const system = await simulate("core-banking", "sql");
    const clock = new FakeClock();
    const host = hostFor("core-banking", {
      transport: "sql",
      settings: system.settings,
      clock,
      breaker: BREAKER,
      retry: { attempts: 0, delayMs: 0 },
    });
    try {
      await system.behave({ mode: "fault" });
      for (let i = 0; i < BREAKER.failureThreshold; i += 1) {
        const e = await host.call("customers.lookup", { customerNo: "C000000001" }).catch((x: unknown) => x);
        expect(e).toBeInstanceOf(LegacyFaultError);
        expect((e as LegacyFaultError).sqlState).toBe("42S02");
      }
      await expect(host.call("customers.lookup", { customerNo: "C000000001" })).rejects.toBeInstanceOf(
        LegacyCircuitOpenError,
      );
      await system.behave({ mode: "up" });
      await clock.advance(BREAKER.coolDownMs);
      expect((await host.call("customers.lookup", { customerNo: "C000000001" })).customers).toHaveLength(1);
    } finally {
      await host.close();
      await system.stop();
    }
  });
});
