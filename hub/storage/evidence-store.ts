import crypto from "node:crypto";
import {
  ReplicaUnavailableError,
  StoreFullError,
  type ReplicaBackend,
  type ReplicaName,
  type SealedReader,
  type StagingFile,
  type TailSlot,
} from "./replica-backend";
import { HashThread, type Slot } from "./hash-thread";
import { businessDay } from "../domain/business-day";
import {
  RetentionLockedError,
  applyLockChange,
  destroyRefusal,
  type LockChange,
  type RetentionLock,
} from "./retention-lock";
import {
  HEADER_SIZE,
  SEGMENT_SIZE,
  SegmentAuthError,
  TAG_SIZE,
  TAIL_SLOT_SPAN,
  header,
  openSegment,
  openTail,
  sealSegmentInto,
  sealTail,
  segmentPosition,
  storedSize,
  tailRecordSize,
  type TailRecord,
} from "./segment-format";

/*
 * The evidence store over two replica roots (docs/evidence-store.md). Uploads are appended segment by segment to
 * both roots, read back and compared, made durable, and committed by writing the encrypted tail into the tail slot
 * not holding the last commit; complete uploads are sealed. Segments are hashed in a worker thread (hash-thread.ts)
 * while the main thread receives, seals and writes. Reads decrypt only the segments of the range asked for, from
 * whichever replica is good.
 */

export class UploadNotFoundError extends Error {
  constructor(readonly objectId: string) {
    super(`no upload ${objectId}`);
  }
}

export class OffsetMismatchError extends Error {
  constructor(
    readonly expected: number,
    readonly got: number,
  ) {
    super(`the upload is at offset ${expected}, not ${got}`);
  }
}

export class ChecksumMismatchError extends Error {
  constructor() {
    super("the body's SHA-256 is not the one announced in Upload-Checksum; nothing of it was kept");
  }
}

