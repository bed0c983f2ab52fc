import { AsyncLocalStorage } from "node:async_hooks";
import crypto from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { once } from "node:events";
import type { ServiceBroker } from "moleculer";
import { MemoryLocker, Server as TusServer } from "@tus/server";
import type { HubConfig } from "../../config";
import { isErrorCode } from "../../errors/codes";
import { HubError } from "../../errors/hub-error";
import type { HubMetrics } from "../../metrics/metrics";
import { evidencePackage } from "../../evidence/evidence-package";
import type { ChainEntry, Checkpoint } from "../../domain/audit-chain";
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
import type { Actor, HubMeta } from "../actor";
import { preferredLanguage, toErrorResponse } from "./http-errors";

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
  authenticate: (req: IncomingMessage) => Promise<{ user: Actor; meta: HubMeta }>;
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

  const tus = new HubTusServer({
    path: "/api/v1/uploads",
    datastore: new EncryptedTusStore(store, keyRing, (bytes) => metrics.uploadedBytes.inc({}, bytes)),
    maxSize: config.uploadMaxBytes,
    relativeLocation: true,
    respectForwardedHeaders: config.trustProxy,
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
    const { meta } = await authenticate(req);
    const rendition = query.get("rendition") ?? "original";
    if (rendition !== "original" && rendition !== "canonical") {
      throw new HubError("HUB_VALIDATION_FAILED", "rendition must be original or canonical", [
        { field: "query.rendition", code: "enum", message: "must be original or canonical" },
      ]);
    }
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
    const match = /^\/([^/]+)\/(media|evidence)$/.exec(url.pathname);
    if (!match || req.method !== "GET") return next();
    const [, id, what] = match;
    (what === "media" ? media(req, res, id, url.searchParams) : evidence(req, res, id)).catch((err) =>
      sendError(req, res, err),
    );
  };

  return { uploads, recordingStreams };
}
