/**
 * The conformance kit: loads a plugin through the real loader against a real system (or a simulator), runs its
 * health check, calls every operation with sample requests, validates the answers against the capability schemas,
 * checks the typed error of a bad request and that secrets stay hidden. `npm run plugin:check` prints the table.
 */
import { isDeepStrictEqual, inspect } from "node:util";
import type { HubError } from "../../hub/errors/hub-error";
import type { CapabilityName } from "./capabilities";
import { readSamples, samplesFile, type Samples } from "./harness";
import { PluginHost } from "./host";
import type { PluginLogger } from "./logger";
import type { ManifestEntry } from "./manifest";
import { settingEnvName, type SettingValue } from "./settings";

export interface CheckResult {
  check: string;
  ok: boolean;
  ms: number;
  detail: string;
}

export interface ConformanceOptions {
  plugin: string;
  transport?: ManifestEntry["transport"];
  module?: string;
  settings?: Readonly<Record<string, SettingValue>>;
  env?: Readonly<Record<string, string | undefined>>;
  /** Sample requests; the plugin's fixtures by default. */
  samples?: Samples;
  /** Also compare each answer with the fixture's `expected` (against the simulator, whose data is known). */
  compareExpected?: boolean;
  log?: PluginLogger;
}

export interface ConformanceReport {
  plugin: string;
  title: string;
  results: CheckResult[];
  passed: boolean;
}

function summary(capability: CapabilityName, response: Record<string, unknown>): string {
  const count = (key: string) => `${(response[key] as unknown[]).length} ${key}`;
  switch (capability) {
    case "customers.lookup":
      return count("customers");
    case "products.list":
      return count("products");
    case "sales.listByDay":
      return count("sales");
    case "risk.latestAssessment": {
      const a = response.assessment as { level: string; validUntil: string } | null;
      return a ? `${a.level} valid until ${a.validUntil}` : "no assessment";
    }
    case "holdings.fullRedemption":
      return `${response.status}${response.fullyRedeemedOn ? ` on ${response.fullyRedeemedOn}` : ""}`;
    case "crm.pushActivity":
      return `activity ${response.activityNo}${response.duplicate ? " (duplicate)" : ""}`;
  }
}

async function timed(check: string, work: () => Promise<string>): Promise<CheckResult> {
  const started = Date.now();
  try {
    const detail = await work();
    return { check, ok: true, ms: Date.now() - started, detail };
  } catch (error) {
    const e = error as HubError;
    return {
      check,
      ok: false,
      ms: Date.now() - started,
      detail: `${e?.type ? `${e.type}: ` : ""}${e?.message ?? String(error)}`,
    };
  }
}

export async function runConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  const env = options.env ?? process.env;
  const results: CheckResult[] = [];
  let host: PluginHost | null = null;
  const load = await timed("load: contract, SDK range, transport, settings, schemas", async () => {
    host = new PluginHost(
      {
        source: "list",
        plugins: [
          {
            name: options.plugin,
            ...(options.transport ? { transport: options.transport } : {}),
            ...(options.module ? { module: options.module } : {}),
            settings: options.settings ?? {},
          },
        ],
        capabilities: {},
      },
      { env, ...(options.log ? { log: options.log } : {}) },
    );
    const info = host.plugins[0];
    return `${info.name} ${info.version}, ${info.system}, over ${info.transport}`;
  });
  results.push(load);
  if (!host) return { plugin: options.plugin, title: options.plugin, results, passed: false };
  const h: PluginHost = host;
  const info = h.plugins[0];
  try {
    results.push(
      await timed("health", async () => {
        const [health] = await h.health();
        if (health.status !== "up")
          throw Object.assign(new Error(health.error?.message ?? "down"), { type: health.error?.code });
        return `up in ${health.latencyMs} ms`;
      }),
    );
    let samples: Samples;
    try {
      samples = options.samples ?? readSamples(samplesFile(options.plugin));
    } catch (error) {
      results.push({ check: "sample requests", ok: false, ms: 0, detail: (error as Error).message });
      samples = {};
    }
    for (const capability of info.capabilities) {
      const list = samples[capability] ?? [];
      if (list.length === 0) {
        results.push({
          check: `${capability}: sample requests`,
          ok: false,
          ms: 0,
          detail: "no sample request in the fixtures",
        });
      }
      for (const sample of list) {
        results.push(
          await timed(`${capability}: ${sample.title}`, async () => {
            const response = (await h.invoke(
              options.plugin,
              capability,
              sample.request as never,
            )) as unknown as Record<string, unknown>;
            if (
              options.compareExpected &&
              sample.expected !== undefined &&
              !isDeepStrictEqual(response, sample.expected)
            ) {
              throw new Error(`answer differs from the fixture: ${JSON.stringify(response).slice(0, 300)}`);
            }
            return `valid; ${summary(capability, response)}`;
          }),
        );
      }
      results.push(
        await timed(`${capability}: bad request is refused`, async () => {
          try {
            await h.invoke(options.plugin, capability, { unexpectedField: "x" } as never);
          } catch (error) {
            const e = error as HubError;
            if (e.type === "HUB_VALIDATION_FAILED") return "HUB_VALIDATION_FAILED before any call";
            throw error;
          }
          throw new Error("a request with an unknown field was accepted");
        }),
      );
    }
    results.push(
      await timed("secrets stay hidden", async () => {
        const shown = JSON.stringify(h.plugins) + inspect(h.plugins, { depth: 5 });
        const secrets = Object.keys(info.settings)
          .filter((k) => info.settings[k] === "[secret]")
          .map((k) => env[settingEnvName(options.plugin, k)])
          .filter((v): v is string => Boolean(v));
        const leaked = secrets.filter((s) => shown.includes(s));
        if (leaked.length)
          throw new Error(`${leaked.length} secret value(s) appear in the plugin's description`);
        return secrets.length ? `${secrets.length} secret(s) shown as [secret]` : "no secrets set";
      }),
    );
  } finally {
    await h.close();
  }
  return {
    plugin: options.plugin,
    title: `${info.name} ${info.version} — ${info.system} over ${info.transport}`,
    results,
    passed: results.every((r) => r.ok),
  };
}

/** Columns a string takes in a terminal: CJK and full-width characters take two. */
function displayWidth(s: string): number {
  let width = 0;
  for (const ch of s)
    width +=
      /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]|[\u{20000}-\u{3fffd}]/u.test(
        ch,
      )
        ? 2
        : 1;
  return width;
}

function padEnd(s: string, width: number): string {
  return s + " ".repeat(Math.max(0, width - displayWidth(s)));
}

/** The report as a plain-text table: one row per check, PASS/FAIL, time, detail; totals last. */
export function formatReport(report: ConformanceReport): string {
  const width = Math.min(70, Math.max(10, ...report.results.map((r) => displayWidth(r.check))));
  const lines = [`plugin ${report.title}`, ""];
  lines.push(`${padEnd("check", width)}  result  ${"ms".padStart(6)}  detail`);
  lines.push(`${"-".repeat(width)}  ------  ${"-".repeat(6)}  ${"-".repeat(40)}`);
  for (const r of report.results) {
    lines.push(
      `${padEnd(r.check, width)}  ${r.ok ? "PASS  " : "FAIL  "}  ${String(r.ms).padStart(6)}  ${r.detail}`,
    );
  }
  const failed = report.results.filter((r) => !r.ok).length;
  lines.push("", `${report.results.length - failed} passed, ${failed} failed`);
  return lines.join("\n");
}
