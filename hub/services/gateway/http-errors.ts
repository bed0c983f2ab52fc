import type { IncomingMessage } from "node:http";
import { ERROR_CODES, isErrorCode, type ErrorCode } from "../../errors/codes";

export interface HttpErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

type AnyError = Error & { code?: unknown; type?: unknown; data?: unknown; status?: unknown };

/** Errors of moleculer, moleculer-web and body-parser, mapped onto our codes. */
function classify(err: AnyError): { code: ErrorCode; specific?: string; details?: unknown } {
  if (isErrorCode(err.type)) return { code: err.type, specific: err.message, details: err.data };
  switch (err.type) {
    case "entity.parse.failed":
      return { code: "HUB_BAD_JSON", specific: err.message };
    case "entity.too.large":
    case "PAYLOAD_TOO_LARGE":
      return { code: "HUB_BODY_TOO_LARGE" };
    case "encoding.unsupported":
    case "charset.unsupported":
      return { code: "HUB_UNSUPPORTED_MEDIA_TYPE", specific: err.message };
    case "request.aborted":
      return { code: "HUB_BAD_REQUEST", specific: "request aborted" };
    case "NOT_FOUND":
      return { code: "HUB_NOT_FOUND" };
    case "SERVICE_UNAVAILABLE":
    case "SERVICE_NOT_AVAILABLE":
    case "SERVICE_NOT_FOUND":
    case "REQUEST_TIMEOUT":
    case "REQUEST_REJECTED":
    case "REQUEST_SKIPPED":
      return { code: "HUB_SERVICE_UNAVAILABLE", specific: err.message };
  }
  // moleculer-web's answer to a multipart request without a file part carries no type of its own.
  if (err.name === "MoleculerClientError" && /^File missing/.test(err.message))
    return { code: "HUB_FILE_MISSING" };
  if (err.name === "ServiceNotFoundError" || err.name === "ServiceNotAvailableError") {
    return { code: "HUB_SERVICE_UNAVAILABLE", specific: err.message };
  }
  return { code: "HUB_INTERNAL" };
}

export function preferredLanguage(req: IncomingMessage): "zh" | "en" {
  const header = String(req.headers["accept-language"] ?? "");
  return /^\s*en\b/i.test(header) ? "en" : "zh";
}

/** The one error shape clients see. Never a stack trace; an internal error says only that it happened. */
export function toErrorResponse(err: unknown, lang: "zh" | "en"): { status: number; body: HttpErrorBody } {
  const { code, specific, details } = classify(err as AnyError);
  const entry = ERROR_CODES[code];
  const generic = entry[lang];
  const message =
    specific && specific !== entry.en && code !== "HUB_INTERNAL" ? `${generic}: ${specific}` : generic;
  const body: HttpErrorBody = { error: { code, message } };
  if (details !== undefined && details !== null && code !== "HUB_INTERNAL") body.error.details = details;
  return { status: entry.status, body };
}
