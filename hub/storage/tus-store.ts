import { AsyncLocalStorage } from "node:async_hooks";
import type { Readable } from "node:stream";
import { DataStore, ERRORS, Upload } from "@tus/utils";
import { mediaTypeEssence } from "../domain/recording";
import type { KeyRing } from "./data-keys";
import { objectKey } from "./data-keys";
import {
  ChecksumMismatchError,
  OffsetMismatchError,
  StoreCorruptError,
  UploadNotFoundError,
  UploadTooLargeError,
  type CompletedObject,
  type EvidenceStore,
} from "./evidence-store";
import { ReplicaUnavailableError, StoreFullError } from "./replica-backend";

/*
 * The tus 1.0 data store of the hub (@tus/server calls it): uploads are recordings' originals, encrypted as they
 * arrive into the evidence store. Who may write is asked of the recordings service, per request.
 */

/** MIME types a recording may have (issue: video, audio, scanned vouchers and questionnaires). */
export const UPLOAD_TYPES = [
  "video/webm",
  "video/mp4",
  "audio/webm",
  "audio/ogg",
  "audio/mpeg",
  "audio/wav",
  "image/jpeg",
  "image/png",
  "application/pdf",
] as const;

/** The recordings service's answer: this user may write this recording's original now. */
export interface UploadGrant {
  recordingId: string;
  wrappedKey: string;
}

/** What the data store asks and tells the recordings service, as the user of the current request. */
export interface UploadAuthority {
  grant(recordingId: string): Promise<UploadGrant>;
  started(recordingId: string, objectId: string, mediaType: string): Promise<void>;
  completed(recordingId: string, completed: CompletedObject): Promise<void>;
  terminated(recordingId: string, objectId: string): Promise<void>;
}

/** Per request: the authority acting as the request's user, and the checksum the client announced. */
export interface UploadRequest {
  authority: UploadAuthority;
  checksum?: Buffer;
  /**
   * What this request has already asked (the grant and key, the upload's description), filled by the store:
   * tus asks for the upload and then writes to it, and one request needs one grant, not two.
   */
  asked?: Map<string, Promise<unknown>>;
}

export const uploadRequest = new AsyncLocalStorage<UploadRequest>();

/** A failure the tus server answers as it is: status and body (our JSON error shape). */
export interface TusFailure {
  status_code: number;
  body: string;
}

/** Maps the store's errors to a code of hub/errors/codes.ts; the gateway turns it into the response. */
export function storeErrorCode(err: unknown): string | null {
  if (err instanceof OffsetMismatchError) return "HUB_UPLOAD_OFFSET_MISMATCH";
  if (err instanceof ChecksumMismatchError) return "HUB_UPLOAD_CHECKSUM_MISMATCH";
  if (err instanceof UploadTooLargeError) return "HUB_UPLOAD_TOO_LARGE";
  if (err instanceof UploadNotFoundError) return "HUB_UPLOAD_NOT_FOUND";
  if (err instanceof StoreFullError) return "HUB_STORE_FULL";
  if (err instanceof ReplicaUnavailableError) return "HUB_STORE_REPLICA_UNAVAILABLE";
  if (err instanceof StoreCorruptError) return "HUB_STORE_CORRUPT";
  return null;
}

/** Raised by the store for a request that must be refused with one of our codes. */
export class UploadRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function* emptySource(): AsyncGenerator<Buffer> {}

function current(): UploadRequest {
  const request = uploadRequest.getStore();
  if (!request) throw new Error("tus store used outside an upload request");
  return request;
}

async function* noBytes(): AsyncGenerator<Buffer> {}

export class EncryptedTusStore extends DataStore {
  constructor(
    private readonly store: EvidenceStore,
    private readonly keyRing: KeyRing,
    private readonly onStored: (bytes: number) => void = () => undefined,
  ) {
    super();
    this.extensions = ["creation", "creation-defer-length", "termination", "checksum"];
  }

  /** Asked once per request (a failure is not kept: asking again asks again). */
  private askOnce<T>(what: string, ask: () => Promise<T>): Promise<T> {
    const request = current();
    request.asked ??= new Map();
    let answer = request.asked.get(what) as Promise<T> | undefined;
    if (!answer) {
      answer = ask();
      request.asked.set(what, answer);
      answer.catch(() => request.asked?.delete(what));
    }
    return answer;
  }

  /** The object's key, if this request's user may write this recording now (asked of the recordings service). */
  private keyFor(recordingId: string, objectId: string): Promise<Buffer> {
    return this.askOnce(`key ${recordingId} ${objectId}`, async () => {
      const grant = await current().authority.grant(recordingId);
      return objectKey(this.keyRing.unwrap(grant.recordingId, grant.wrappedKey), objectId);
    });
  }

