import iconv from "iconv-lite";
import { Builder, parseStringPromise } from "xml2js";
import { LegacyFaultError, LegacyTimeoutError, LegacyUnavailableError, UNREACHABLE_CODES } from "../errors";
import type { PluginSettings } from "../settings";
import type { CallOptions, HttpXmlClient, TransportContext, TransportFactory } from "./base";

type FetchError = Error & { cause?: { code?: string } };

/** The charset of an answer: Content-Type first, then the XML declaration, then the configured one. */
function charsetOf(contentType: string | null, head: Buffer, fallback: string): string {
  const fromHeader = /charset\s*=\s*"?([\w-]+)/i.exec(contentType ?? "")?.[1];
  const fromDeclaration = /^<\?xml[^>]*encoding\s*=\s*["']([\w-]+)["']/i.exec(
    head.subarray(0, 200).toString("latin1"),
  )?.[1];
  const charset = fromHeader ?? fromDeclaration ?? fallback;
  return iconv.encodingExists(charset) ? charset : fallback;
}

async function readLimited(
  response: Response,
  limit: number,
  details: Record<string, unknown>,
): Promise<Buffer> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > limit) {
    await response.body?.cancel();
    throw new LegacyFaultError(`answer of ${declared} bytes is larger than maxResponseBytes (${limit})`, {
      ...details,
      faultCode: "RESPONSE_TOO_LARGE",
    });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += (chunk as Uint8Array).length;
    if (size > limit) {
      throw new LegacyFaultError(`answer is larger than maxResponseBytes (${limit})`, {
        ...details,
        faultCode: "RESPONSE_TOO_LARGE",
      });
    }
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks);
}

interface HttpXmlConfig {
  url: string;
  encoding: string;
  maxResponseBytes: number;
  connectTimeoutMs: number;
}

/**
 * XML over HTTP POST, one document each way, in UTF-8 or GBK as 银保通 front ends use. Elements become objects
 * (xml2js, no arrays for single elements: use `values.asArray`), text is trimmed, attributes are under `$`.
 */
class XmlOverHttpClient implements HttpXmlClient {
  readonly transport = "http-xml" as const;

  constructor(
    private readonly config: HttpXmlConfig,
    private readonly details: Record<string, unknown>,
  ) {}

  #signal(options: CallOptions): AbortSignal {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.config.connectTimeoutMs);
    return options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  }

  #fetchError(error: unknown): Error {
    const e = error as FetchError;
    if (e.name === "TimeoutError" || e.name === "AbortError") {
      return new LegacyTimeoutError(`${this.config.url} did not answer in time`, this.details, {
        cause: error,
      });
    }
    const code = e.cause?.code;
    if (!code || UNREACHABLE_CODES.has(code)) {
      return new LegacyUnavailableError(
        `${this.config.url} unreachable: ${code ?? e.message}`,
        { ...this.details, vendorCode: code },
        { cause: error },
      );
    }
    return new LegacyFaultError(
      `${this.config.url}: ${e.message}`,
      { ...this.details, vendorCode: code },
      { cause: error },
    );
  }

  async exchange(
    document: Record<string, unknown>,
    options: CallOptions = {},
  ): Promise<Record<string, unknown>> {
    const roots = Object.keys(document);
    if (roots.length !== 1) throw new TypeError("an XML document has exactly one root element");
    if (options.signal?.aborted)
      throw new LegacyTimeoutError("the deadline passed before the request", this.details);
    const xml = new Builder({
      xmldec: { version: "1.0", encoding: this.config.encoding },
      renderOpts: { pretty: false },
    }).buildObject(document);
    let response: Response;
    try {
      response = await fetch(this.config.url, {
        method: "POST",
        headers: { "Content-Type": `text/xml; charset=${this.config.encoding}` },
        body: iconv.encode(xml, this.config.encoding),
        signal: this.#signal(options),
      });
    } catch (error) {
      throw this.#fetchError(error);
    }
    let body: Buffer;
    try {
      body = await readLimited(response, this.config.maxResponseBytes, this.details);
    } catch (error) {
      if (error instanceof LegacyFaultError) throw error;
      throw this.#fetchError(error);
    }
    if ([502, 503, 504].includes(response.status)) {
      throw new LegacyUnavailableError(`${this.config.url} answered HTTP ${response.status}`, {
        ...this.details,
        httpStatus: response.status,
      });
    }
    if (!response.ok) {
      throw new LegacyFaultError(`${this.config.url} answered HTTP ${response.status}`, {
        ...this.details,
        httpStatus: response.status,
        faultCode: `HTTP_${response.status}`,
      });
    }
    const text = iconv.decode(
      body,
      charsetOf(response.headers.get("content-type"), body, this.config.encoding),
    );
    let parsed: Record<string, unknown>;
    try {
      parsed = (await parseStringPromise(text, { explicitArray: false, trim: true })) as Record<
        string,
        unknown
      >;
    } catch (error) {
      throw new LegacyFaultError(
        `the answer is not well-formed XML: ${(error as Error).message.split("\n")[0]}`,
        {
          ...this.details,
          faultCode: "XML_MALFORMED",
        },
      );
    }
    const root = parsed ? Object.values(parsed)[0] : undefined;
    if (!root || typeof root !== "object") {
      throw new LegacyFaultError("the answer has no root element with content", {
        ...this.details,
        faultCode: "XML_MALFORMED",
      });
    }
    return root as Record<string, unknown>;
  }

  async ping(options: CallOptions = {}): Promise<void> {
    try {
      const response = await fetch(this.config.url, { method: "GET", signal: this.#signal(options) });
      await response.body?.cancel();
      if (response.status >= 500) {
        throw new LegacyUnavailableError(`${this.config.url} answered HTTP ${response.status}`, {
          ...this.details,
          httpStatus: response.status,
        });
      }
    } catch (error) {
      if (error instanceof LegacyUnavailableError) throw error;
      throw this.#fetchError(error);
    }
  }

  async close(): Promise<void> {}
}

/** The `http-xml` transport: an XML document POSTed over HTTP, answered by one (银保通-style front ends). */
export const httpXmlTransport: TransportFactory<"http-xml"> = {
  name: "http-xml",
  description: "XML documents over HTTP POST (银保通 bancassurance front ends), UTF-8 or GBK",
  settings: {
    url: { type: "url", required: true, description: "Address the XML requests are POSTed to" },
    encoding: {
      type: "string",
      enum: ["GBK", "UTF-8"],
      default: "GBK",
      description: "Character set of requests",
    },
    maxResponseBytes: {
      type: "integer",
      default: 4 * 1024 * 1024,
      min: 1024,
      max: 256 * 1024 * 1024,
      description: "Largest answer accepted",
    },
    connectTimeoutMs: {
      type: "integer",
      default: 10000,
      min: 100,
      max: 120000,
      description: "Timeout of a health check",
    },
  },
  availability: () => null,
  create(settings: PluginSettings, context: TransportContext): HttpXmlClient {
    return new XmlOverHttpClient(
      {
        url: settings.string("url"),
        encoding: settings.string("encoding"),
        maxResponseBytes: settings.integer("maxResponseBytes"),
        connectTimeoutMs: settings.integer("connectTimeoutMs"),
      },
      { plugin: context.plugin },
    );
  },
};
