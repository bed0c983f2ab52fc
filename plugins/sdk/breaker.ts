import type { Clock } from "./clock";
import { LegacyCircuitOpenError } from "./errors";

export type BreakerState = "closed" | "open" | "half-open";

export interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before one trial call is let through. */
  coolDownMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = { failureThreshold: 5, coolDownMs: 30_000 };

export interface BreakerSnapshot {
  state: BreakerState;
  consecutiveFailures: number;
  /** When an open circuit lets the next trial call through (ISO), else null. */
  retryAt: string | null;
}

/**
 * One circuit breaker per plugin. Closed: calls go through and consecutive failures are counted; at the threshold it
 * opens. Open: calls fail at once with LegacyCircuitOpenError until the cool-down has passed. Half-open: one trial
 * call goes through (others still fail fast); its success closes the circuit, its failure opens it again.
 * Pure: time comes from the clock, nothing runs in the background.
 */
export class CircuitBreaker {
  #failures = 0;
  #openedAt: number | null = null;
  #trialInFlight = false;

  constructor(
    readonly name: string,
    readonly options: BreakerOptions = DEFAULT_BREAKER,
    private readonly clock: Pick<Clock, "now"> = { now: () => Date.now() },
    private readonly onChange: (from: BreakerState, to: BreakerState) => void = () => undefined,
  ) {}

  get state(): BreakerState {
    if (this.#openedAt === null) return "closed";
    return this.clock.now() >= this.#openedAt + this.options.coolDownMs ? "half-open" : "open";
  }

  /** Asks to make a call: returns when it may go through, throws LegacyCircuitOpenError when not. */
  acquire(): void {
    const state = this.state;
    if (state === "closed") return;
    if (state === "half-open" && !this.#trialInFlight) {
      this.#trialInFlight = true;
      return;
    }
    throw new LegacyCircuitOpenError(this.name, (this.#openedAt ?? 0) + this.options.coolDownMs);
  }

  /** The call went through and the system answered. */
  success(): void {
    const before = this.state;
    this.#failures = 0;
    this.#openedAt = null;
    this.#trialInFlight = false;
    if (before !== "closed") this.onChange(before, "closed");
  }

  /** The call went through and the system failed (unavailable, timed out, faulted). */
  failure(): void {
    const before = this.state;
    this.#failures += 1;
    const trialFailed = this.#trialInFlight;
    this.#trialInFlight = false;
    if (trialFailed || (before === "closed" && this.#failures >= this.options.failureThreshold)) {
      this.#openedAt = this.clock.now();
      if (before !== "open") this.onChange(before, "open");
    }
  }

  /** The call went through but says nothing about the system's health (our own request was refused first). */
  release(): void {
    this.#trialInFlight = false;
  }

  snapshot(): BreakerSnapshot {
    const state = this.state;
    return {
      state,
      consecutiveFailures: this.#failures,
      retryAt:
        this.#openedAt === null ? null : new Date(this.#openedAt + this.options.coolDownMs).toISOString(),
    };
  }
}
