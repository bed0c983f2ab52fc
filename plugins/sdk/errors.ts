import { HubError } from "../../hub/errors/hub-error";

/** Codes of the load-time checks: a plugin or the manifest is wrong, and the hub refuses to start. */
export type PluginContractCode =
  | "HUB_PLUGIN_MANIFEST"
  | "HUB_PLUGIN_NOT_FOUND"
  | "HUB_PLUGIN_CONTRACT"
  | "HUB_PLUGIN_SDK_RANGE"
  | "HUB_PLUGIN_DEPENDENCY"
  | "HUB_PLUGIN_SETTINGS"
  | "HUB_PLUGIN_SCHEMA"
  | "HUB_PLUGIN_TRANSPORT";

/** Where a legacy error came from; the host fills in plugin and operation. */
export interface LegacyErrorDetails {
  plugin?: string;
  operation?: string;
  /** SOAP faultcode, 银保通 error code or the system's own return code. */
  faultCode?: string;
  /** Five-character SQLSTATE (DB2, PostgreSQL; derived for SQLite and Oracle). */
  sqlState?: string;
  /** The driver's own code, e.g. `ORA-00942`, `SQL0204N`, `SQLITE_ERROR`, `ECONNREFUSED`. */
  vendorCode?: string;
  httpStatus?: number;
  [key: string]: unknown;
}

// Driver errors can be large and may quote connection parameters: they stay in the process (for logs) and do not
// travel with the error between nodes.
function keepCause(error: Error, cause: unknown): void {
  if (cause !== undefined) {
    Object.defineProperty(error, "cause", {
      value: cause,
      enumerable: false,
      writable: true,
      configurable: true,
    });
  }
}

/** A plugin, its settings or the manifest breaks the contract. Thrown while loading, never during a call. */
export class PluginContractError extends HubError {
  constructor(
    code: PluginContractCode,
    message: string,
    details: { plugin?: string; setting?: string; [key: string]: unknown } = {},
    options: { cause?: unknown } = {},
  ) {
    super(code, message, details);
    this.name = "PluginContractError";
    keepCause(this, options.cause);
  }
}

/** The legacy system cannot be reached (connection refused, reset, DNS, HTTP 502/503, SQLSTATE 08xxx). Retryable. */
export class LegacyUnavailableError extends HubError {
  constructor(message: string, details: LegacyErrorDetails = {}, options: { cause?: unknown } = {}) {
    super("HUB_LEGACY_UNAVAILABLE", message, details);
    this.name = "LegacyUnavailableError";
    keepCause(this, options.cause);
  }
}

/** The legacy system did not answer within the operation's timeout. Retryable. */
export class LegacyTimeoutError extends HubError {
  constructor(message: string, details: LegacyErrorDetails = {}, options: { cause?: unknown } = {}) {
    super("HUB_LEGACY_TIMEOUT", message, details);
    this.name = "LegacyTimeoutError";
    this.retryable = true;
    keepCause(this, options.cause);
  }
}

/** The circuit breaker of the plugin is open: the call was not made. Retryable after `retryAt`. */
export class LegacyCircuitOpenError extends HubError {
  constructor(plugin: string, retryAt: number) {
    super(
      "HUB_LEGACY_CIRCUIT_OPEN",
      `calls to ${plugin} are paused after repeated failures until ${new Date(retryAt).toISOString()}`,
      { plugin, retryAt: new Date(retryAt).toISOString() },
    );
    this.name = "LegacyCircuitOpenError";
  }
}

/** The plugin answered, but its answer does not match the capability's response schema. */
export class PluginResponseError extends HubError {
  constructor(message: string, details: LegacyErrorDetails & { problems?: unknown[] } = {}) {
    super("HUB_PLUGIN_RESPONSE_INVALID", message, details);
    this.name = "PluginResponseError";
  }
}

type Text = string | { $value?: unknown } | undefined | null;

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "object" && "$value" in (value as object))
    return text((value as { $value: unknown }).$value);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/**
 * SQLSTATEs that mean "no connection": class 08 (connection exception), 40003 (DB2: communication link lost during
 * a statement), PostgreSQL's 57P01 / 57P03 (server shutting down or starting up).
 */
function connectionClass(state: string): boolean {
  return state.startsWith("08") || state === "40003" || state === "57P01" || state === "57P03";
}

/** The legacy system answered with an error: a SOAP Fault, a SQL error, a non-success return code. Not retryable. */
export class LegacyFaultError extends HubError {
  constructor(message: string, details: LegacyErrorDetails = {}, options: { cause?: unknown } = {}) {
    super("HUB_LEGACY_FAULT", message, details);
    this.name = "LegacyFaultError";
    keepCause(this, options.cause);
  }

  /** The fault code the system gave (SOAP faultcode, return code), if any. */
  get faultCode(): string | undefined {
    return (this.data as LegacyErrorDetails | undefined)?.faultCode;
  }

  get sqlState(): string | undefined {
    return (this.data as LegacyErrorDetails | undefined)?.sqlState;
  }

  /**
   * From the `Fault` element of a SOAP 1.1 (`faultcode`, `faultstring`, `detail`) or 1.2 (`Code`, `Reason`,
   * `Detail`) envelope, as node-soap parses it. Keeps the fault code and the detail.
   */
  static fromSoapFault(fault: unknown, details: LegacyErrorDetails = {}): LegacyFaultError {
    const f = (fault ?? {}) as Record<string, unknown>;
    const code12 = f.Code as { Value?: Text; Subcode?: { Value?: Text } } | undefined;
    const reason12 = f.Reason as { Text?: Text } | undefined;
    const faultCode =
      text(f.faultcode) ??
      (code12 ? [text(code12.Value), text(code12.Subcode?.Value)].filter(Boolean).join("/") : undefined) ??
      "soap:Server";
    const message = text(f.faultstring) ?? text(reason12?.Text) ?? "SOAP Fault without a reason";
    const detail = f.detail ?? f.Detail;
    return new LegacyFaultError(`SOAP Fault ${faultCode}: ${message}`, {
      ...details,
      faultCode,
      ...(detail === undefined ? {} : { faultDetail: detail }),
    });
  }

  /**
   * From a SQLSTATE and the driver's message. Connection-class states (08xxx, and the "server is going away" ones)
   * mean the system is unavailable, not that it refused the statement.
   */
  static fromSqlState(
    state: string,
    message: string,
    details: LegacyErrorDetails = {},
    options: { cause?: unknown } = {},
  ): LegacyFaultError | LegacyUnavailableError {
    const sqlState = /^[0-9A-Z]{5}$/.test(state) ? state : "HY000";
    if (connectionClass(sqlState)) {
      return new LegacyUnavailableError(
        `SQLSTATE ${sqlState}: ${message}`,
        { ...details, sqlState },
        options,
      );
    }
    return new LegacyFaultError(`SQLSTATE ${sqlState}: ${message}`, { ...details, sqlState }, options);
  }
}

/** Network errors that mean "nobody answered at that address". */
export const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "ETIMEDOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** The legacy errors the breaker counts and the host may retry or fall back from. */
export function isLegacyFailure(error: unknown): boolean {
  return (
    error instanceof LegacyUnavailableError ||
    error instanceof LegacyTimeoutError ||
    error instanceof LegacyFaultError ||
    error instanceof PluginResponseError
  );
}
