import { AsyncLocalStorage } from "node:async_hooks";
import crypto from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { once } from "node:events";
import type { ServiceBroker } from "moleculer";
import { MemoryLocker, Server as TusServer } from "@tus/server";
import type { HubConfig } from "../../config";
import { isErrorCode } from "../../errors/codes";
import { HubError, ValidationError } from "../../errors/hub-error";
import type { HubMetrics } from "../../metrics/metrics";
import { evidencePackage } from "../../evidence/evidence-package";
import type { ChainEntry, Checkpoint } from "../../domain/audit-chain";
import {
  decidePlay,
  type RecordingFacts,
  type RecordingStatus,
  type Rendition,
} from "../../domain/recording";
import type { EvidenceStore } from "../../storage";
import { objectKey, type KeyRing } from "../../storage/data-keys";
import { ReplicaUnavailableError, StoreFullError } from "../../storage/replica-backend";
import {
  EncryptedTusStore,
  UploadRefused,
  storeErrorCode,
  uploadRequest,
  type UploadAuthority,
  type UploadGrant,
} from "../../storage/tus-store";
import type { Actor, HubMeta, OrgRef } from "../actor";
import { preferredLanguage, toErrorResponse } from "./http-errors";
import { openPlayTicket, PLAY_TICKET_KEY_INFO, PLAY_TICKET_LIFETIME_MS, sealPlayTicket } from "./play-ticket";

/*
 * The byte-carrying endpoints: tus uploads into the evidence store, playback with HTTP Range, and the evidence
 * package. They run in the gateway's process so that media never crosses the service bus; the recordings service
 * decides, through small grant calls, who may do what.
 */

export interface EvidenceEndpointOptions {
  config: HubConfig;
  store: EvidenceStore;
  keyRing: KeyRing;
  metrics: HubMetrics;
  clock: () => Date;
  broker: () => ServiceBroker;
  /**
   * The caller of `req` by its bearer token, or by `token` when given (a playback ticket's); `token` is the one
   * used and `exp` its expiry in epoch seconds.
   */
  authenticate: (
    req: IncomingMessage,
    token?: string,
  ) => Promise<{ user: Actor; meta: HubMeta; token: string; exp: number }>;
}

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/** A store error's message for the client: which root and why, never a path of the server's disks. */
function publicMessage(err: Error): string {
  if (err instanceof StoreFullError || err instanceof ReplicaUnavailableError) {
    const code = (err.cause as NodeJS.ErrnoException | undefined)?.code;
    const why = code ? ` (${code})` : "";
    return err instanceof StoreFullError
      ? `the ${err.replica} replica's disk is full${why}`
      : `the ${err.replica} replica cannot be written${why}`;
  }
  return err.message;
}

/** What tus itself answers with a status of its own (protocol errors), as our codes. */
const TUS_STATUS_CODES: Record<number, string> = {
  404: "HUB_UPLOAD_NOT_FOUND",
  409: "HUB_UPLOAD_OFFSET_MISMATCH",
  410: "HUB_UPLOAD_NOT_FOUND",
  413: "HUB_UPLOAD_TOO_LARGE",
  460: "HUB_UPLOAD_CHECKSUM_MISMATCH",
};

/** Our JSON error shape for any failure: store errors, grant refusals, tus protocol errors. */
function errorOf(err: unknown): HubError | unknown {
  if (err instanceof UploadRefused && isErrorCode(err.code)) return new HubError(err.code, err.message);
  const code = storeErrorCode(err);
  if (code && isErrorCode(code)) return new HubError(code, publicMessage(err as Error));
  const tus = err as { status_code?: number; body?: string };
  if (typeof tus?.status_code === "number") {
    // A tus failure of the server itself (lock timeout, write error) stays an internal error, never a 4xx.
    if (tus.status_code >= 500 && tus.status_code !== 501) return err;
    const mapped = TUS_STATUS_CODES[tus.status_code] ?? "HUB_BAD_REQUEST";
    if (isErrorCode(mapped)) return new HubError(mapped, String(tus.body ?? "").trim() || undefined);
  }
  return err;
}

