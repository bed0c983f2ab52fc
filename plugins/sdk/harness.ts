/**
 * The shared test harness every plugin's tests use (and an integrator's tests of their own plugin): a fake clock,
 * a host with one plugin, the plugin's fixtures, typed-error assertions. Test-framework neutral (node:assert).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { HubError } from "../../hub/errors/hub-error";
import type { BreakerOptions } from "./breaker";
import type { CapabilityName } from "./capabilities";
import type { Clock } from "./clock";
import type { PluginDefinition } from "./contract";
import { PluginHost } from "./host";
import { PROJECT_ROOT } from "../../hub/paths";
import type { PluginLogger } from "./logger";
import type { SettingValue } from "./settings";
import type { TransportName } from "./transports/base";

/**
 * A clock that only moves when told: `advance(ms)` fires due timers in order, letting promise callbacks run
 * between them, so that deadlines, retries and breaker cool-downs are tested without waiting.
 */
export class FakeClock implements Clock {
  #now: number;
  #timers: { at: number; seq: number; callback: () => void }[] = [];
  #seq = 0;

  constructor(start: number | string = "2026-03-02T02:00:00.000Z") {
    this.#now = typeof start === "number" ? start : Date.parse(start);
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const timer = { at: this.#now + Math.max(0, ms), seq: (this.#seq += 1), callback };
    this.#timers.push(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((t) => t !== handle);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.#timers.length;
  }

  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    for (;;) {
      await flushPromises();
      const due = this.#timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = due.at;
      due.callback();
    }
    this.#now = until;
    await flushPromises();
  }
}

/** Lets every queued promise callback (and I/O callbacks already due) run. */
export async function flushPromises(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}

export interface HostForOptions {
  transport?: TransportName;
  settings?: Readonly<Record<string, SettingValue>>;
  /** `HUB_PLUGIN_<NAME>_<SETTING>` secrets and overrides. */
  env?: Readonly<Record<string, string | undefined>>;
  clock?: Clock;
  breaker?: Partial<BreakerOptions>;
  retry?: { attempts: number; delayMs: number };
  log?: PluginLogger;
  /** Load this definition instead of plugins/<name>/<name>.plugin. */
  definition?: PluginDefinition;
  /** A plugin file outside plugins/ (an integrator's own plugin). */
  module?: string;
}

/** A PluginHost with exactly one plugin, loaded through the real loader and checks. */
export function hostFor(plugin: string, options: HostForOptions = {}): PluginHost {
  return new PluginHost(
    {
      source: "list",
      plugins: [
        {
          name: plugin,
          ...(options.transport ? { transport: options.transport } : {}),
          ...(options.module ? { module: options.module } : {}),
          settings: options.settings ?? {},
        },
      ],
      capabilities: {},
    },
    {
      env: options.env ?? {},
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.breaker ? { breaker: options.breaker } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.log ? { log: options.log } : {}),
      ...(options.definition ? { definitions: { [plugin]: options.definition } } : {}),
    },
  );
}

/** One sample request of a plugin's fixtures, with the answer the simulator gives (when known). */
export interface Sample {
  title: string;
  request: unknown;
  expected?: unknown;
}

export type Samples = Partial<Record<CapabilityName, Sample[]>>;

/** `plugins/<name>/test/fixtures/samples.json` (in the source tree, also when running the build). */
export function samplesFile(plugin: string, pluginsDir: string = path.join(PROJECT_ROOT, "plugins")): string {
  return path.join(pluginsDir, plugin, "test", "fixtures", "samples.json");
}

export function readSamples(file: string): Samples {
  return JSON.parse(fs.readFileSync(file, "utf8")) as Samples;
}

/** Awaits `work` and asserts it failed with a hub error of `code`; returns that error for further checks. */
export async function expectHubError(
  work: Promise<unknown> | (() => Promise<unknown>),
  code: string,
): Promise<HubError> {
  try {
    await (typeof work === "function" ? work() : work);
  } catch (error) {
    const e = error as HubError;
    assert.equal(e?.type, code, `expected ${code}, got ${e?.type ?? "a non-hub error"}: ${e?.message}`);
    return e;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}
