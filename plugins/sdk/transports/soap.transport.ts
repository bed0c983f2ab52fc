import type * as Soap from "soap";
import { LegacyFaultError, LegacyTimeoutError, LegacyUnavailableError, UNREACHABLE_CODES } from "../errors";
import type { PluginSettings } from "../settings";
import type { CallOptions, SoapClient, TransportContext, TransportFactory } from "./base";

type HttpishError = Error & {
  code?: string;
  root?: { Envelope?: { Body?: { Fault?: unknown } } };
  response?: { status?: number };
  cause?: { code?: string };
};

function isAbort(error: HttpishError): boolean {
  return error.name === "AbortError" || error.name === "CanceledError" || error.code === "ERR_CANCELED";
}

/** node-soap (axios) errors into the typed legacy errors: Fault, unreachable, timed out, HTTP status. */
export function soapError(error: unknown, details: Record<string, unknown>): Error {
  const e = (error ?? {}) as HttpishError;
  const fault = e.root?.Envelope?.Body?.Fault;
  if (fault) return LegacyFaultError.fromSoapFault(fault, details);
  const code = e.code ?? e.cause?.code;
  if (isAbort(e) || code === "ECONNABORTED" || /timeout of \d+ms exceeded/.test(e.message ?? "")) {
    return new LegacyTimeoutError(`SOAP call timed out: ${e.message}`, details, { cause: error });
  }
  if (code && UNREACHABLE_CODES.has(code)) {
    return new LegacyUnavailableError(
      `SOAP endpoint unreachable: ${code}`,
      { ...details, vendorCode: code },
      { cause: error },
    );
  }
  const status = e.response?.status;
  if (status === 502 || status === 503 || status === 504) {
    return new LegacyUnavailableError(
      `SOAP endpoint answered HTTP ${status}`,
      { ...details, httpStatus: status },
      { cause: error },
    );
  }
  if (status && status >= 400) {
    return new LegacyFaultError(
      `SOAP endpoint answered HTTP ${status}`,
      { ...details, httpStatus: status, faultCode: `HTTP_${status}` },
      { cause: error },
    );
  }
  return new LegacyFaultError(
    `SOAP call failed: ${e.message ?? String(error)}`,
    { ...details, vendorCode: code },
    { cause: error },
  );
}

type AsyncMethod = (args: unknown, options?: Record<string, unknown>) => Promise<[unknown, ...unknown[]]>;

interface SoapConfig {
  wsdlUrl: string;
  endpoint: string | undefined;
  username: string | undefined;
  password: string | undefined;
  passwordType: "PasswordDigest" | "PasswordText";
  maxResponseBytes: number;
  connectTimeoutMs: number;
}

/**
 * A node-soap client made from the system's WSDL on first use (and again after a failure to get it). With a
 * username it signs every request with a WS-Security UsernameToken (PasswordDigest with nonce by default).
 */
class NodeSoapClient implements SoapClient {
  readonly transport = "soap" as const;
  #client: Promise<Soap.Client> | null = null;
  // Holds the password: private (#) so that no inspect or log of the client shows it.
  readonly #config: SoapConfig;

  constructor(
    config: SoapConfig,
    private readonly details: Record<string, unknown>,
  ) {
    this.#config = config;
  }

