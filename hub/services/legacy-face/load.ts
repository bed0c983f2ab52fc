import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import type { ActionHandler, Middleware } from "moleculer";

/** Above these the node is busy and background work (the archive) waits. */
export interface BusyLimits {
  /** 99th percentile event-loop delay since the last look, in milliseconds. */
  lagMs: number;
  /** Action calls running on this node right now (every HTTP or SOAP request is one, or several). */
  inFlight: number;
}

export const DEFAULT_BUSY_LIMITS: BusyLimits = { lagMs: 50, inFlight: 4 };

export interface LoadReading {
  busy: boolean;
  lagMs: number;
  inFlight: number;
}

/**
 * How busy this node is: its event-loop delay and the action calls in flight, counted by a broker middleware. The
 * node's own background work does not run through actions, so it never makes the node look busy to itself.
 */
export class LoadProbe {
  private running = 0;
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });

  constructor(private readonly limits: BusyLimits = DEFAULT_BUSY_LIMITS) {
    this.delay.enable();
  }

  get inFlight(): number {
    return this.running;
  }

  /** Counts local action calls while they run. */
  middleware(): Middleware {
    const enter = () => this.running++;
    const leave = () => this.running--;
    const middleware = {
      name: "LoadProbe",
      localAction(handler: ActionHandler): ActionHandler {
        return async function counted(this: unknown, ctx) {
          enter();
          try {
            return await handler.call(this, ctx);
          } finally {
            leave();
          }
        };
      },
    };
    return middleware as unknown as Middleware;
  }

  /** Reads (and restarts) the delay histogram: each reading covers the time since the previous one. */
  read(): LoadReading {
    const lagMs = this.delay.count > 0 ? this.delay.percentile(99) / 1e6 : 0;
    this.delay.reset();
    const inFlight = this.running;
    return { busy: lagMs > this.limits.lagMs || inFlight > this.limits.inFlight, lagMs, inFlight };
  }

  stop(): void {
    this.delay.disable();
  }
}