const TUS_METHODS = new Set(["OPTIONS", "POST", "HEAD", "PATCH", "DELETE"]);

/** The language of the request being answered, for tus's own answers (it does not pass the request on). */
const answerLanguage = new AsyncLocalStorage<"zh" | "en">();

/** Our error body, already made by onResponseError, or made now from what tus would have sent as text. */
function errorBody(status: number, body: string): { status: number; body: string } {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown } };
    if (isErrorCode(parsed?.error?.code)) return { status, body };
  } catch {
    // tus's own text (a missing Tus-Resumable, an invalid header, an unknown method)
  }
  const mapped = toErrorResponse(errorOf({ status_code: status, body }), answerLanguage.getStore() ?? "zh");
  return { status: mapped.status, body: JSON.stringify(mapped.body) };
}

/**
 * The tus server, every error of which is our JSON error shape with its JSON content type: the ones it maps
 * through onResponseError and the ones it answers by itself (412 without Tus-Resumable, 400 for a malformed
 * header, 404 for an unknown method).
 */
class HubTusServer extends TusServer {
  override write(
    context: Parameters<TusServer["write"]>[0],
    headers: Headers,
    status: number,
    body = "",
  ): ReturnType<TusServer["write"]> {
    if (status < 400) return super.write(context, headers, status, body);
    const answer = errorBody(status, body);
    headers.set("Content-Type", "application/json; charset=utf-8");
    return super.write(context, headers, answer.status, answer.body);
  }
}

function sendError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
  const { status, body } = toErrorResponse(errorOf(err), preferredLanguage(req));
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Tus-Resumable": "1.0.0" });
  res.end(JSON.stringify(body));
}

/** `Upload-Checksum: sha256 <base64>`; another algorithm is refused (tus checksum extension: 400). */
function parseChecksum(header: string | string[] | undefined): Buffer | undefined {
  if (header === undefined) return undefined;
  const match = /^(\S+) ([A-Za-z0-9+/=]+)$/.exec(String(header).trim());
  if (!match || match[1].toLowerCase() !== "sha256") {
    throw new HubError("HUB_BAD_REQUEST", "Upload-Checksum must be `sha256 <base64 digest>`");
  }
  const digest = Buffer.from(match[2], "base64");
  if (digest.length !== 32) throw new HubError("HUB_BAD_REQUEST", "the sha256 digest must be 32 bytes");
  return digest;
}

/** Writes `chunks` to the response, waiting whenever the client reads slower than the disk. */
async function pump(res: ServerResponse, chunks: AsyncIterable<Buffer>): Promise<void> {
  for await (const chunk of chunks) {
    if (res.destroyed) return;
    if (!res.write(chunk)) await Promise.race([once(res, "drain"), once(res, "close")]);
  }
  res.end();
}

/**
 * One `bytes=` range of a resource of `size` bytes (RFC 9110 §14.2): null when there is none to honour — no Range,
 * another unit, a malformed or reversed range, several ranges: then the whole resource is sent, as the RFC lets a
 * server do — and "unsatisfiable" when it starts at or beyond the end (or is an empty suffix).
 */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | null | "unsatisfiable" {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return null;
  let start: number;
  let end: number;
  if (match[1] === "") {
    const suffix = Number(match[2]);
    if (suffix === 0) return "unsatisfiable";
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    if (match[2] !== "" && Number(match[2]) < start) return null;
    end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size) return "unsatisfiable";
  return { start, end };
}

const EXTENSIONS: Record<string, string> = {
  "video/webm": "webm",
  "video/mp4": "mp4",
  "audio/webm": "weba",
  "audio/ogg": "ogg",
  "audio/mpeg": "mp3",
  "audio/wav": "wav",
  "image/jpeg": "jpg",
  "image/png": "png",
  "application/pdf": "pdf",
};

