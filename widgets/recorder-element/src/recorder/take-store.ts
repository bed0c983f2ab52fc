/**
 * Takes on this PC, in IndexedDB: each MediaRecorder chunk is written (durability "strict") the moment it arrives,
 * so a crashed tab, a closed window or a dead PC loses at most the last timeslice. Chunks are keyed by
 * [takeId, byte offset], which lets the uploader read any byte range without holding the take in memory, and
 * they are deleted only after the hub has confirmed the SHA-256 of the whole take.
 */
import type { Step } from "../hub-client";

export type TakePhase =
  /** MediaRecorder is (or was, before a crash) writing chunks. */
  | "recording"
  /** Stopped; waiting for the staff to preview, re-record or save. */
  | "stopped"
  /** Saved by the staff; uploading and waiting for submit. */
  | "saved"
  /** The staff asked to submit: submit as soon as the upload is confirmed. */
  | "submitting";

export interface Take {
  takeId: string;
  /** The user who recorded it: only they may finish it. */
  owner: string;
  kind: string;
  customerNo: string | null;
  productCode: string | null;
  relatedTo: string | null;
  recordingId: string | null;
  /** The tus upload's URL once created, to resume it after a reload. */
  uploadUrl: string | null;
  mimeType: string;
  /** Bytes persisted so far (the whole take once stopped). */
  size: number;
  phase: TakePhase;
  steps: Step[];
  /** Hub time (ISO) when recording started, and of the last persisted chunk or the stop. */
  startedAt: string;
  endedAt: string;
  watermark: Record<string, unknown>;
  /** Hex SHA-256 of the whole take once stopped. */
  sha256: string | null;
  /** The hub confirmed it holds these exact bytes: local chunks may go. */
  confirmed: boolean;
  createdAt: number;
}

interface ChunkRow {
  takeId: string;
  offset: number;
  data: Blob;
}

const DB_NAME = "dual-record";
const TAKES = "takes";
const CHUNKS = "chunks";

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new DOMException("transaction aborted", "AbortError"));
  });
}

export class TakeStore {
  private constructor(private readonly db: IDBDatabase) {}

  static async open(): Promise<TakeStore> {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => {
      const db = req.result;
      db.createObjectStore(TAKES, { keyPath: "takeId" });
      db.createObjectStore(CHUNKS, { keyPath: ["takeId", "offset"] });
    };
    return new TakeStore(await request(req));
  }

  private tx(stores: string[], mode: IDBTransactionMode = "readonly"): IDBTransaction {
    return this.db.transaction(stores, mode, { durability: mode === "readwrite" ? "strict" : "default" });
  }

  async put(take: Take): Promise<void> {
    const tx = this.tx([TAKES], "readwrite");
    tx.objectStore(TAKES).put(take);
    await done(tx);
  }

  async get(takeId: string): Promise<Take | undefined> {
    return request(this.tx([TAKES]).objectStore(TAKES).get(takeId) as IDBRequest<Take | undefined>);
  }

  async list(owner: string): Promise<Take[]> {
    const all = await request(this.tx([TAKES]).objectStore(TAKES).getAll() as IDBRequest<Take[]>);
    return all.filter((t) => t.owner === owner).sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Appends a chunk and the take's new size and end time in one transaction: both or neither survive a crash. */
  async append(take: Take, data: Blob): Promise<void> {
    const tx = this.tx([TAKES, CHUNKS], "readwrite");
    const row: ChunkRow = { takeId: take.takeId, offset: take.size, data };
    tx.objectStore(CHUNKS).put(row);
    tx.objectStore(TAKES).put({ ...take, size: take.size + data.size });
    await done(tx);
    take.size += data.size;
  }

  /** Bytes [start, end) of a take, as a Blob backed by the stored chunks (not copied into memory). */
  async read(takeId: string, start: number, end: number): Promise<Blob> {
    const chunks = this.tx([CHUNKS]).objectStore(CHUNKS);
    const parts: Blob[] = [];
    // The chunk that holds `start` begins at or before it: the last key ≤ [takeId, start].
    const first = await request(chunks.openCursor(IDBKeyRange.bound([takeId, 0], [takeId, start]), "prev"));
    const rows: ChunkRow[] = [];
    if (first) rows.push(first.value as ChunkRow);
    if (end > start + 1) {
      const rest = await request(
        chunks.getAll(IDBKeyRange.bound([takeId, start], [takeId, end], true, true)) as IDBRequest<
          ChunkRow[]
        >,
      );
      rows.push(...rest);
    }
    for (const row of rows) {
      const from = Math.max(start, row.offset) - row.offset;
      const to = Math.min(end, row.offset + row.data.size) - row.offset;
      if (to > from) parts.push(row.data.slice(from, to));
    }
    return new Blob(parts);
  }

  /** The whole take (for the preview and for hashing after a crash). */
  async assemble(takeId: string, type: string): Promise<Blob> {
    const rows = await request(
      this.tx([CHUNKS])
        .objectStore(CHUNKS)
        .getAll(IDBKeyRange.bound([takeId, 0], [takeId, Number.MAX_SAFE_INTEGER])) as IDBRequest<ChunkRow[]>,
    );
    return new Blob(
      rows.map((r) => r.data),
      { type },
    );
  }

  async deleteChunks(takeId: string): Promise<void> {
    const tx = this.tx([CHUNKS], "readwrite");
    tx.objectStore(CHUNKS).delete(IDBKeyRange.bound([takeId, 0], [takeId, Number.MAX_SAFE_INTEGER]));
    await done(tx);
  }

  async delete(takeId: string): Promise<void> {
    const tx = this.tx([TAKES, CHUNKS], "readwrite");
    tx.objectStore(CHUNKS).delete(IDBKeyRange.bound([takeId, 0], [takeId, Number.MAX_SAFE_INTEGER]));
    tx.objectStore(TAKES).delete(takeId);
    await done(tx);
  }
}

/** Room left for takes on this PC, in bytes, or null where the browser does not say. */
export async function storageRoom(): Promise<number | null> {
  const estimate = await navigator.storage?.estimate?.();
  if (!estimate?.quota) return null;
  return estimate.quota - (estimate.usage ?? 0);
}