  private describe(id: string) {
    return this.askOnce(`describe ${id}`, () => this.store.describe(id));
  }

  override async create(upload: Upload): Promise<Upload> {
    const metadata = upload.metadata ?? {};
    const recordingId = metadata.recordingId;
    if (!recordingId) {
      throw new UploadRefused("HUB_VALIDATION_FAILED", "Upload-Metadata must name recordingId");
    }
    // A recorder names its type with parameters (`video/webm;codecs="vp8,opus"`): its essence is what is stored.
    const type = mediaTypeEssence(metadata.filetype ?? "");
    if (type === null || !(UPLOAD_TYPES as readonly string[]).includes(type)) {
      throw new UploadRefused(
        "HUB_UPLOAD_TYPE_NOT_ALLOWED",
        `filetype "${metadata.filetype ?? ""}" is not one of ${UPLOAD_TYPES.join(", ")}`,
      );
    }
    const key = await this.keyFor(recordingId, upload.id);
    const createdAt = new Date().toISOString();
    await this.store.createUpload(key, {
      objectId: upload.id,
      recordingId,
      type,
      length: upload.size ?? null,
      createdAt,
      metadata,
    });
    try {
      // The recording may still refuse (a type its kind does not take, submitted meanwhile): then nothing stays.
      await current().authority.started(recordingId, upload.id, type);
    } catch (err) {
      await this.store.terminate(upload.id).catch(() => undefined);
      throw err;
    }
    upload.creation_date = createdAt;
    upload.offset = 0;
    if (upload.size === 0) {
      // Nothing will be PATCHed: an empty upload is complete, and sealed, as soon as it exists.
      const { completed } = await this.store.append(upload.id, key, emptySource(), { offset: 0 });
      if (completed) await current().authority.completed(recordingId, completed);
    }
    return upload;
  }

  override async getUpload(id: string): Promise<Upload> {
    const found = await this.describe(id);
    if (!found) throw ERRORS.FILE_NOT_FOUND;
    if (found.sealed) {
      const { completed, recordingId } = found.sealed;
      // Tell the recording again while it is a draft: the first notice may have been lost with the connection.
      // The same call is the check that the caller is the creator: only a recording already submitted is fine.
      await current()
        .authority.completed(recordingId, completed)
        .catch((err: { type?: unknown }) => {
          if (err?.type !== "HUB_RECORDING_NOT_DRAFT") throw err;
        });
      return new Upload({
        id,
        size: completed.size,
        offset: completed.size,
        creation_date: found.sealed.createdAt,
      });
    }
    const key = await this.keyFor(found.meta.recordingId, id);
    const state = await this.store.uploadState(id, key);
    if (state.meta.length !== null && state.offset === state.meta.length) {
      // Every byte is committed but the last PATCH could not seal (a disk full at that moment): a client that sees
      // offset = length sends nothing more, so the object is sealed now and the recording told, once it can be.
      const { completed } = await this.store.append(id, key, noBytes(), { offset: state.offset });
      if (completed) await current().authority.completed(found.meta.recordingId, completed);
    }
    return new Upload({
      id,
      size: state.meta.length ?? undefined,
      offset: state.offset,
      metadata: state.meta.metadata,
      creation_date: state.meta.createdAt,
    });
  }

  override async write(stream: Readable, id: string, offset: number): Promise<number> {
    const meta = await this.uploadMeta(id);
    const key = await this.keyFor(meta.recordingId, id);
    const { offset: next, completed } = await this.store.append(id, key, stream, {
      offset,
      checksum: current().checksum,
    });
    this.onStored(next - offset);
    if (completed) await current().authority.completed(meta.recordingId, completed);
    return next;
  }

  override async declareUploadLength(id: string, length: number): Promise<void> {
    const meta = await this.uploadMeta(id);
    await this.store.declareLength(id, await this.keyFor(meta.recordingId, id), length);
  }

  override async remove(id: string): Promise<void> {
    const meta = await this.uploadMeta(id);
    await this.keyFor(meta.recordingId, id); // only who may write may terminate
    await this.store.terminate(id);
    await current().authority.terminated(meta.recordingId, id);
  }

  private async uploadMeta(id: string) {
    const found = await this.describe(id);
    if (!found) throw ERRORS.FILE_NOT_FOUND;
    // A sealed upload takes no more bytes (and is never removed through tus).
    if (!found.meta) throw new UploadRefused("HUB_UPLOAD_OFFSET_MISMATCH", "the upload is complete");
    return found.meta;
  }
}
