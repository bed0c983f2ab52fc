import type { SchemaRegistry } from "../../hub/schemas";
import { toFieldProblems } from "../../hub/schemas";
import { HubError, ValidationError } from "../../hub/errors/hub-error";
import { CircuitBreaker, DEFAULT_BREAKER, type BreakerOptions, type BreakerSnapshot } from "./breaker";
import {
  CAPABILITIES,
  type CapabilityName,
  type CapabilityRequest,
  type CapabilityResponse,
} from "./capabilities";
import { sleep, SYSTEM_CLOCK, withDeadline, type Clock } from "./clock";
import type { AnyOperation, OperationContext, OperationRun } from "./contract";
import {
  isLegacyFailure,
  LegacyCircuitOpenError,
  LegacyTimeoutError,
  LegacyUnavailableError,
  PluginResponseError,
} from "./errors";
import { loadPlugins, type LoadedPlugin, type LoadOptions } from "./loader";
import { SILENT_LOGGER, type PluginLogger } from "./logger";
import { parseManifest, type PluginManifest } from "./manifest";
import { pluginSchemas } from "./schemas";
import type { TransportClient } from "./transports/base";

export interface PluginHostOptions extends LoadOptions {
  clock?: Clock;
  /** Defaults for every plugin's breaker; a manifest entry's `breaker` overrides them. */
  breaker?: Partial<BreakerOptions>;
  /** Extra attempts of a retryable operation after a retryable error, and the pause before each (× attempt). */
  retry?: { attempts: number; delayMs: number };
  /**
   * Which errors make `call` ask the next provider: `unavailable` (unreachable, timed out, circuit open: the
   * default), or `any-legacy-error` (also faults and malformed answers).
   */
  fallbackOn?: "unavailable" | "any-legacy-error";
  /** Deadline of a health check. */
  healthTimeoutMs?: number;
}

/** Why a provider did not answer, as `call` collects it. */
export interface ProviderFailure {
  plugin: string;
  code: string;
  message: string;
  retryable: boolean;
}

export interface CapabilityAnswer<C extends CapabilityName> {
  capability: C;
  /** The plugin whose answer this is. */
  provider: string;
  response: CapabilityResponse<C>;
  /** Providers asked before it that could not answer. */
  failures: ProviderFailure[];
}

export interface PluginInfo {
  name: string;
  version: string;
  system: string;
  transport: string;
  capabilities: CapabilityName[];
  /** Secrets shown as `[secret]`. */
  settings: Record<string, unknown>;
}

export interface PluginHealth {
  plugin: string;
  status: "up" | "down";
  latencyMs: number;
  breaker: BreakerSnapshot;
  error?: { code: string; message: string };
}

interface Provider {
  loaded: LoadedPlugin;
  client: TransportClient;
  breaker: CircuitBreaker;
}

function failureOf(plugin: string, error: unknown): ProviderFailure {
  const e = error as HubError;
  return { plugin, code: e.type ?? "HUB_INTERNAL", message: e.message, retryable: Boolean(e.retryable) };
}

/** Adds plugin and operation to a legacy error's details; wraps anything else (a plugin bug) as HUB_INTERNAL. */
function annotate(error: unknown, plugin: string, operation: string): Error {
  if (error instanceof HubError) {
    if (error.data && typeof error.data === "object") {
      const data = error.data as Record<string, unknown>;
      data.plugin ??= plugin;
      data.operation ??= operation;
    }
    return error;
  }
  const wrapped = new HubError(
    "HUB_INTERNAL",
    `plugin ${plugin}, operation ${operation}: ${(error as Error)?.message ?? String(error)}`,
    {
      plugin,
      operation,
    },
  );
  Object.defineProperty(wrapped, "cause", { value: error, enumerable: false });
  return wrapped;
}

/**
 * Runs the enabled plugins: validates every request and response against the capability schemas, gives each
 * attempt its deadline, retries retryable operations, keeps one circuit breaker per plugin, and answers a
 * capability from the first provider (in manifest order) that can. A hub service makes one from the
 * environment (`PluginHost.fromEnv()`) and calls `host.call("customers.lookup", { customerNo })`.
 */
