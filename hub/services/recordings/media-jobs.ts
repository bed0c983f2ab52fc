/**
 * The media worker's jobs for recordings (docs/evidence-store.md, "Media"): the original is read back through the
 * store (decrypted in memory only), the worker finds its facts, a poster and a seekable rendition, and those are
 * stored as sealed, encrypted objects of their own. A recording stays `pending` until an outcome is recorded, so a
 * job lost to a crash, a restart or a full queue is picked up again by the next sweep: never lost.
 */
import crypto from "node:crypto";
import type { RecordingRow } from "../../db/entities";
import { MediaFailedError, MediaQueueFullError, type MediaFacts, type MediaWorker } from "../../media";
import type { EvidenceStore } from "../../storage";
import { objectKey, type KeyRing } from "../../storage/data-keys";
import type { CompletedObject } from "../../storage/evidence-store";

export interface StoredRendition {
  objectId: string;
  type: string;
  completed: CompletedObject;
}

export type MediaOutcome =
  | { status: "done"; facts: MediaFacts; canonical: StoredRendition | null; poster: StoredRendition | null }
  | { status: "failed"; error: string };

export interface MediaJobDeps {
  store: EvidenceStore;
  keyRing: KeyRing;
  /** Called on the first job: the wasm engine takes seconds and memory that a hub without uploads never needs. */
  createWorker: () => Promise<MediaWorker>;
  load(id: string): Promise<RecordingRow | null>;
  /** Records the outcome for the upload it was made from; false when the recording moved on meanwhile. */
  record(row: RecordingRow, outcome: MediaOutcome): Promise<boolean>;
  clock: () => Date;
  log: { info(...args: unknown[]): void; warn(...args: unknown[]): void; error(...args: unknown[]): void };
}

/** Object ids of renditions: the same shape as the tus endpoint's upload ids. */
function newObjectId(): string {
  return crypto.randomBytes(16).toString("hex");
}

async function* once(bytes: Buffer): AsyncGenerator<Buffer> {
  yield bytes;
}

export class MediaJobs {
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;
  private worker: Promise<MediaWorker> | null = null;

  constructor(private readonly deps: MediaJobDeps) {}

  /** Queues the recording's media job unless one runs for it already; resolves when it has settled. */
  enqueue(recordingId: string): Promise<void> {
    const existing = this.running.get(recordingId);
    if (existing) return existing;
    const job = this.run(recordingId)
      .catch((err: unknown) =>
        this.deps.log.error(`media job of ${recordingId} stopped; it stays pending`, err),
      )
      .finally(() => this.running.delete(recordingId));
    this.running.set(recordingId, job);
    return job;
  }

  /** Jobs accepted and not settled. */
  size(): number {
    return this.running.size;
  }

  /** Stops the worker; jobs in flight and later enqueues record nothing (they stay pending for the next start). */
  async stop(): Promise<void> {
    this.stopped = true;
    const worker = await this.worker?.catch(() => null);
    await worker?.close();
    await Promise.allSettled([...this.running.values()]);
  }

  private startedWorker(): Promise<MediaWorker> {
    this.worker ??= this.deps.createWorker().catch((err: unknown) => {
      this.worker = null; // the next job tries again
      throw err;
    });
    return this.worker;
  }

  private async run(recordingId: string): Promise<void> {
    if (this.stopped) return;
    const row = await this.deps.load(recordingId);
    if (!row || row.mediaStatus !== "pending" || !row.uploadedAt || !row.originalObject || !row.mediaType)
      return;
    const dataKey = this.deps.keyRing.unwrap(row.id, row.wrappedKey);
    const original = row.originalObject;
    const size = Number(row.sizeBytes);
    // Not sealed on any replica we can reach: a store fault, not the media's; it stays pending.
    if (!(await this.deps.store.describe(original))?.sealed) {
      this.deps.log.warn(
        `media job of ${recordingId}: original ${original} is not readable; it stays pending`,
      );
      return;
    }
    const worker = await this.startedWorker();
    let storeFault: unknown = null;
    const store = this.deps.store;
    let outcome: MediaOutcome;
    try {
      const result = await worker.process({
        type: row.mediaType,
        size,
        async *read() {
          try {
            yield* store.read(original, objectKey(dataKey, original), size);
          } catch (err) {
            storeFault = err;
            throw err;
          }
        },
      });
      const put = async (type: string, bytes: Buffer): Promise<StoredRendition> => {
        const objectId = newObjectId();
        const key = objectKey(dataKey, objectId);
        await this.deps.store.createUpload(key, {
          objectId,
          recordingId: row.id,
          type,
          length: bytes.length,
          createdAt: this.deps.clock().toISOString(),
          metadata: { renditionOf: original },
        });
        const { completed } = await this.deps.store.append(objectId, key, once(bytes), { offset: 0 });
        if (!completed) throw new Error(`rendition ${objectId} was not sealed`);
        return { objectId, type, completed };
      };
      outcome = {
        status: "done",
        facts: result.facts,
        canonical: result.canonical ? await put(result.canonical.type, result.canonical.bytes) : null,
        poster: result.poster ? await put("image/jpeg", result.poster) : null,
      };
    } catch (err) {
      // A full queue is not a failure of the recording: it stays pending and the sweep offers it again.
      if (err instanceof MediaQueueFullError) {
        this.deps.log.warn(`media queue full; ${recordingId} stays pending`);
        return;
      }
      // Storing a rendition can fail for the store's reasons (a full disk): also retried, never recorded as the
      // media's fault.
      if (this.stopped || storeFault || !(err instanceof MediaFailedError)) throw storeFault ?? err;
      outcome = { status: "failed", error: err.message.slice(0, 2000) };
    }
    if (this.stopped) return;
    const recorded = await this.deps.record(row, outcome);
    if (!recorded) this.deps.log.info(`media of ${recordingId} discarded: its upload was replaced meanwhile`);
  }
}
