/**
 * The SOAP face's HTTP endpoint, mounted by the gateway beside the REST routes (docs/soap.md):
 * `GET /soap/dual-record?wsdl` (and `?xsd`), `POST /soap/dual-record`. The envelope is read here with xml2js; no
 * node-soap server is attached to the hub's HTTP server, whose request listeners stay the gateway's.
 *
 * A request goes: size limit (before anything is parsed) → charset → XML → SOAP 1.1 envelope → mustUnderstand
 * headers → WS-Security UsernameToken → operation → JSON Schema → the `legacy-face` action (authorised and audited
 * there) → the answer. Any failure is a SOAP 1.1 Fault (HTTP 500) whose detail carries the HUB_* code.
 */
import fs from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import iconv from "iconv-lite";
import type { LoggerInstance, ServiceBroker } from "moleculer";
import type { HubConfig } from "../../config";
import { HubError, ValidationError, type FieldProblem } from "../../errors/hub-error";
import { SCHEMAS_DIR } from "../../paths";
import { toFieldProblems, type SchemaRegistry } from "../../schemas";
import { preferredLanguage, toErrorResponse } from "./http-errors";
import { SoapAuthenticator } from "./soap-auth";
import { responseElement, SOAP_OPERATIONS } from "./soap-operations";
import {
  checkMustUnderstand,
  envelope,
  escapeXml,
  faultEnvelope,
  NS,
  parseXml,
  readEnvelope,
  readUsernameToken,
  schemaOf,
  SoapProtocolError,
  toPlain,
} from "./soap-xml";

export const WSDL_FILE = path.join(SCHEMAS_DIR, "soap", "dual-record.wsdl");
export const SOAP_PATH = "/soap/dual-record";

/** Beyond this much, an oversized body is no longer read to its end: the connection is closed after the Fault. */
const DRAIN_LIMIT = 16 * 1024 ** 2;

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

export interface SoapEndpointOptions {
  config: HubConfig;
  schemas: SchemaRegistry;
  clock: () => Date;
  broker: () => ServiceBroker;
  clientIp: (req: IncomingMessage) => string | null;
}

function sendXml(res: ServerResponse, status: number, xml: string, close = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = Buffer.from(xml, "utf8");
  res.writeHead(status, {
    "Content-Type": "text/xml; charset=utf-8",
    "Content-Length": String(body.length),
    ...(close ? { Connection: "close" } : {}),
  });
  res.end(body);
}

/**
 * The body, up to `limit` bytes; a larger one is read to its end (up to DRAIN_LIMIT) and refused. Plain stream
 * events rather than `for await`: its async iterator costs more than the rest of the reading on every call.
 */
function readBody(
  req: IncomingMessage,
  limit: number,
): Promise<{ body: Buffer } | { tooLarge: true; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? NaN);
    let size = 0;
    let tooLarge = Number.isFinite(declared) && declared > limit;
    const chunks: Buffer[] = [];
    const done = () => {
      req.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) {
        chunks.push(chunk);
        return;
      }
      chunks.length = 0;
      if (size > DRAIN_LIMIT) {
        done();
        req.pause();
        resolve({ tooLarge: true, closed: true });
      }
    };
    const onEnd = () => {
      done();
      resolve(tooLarge ? { tooLarge: true, closed: false } : { body: Buffer.concat(chunks) });
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    // The client went away before the end: nobody is left to answer.
    const onClose = () => {
      done();
      reject(new Error("the client closed the connection before the end of its request"));
    };
    req.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose);
  });
}

