import { CircuitBreaker } from "./breaker";
import { LegacyCircuitOpenError } from "./errors";

function clockAt(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("CircuitBreaker", () => {
  const options = { failureThreshold: 3, coolDownMs: 10_000 };

  it("stays closed below the threshold and counts only consecutive failures", () => {
    const b = new CircuitBreaker("core-banking", options, clockAt());
    b.acquire();
    b.failure();
    b.acquire();
    b.failure();
    b.acquire();
    b.success();
    b.acquire();
    b.failure();
    expect(b.snapshot()).toEqual({ state: "closed", consecutiveFailures: 1, retryAt: null });
  });

  it("opens after N consecutive failures and then fails fast with the time it will try again", () => {
    const clock = clockAt(Date.parse("2026-03-02T02:00:00Z"));
    const changes: string[] = [];
    const b = new CircuitBreaker("core-banking", options, clock, (from, to) => changes.push(`${from}→${to}`));
    for (let i = 0; i < 3; i += 1) {
      b.acquire();
      b.failure();
    }
    expect(b.state).toBe("open");
    expect(changes).toEqual(["closed→open"]);
    let error: unknown;
    try {
      b.acquire();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LegacyCircuitOpenError);
    expect(error).toMatchObject({
      type: "HUB_LEGACY_CIRCUIT_OPEN",
      code: 503,
      retryable: true,
      data: { plugin: "core-banking", retryAt: "2026-03-02T02:00:10.000Z" },
    });
  });

  it("lets one trial call through after the cool-down (half-open); its success closes the circuit", () => {
    const clock = clockAt();
    const changes: string[] = [];
    const b = new CircuitBreaker("crm", options, clock, (from, to) => changes.push(`${from}→${to}`));
    for (let i = 0; i < 3; i += 1) {
      b.acquire();
      b.failure();
    }
    clock.advance(9_999);
    expect(b.state).toBe("open");
    clock.advance(1);
    expect(b.state).toBe("half-open");
    b.acquire();
    expect(() => b.acquire()).toThrow(LegacyCircuitOpenError);
    b.success();
    expect(b.snapshot()).toEqual({ state: "closed", consecutiveFailures: 0, retryAt: null });
    expect(changes).toEqual(["closed→open", "half-open→closed"]);
  });

  it("opens again for a whole cool-down when the trial call fails", () => {
    const clock = clockAt();
    const b = new CircuitBreaker("fund", options, clock);
    for (let i = 0; i < 3; i += 1) {
      b.acquire();
      b.failure();
    }
    clock.advance(10_000);
    b.acquire();
    b.failure();
    expect(b.state).toBe("open");
    clock.advance(9_000);
    expect(() => b.acquire()).toThrow(LegacyCircuitOpenError);
    clock.advance(1_000);
    expect(b.state).toBe("half-open");
  });

  it("frees the trial slot when the call said nothing about the system (release)", () => {
    const clock = clockAt();
    const b = new CircuitBreaker("wealth", { failureThreshold: 1, coolDownMs: 100 }, clock);
    b.acquire();
    b.failure();
    clock.advance(100);
    b.acquire();
    b.release();
    expect(() => b.acquire()).not.toThrow();
  });
});
