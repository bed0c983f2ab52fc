import type { CapabilityName, CapabilityRequest, CapabilityResponse } from "./capabilities";
import { CAPABILITIES } from "./capabilities";
import type { PluginLogger } from "./logger";
import type { PluginSettings, SettingsSpec } from "./settings";
import type {
  CallOptions,
  HttpXmlClient,
  SoapClient,
  SqlClient,
  TransportClient,
  TransportClients,
  TransportName,
} from "./transports/base";

/** What an operation (and a health check) gets: the connected transport client, settings, deadline, log. */
export interface OperationContext<T extends TransportClient = TransportClient> {
  readonly plugin: string;
  readonly operation: string;
  readonly transportName: TransportName;
  readonly transport: T;
  readonly settings: PluginSettings;
  /** Fires at the operation's deadline; hand it to the transport (`{ signal }`). */
  readonly signal: AbortSignal;
  /** Milliseconds left before the deadline: pass as `timeoutMs` to drivers that take one. */
  remainingMs(): number;
  /** `{ signal, timeoutMs }` for the transport call: the deadline, in both forms drivers understand. */
  callOptions(): CallOptions;
  readonly log: PluginLogger;
}

export type OperationRun<T extends TransportClient, Req, Res> = (
  ctx: OperationContext<T>,
  request: Req,
) => Promise<Res>;

/** One `run` for every transport, or one per transport name (a plugin with two transports). */
export type OperationRunner<Req, Res> =
  | OperationRun<TransportClient, Req, Res>
  | { readonly [N in TransportName]?: OperationRun<TransportClients[N], Req, Res> };

export interface OperationDefinition<C extends CapabilityName = CapabilityName> {
  /** The capability this operation answers; its request and response schemas are the capability's. */
  capability: C;
  description: string;
  /** `$id` of the request schema: `plugins/capabilities/<capability>.request`. */
  requestSchema: string;
  /** `$id` of the response schema: `plugins/capabilities/<capability>.response`. */
  responseSchema: string;
  /** The deadline of one attempt, from the request leaving the hub to the answer's last byte. */
  timeoutMs: number;
  /** Safe to repeat after a timeout or a lost connection (reads; writes with an idempotency key). */
  retryable: boolean;
  run: OperationRunner<CapabilityRequest<C>, CapabilityResponse<C>>;
}

/** An operation answering any one capability. */
export type AnyOperation = { [C in CapabilityName]: OperationDefinition<C> }[CapabilityName];

export type HealthCheck = (ctx: OperationContext) => Promise<void>;

export interface PluginDefinition {
  /** Lower-case with dashes; the folder and file name: `plugins/<name>/<name>.plugin.ts`. */
  name: string;
  /** The plugin's own version (semver). */
  version: string;
  /** The SDK versions this plugin works with, a semver range such as `^1.0.0`. */
  sdk: string;
  /** The bank system it adapts, as staff call it: `柜面系统 (counter)`. */
  system: string;
  /** Other plugins that must be enabled too: name → semver range of their version. */
  dependsOn?: Readonly<Record<string, string>>;
  /** The transport, or the ones it can use (the first is the default; the manifest picks). */
  transport: TransportName | readonly TransportName[];
  /** The plugin's own settings; the selected transport's settings are added to them. */
  settings: SettingsSpec;
  operations: Readonly<Record<string, AnyOperation>>;
  /** Proves the system answers; defaults to the transport's ping. Throws a legacy error when it does not. */
  health?: HealthCheck;
}

/** An operation answering `capability`, with the capability's schemas filled in. */
export function defineOperation<C extends CapabilityName>(
  operation: Omit<OperationDefinition<C>, "requestSchema" | "responseSchema"> &
    Partial<Pick<OperationDefinition<C>, "requestSchema" | "responseSchema">>,
): OperationDefinition<C> {
  const descriptor = CAPABILITIES[operation.capability] as
    { requestSchema: string; responseSchema: string } | undefined;
  return Object.freeze({
    ...operation,
    requestSchema: operation.requestSchema ?? descriptor?.requestSchema ?? "",
    responseSchema: operation.responseSchema ?? descriptor?.responseSchema ?? "",
  }) as OperationDefinition<C>;
}

/**
 * Declares a plugin. Nothing is checked here: the loader checks everything (SDK range, dependencies, transports,
 * settings, schemas) when the hub starts, and refuses to start with a coded PluginContractError.
 */
export function definePlugin(definition: PluginDefinition): PluginDefinition {
  return Object.freeze({ ...definition });
}

/** The transports a plugin declares, default first. */
export function transportsOf(definition: Pick<PluginDefinition, "transport">): readonly TransportName[] {
  return typeof definition.transport === "string" ? [definition.transport] : definition.transport;
}

function narrow<T extends TransportClient>(
  ctx: OperationContext,
  kinds: readonly TransportName[],
  what: string,
): T {
  if (!kinds.includes(ctx.transportName)) {
    throw new TypeError(
      `plugin ${ctx.plugin}: ${what} asked for while the transport is ${ctx.transportName}`,
    );
  }
  return ctx.transport as T;
}

/** The SQL client of a `db2`, `oracle` or `sql` context (for health checks and shared helpers). */
export function sqlClientOf(ctx: OperationContext): SqlClient {
  return narrow<SqlClient>(ctx, ["db2", "oracle", "sql"], "a SQL client");
}

export function soapClientOf(ctx: OperationContext): SoapClient {
  return narrow<SoapClient>(ctx, ["soap"], "a SOAP client");
}

export function xmlClientOf(ctx: OperationContext): HttpXmlClient {
  return narrow<HttpXmlClient>(ctx, ["http-xml"], "an XML-over-HTTP client");
}