  #clientOf(): Promise<Soap.Client> {
    if (!this.#client) {
      const soap = require("soap") as typeof Soap;
      const c = this.#config;
      const made = soap
        .createClientAsync(c.wsdlUrl, {
          ...(c.endpoint ? { endpoint: c.endpoint } : {}),
          wsdl_options: { timeout: c.connectTimeoutMs, maxContentLength: c.maxResponseBytes },
          disableCache: true,
        })
        .then((client) => {
          if (c.username) {
            client.setSecurity(
              new soap.WSSecurity(c.username, c.password ?? "", {
                passwordType: c.passwordType,
                hasTimeStamp: true,
                hasNonce: c.passwordType === "PasswordDigest",
              }),
            );
          }
          return client;
        });
      made.catch(() => {
        this.#client = null;
      });
      this.#client = made;
    }
    return this.#client;
  }

  async call(
    operation: string,
    args: Record<string, unknown>,
    options: CallOptions = {},
  ): Promise<Record<string, unknown>> {
    const details = { ...this.details, soapOperation: operation };
    if (options.signal?.aborted)
      throw new LegacyTimeoutError(`SOAP ${operation}: the deadline passed before the call`, details);
    let client: Soap.Client;
    try {
      client = await this.#clientOf();
    } catch (error) {
      throw soapError(error, { ...details, wsdl: this.#config.wsdlUrl });
    }
    const method = (client as unknown as Record<string, AsyncMethod | undefined>)[`${operation}Async`];
    if (typeof method !== "function") {
      const described = client.describe() as Record<string, Record<string, Record<string, unknown>>>;
      const known = Object.values(described).flatMap((service) =>
        Object.values(service).flatMap((port) => Object.keys(port)),
      );
      throw new LegacyFaultError(
        `the WSDL at ${this.#config.wsdlUrl} has no operation ${operation}; it has ${known.join(", ")}`,
        {
          ...details,
          faultCode: "WSDL_OPERATION_MISSING",
        },
      );
    }
    try {
      const [result] = await method.call(client, args, {
        ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        maxContentLength: this.#config.maxResponseBytes,
        maxBodyLength: this.#config.maxResponseBytes,
      });
      return (result ?? {}) as Record<string, unknown>;
    } catch (error) {
      throw soapError(error, details);
    }
  }

  async ping(options: CallOptions = {}): Promise<void> {
    const signals = [
      options.signal,
      AbortSignal.timeout(options.timeoutMs ?? this.#config.connectTimeoutMs),
    ].filter((s): s is AbortSignal => s !== undefined);
    let response: Response;
    try {
      response = await fetch(this.#config.wsdlUrl, { signal: AbortSignal.any(signals) });
      await response.arrayBuffer();
    } catch (error) {
      const e = error as HttpishError;
      if (e.name === "TimeoutError" || e.name === "AbortError") {
        throw new LegacyTimeoutError(`WSDL ${this.#config.wsdlUrl} did not answer in time`, this.details, {
          cause: error,
        });
      }
      throw new LegacyUnavailableError(
        `WSDL ${this.#config.wsdlUrl} unreachable: ${e.cause?.code ?? e.message}`,
        this.details,
        {
          cause: error,
        },
      );
    }
    if (response.status >= 500) {
      throw new LegacyUnavailableError(`WSDL ${this.#config.wsdlUrl} answered HTTP ${response.status}`, {
        ...this.details,
        httpStatus: response.status,
      });
    }
    if (!response.ok) {
      throw new LegacyFaultError(`WSDL ${this.#config.wsdlUrl} answered HTTP ${response.status}`, {
        ...this.details,
        httpStatus: response.status,
        faultCode: `HTTP_${response.status}`,
      });
    }
  }

  async close(): Promise<void> {
    this.#client = null;
  }
}

/** The `soap` transport: node-soap 1.x from the system's WSDL URL, optional WS-Security UsernameToken. */
export const soapTransport: TransportFactory<"soap"> = {
  name: "soap",
  description: "SOAP 1.1/1.2 web services described by a WSDL (node-soap)",
  settings: {
    wsdlUrl: {
      type: "url",
      required: true,
      description: "URL of the system's WSDL, e.g. http://esb.bank:8080/counter?wsdl",
    },
    endpoint: { type: "url", description: "Service address, when it differs from the WSDL's soap:address" },
    username: { type: "string", description: "WS-Security UsernameToken user; none: no WS-Security header" },
    password: { type: "string", secret: true, description: "WS-Security UsernameToken password" },
    passwordType: {
      type: "string",
      enum: ["PasswordDigest", "PasswordText"],
      default: "PasswordDigest",
      description: "How the UsernameToken carries the password",
    },
    maxResponseBytes: {
      type: "integer",
      default: 10 * 1024 * 1024,
      min: 1024,
      max: 256 * 1024 * 1024,
      description: "Largest response accepted (node-soap holds a whole response in memory)",
    },
    connectTimeoutMs: {
      type: "integer",
      default: 10000,
      min: 100,
      max: 120000,
      description: "Timeout to fetch the WSDL",
    },
  },
  availability: () => null,
  create(settings: PluginSettings, context: TransportContext): SoapClient {
    return new NodeSoapClient(
      {
        wsdlUrl: settings.string("wsdlUrl"),
        endpoint: settings.optionalString("endpoint"),
        username: settings.optionalString("username"),
        password: settings.secret("password"),
        passwordType: settings.string("passwordType") as SoapConfig["passwordType"],
        maxResponseBytes: settings.integer("maxResponseBytes"),
        connectTimeoutMs: settings.integer("connectTimeoutMs"),
      },
      { plugin: context.plugin },
    );
  },
};