/** UTF-8 unless the Content-Type or the XML declaration names another charset (GBK, GB18030 …). */
function decode(body: Buffer, contentType: string): string {
  const declared =
    /;\s*charset="?([\w.:-]+)"?/i.exec(contentType)?.[1] ??
    /^\s*<\?xml[^>]*encoding=["']([\w.:-]+)["']/i.exec(body.subarray(0, 200).toString("latin1"))?.[1] ??
    "utf-8";
  const charset = declared.toLowerCase();
  if (charset === "utf-8" || charset === "utf8") {
    const text = body.toString("utf8");
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }
  if (!iconv.encodingExists(charset))
    throw new HubError("HUB_UNSUPPORTED_MEDIA_TYPE", `charset ${declared} is not supported; send UTF-8`);
  return iconv.decode(body, charset);
}

/** The Fault for any error: Client for the caller's errors, Server for ours and for retryable ones. */
function faultOf(err: unknown, lang: "zh" | "en"): string {
  const { status, body } = toErrorResponse(err, lang);
  const { code, message, details } = body.error;
  const faultCode = err instanceof SoapProtocolError ? err.faultCode : status >= 500 ? "Server" : "Client";
  const problems = Array.isArray(details) ? (details as FieldProblem[]) : undefined;
  const facts =
    details && typeof details === "object" && !Array.isArray(details)
      ? (details as Record<string, unknown>)
      : undefined;
  return faultEnvelope(faultCode, message, { code, message, retryable: status === 503, problems, facts });
}

export function createSoapEndpoint({ config, schemas, clock, broker, clientIp }: SoapEndpointOptions) {
  const wsdl = fs.readFileSync(WSDL_FILE, "utf8");
  const xsd = schemaOf(wsdl);
  const auth = new SoapAuthenticator(
    (action, params, meta) => broker().call(action, params, { meta, timeout: 30_000 }),
    clock,
  );

  /** The WSDL with its address set to where it was asked for (behind a trusted proxy: the forwarded host). */
  function wsdlFor(req: IncomingMessage): string {
    const forwarded = config.trustProxy;
    const proto =
      (forwarded &&
        String(req.headers["x-forwarded-proto"] ?? "")
          .split(",")[0]
          .trim()) ||
      "http";
    const host =
      (forwarded &&
        String(req.headers["x-forwarded-host"] ?? "")
          .split(",")[0]
          .trim()) ||
      req.headers.host ||
      `${config.host}:${config.port}`;
    return wsdl.replace(
      /(<soap:address\s+location=")[^"]*(")/,
      `$1${escapeXml(`${proto}://${host}${SOAP_PATH}`)}$2`,
    );
  }

  let soapLogger: LoggerInstance | null = null;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const lang = preferredLanguage(req);
    const logger = (soapLogger ??= broker().getLogger("soap"));
    try {
      const contentType = String(req.headers["content-type"] ?? "");
      const read = await readBody(req, config.soapBodyLimitBytes);
      if ("tooLarge" in read) {
        const fault = faultOf(
          new HubError(
            "HUB_BODY_TOO_LARGE",
            `the SOAP request is larger than HUB_SOAP_BODY_LIMIT (${config.soapBodyLimitBytes} bytes)`,
            { limit: config.soapBodyLimitBytes },
          ),
          lang,
        );
        sendXml(res, 500, fault, read.closed);
        if (read.closed) res.once("finish", () => req.destroy());
        return;
      }
      if (/^application\/soap\+xml\b/i.test(contentType))
        throw new SoapProtocolError(
          "VersionMismatch",
          "HUB_SOAP_MALFORMED",
          "SOAP 1.2 is not served; send SOAP 1.1 (text/xml)",
        );
      if (!/^(text|application)\/xml\b/i.test(contentType))
        throw new HubError("HUB_UNSUPPORTED_MEDIA_TYPE", "send the SOAP 1.1 envelope as text/xml");
      const { header, operation } = readEnvelope(await parseXml(decode(read.body, contentType)));
      checkMustUnderstand(header);
      const ip = clientIp(req);
      const user = await auth.authenticate(readUsernameToken(header, clock()), ip);
      const op = operation.ns === NS.tns ? SOAP_OPERATIONS.get(operation.local) : undefined;
      if (!op)
        throw new HubError(
          "HUB_SOAP_UNKNOWN_OPERATION",
          `{${operation.ns}}${operation.local} is not an operation; see ${SOAP_PATH}?wsdl (${[
            ...SOAP_OPERATIONS.keys(),
          ].join(", ")})`,
        );
      const params = toPlain(operation);
      const check = schemas.validator(op.schema);
      if (!check(params)) throw new ValidationError(toFieldProblems(op.name, check.errors));
      const result = await broker().call(op.action, params, {
        meta: { user, clientIp: ip },
        timeout: 30_000,
      });
      sendXml(res, 200, envelope(responseElement(op, result)));
    } catch (err) {
      const code = (err as { type?: unknown }).type;
      if (typeof code === "string" && code.startsWith("HUB_") && code !== "HUB_INTERNAL")
        logger.debug("SOAP Fault", code, (err as Error).message);
      else logger.error("SOAP request failed", err);
      sendXml(res, 500, faultOf(err, lang));
    }
  }

  const middleware: Middleware = (req, res, next) => {
    const url = new URL(req.url ?? "/", "http://hub");
    if (url.pathname !== SOAP_PATH.slice("/soap".length)) return next();
    if (req.method === "GET" && (url.searchParams.has("wsdl") || url.searchParams.has("xsd"))) {
      sendXml(res, 200, url.searchParams.has("wsdl") ? wsdlFor(req) : xsd);
      return;
    }
    if (req.method !== "POST") return next();
    void handle(req, res);
  };

  return { middleware };
}