interface MediaGrant {
  recordingId: string;
  objectId: string;
  wrappedKey: string;
  size: number;
  mediaType: string;
}

/** What a ticket's issue reads of a recording (`recordings.get`). */
interface RecordingSummary {
  id: string;
  orgCode: string;
  createdBy: string;
  status: RecordingStatus;
  upload: { state: string; uploadedAt: string | null };
  renditions: Rendition[];
}

/** Playback's decision on what a caller may read of the recording, as `recordings.playGrant` takes it. */
function playFacts(r: RecordingSummary, orgPath: string): RecordingFacts {
  return {
    createdBy: r.createdBy,
    orgPath,
    status: r.status,
    originalObject: r.upload.state === "none" ? null : "original",
    uploadedAt: r.upload.uploadedAt,
    canonicalObject: r.renditions.includes("canonical") ? "canonical" : null,
  };
}

function renditionOf(value: string | null): Rendition {
  const rendition = value ?? "original";
  if (rendition !== "original" && rendition !== "canonical") {
    throw new HubError("HUB_VALIDATION_FAILED", "rendition must be original or canonical", [
      { field: "query.rendition", code: "enum", message: "must be original or canonical" },
    ]);
  }
  return rendition;
}

const TICKET_BODY_LIMIT = 1024;

/** The ticket route takes no body or `{}`; it is read here because this route has no body parser. */
async function emptyJsonBody(req: IncomingMessage): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > TICKET_BODY_LIMIT) throw new HubError("HUB_BODY_TOO_LARGE");
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (!text) return;
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(String(req.headers["content-type"] ?? ""))) {
    throw new HubError("HUB_UNSUPPORTED_MEDIA_TYPE");
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new HubError("HUB_BAD_JSON", (err as Error).message);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body) || Object.keys(body).length) {
    throw new ValidationError([
      { field: "body", code: "additionalProperties", message: "this route takes no body, or {}" },
    ]);
  }
}

interface EvidenceGrant extends MediaGrant {
  entries: ChainEntry[];
  checkpoint: Checkpoint;
  publicKeyPem: string;
}