export class UploadTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the upload would exceed its length of ${limit} bytes`);
  }
}

/** Neither replica holds a good copy of some bytes. */
export class StoreCorruptError extends Error {
  constructor(
    readonly objectId: string,
    detail: string,
  ) {
    super(`object ${objectId}: ${detail}`);
  }
}

export interface UploadMeta {
  objectId: string;
  recordingId: string;
  type: string;
  /** Null until declared (creation-defer-length). */
  length: number | null;
  createdAt: string;
  /** Replicas holding the upload in step; shrinks when one is dropped (HUB_STORE_MIN_REPLICAS=1). */
  replicas: ReplicaName[];
  /** Free metadata sent by the client (tus Upload-Metadata). */
  metadata: Record<string, string | null>;
}

export interface UploadState {
  meta: UploadMeta;
  offset: number;
}

export interface CompletedObject {
  objectId: string;
  /** Plaintext size and SHA-256. */
  size: number;
  sha256: string;
  /** Size and SHA-256 of the stored (encrypted) file, identical on both replicas. */
  storedSize: number;
  storedSha256: string;
}

/** Written beside each sealed object: what it is and its facts, readable without the key. */
export interface SealedDescriptor {
  objectId: string;
  recordingId: string;
  type: string;
  createdAt: string;
  completed: CompletedObject;
}

export type ReplicaVerdict = "ok" | "missing" | "corrupt" | "unavailable";

export interface StoreAlarm {
  objectId: string;
  replica: ReplicaName;
  verdict: Exclude<ReplicaVerdict, "ok">;
  during: "read" | "scrub" | "upload";
  detail: string;
}

export interface EvidenceStoreOptions {
  minReplicas: 1 | 2;
  onAlarm?: (alarm: StoreAlarm) => void;
  segmentSize?: number;
  /**
   * The clock of the store's own checks of retention locks before it changes anything (default: the system's).
   * Each replica judges again on its own clock (give the backends the same one).
   */
  clock?: () => Date;
}

interface Session {
  meta: UploadMeta;
  key: Buffer;
  segments: number;
  /** Plaintext after the last whole segment (committed in the encrypted tail). */
  tail: Buffer;
  /** Sequence number of the last committed tail record (commits only ever raise it, on every replica). */
  seq: number;
  /** Per replica, the tail slot holding its last committed record: the next commit goes into the other one. */
  slots: Map<ReplicaName, TailSlot>;
  /** The running SHA-256 of the plaintext and of the stored file, kept by the hash thread under this token. */
  hashes: number;
}

const otherSlot = (slot: TailSlot): TailSlot => (slot === 0 ? 1 : 0);
const sameTail = (a: TailRecord, b: TailRecord) => a.segments === b.segments && a.plain.equals(b.plain);

/** Segments written concurrently while the next ones are encrypted: keeps both disks and the CPU busy. */
const WRITE_WINDOW = 6;
/** Read-back buffers kept for reuse. */
const SPARE_READ_BUFFERS = 8;

export class EvidenceStore {
  private readonly sessions = new Map<string, Session>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly segmentSize: number;
  private readonly thread: HashThread;
  private readonly readBuffers: Buffer[] = [];

  constructor(
    readonly replicas: readonly ReplicaBackend[],
    private readonly options: EvidenceStoreOptions,
  ) {
    this.segmentSize = options.segmentSize ?? SEGMENT_SIZE;
    if (tailRecordSize(this.segmentSize) > TAIL_SLOT_SPAN)
      throw new RangeError(`segments of ${this.segmentSize} bytes do not fit the tail slots`);
    this.thread = new HashThread(this.segmentSize);
  }

  private replica(name: ReplicaName): ReplicaBackend {
    return this.replicas.find((r) => r.name === name)!;
  }

  private alarm(alarm: StoreAlarm): void {
    this.options.onAlarm?.(alarm);
  }

  /** Stops the hash thread (it never keeps the process alive; this is for tests and shutdown). */
  async close(): Promise<void> {
    await this.thread.close();
  }

  /** Drops a cached session (the next request rebuilds it from the replicas) and its hashes in the hash thread. */
  private forget(objectId: string): void {
    const session = this.sessions.get(objectId);
    if (!session) return;
    this.sessions.delete(objectId);
    this.thread.drop(session.hashes);
  }

  /** One operation at a time per object (a second PATCH waits; tus also locks, per process). */
  private async exclusive<T>(objectId: string, work: () => Promise<T>): Promise<T> {
    const before = this.locks.get(objectId) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(work);
    this.locks.set(objectId, run);
    try {
      return await run;
    } finally {
      if (this.locks.get(objectId) === run) this.locks.delete(objectId);
    }
  }

  /** Refuses when fewer than the minimum replicas can be written, naming the first that cannot. */
  private requireEnough(available: number, failure: unknown): void {
    if (available >= this.options.minReplicas) return;
    if (failure instanceof StoreFullError || failure instanceof ReplicaUnavailableError) throw failure;
    throw new ReplicaUnavailableError(this.replicas[0].name, failure);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Uploads
  // ---------------------------------------------------------------------------------------------------------

  async createUpload(key: Buffer, draft: Omit<UploadMeta, "replicas">): Promise<UploadState> {
    return this.exclusive(draft.objectId, async () => {
      const ok: ReplicaBackend[] = [];
      let failure: unknown = null;
      for (const replica of this.replicas) {
        try {
          await replica.probe();
          ok.push(replica);
        } catch (err) {
          failure = asReplicaFault(replica.name, err);
          this.alarm({
            objectId: draft.objectId,
            replica: replica.name,
            verdict: "unavailable",
            during: "upload",
            detail: String((err as Error).message),
          });
        }
      }
      this.requireEnough(ok.length, failure);
      const meta: UploadMeta = { ...draft, replicas: ok.map((r) => r.name) };
      const tail = sealTail(key, meta.objectId, { seq: 0, segments: 0, plain: Buffer.alloc(0) });
      await Promise.all(
        ok.map(async (replica) => {
          const file = await replica.openStaging(meta.objectId);
          try {
            await file.truncate(0);
            await file.write(0, header(this.segmentSize));
            await file.sync();
          } finally {
            await file.close();
          }
          await replica.writeTailSlot(meta.objectId, 0, tail);
          // The meta last, with a directory fsync that also keeps the files created before it.
          await replica.putStagingDoc(meta.objectId, "meta", Buffer.from(JSON.stringify(meta)));
        }),
      );
      this.forget(meta.objectId);
      this.sessions.set(meta.objectId, {
        meta,
        key,
        segments: 0,
        tail: Buffer.alloc(0),
        seq: 0,
        slots: new Map(ok.map((r) => [r.name, 0 as TailSlot])),
        hashes: await this.thread.open(header(this.segmentSize)),
      });
      return { meta, offset: 0 };
    });
  }

  /** The upload's state: its offset is what the server reports (HEAD), after a restart too. */
  async uploadState(objectId: string, key: Buffer): Promise<UploadState> {
    return this.exclusive(objectId, async () => {
      const session = await this.open(objectId, key);
      return { meta: session.meta, offset: this.offsetOf(session) };
    });
  }

  /** What an upload or sealed object is (no key needed): its staging meta, or its sealed descriptor. */
  async describe(
    objectId: string,
  ): Promise<{ meta: UploadMeta; sealed: null } | { meta: null; sealed: SealedDescriptor } | null> {
    // An upload this process is receiving: its session holds the meta as last written.
    const session = this.sessions.get(objectId);
    if (session) return { meta: session.meta, sealed: null };
    for (const replica of this.replicas) {
      try {
        const meta = await replica.getStagingDoc(objectId, "meta");
        if (meta) return { meta: JSON.parse(meta.toString("utf8")) as UploadMeta, sealed: null };
        const sealed = await replica.getDescriptor(objectId);
        if (sealed) return { meta: null, sealed: JSON.parse(sealed.toString("utf8")) as SealedDescriptor };
      } catch {
        // the other replica may answer
      }
    }
    return null;
  }

  async declareLength(objectId: string, key: Buffer, length: number): Promise<void> {
    await this.exclusive(objectId, async () => {
      const session = await this.open(objectId, key);
      if (length < this.offsetOf(session)) throw new UploadTooLargeError(length);
      session.meta = { ...session.meta, length };
      await this.writeMeta(session);
    });
  }

  /** Removes an unfinished upload from every replica. */
  async terminate(objectId: string): Promise<void> {
    await this.exclusive(objectId, async () => {
      this.forget(objectId);
      for (const replica of this.replicas) {
        try {
          await replica.removeStaging(objectId);
        } catch {
          // an unreachable root keeps a staging object that nothing references; harmless and encrypted
        }
      }
    });
  }

  private offsetOf(session: Session): number {
    return session.segments * this.segmentSize + session.tail.length;
  }

  private async writeMeta(session: Session): Promise<void> {
    const bytes = Buffer.from(JSON.stringify(session.meta));
    await Promise.all(
      session.meta.replicas.map((name) =>
        this.replica(name).putStagingDoc(session.meta.objectId, "meta", bytes),
      ),
    );
  }

  /** The cached session, or one rebuilt from the replicas (after a restart, or on another node). */
  private async open(objectId: string, key: Buffer): Promise<Session> {
    const cached = this.sessions.get(objectId);
    if (cached) return cached;

    const metas: UploadMeta[] = [];
    for (const replica of this.replicas) {
      try {
        const bytes = await replica.getStagingDoc(objectId, "meta");
        if (bytes) metas.push(JSON.parse(bytes.toString("utf8")) as UploadMeta);
      } catch {
        // judged below with the replicas the meta lists
      }
    }
    if (!metas.length) throw new UploadNotFoundError(objectId);
    // Replicas are only ever dropped during an upload: the shortest list is the latest.
    let meta = metas.reduce((a, b) => (b.replicas.length < a.replicas.length ? b : a));
    const listed = meta.replicas.length;

    interface Copy {
      replica: ReplicaBackend;
      /** The slot holding the copy's last commit, and that commit. */
      slot: TailSlot;
      record: TailRecord;
    }
    const copies: Copy[] = [];
    let failure: unknown = null;
    for (const name of meta.replicas) {
      const replica = this.replica(name);
      try {
        // The valid record with the highest sequence number is the copy's last commit; a slot torn by a crash
        // mid-write fails authentication, and the other slot holds the commit before it.
        let best: { slot: TailSlot; record: TailRecord } | null = null;
        for (const slot of [0, 1] as const) {
          const bytes = await replica.readTailSlot(objectId, slot);
          if (!bytes) continue;
          let record: TailRecord;
          try {
            record = openTail(key, objectId, bytes);
          } catch {
            continue;
          }
          if (!best || record.seq > best.record.seq) best = { slot, record };
        }
        if (!best) throw new StoreCorruptError(objectId, `${name} has no valid tail`);
        const file = await replica.openStaging(objectId);
        try {
          if ((await file.size()) < segmentPosition(best.record.segments, this.segmentSize)) {
            throw new StoreCorruptError(objectId, `${name} is shorter than its committed offset`);
          }
        } finally {
          await file.close();
        }
        copies.push({ replica, ...best });
      } catch (err) {
        failure = asReplicaFault(name, err);
        this.alarm({
          objectId,
          replica: name,
          verdict: err instanceof ReplicaUnavailableError ? "unavailable" : "corrupt",
          during: "upload",
          detail: String((err as Error).message),
        });
      }
    }
    this.requireEnough(copies.length, failure);
    if (!copies.length) throw new StoreCorruptError(objectId, "no replica holds the upload");

    // A crash between the two replicas' commits leaves one ahead: both go back to the lower offset.
    const offset = (c: Copy) => c.record.segments * this.segmentSize + c.record.plain.length;
    const base = copies.reduce((a, b) => (offset(b) < offset(a) ? b : a)).record;
    // A copy set back gets the base as a new record, numbered above every record seen, in the slot not holding its
    // last commit (which stays valid until the new record is whole). Only a copy whose tail differs is rewritten:
    // reopening (HEAD) writes nothing, even to a full disk.
    let seq = Math.max(...copies.map((c) => c.record.seq));
    const behind = copies.some((c) => !sameTail(c.record, base));
    if (behind) seq += 1;
    const rewrite = behind
      ? sealTail(key, objectId, { seq, segments: base.segments, plain: base.plain })
      : null;
    const slots = new Map<ReplicaName, TailSlot>();
    for (const copy of copies) {
      // The tail first, then the cut: a crash in between leaves segments beyond the tail (cut at the next open),
      // never a tail naming segments that are gone.
      let slot = copy.slot;
      if (!sameTail(copy.record, base)) {
        slot = otherSlot(slot);
        await copy.replica.writeTailSlot(objectId, slot, rewrite!);
      }
      slots.set(copy.replica.name, slot);
      const file = await copy.replica.openStaging(objectId);
      try {
        await file.truncate(segmentPosition(base.segments, this.segmentSize));
        await file.sync();
      } finally {
        await file.close();
      }
    }
    if (copies.length < meta.replicas.length) {
      meta = { ...meta, replicas: copies.map((c) => c.replica.name) };
    }

    // Running hashes are rebuilt from the stored segments (their state cannot be saved).
    const hashes = await this.thread.open(header(this.segmentSize));
    try {
      const readers = copies.map((c) => c.replica);
      const updates: Promise<void>[] = [];
      for (let i = 0; i < base.segments; i++) {
        const { sealed, plain } = await this.readSegment(
          readers,
          objectId,
          key,
          i,
          this.segmentSize + TAG_SIZE,
          "upload",
        );
        const update = this.thread.update(hashes, plain, sealed);
        update.catch(() => undefined); // awaited below
        updates.push(update);
      }
      await Promise.all(updates);
    } catch (err) {
      this.thread.drop(hashes);
      throw err;
    }
    const session: Session = {
      meta,
      key,
      segments: base.segments,
      tail: base.plain,
      seq,
      slots,
      hashes,
    };
    if (copies.length < listed) await this.writeMeta(session);
    this.sessions.set(objectId, session);
    return session;
  }

  /** One segment from the first replica whose copy authenticates (staging or sealed). */
  private async readSegment(
    replicas: readonly ReplicaBackend[],
    objectId: string,
    key: Buffer,
    index: number,
    length: number,
    during: StoreAlarm["during"],
  ): Promise<{ sealed: Buffer; plain: Buffer }> {
    for (const replica of replicas) {
      try {
        const file = await replica.openStaging(objectId);
        try {
          const sealed = await file.read(segmentPosition(index, this.segmentSize), length);
          return { sealed, plain: openSegment(key, objectId, index, sealed) };
        } finally {
          await file.close();
        }
      } catch (err) {
        this.alarm({
          objectId,
          replica: replica.name,
          verdict: err instanceof SegmentAuthError ? "corrupt" : "unavailable",
          during,
          detail: String((err as Error).message),
        });
      }
    }
    throw new StoreCorruptError(objectId, `segment ${index} is good on no replica`);
  }

  /**
   * Appends the bytes of one PATCH at `offset`. With `checksum` (the SHA-256 the client announced) the bytes are
   * kept only if they match. Returns the new offset, and the object's facts once its last byte is in and it is sealed.
   */
  async append(
    objectId: string,
    key: Buffer,
    source: AsyncIterable<Buffer>,
    options: { offset: number; checksum?: Buffer },
  ): Promise<{ offset: number; completed: CompletedObject | null }> {
    return this.exclusive(objectId, async () => {
      const session = await this.open(objectId, key);
      const start = this.offsetOf(session);
      if (options.offset !== start) throw new OffsetMismatchError(start, options.offset);
      const before = {
        segments: session.segments,
        tail: session.tail,
        seq: session.seq,
        slots: new Map(session.slots),
      };
      // The hash state before this request, kept by the hash thread (what a refused request goes back to). Hashes
      // lost with a stopped thread are rebuilt from the replicas by the next request.
      await this.thread.mark(session.hashes).catch((err) => {
        this.forget(objectId);
        throw err;
      });
      const files = new Map<ReplicaName, StagingFile>();
      let phase: "receiving" | "committing" | "committed" = "receiving";
      try {
        // A root that cannot even be opened now is judged like one that fails a write: dropped if the minimum
        // still holds (HUB_STORE_MIN_REPLICAS=1), else the request is refused.
        const names = session.meta.replicas;
        const opened = await Promise.allSettled(
          names.map((name) => this.replica(name).openStaging(objectId)),
        );
        opened.forEach((r, i) => r.status === "fulfilled" && files.set(names[i], r.value));
        await this.dropFailed(
          session,
          names.filter((_, i) => opened[i].status === "rejected"),
          opened.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : [])),
        );
        await this.receive(session, files, source, options.checksum);
        // Durable on every replica before the offset moves on.
        await this.onReplicas(session, files, (file) => file.sync());
        phase = "committing";
        await this.commitTail(session);
        phase = "committed";
        if (session.meta.length !== null && this.offsetOf(session) === session.meta.length) {
          const completed = await this.seal(session, files);
          return { offset: session.meta.length, completed };
        }
        return { offset: this.offsetOf(session), completed: null };
      } catch (err) {
        if (phase === "committed") {
          // The offset has moved on (the committed tail names every segment written): nothing is taken back.
          // Sealing failed; the session is rebuilt from the replicas by the next request.
          this.forget(objectId);
          throw err;
        }
        // Nothing of this request counts: back to the last committed tail.
        Object.assign(session, before);
        const rolledBack = await this.thread.rollback(session.hashes).then(
          () => true,
          () => false,
        );
        // A commit that reached some roots and failed on others: each root gets the previous tail back, as a
        // newer record in the slot this commit wrote, before its segments are cut, so that no root is left with a
        // tail naming segments it no longer has. A root that cannot take it back keeps its segments: the next
        // open sets it back.
        let restore: Buffer | null = null;
        if (phase === "committing") {
          session.seq = before.seq + 2;
          restore = sealTail(session.key, objectId, {
            seq: session.seq,
            segments: before.segments,
            plain: before.tail,
          });
        }
        await Promise.all(
          [...files.entries()].map(async ([name, file]) => {
            if (restore) {
              const slot = otherSlot(before.slots.get(name)!);
              const restored = await this.replica(name)
                .writeTailSlot(objectId, slot, restore)
                .then(() => true)
                .catch(() => false);
              if (!restored) return;
              session.slots.set(name, slot);
            }
            await file.truncate(segmentPosition(before.segments, this.segmentSize)).catch(() => undefined);
          }),
        );
        if (!rolledBack || !(err instanceof ChecksumMismatchError || err instanceof UploadTooLargeError))
          this.forget(objectId);
        throw err;
      } finally {
        await Promise.all([...files.values()].map((file) => file.close().catch(() => undefined)));
      }
    });
  }

  /** Runs `work` on every replica of the session; drops a failing one if the minimum still holds. */
  private async onReplicas(
    session: Session,
    files: Map<ReplicaName, StagingFile>,
    work: (file: StagingFile, name: ReplicaName) => Promise<void>,
  ): Promise<void> {
    const results = await Promise.allSettled(
      session.meta.replicas.map((name) => work(files.get(name)!, name)),
    );
    const failed = session.meta.replicas.filter((_, i) => results[i].status === "rejected");
    const errors = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    await this.dropFailed(session, failed, errors);
  }

  /** Drops the replicas that failed (with an alarm each) if the minimum still holds; a full disk always refuses. */
  private async dropFailed(session: Session, failed: ReplicaName[], errors: unknown[]): Promise<void> {
    if (!failed.length) return;
    const full = errors.find((e) => e instanceof StoreFullError);
    if (full) throw full;
    for (const [i, name] of failed.entries()) {
      this.alarm({
        objectId: session.meta.objectId,
        replica: name,
        verdict: "unavailable",
        during: "upload",
        detail: String((errors[i] as Error)?.message ?? errors[i]),
      });
    }
    const remaining = session.meta.replicas.filter((name) => !failed.includes(name));
    this.requireEnough(remaining.length, errors[0]);
    session.meta = { ...session.meta, replicas: remaining };
    await this.writeMeta(session);
  }

  private async receive(
    session: Session,
    files: Map<ReplicaName, StagingFile>,
    source: AsyncIterable<Buffer>,
    checksum: Buffer | undefined,
  ): Promise<void> {
    const { objectId, length } = session.meta;
    const size = this.segmentSize;
    const bodyHash = checksum ? crypto.createHash("sha256") : null;
    // Plaintext is copied once, into a slot (memory shared with the hash thread), and sealed into the same slot.
    let slot: Slot | null = null;
    let filled = 0;
    if (session.tail.length) {
      slot = this.thread.slot();
      filled = session.tail.copy(slot.plain, 0);
    }
    const inflight: Promise<void>[] = [];

    const writeSegment = async (full: Slot) => {
      try {
        const index = session.segments++;
        const sealed = sealSegmentInto(session.key, objectId, index, full.plain, full.sealed);
        // The hash thread takes the segments in this order: its hashes see them in order.
        this.thread.hash(session.hashes, full, size, sealed.length);
        const position = segmentPosition(index, size);
        // Written, read back and compared on each replica: a short or wrong write never becomes an offset.
        await this.onReplicas(session, files, async (file, name) => {
          await file.write(position, sealed);
          const buffer = this.readBuffers.pop() ?? Buffer.allocUnsafeSlow(size + TAG_SIZE);
          try {
            const back = await file.read(position, sealed.length, buffer);
            if (!back.equals(sealed)) {
              throw new ReplicaUnavailableError(name, new Error(`segment ${index} read back differently`));
            }
          } finally {
            if (this.readBuffers.length < SPARE_READ_BUFFERS) this.readBuffers.push(buffer);
          }
        });
      } finally {
        this.thread.release(full);
      }
    };

    try {
      for await (const chunk of source) {
        if (!chunk.length) continue;
        if (length !== null && session.segments * size + filled + chunk.length > length) {
          throw new UploadTooLargeError(length);
        }
        bodyHash?.update(chunk);
        for (let at = 0; at < chunk.length;) {
          slot ??= this.thread.slot();
          const n = chunk.copy(slot.plain, filled, at, Math.min(chunk.length, at + size - filled));
          filled += n;
          at += n;
          if (filled < size) continue;
          await this.thread.room();
          const write = writeSegment(slot);
          write.catch(() => undefined); // awaited below, in order; a later one may fail first
          inflight.push(write);
          [slot, filled] = [null, 0];
          if (inflight.length >= WRITE_WINDOW) await inflight.shift();
        }
      }
      while (inflight.length) await inflight.shift();
      if (bodyHash && !bodyHash.digest().equals(checksum!)) throw new ChecksumMismatchError();
      session.tail = slot ? Buffer.from(slot.plain.subarray(0, filled)) : Buffer.alloc(0);
    } catch (err) {
      // Nothing may still be writing when the request is rolled back (its segments are cut).
      await Promise.allSettled(inflight);
      throw err;
    } finally {
      if (slot) this.thread.release(slot);
    }
  }

  /**
   * The commit point of a request: the tail record, numbered one above the last, written into each replica's slot
   * not holding its last commit, made durable and read back. A crash mid-write tears only that slot.
   */
  private async commitTail(session: Session): Promise<void> {
    const { objectId } = session.meta;
    const seq = session.seq + 1;
    const bytes = sealTail(session.key, objectId, { seq, segments: session.segments, plain: session.tail });
    const names = session.meta.replicas;
    const results = await Promise.allSettled(
      names.map(async (name) => {
        const replica = this.replica(name);
        const slot = otherSlot(session.slots.get(name)!);
        await replica.writeTailSlot(objectId, slot, bytes);
        const back = await replica.readTailSlot(objectId, slot, bytes.length);
        if (!back || back.length < bytes.length || !back.subarray(0, bytes.length).equals(bytes))
          throw new ReplicaUnavailableError(name, new Error("tail read back differently"));
        return slot;
      }),
    );
    session.seq = seq;
    results.forEach((r, i) => r.status === "fulfilled" && session.slots.set(names[i], r.value));
    // A root that fails its commit is dropped like one that fails a write (its tail is then stale, and the
    // meta of the others no longer lists it), or the request is refused.
    await this.dropFailed(
      session,
      names.filter((_, i) => results[i].status === "rejected"),
      results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : [])),
    );
  }

  /** The last segment, then both copies sealed. */
  private async seal(session: Session, files: Map<ReplicaName, StagingFile>): Promise<CompletedObject> {
    const { objectId } = session.meta;
    const size = this.offsetOf(session);
    if (session.tail.length || size === 0) {
      const index = session.segments;
      const slot = this.thread.slot();
      try {
        const plain = slot.plain.subarray(0, session.tail.copy(slot.plain, 0));
        const sealed = sealSegmentInto(session.key, objectId, index, plain, slot.sealed);
        this.thread.hash(session.hashes, slot, plain.length, sealed.length);
        const position = segmentPosition(index, this.segmentSize);
        await this.onReplicas(session, files, async (file, name) => {
          await file.write(position, sealed);
          await file.sync();
          const back = await file.read(position, sealed.length);
          if (!back.equals(sealed))
            throw new ReplicaUnavailableError(name, new Error("last segment read back differently"));
        });
      } finally {
        this.thread.release(slot);
      }
    }
    const { sha256, storedSha256 } = await this.thread.digest(session.hashes);
    const completed: CompletedObject = {
      objectId,
      size,
      sha256,
      storedSize: storedSize(size, this.segmentSize),
      storedSha256,
    };
    for (const file of files.values()) await file.close();
    files.clear();
    const descriptor: SealedDescriptor = {
      objectId,
      recordingId: session.meta.recordingId,
      type: session.meta.type,
      createdAt: session.meta.createdAt,
      completed,
    };
    const bytes = Buffer.from(JSON.stringify(descriptor));
    for (const name of session.meta.replicas) {
      await this.replica(name)
        .seal(objectId, bytes)
        .catch((err: unknown) => {
          throw asReplicaFault(name, err);
        });
    }
    this.sessions.delete(objectId);
    return completed;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Reads
  // ---------------------------------------------------------------------------------------------------------

  /**
   * Plaintext bytes [start, end] (inclusive) of a sealed object of `size` plaintext bytes, decrypting only the
   * segments that hold them. A segment missing or corrupt on one replica is read from the other (with an alarm).
   */
  async *read(
    objectId: string,
    key: Buffer,
    size: number,
    start = 0,
    end = size - 1,
  ): AsyncGenerator<Buffer> {
    if (size === 0 || end < start) return;
    const readers = new Map<ReplicaName, SealedReader | null | "failed">();
    const reader = async (replica: ReplicaBackend) => {
      if (!readers.has(replica.name)) {
        readers.set(replica.name, await replica.openSealed(objectId).catch(() => "failed" as const));
      }
      return readers.get(replica.name)!;
    };
    try {
      const first = Math.floor(start / this.segmentSize);
      const last = Math.floor(end / this.segmentSize);
      for (let i = first; i <= last; i++) {
        const plainLength = Math.min(this.segmentSize, size - i * this.segmentSize);
        const plain = await this.readSealedSegment(objectId, key, i, plainLength + TAG_SIZE, reader);
        const from = i === first ? start - i * this.segmentSize : 0;
        const to = i === last ? end - i * this.segmentSize + 1 : plain.length;
        yield plain.subarray(from, to);
      }
    } finally {
      for (const r of readers.values()) if (r && r !== "failed") await r.close().catch(() => undefined);
    }
  }

  private async readSealedSegment(
    objectId: string,
    key: Buffer,
    index: number,
    length: number,
    reader: (replica: ReplicaBackend) => Promise<SealedReader | null | "failed">,
  ): Promise<Buffer> {
    for (const replica of this.replicas) {
      const r = await reader(replica);
      let detail: string;
      let verdict: StoreAlarm["verdict"];
      if (r === "failed") {
        [verdict, detail] = ["unavailable", "cannot open"];
      } else if (r === null) {
        [verdict, detail] = ["missing", "not on this replica"];
      } else {
        try {
          const sealed = await r.read(segmentPosition(index, this.segmentSize), length);
          return openSegment(key, objectId, index, sealed);
        } catch (err) {
          verdict = err instanceof SegmentAuthError ? "corrupt" : "unavailable";
          detail = String((err as Error).message);
        }
      }
      this.alarm({ objectId, replica: replica.name, verdict, during: "read", detail });
    }
    throw new StoreCorruptError(objectId, `segment ${index} is good on no replica`);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Integrity
  // ---------------------------------------------------------------------------------------------------------

  /** Re-hashes each replica's copy against the manifest's size and SHA-256 of the stored file. */
  async verifySealed(
    objectId: string,
    expected: { size: number; sha256: string },
  ): Promise<Record<ReplicaName, ReplicaVerdict>> {
    const verdicts = {} as Record<ReplicaName, ReplicaVerdict>;
    for (const replica of this.replicas) {
      try {
        const actual = await replica.hashSealed(objectId);
        verdicts[replica.name] =
          actual === null
            ? "missing"
            : actual.size === expected.size && actual.sha256 === expected.sha256
              ? "ok"
              : "corrupt";
      } catch {
        verdicts[replica.name] = "unavailable";
      }
    }
    return verdicts;
  }

  /**
   * Verifies and repairs one sealed object: a missing or corrupt copy is replaced from a good one and re-checked.
   * Raises an alarm for each bad copy. Returns the verdicts found and the replicas repaired.
   */
  async scrub(
    objectId: string,
    expected: { size: number; sha256: string },
  ): Promise<{ verdicts: Record<ReplicaName, ReplicaVerdict>; repaired: ReplicaName[]; ok: boolean }> {
    const verdicts = await this.verifySealed(objectId, expected);
    const good = this.replicas.find((r) => verdicts[r.name] === "ok");
    const repaired: ReplicaName[] = [];
    for (const replica of this.replicas) {
      const verdict = verdicts[replica.name];
      if (verdict === "ok") continue;
      this.alarm({
        objectId,
        replica: replica.name,
        verdict,
        during: "scrub",
        detail: `stored copy is ${verdict}`,
      });
      if (!good || verdict === "unavailable") continue;
      const source = await good.openSealed(objectId);
      if (!source) continue;
      try {
        const descriptor = await good.getDescriptor(objectId);
        await replica.putSealed(objectId, chunks(source, expected.size), descriptor);
      } catch {
        continue;
      } finally {
        await source.close();
      }
      const after = await replica.hashSealed(objectId).catch(() => null);
      if (after?.size === expected.size && after.sha256 === expected.sha256) repaired.push(replica.name);
    }
    const ok = this.replicas.every((r) => verdicts[r.name] === "ok" || repaired.includes(r.name));
    return { verdicts, repaired, ok };
  }

  // ---------------------------------------------------------------------------------------------------------
  // Retention locks
  // ---------------------------------------------------------------------------------------------------------

  private today(): { today: string; now: string } {
    const now = (this.options.clock ?? (() => new Date()))();
    return { today: businessDay(now), now: now.toISOString() };
  }

  /** One lock change or destruction at a time per recording (the replicas also serialize their own). */
  private lockExclusive<T>(recordingId: string, work: () => Promise<T>): Promise<T> {
    return this.exclusive(`retention:${recordingId}`, work);
  }

  /** The recording's retention lock on each replica (null where none was set). */
  async retentionLock(recordingId: string): Promise<Record<ReplicaName, RetentionLock | null>> {
    const locks = {} as Record<ReplicaName, RetentionLock | null>;
    for (const replica of this.replicas) locks[replica.name] = await replica.getLock(recordingId);
    return locks;
  }

  /**
   * Applies `change` to the recording's lock on every replica. Both locks are read and the change tried on each
   * first: a refusal on either (RetentionLockedError) or a replica that cannot be read changes neither. Then each
   * replica applies it (and judges it again, on its own clock). Returns the first replica's lock.
   */
  async updateRetentionLock(recordingId: string, change: LockChange): Promise<RetentionLock> {
    return this.lockExclusive(recordingId, async () => {
      const { today, now } = this.today();
      for (const replica of this.replicas) {
        const lock = await replica.getLock(recordingId);
        try {
          applyLockChange(lock, recordingId, change, today, now);
        } catch (err) {
          throw onReplica(replica.name, err);
        }
      }
      const applied: RetentionLock[] = [];
      for (const replica of this.replicas) applied.push(await replica.updateLock(recordingId, change));
      return applied[0];
    });
  }

  /**
   * Destroys the recording's sealed objects on every replica, then marks its locks purged. Refused with
   * RetentionLockedError before anything is touched unless every replica's lock allows destruction today and every
   * object present is this recording's; each replica checks again as it destroys. Again after success (the locks
   * purged) it finds nothing and changes nothing. Counts objects: destroyed on some replica, or absent from all.
   */
  async destroyRecording(
    recordingId: string,
    objectIds: string[],
  ): Promise<{ destroyed: number; absent: number }> {
    return this.lockExclusive(recordingId, async () => {
      const { today } = this.today();
      for (const replica of this.replicas) {
        const refusal = destroyRefusal(await replica.getLock(recordingId), today);
        if (refusal) {
          throw new RetentionLockedError(recordingId, refusal.reason, `${replica.name}: ${refusal.detail}`);
        }
      }
      const ids = [...new Set(objectIds)];
      for (const objectId of ids) {
        for (const replica of this.replicas) {
          const descriptor = await replica.getDescriptor(objectId);
          const present = descriptor !== null || (await replica.statSealed(objectId)) !== null;
          if (!present) continue;
          const owner = ownerOf(descriptor, objectId);
          if (owner !== recordingId) {
            throw new RetentionLockedError(
              recordingId,
              "OTHER_RECORDING",
              `object ${objectId} on ${replica.name} is ${owner === null ? "no known recording's" : `recording ${owner}'s`}`,
            );
          }
        }
      }
      let destroyed = 0;
      for (const objectId of ids) {
        await this.exclusive(objectId, async () => {
          this.forget(objectId);
          let any = false;
          for (const replica of this.replicas) {
            if ((await replica.destroySealed(objectId, recordingId)) === "destroyed") any = true;
          }
          if (any) destroyed++;
        });
      }
      for (const replica of this.replicas) await replica.updateLock(recordingId, { kind: "purge" });
      return { destroyed, absent: ids.length - destroyed };
    });
  }
}

/** The recording a sealed descriptor names (null when unreadable or not this object's). */
function ownerOf(descriptor: Buffer | null, objectId: string): string | null {
  if (!descriptor) return null;
  try {
    const doc = JSON.parse(descriptor.toString("utf8")) as Partial<SealedDescriptor> | null;
    return doc?.objectId === objectId && typeof doc.recordingId === "string" ? doc.recordingId : null;
  } catch {
    return null;
  }
}

/** A refusal from one replica's lock, naming the replica. */
function onReplica(name: ReplicaName, err: unknown): unknown {
  if (err instanceof RetentionLockedError) {
    return new RetentionLockedError(err.recordingId, err.reason, `${name}: ${err.detail}`);
  }
  return err;
}

/** Any failure of one root, as the store's error naming that root. */
function asReplicaFault(name: ReplicaName, err: unknown): Error {
  if (err instanceof StoreFullError || err instanceof ReplicaUnavailableError) return err;
  return new ReplicaUnavailableError(name, err);
}

async function* chunks(reader: SealedReader, size: number): AsyncGenerator<Buffer> {
  for (let position = 0; position < size; position += 1 << 20) {
    yield await reader.read(position, Math.min(1 << 20, size - position));
  }
}

/** Plaintext size of a stored file of `stored` bytes (inverse of storedSize). */
export function plainSizeOf(stored: number, segmentSize = SEGMENT_SIZE): number {
  const segments = Math.max(1, Math.ceil((stored - HEADER_SIZE) / (segmentSize + TAG_SIZE)));
  return stored - HEADER_SIZE - segments * TAG_SIZE;
}
