/** How a simulated system behaves, switchable while tests run. */
export type Behaviour =
  | { mode: "up" }
  /** Not listening: connections are refused. */
  | { mode: "down" }
  /** Answers after `delayMs`. */
  | { mode: "slow"; delayMs: number }
  /** Answers every request with an error: a SOAP Fault, a 银保通 failure flag, a SQL error. */
  | { mode: "fault"; code?: string; message?: string };

export const UP: Behaviour = { mode: "up" };

/** What every simulator offers to tests and to `npm run simulators`. */
export interface Simulator {
  readonly name: string;
  /** Where it listens (for SQL: the database URL). */
  readonly url: string;
  behave(behaviour: Behaviour): Promise<void>;
  /** Requests received so far (operation or transaction names). */
  readonly received: string[];
  stop(): Promise<void>;
}

/** Delays of a "slow" simulator, cancelled when it stops, so that no timer outlives a test. */
export class Delays {
  #timers = new Set<NodeJS.Timeout>();

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      this.#timers.add(timer);
    });
  }

  cancelAll(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