export function createEvidenceEndpoints(options: EvidenceEndpointOptions): {
  uploads: Middleware;
  recordingStreams: Middleware;
} {
  const { config, store, keyRing, metrics, clock, broker, authenticate } = options;
  const ticketKey = keyRing.derive(PLAY_TICKET_KEY_INFO);

  const tus = new HubTusServer({
    path: "/api/v1/uploads",
    datastore: new EncryptedTusStore(store, keyRing, (bytes) => metrics.uploadedBytes.inc({}, bytes)),
    maxSize: config.uploadMaxBytes,
    relativeLocation: true,
    respectForwardedHeaders: config.trustProxy,
    // Same origins as the rest of the API (HUB_CORS_ORIGINS); by default @tus/server would answer "*".
    allowedOrigins: (origin: string) => config.corsOrigins.includes(origin),
    namingFunction: () => crypto.randomBytes(16).toString("hex"),
    locker: new MemoryLocker(),
    disableTerminationForFinishedUploads: true,
    allowedHeaders: ["Authorization", "Upload-Checksum", "Accept-Language"],
    exposedHeaders: ["Tus-Checksum-Algorithm"],
    onResponseError(req, err) {
      const lang = /^\s*en\b/i.test(req.headers.get("accept-language") ?? "") ? "en" : "zh";
      const { status, body } = toErrorResponse(errorOf(err), lang);
      return { status_code: status, body: JSON.stringify(body) };
    },
  });

  function authorityFor(meta: HubMeta): UploadAuthority {
    const call = <T>(action: string, params: object) => broker().call<T, object>(action, params, { meta });
    return {
      grant: (recordingId) => call<UploadGrant>("recordings.uploadGrant", { recordingId }),
      started: (recordingId, objectId, mediaType) =>
        call<void>("recordings.uploadStarted", { recordingId, objectId, mediaType }),
      completed: (recordingId, c) =>
        call<void>("recordings.uploadCompleted", {
          recordingId,
          objectId: c.objectId,
          size: c.size,
          sha256: c.sha256,
          storedSize: c.storedSize,
          storedSha256: c.storedSha256,
        }),
      terminated: (recordingId, objectId) =>
        call<void>("recordings.uploadTerminated", { recordingId, objectId }),
    };
  }

  const uploads: Middleware = (req, res) => {
    (async () => {
      // Only tus's methods: an upload is never read back here (playback is /recordings/{id}/media).
      if (!TUS_METHODS.has(req.method ?? "")) throw new HubError("HUB_NOT_FOUND");
      res.setHeader("Tus-Checksum-Algorithm", "sha256");
      const handle = () => answerLanguage.run(preferredLanguage(req), () => tus.handle(req, res));
      if (req.method === "OPTIONS") {
        // Capability discovery and CORS preflight carry no token.
        await handle();
        return;
      }
      const { meta } = await authenticate(req);
      const checksum = req.method === "PATCH" ? parseChecksum(req.headers["upload-checksum"]) : undefined;
      await uploadRequest.run({ authority: authorityFor(meta), checksum }, handle);
    })().catch((err) => sendError(req, res, err));
  };

  async function grantAndKey<T extends MediaGrant>(action: string, params: object, meta: HubMeta) {
    const grant = await broker().call<T, object>(action, params, { meta });
    const key = objectKey(keyRing.unwrap(grant.recordingId, grant.wrappedKey), grant.objectId);
    return { grant, key };
  }

  async function media(req: IncomingMessage, res: ServerResponse, id: string, query: URLSearchParams) {
    // With a ticket (from a <video src>), the token sealed in it is the caller, exactly as if sent in the header:
    // the grant below decides and audits every request alike.
    const ticket = query.get("ticket");
    const ticketToken =
      ticket === null
        ? undefined
        : openPlayTicket(ticketKey, ticket, {
            recordingId: id,
            rendition: query.get("rendition") ?? "original",
            now: clock(),
          });
    const { meta } = await authenticate(req, ticketToken);
    const rendition = renditionOf(query.get("rendition"));
    const { grant, key } = await grantAndKey<MediaGrant>("recordings.playGrant", { id, rendition }, meta);
    const range = parseRange(req.headers.range, grant.size);
    const headers: Record<string, string | number> = {
      "Content-Type": grant.mediaType,
      "Accept-Ranges": "bytes",
      "Cache-Control": "no-store",
      "Content-Disposition": "inline",
    };
    if (range === "unsatisfiable") {
      res.setHeader("Content-Range", `bytes */${grant.size}`);
      throw new HubError("HUB_RANGE_NOT_SATISFIABLE", `the recording has ${grant.size} bytes`, {
        field: "headers.range",
        size: grant.size,
      });
    }
    const { start, end } = range ?? { start: 0, end: grant.size - 1 };
    const length = grant.size === 0 ? 0 : end - start + 1;
    // The first segment is decrypted before answering: one bad on both replicas fails with an error response
    // (HUB_STORE_CORRUPT), not with a cut connection. A later one can only cut the body short.
    const chunks = store.read(grant.objectId, key, grant.size, start, end)[Symbol.asyncIterator]();
    const first = await chunks.next();
    res.writeHead(range ? 206 : 200, {
      ...headers,
      "Content-Length": length,
      ...(range ? { "Content-Range": `bytes ${start}-${end}/${grant.size}` } : {}),
    });
    if (!first.done) res.write(first.value);
    await pump(res, { [Symbol.asyncIterator]: () => chunks });
  }

  /**
   * `POST /recordings/{id}/media/ticket`: a media URL a `<video>` can use. Only a bearer token gets one (a ticket
   * never makes another, so a leaked URL cannot outlive its ticket). The caller must be able to play the recording
   * now; that is decided with playback's own rule on the recording as `recordings.get` shows it, because
   * `recordings.playGrant` audits a play, and issuing a ticket plays nothing (its read is audited as
   * `recording.read`); only a refusal is audited as a (refused) play. Each request made with the ticket goes
   * through the grant and is audited as a play.
   */
  async function issueTicket(req: IncomingMessage, res: ServerResponse, id: string, query: URLSearchParams) {
    await emptyJsonBody(req);
    const { user, meta, token, exp } = await authenticate(req);
    const unknown = [...query.keys()].filter((name) => name !== "rendition");
    if (unknown.length) {
      throw new ValidationError(
        unknown.map((name) => ({
          field: `query.${name}`,
          code: "additionalProperties",
          message: "this route takes only rendition",
        })),
      );
    }
    const rendition = renditionOf(query.get("rendition"));
    const call = <T>(action: string, params: object) => broker().call<T, object>(action, params, { meta });
    const recording = await call<RecordingSummary>("recordings.get", { id });
    const org = await call<OrgRef>("org.resolve", { code: recording.orgCode });
    const decision = decidePlay(
      { username: user.username, role: user.role, orgPath: user.orgPath },
      playFacts(recording, org.path),
      rendition,
    );
    // A refusal is the grant's to answer: the same rule gives the same error, and the attempt is audited as a
    // refused play, exactly as a media request would be. (Should the recording have changed in between so that
    // the grant allows it after all, that one play entry is written and the ticket issued.)
    if (!decision.allowed) await call("recordings.playGrant", { id: recording.id, rendition });
    // Never beyond the token's own life: the ticket is only as good as the session it carries.
    const expiresAt = Math.min(clock().getTime() + PLAY_TICKET_LIFETIME_MS, exp * 1000);
    const sealed = sealPlayTicket(ticketKey, { token, recordingId: recording.id, rendition, exp: expiresAt });
    const url = `/api/v1/recordings/${recording.id}/media?rendition=${rendition}&ticket=${sealed}`;
    res.writeHead(201, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
    res.end(JSON.stringify({ url, expiresAt: new Date(expiresAt).toISOString() }));
  }

  async function evidence(req: IncomingMessage, res: ServerResponse, id: string) {
    const { meta } = await authenticate(req);
    const { grant, key } = await grantAndKey<EvidenceGrant>("recordings.evidenceGrant", { id }, meta);
    // Reads the first segment before answering: a recording unreadable on both replicas fails with an error,
    // not with a truncated zip.
    const first = store.read(grant.objectId, key, grant.size, 0, Math.min(grant.size, 1) - 1);
    for await (const chunk of first) void chunk;
    const zip = evidencePackage({
      recordingId: grant.recordingId,
      media: {
        fileName: `original.${EXTENSIONS[grant.mediaType] ?? "bin"}`,
        size: grant.size,
        read: () => store.read(grant.objectId, key, grant.size),
      },
      entries: grant.entries,
      checkpoint: grant.checkpoint,
      publicKeyPem: grant.publicKeyPem,
      generatedAt: clock().toISOString(),
    });
    res.writeHead(200, {
      "Content-Type": "application/zip",
      "Content-Disposition": `attachment; filename="evidence-${grant.recordingId}.zip"`,
      "Cache-Control": "no-store",
    });
    zip.on("error", () => res.destroy());
    zip.pipe(res);
    await once(res, "close");
  }

  const recordingStreams: Middleware = (req, res, next) => {
    const url = new URL(req.url ?? "/", "http://hub");
    const ticket = /^\/([^/]+)\/media\/ticket$/.exec(url.pathname);
    if (ticket && req.method === "POST") {
      issueTicket(req, res, ticket[1], url.searchParams).catch((err) => sendError(req, res, err));
      return;
    }
    const match = /^\/([^/]+)\/(media|evidence)$/.exec(url.pathname);
    if (!match || req.method !== "GET") return next();
    const [, id, what] = match;
    (what === "media" ? media(req, res, id, url.searchParams) : evidence(req, res, id)).catch((err) =>
      sendError(req, res, err),
    );
  };

  return { uploads, recordingStreams };
}