export class PluginHost {
  readonly #providers = new Map<string, Provider>();
  readonly #order: Partial<Record<CapabilityName, string[]>> = {};
  readonly #schemas: SchemaRegistry;
  readonly #clock: Clock;
  readonly #log: PluginLogger;
  readonly #retry: { attempts: number; delayMs: number };
  readonly #fallbackOn: "unavailable" | "any-legacy-error";
  readonly #healthTimeoutMs: number;

  constructor(
    readonly manifest: PluginManifest,
    options: PluginHostOptions = {},
  ) {
    this.#schemas = options.schemas ?? pluginSchemas();
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#log = options.log ?? SILENT_LOGGER;
    this.#retry = options.retry ?? { attempts: 1, delayMs: 200 };
    this.#fallbackOn = options.fallbackOn ?? "unavailable";
    this.#healthTimeoutMs = options.healthTimeoutMs ?? 5000;
    const loaded = loadPlugins(manifest, { ...options, schemas: this.#schemas });
    for (const plugin of loaded) {
      const name = plugin.entry.name;
      const client = plugin.transport.create(plugin.settings, { plugin: name, log: this.#log });
      const breaker = new CircuitBreaker(
        name,
        { ...DEFAULT_BREAKER, ...options.breaker, ...plugin.entry.breaker },
        this.#clock,
        (from, to) => this.#log.warn(`plugin ${name}: circuit ${from} → ${to}`),
      );
      this.#providers.set(name, { loaded: plugin, client, breaker });
      this.#log.info(
        `plugin ${name} ${plugin.definition.version} (${plugin.definition.system}) over ${plugin.transportName}`,
        plugin.settings.toJSON(),
      );
    }
    for (const capability of Object.keys(CAPABILITIES) as CapabilityName[]) {
      const configured = manifest.capabilities[capability];
      this.#order[capability] =
        configured ?? loaded.filter((p) => p.operations.has(capability)).map((p) => p.entry.name);
    }
  }

  /** From `HUB_PLUGINS` (and `HUB_PLUGIN_<NAME>_<SETTING>`); a host without plugins when it is empty. */
  static fromEnv(
    env: Readonly<Record<string, string | undefined>> = process.env,
    options: PluginHostOptions = {},
  ): PluginHost {
    const schemas = options.schemas ?? pluginSchemas();
    return new PluginHost(parseManifest(env.HUB_PLUGINS, { schemas }), { ...options, env, schemas });
  }

  /** The enabled plugins, settings redacted: safe to log and to show to an administrator. */
  get plugins(): PluginInfo[] {
    return [...this.#providers.values()].map(({ loaded }) => ({
      name: loaded.entry.name,
      version: loaded.definition.version,
      system: loaded.definition.system,
      transport: loaded.transportName,
      capabilities: [...loaded.operations.keys()],
      settings: loaded.settings.toJSON(),
    }));
  }

  /** The plugins asked for a capability, in order. */
  providers(capability: CapabilityName): string[] {
    return [...(this.#order[capability] ?? [])];
  }

  has(capability: CapabilityName): boolean {
    return this.providers(capability).length > 0;
  }

  breaker(plugin: string): BreakerSnapshot {
    return this.#provider(plugin).breaker.snapshot();
  }

  #provider(plugin: string): Provider {
    const provider = this.#providers.get(plugin);
    if (!provider)
      throw new HubError("HUB_PLUGIN_NO_PROVIDER", `plugin ${plugin} is not enabled`, { plugin });
    return provider;
  }

  #validateRequest(capability: CapabilityName, request: unknown): unknown {
    const copy = structuredClone(request);
    const validate = this.#schemas.validator(CAPABILITIES[capability].requestSchema);
    if (!validate(copy)) throw new ValidationError(toFieldProblems("request", validate.errors));
    return copy;
  }

  /** The first provider's answer to a capability (see `ask`). */
  async call<C extends CapabilityName>(
    capability: C,
    request: CapabilityRequest<C>,
  ): Promise<CapabilityResponse<C>> {
    return (await this.ask(capability, request)).response;
  }

  /**
   * Asks the providers of `capability` in order. A provider that cannot be reached (or whose circuit is open) is
   * skipped and its error collected; the first valid answer that settles the question (a customer found, an
   * assessment held) is returned; if none settles it, the last valid answer. When the only provider failed, its
   * error; when several all failed, LegacyUnavailableError with the failures in `details.failures`. An invalid request: ValidationError, before
   * any provider is asked.
   */
  async ask<C extends CapabilityName>(
    capability: C,
    request: CapabilityRequest<C>,
  ): Promise<CapabilityAnswer<C>> {
    const providers = this.providers(capability);
    if (providers.length === 0) {
      throw new HubError("HUB_PLUGIN_NO_PROVIDER", `no enabled plugin provides ${capability}`, {
        capability,
      });
    }
    const valid = this.#validateRequest(capability, request) as CapabilityRequest<C>;
    const failures: ProviderFailure[] = [];
    const errors: unknown[] = [];
    let last: { plugin: string; response: CapabilityResponse<C> } | null = null;
    for (const plugin of providers) {
      try {
        const response = (await this.#invoke(plugin, capability, valid)) as CapabilityResponse<C>;
        if ((CAPABILITIES[capability].answered as (r: CapabilityResponse<C>) => boolean)(response)) {
          return { capability, provider: plugin, response, failures };
        }
        last = { plugin, response };
      } catch (error) {
        if (!this.#skippable(error)) throw error;
        failures.push(failureOf(plugin, error));
        errors.push(error);
      }
    }
    if (last) return { capability, provider: last.plugin, response: last.response, failures };
    if (errors.length === 1) throw errors[0];
    throw new LegacyUnavailableError(
      `no provider of ${capability} could answer: ${failures.map((f) => `${f.plugin} ${f.code}`).join(", ")}`,
      {
        capability,
        failures,
      },
    );
  }

  /** Every provider's answer (e.g. products.list from fund, wealth and bancassurance), failures collected. */
  async callAll<C extends CapabilityName>(
    capability: C,
    request: CapabilityRequest<C>,
  ): Promise<{
    answers: { plugin: string; response: CapabilityResponse<C> }[];
    failures: ProviderFailure[];
  }> {
    const providers = this.providers(capability);
    if (providers.length === 0) {
      throw new HubError("HUB_PLUGIN_NO_PROVIDER", `no enabled plugin provides ${capability}`, {
        capability,
      });
    }
    const valid = this.#validateRequest(capability, request);
    const settled = await Promise.allSettled(
      providers.map((plugin) => this.#invoke(plugin, capability, valid)),
    );
    const answers: { plugin: string; response: CapabilityResponse<C> }[] = [];
    const failures: ProviderFailure[] = [];
    settled.forEach((result, i) => {
      if (result.status === "fulfilled")
        answers.push({ plugin: providers[i], response: result.value as CapabilityResponse<C> });
      else failures.push(failureOf(providers[i], result.reason));
    });
    return { answers, failures };
  }

  /** One plugin's operation for a capability, with validation, deadline, retry and breaker (the conformance kit). */
  async invoke<C extends CapabilityName>(
    plugin: string,
    capability: C,
    request: CapabilityRequest<C>,
  ): Promise<CapabilityResponse<C>> {
    const provider = this.#provider(plugin);
    if (!provider.loaded.operations.has(capability)) {
      throw new HubError("HUB_PLUGIN_NO_PROVIDER", `plugin ${plugin} does not provide ${capability}`, {
        plugin,
        capability,
      });
    }
    return (await this.#invoke(
      plugin,
      capability,
      this.#validateRequest(capability, request),
    )) as CapabilityResponse<C>;
  }

  #skippable(error: unknown): boolean {
    if (
      this.#fallbackOn === "any-legacy-error" &&
      (isLegacyFailure(error) || error instanceof LegacyCircuitOpenError)
    )
      return true;
    return Boolean((error as HubError)?.retryable);
  }

  async #invoke(plugin: string, capability: CapabilityName, request: unknown): Promise<unknown> {
    const provider = this.#provider(plugin);
    const operationName = provider.loaded.operations.get(capability)!;
    const operation = provider.loaded.definition.operations[operationName];
    const attempts = operation.retryable ? 1 + this.#retry.attempts : 1;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.#attempt(provider, operationName, operation, request);
      } catch (error) {
        const retry =
          attempt < attempts &&
          (error as HubError)?.retryable === true &&
          !(error instanceof LegacyCircuitOpenError);
        if (!retry) throw error;
        this.#log.warn(
          `plugin ${plugin}, ${operationName}: attempt ${attempt} failed (${(error as HubError).type}); retrying`,
        );
        await sleep(this.#clock, this.#retry.delayMs * attempt);
      }
    }
  }

  #context(provider: Provider, operation: string, signal: AbortSignal, deadline: number): OperationContext {
    const { loaded, client } = provider;
    return {
      plugin: loaded.entry.name,
      operation,
      transportName: loaded.transportName,
      transport: client,
      settings: loaded.settings,
      signal,
      remainingMs: () => Math.max(1, deadline - this.#clock.now()),
      callOptions: () => ({ signal, timeoutMs: Math.max(1, deadline - this.#clock.now()) }),
      log: this.#log,
    };
  }

  async #attempt(
    provider: Provider,
    operationName: string,
    operation: AnyOperation,
    request: unknown,
  ): Promise<unknown> {
    const plugin = provider.loaded.entry.name;
    provider.breaker.acquire();
    const run = (
      typeof operation.run === "function"
        ? operation.run
        : (operation.run as Record<string, unknown>)[provider.loaded.transportName]
    ) as OperationRun<TransportClient, unknown, unknown>;
    const deadline = this.#clock.now() + operation.timeoutMs;
    let response: unknown;
    try {
      response = await withDeadline(
        this.#clock,
        operation.timeoutMs,
        (signal) => run(this.#context(provider, operationName, signal, deadline), request),
        () =>
          new LegacyTimeoutError(
            `plugin ${plugin}, ${operationName}: no answer within ${operation.timeoutMs} ms`,
            {},
          ),
      );
    } catch (error) {
      const typed = annotate(error, plugin, operationName);
      if (isLegacyFailure(typed)) provider.breaker.failure();
      else provider.breaker.release();
      throw typed;
    }
    const validate = this.#schemas.validator(operation.responseSchema);
    if (!validate(response)) {
      provider.breaker.failure();
      const problems = toFieldProblems("response", validate.errors);
      throw new PluginResponseError(
        `plugin ${plugin}, ${operationName}: the answer does not match ${operation.responseSchema}: ${problems
          .slice(0, 5)
          .map((p) => `${p.field} ${p.message}`)
          .join("; ")}`,
        { plugin, operation: operationName, problems },
      );
    }
    provider.breaker.success();
    return response;
  }

  /** Each plugin's health check (the transport's ping unless the plugin has its own), with its breaker state. */
  async health(): Promise<PluginHealth[]> {
    return Promise.all(
      [...this.#providers.values()].map(async (provider): Promise<PluginHealth> => {
        const plugin = provider.loaded.entry.name;
        const started = this.#clock.now();
        const deadline = started + this.#healthTimeoutMs;
        try {
          await withDeadline(
            this.#clock,
            this.#healthTimeoutMs,
            (signal) => {
              const ctx = this.#context(provider, "health", signal, deadline);
              const check = provider.loaded.definition.health;
              return check ? check(ctx) : provider.client.ping({ signal, timeoutMs: this.#healthTimeoutMs });
            },
            () =>
              new LegacyTimeoutError(
                `plugin ${plugin}: health check took longer than ${this.#healthTimeoutMs} ms`,
                { plugin },
              ),
          );
          return {
            plugin,
            status: "up",
            latencyMs: this.#clock.now() - started,
            breaker: provider.breaker.snapshot(),
          };
        } catch (error) {
          const e = annotate(error, plugin, "health") as HubError;
          return {
            plugin,
            status: "down",
            latencyMs: this.#clock.now() - started,
            breaker: provider.breaker.snapshot(),
            error: { code: e.type ?? "HUB_INTERNAL", message: e.message },
          };
        }
      }),
    );
  }

  /** Closes every transport client. */
  async close(): Promise<void> {
    await Promise.all([...this.#providers.values()].map((p) => p.client.close().catch(() => undefined)));
  }
}
