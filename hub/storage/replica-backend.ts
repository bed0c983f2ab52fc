import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { businessDay } from "../domain/business-day";
import {
  RetentionLockedError,
  applyLockChange,
  destroyRefusal,
  parseLock,
  serializeLock,
  type LockChange,
  type RetentionLock,
} from "./retention-lock";
import { TAIL_SLOT_SPAN } from "./segment-format";

/*
 * One replica root of the evidence store. The interface is what an S3 backend with object lock can also offer:
 * staging objects are appended (multipart parts), truncated back to a committed size and sealed in one call
 * (CompleteMultipartUpload with a retention date); sealed objects are only read, hashed, listed and, for repair,
 * replaced whole from the other replica. Each root also keeps the retention lock of each recording (S3 Object Lock's
 * retain-until date and legal holds) and destroys a recording's sealed objects only when its own lock allows it,
 * on the day of its own clock (docs/evidence-store.md, "Retention locks").
 */

export type ReplicaName = "primary" | "backup";

/** The root cannot be used (missing, read-only, I/O error): another replica may still serve. */
export class ReplicaUnavailableError extends Error {
  constructor(
    readonly replica: ReplicaName,
    override readonly cause: unknown,
  ) {
    super(`replica ${replica} unavailable: ${(cause as Error)?.message ?? cause}`);
  }
}

/** The disk of a root is full. */
export class StoreFullError extends Error {
  constructor(
    readonly replica: ReplicaName,
    override readonly cause: unknown,
  ) {
    super(`replica ${replica} is full: ${(cause as Error)?.message ?? cause}`);
  }
}

/** The two tail slots of an upload (docs/evidence-store.md): commits alternate between them. */
export type TailSlot = 0 | 1;

export interface StagingFile {
  size(): Promise<number>;
  write(position: number, bytes: Buffer): Promise<void>;
  /** The bytes at `position` (fewer at the end of the file), read into `into` when given (of at least `length`). */
  read(position: number, length: number, into?: Buffer): Promise<Buffer>;
  truncate(length: number): Promise<void>;
  /** Durable on the medium (fdatasync). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface SealedReader {
  read(position: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

export interface ReplicaBackend {
  readonly name: ReplicaName;
  /** Throws ReplicaUnavailableError unless the root can be written now. */
  probe(): Promise<void>;

  /** Small staging documents (the upload's state), each replaced atomically and durably. */
  putStagingDoc(objectId: string, doc: "meta", bytes: Buffer): Promise<void>;
  getStagingDoc(objectId: string, doc: "meta"): Promise<Buffer | null>;
  /**
   * One of the upload's two tail slots (of TAIL_SLOT_SPAN bytes each), rewritten in place from its first byte and
   * durable (fdatasync) when this resolves; bytes of an older, longer record may stay after it. Not atomic: a write
   * cut short leaves a torn record, which fails authentication, and the other slot then holds the commit before.
   * The first write creates the slots durably (their directory entry too).
   */
  writeTailSlot(objectId: string, slot: TailSlot, bytes: Buffer): Promise<void>;
  /** A tail slot's bytes as stored (its first `length` at most), or null when the slot was never written. */
  readTailSlot(objectId: string, slot: TailSlot, length?: number): Promise<Buffer | null>;
  openStaging(objectId: string): Promise<StagingFile>;
  /**
   * The staging object becomes a sealed, read-only object with its descriptor (what was stored, for whom);
   * staging documents go.
   */
  seal(objectId: string, descriptor: Buffer): Promise<void>;
  /** The descriptor written at sealing, or null. */
  getDescriptor(objectId: string): Promise<Buffer | null>;
  removeStaging(objectId: string): Promise<void>;
  hasStaging(objectId: string): Promise<boolean>;

  /** Null when the sealed object does not exist. */
  openSealed(objectId: string): Promise<SealedReader | null>;
  /** Size of the sealed object in bytes, or null when missing. */
  statSealed(objectId: string): Promise<number | null>;
  /** Size and SHA-256 of the sealed bytes, or null when missing. */
  hashSealed(objectId: string): Promise<{ size: number; sha256: string } | null>;
  /** Writes a sealed object whole with its descriptor (repair from the other replica): temporary file, fsync, rename. */
  putSealed(objectId: string, source: AsyncIterable<Buffer>, descriptor: Buffer | null): Promise<void>;
  listSealed(): AsyncIterable<string>;

  /** The recording's retention lock on this root, or null when none was ever set. */
  getLock(recordingId: string): Promise<RetentionLock | null>;
  /**
   * Applies `change` to the recording's lock (applyLockChange, on the day of this root's own clock), one change at
   * a time per recording, and stores it durably before resolving. Throws RetentionLockedError when refused.
   */
  updateLock(recordingId: string, change: LockChange): Promise<RetentionLock>;
  /**
   * Destroys a sealed object and its descriptor, only when the descriptor names `recordingId` and this root's lock
   * of that recording allows destruction today (destroyRefusal, on this root's own clock); else throws
   * RetentionLockedError. "absent" when the object is not (or no longer) here; the lock is checked all the same.
   */
  destroySealed(objectId: string, recordingId: string): Promise<"destroyed" | "absent">;
}

const ID = /^[0-9a-f]{32}$/;

function checkId(objectId: string): void {
  if (!ID.test(objectId)) throw new TypeError(`not an object id: ${objectId}`);
}

function checkRecordingId(recordingId: string): void {
  if (!ID.test(recordingId)) throw new TypeError(`not a recording id: ${recordingId}`);
}

export interface FilesystemBackendOptions {
  /** The clock deciding the day of retention checks (the business day, Beijing time). Default: the system's. */
  clock?: () => Date;
}

const FULL = new Set(["ENOSPC", "EDQUOT"]);
const UNAVAILABLE = new Set(["EACCES", "EPERM", "EROFS", "EIO", "ENOTDIR", "ENXIO", "ENODEV", "ESTALE"]);

async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.promises.open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A root on a local disk or mount. */
export class FilesystemBackend implements ReplicaBackend {
  private readonly staging: string;
  private readonly sealed: string;
  private readonly locks: string;
  private readonly clock: () => Date;
  /** Per recording, the last lock operation queued (read-modify-write and destruction, one at a time). */
  private readonly lockQueue = new Map<string, Promise<unknown>>();
  private ready = false;

  constructor(
    readonly name: ReplicaName,
    readonly root: string,
    options: FilesystemBackendOptions = {},
  ) {
    this.staging = path.join(root, "staging");
    this.sealed = path.join(root, "sealed");
    this.locks = path.join(root, "locks");
    this.clock = options.clock ?? (() => new Date());
  }

  /** Maps an OS error to the store's errors (full, unavailable) and keeps others as they are. */
  private fault(err: unknown): Error {
    const code = (err as NodeJS.ErrnoException)?.code ?? "";
    if (FULL.has(code)) return new StoreFullError(this.name, err);
    if (UNAVAILABLE.has(code)) return new ReplicaUnavailableError(this.name, err);
    return err as Error;
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      if (!this.ready) {
        await fs.promises.mkdir(this.staging, { recursive: true });
        await fs.promises.mkdir(this.sealed, { recursive: true });
        await fs.promises.mkdir(this.locks, { recursive: true });
        this.ready = true;
      }
      return await work();
    } catch (err) {
      throw this.fault(err);
    }
  }

  async probe(): Promise<void> {
    await this.guard(async () => {
      const file = path.join(this.staging, `.probe-${process.pid}-${crypto.randomBytes(4).toString("hex")}`);
      await fs.promises.writeFile(file, "ok");
      await fs.promises.unlink(file);
    });
  }

  private stagingPath(objectId: string, ext: "seg" | "meta" | "tail"): string {
    checkId(objectId);
    return path.join(this.staging, `${objectId}.${ext}`);
  }

  private sealedPath(objectId: string): string {
    checkId(objectId);
    return path.join(this.sealed, objectId.slice(0, 2), `${objectId}.seg`);
  }

  putStagingDoc(objectId: string, doc: "meta", bytes: Buffer): Promise<void> {
    return this.guard(async () => {
      const file = this.stagingPath(objectId, doc);
      const tmp = `${file}.tmp`;
      const handle = await fs.promises.open(tmp, "w", 0o600);
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.promises.rename(tmp, file);
      await fsyncDir(this.staging);
    });
  }

  getStagingDoc(objectId: string, doc: "meta"): Promise<Buffer | null> {
    return this.guard(() => readIfExists(this.stagingPath(objectId, doc)));
  }

  /** Both slots are in the upload's `.tail` file: slot 0 at 0, slot 1 at TAIL_SLOT_SPAN. */
  writeTailSlot(objectId: string, slot: TailSlot, bytes: Buffer): Promise<void> {
    return this.guard(async () => {
      if (bytes.length > TAIL_SLOT_SPAN) throw new RangeError(`a tail record of ${bytes.length} bytes`);
      const file = this.stagingPath(objectId, "tail");
      let handle: fs.promises.FileHandle;
      let created = false;
      try {
        // In place: no O_TRUNC (a shorter record leaves the end of a longer one, ignored by its reader), no rename.
        handle = await fs.promises.open(file, fs.constants.O_WRONLY);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        handle = await fs.promises.open(file, fs.constants.O_WRONLY | fs.constants.O_CREAT, 0o600);
        created = true;
      }
      try {
        const start = slot * TAIL_SLOT_SPAN;
        let done = 0;
        while (done < bytes.length) {
          const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, start + done);
          done += bytesWritten;
        }
        await handle.datasync();
      } finally {
        await handle.close();
      }
      if (created) await fsyncDir(this.staging);
    });
  }

  readTailSlot(objectId: string, slot: TailSlot, length = TAIL_SLOT_SPAN): Promise<Buffer | null> {
    return this.guard(async () => {
      let handle: fs.promises.FileHandle;
      try {
        handle = await fs.promises.open(this.stagingPath(objectId, "tail"), "r");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw err;
      }
      try {
        const start = slot * TAIL_SLOT_SPAN;
        const stored = Math.min(length, TAIL_SLOT_SPAN, (await handle.stat()).size - start);
        return stored > 0 ? await readFully(handle, start, stored) : null;
      } finally {
        await handle.close();
      }
    });
  }

  hasStaging(objectId: string): Promise<boolean> {
    return this.guard(async () => fs.existsSync(this.stagingPath(objectId, "meta")));
  }

  openStaging(objectId: string): Promise<StagingFile> {
    return this.guard(async () => {
      const file = this.stagingPath(objectId, "seg");
      const handle = await fs.promises.open(file, fs.existsSync(file) ? "r+" : "w+", 0o600);
      const guard = <T>(work: () => Promise<T>) => work().catch((err) => Promise.reject(this.fault(err)));
      return {
        size: () => guard(async () => (await handle.stat()).size),
        write: (position, bytes) =>
          guard(async () => {
            let done = 0;
            while (done < bytes.length) {
              const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
              done += bytesWritten;
            }
          }),
        read: (position, length, into) => guard(() => readFully(handle, position, length, into)),
        truncate: (length) => guard(() => handle.truncate(length)),
        sync: () => guard(() => handle.datasync()),
        close: () => handle.close(),
      };
    });
  }

  seal(objectId: string, descriptor: Buffer): Promise<void> {
    return this.guard(async () => {
      const target = this.sealedPath(objectId);
      await fs.promises.mkdir(path.dirname(target), { recursive: true });
      const json = target.replace(/\.seg$/, ".json");
      await fs.promises.writeFile(`${json}.tmp`, descriptor, { mode: 0o444 });
      await fs.promises.rename(`${json}.tmp`, json);
      const source = this.stagingPath(objectId, "seg");
      await fs.promises.chmod(source, 0o444);
      await fs.promises.rename(source, target);
      await fsyncDir(path.dirname(target));
      await this.removeStagingDocs(objectId);
    });
  }

  private async removeStagingDocs(objectId: string): Promise<void> {
    for (const ext of ["tail", "meta"] as const) {
      await fs.promises.rm(this.stagingPath(objectId, ext), { force: true });
      await fs.promises.rm(`${this.stagingPath(objectId, ext)}.tmp`, { force: true });
    }
    await fsyncDir(this.staging);
  }

  getDescriptor(objectId: string): Promise<Buffer | null> {
    return this.guard(() => readIfExists(this.sealedPath(objectId).replace(/\.seg$/, ".json")));
  }

  removeStaging(objectId: string): Promise<void> {
    return this.guard(async () => {
      await fs.promises.rm(this.stagingPath(objectId, "seg"), { force: true });
      await this.removeStagingDocs(objectId);
    });
  }

  openSealed(objectId: string): Promise<SealedReader | null> {
    return this.guard(async () => {
      let handle: fs.promises.FileHandle;
      try {
        handle = await fs.promises.open(this.sealedPath(objectId), "r");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw err;
      }
      return {
        read: (position, length) =>
          readFully(handle, position, length).catch((err) => Promise.reject(this.fault(err))),
        close: () => handle.close(),
      };
    });
  }

  statSealed(objectId: string): Promise<number | null> {
    return this.guard(async () => {
      try {
        return (await fs.promises.stat(this.sealedPath(objectId))).size;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw err;
      }
    });
  }

  hashSealed(objectId: string): Promise<{ size: number; sha256: string } | null> {
    return this.guard(async () => {
      const hash = crypto.createHash("sha256");
      let size = 0;
      try {
        for await (const chunk of fs.createReadStream(this.sealedPath(objectId), {
          highWaterMark: 1 << 20,
        })) {
          hash.update(chunk as Buffer);
          size += (chunk as Buffer).length;
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw err;
      }
      return { size, sha256: hash.digest("hex") };
    });
  }

  putSealed(objectId: string, source: AsyncIterable<Buffer>, descriptor: Buffer | null): Promise<void> {
    return this.guard(async () => {
      // A repair never brings back an object of a destroyed recording (a scrub racing a purge).
      const recordingId = descriptor
        ? (JSON.parse(descriptor.toString("utf8")) as { recordingId?: string }).recordingId
        : null;
      if (recordingId && ID.test(recordingId) && (await this.readLock(recordingId))?.purgedOn)
        throw new RetentionLockedError(
          recordingId,
          "PURGED",
          `recording ${recordingId} was destroyed; ${objectId} is not written back`,
        );
      const target = this.sealedPath(objectId);
      await fs.promises.mkdir(path.dirname(target), { recursive: true });
      if (descriptor) {
        const json = target.replace(/\.seg$/, ".json");
        await fs.promises.rm(json, { force: true });
        await fs.promises.writeFile(json, descriptor, { mode: 0o444 });
      }
      const tmp = `${target}.repair-${crypto.randomBytes(4).toString("hex")}`;
      const handle = await fs.promises.open(tmp, "w", 0o600);
      try {
        for await (const chunk of source) await handle.write(chunk);
        await handle.sync();
      } catch (err) {
        await handle.close();
        await fs.promises.rm(tmp, { force: true });
        throw err;
      }
      await handle.close();
      await fs.promises.chmod(tmp, 0o444);
      await fs.promises.rename(tmp, target);
      await fsyncDir(path.dirname(target));
    });
  }

  async *listSealed(): AsyncIterable<string> {
    const shards = await this.guard(() => fs.promises.readdir(this.sealed));
    for (const shard of shards.sort()) {
      const names = await this.guard(() => fs.promises.readdir(path.join(this.sealed, shard)));
      for (const name of names.sort()) {
        const match = /^([0-9a-f]{32})\.seg$/.exec(name);
        if (match) yield match[1];
      }
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Retention locks
  // -------------------------------------------------------------------------------------------------------------

  private lockPath(recordingId: string): string {
    checkRecordingId(recordingId);
    return path.join(this.locks, `${recordingId}.json`);
  }

  /** The business day and instant of this root's clock: a caller never supplies the day retention is judged on. */
  private today(): { today: string; now: string } {
    const now = this.clock();
    if (Number.isNaN(now.getTime())) throw new RangeError("the store's clock gave an invalid date");
    return { today: businessDay(now), now: now.toISOString() };
  }

  /** One lock operation at a time per recording (in this process). */
  private async serial<T>(recordingId: string, work: () => Promise<T>): Promise<T> {
    const before = this.lockQueue.get(recordingId) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(work);
    this.lockQueue.set(recordingId, run);
    try {
      return await run;
    } finally {
      if (this.lockQueue.get(recordingId) === run) this.lockQueue.delete(recordingId);
    }
  }

  private async readLock(recordingId: string): Promise<RetentionLock | null> {
    const bytes = await readIfExists(this.lockPath(recordingId));
    return bytes ? parseLock(bytes, recordingId) : null;
  }

  getLock(recordingId: string): Promise<RetentionLock | null> {
    return this.guard(() => this.readLock(recordingId));
  }

  updateLock(recordingId: string, change: LockChange): Promise<RetentionLock> {
    return this.guard(() =>
      this.serial(recordingId, async () => {
        checkRecordingId(recordingId);
        const lock = await this.readLock(recordingId);
        const { today, now } = this.today();
        const next = applyLockChange(lock, recordingId, change, today, now);
        if (next === lock) return lock;
        // Atomic and durable: a temporary file, fsynced, renamed over the lock, and the directory fsynced.
        const file = this.lockPath(recordingId);
        const tmp = `${file}.tmp-${crypto.randomBytes(4).toString("hex")}`;
        const handle = await fs.promises.open(tmp, "wx", 0o600);
        try {
          await handle.writeFile(serializeLock(next));
          await handle.sync();
        } catch (err) {
          await handle.close();
          await fs.promises.rm(tmp, { force: true });
          throw err;
        }
        await handle.close();
        try {
          await fs.promises.rename(tmp, file);
        } catch (err) {
          await fs.promises.rm(tmp, { force: true });
          throw err;
        }
        await fsyncDir(this.locks);
        return next;
      }),
    );
  }

  destroySealed(objectId: string, recordingId: string): Promise<"destroyed" | "absent"> {
    return this.guard(() =>
      this.serial(recordingId, async () => {
        checkRecordingId(recordingId);
        const seg = this.sealedPath(objectId);
        const json = seg.replace(/\.seg$/, ".json");
        const descriptor = await readIfExists(json);
        const present = await exists(seg);
        if (descriptor || present) {
          // Whose object it is comes from this root's own descriptor, not from the caller.
          let owner: unknown = null;
          try {
            const doc = JSON.parse((descriptor ?? Buffer.alloc(0)).toString("utf8")) as Record<
              string,
              unknown
            >;
            if (doc?.objectId === objectId) owner = doc.recordingId;
          } catch {
            // no readable descriptor: nobody's
          }
          if (owner !== recordingId) {
            throw new RetentionLockedError(
              recordingId,
              "OTHER_RECORDING",
              descriptor
                ? `object ${objectId} on ${this.name} belongs to ${owner === null ? "no known recording" : `recording ${String(owner)}`}`
                : `object ${objectId} on ${this.name} has no descriptor: whose it is cannot be told`,
            );
          }
        }
        const refusal = destroyRefusal(await this.readLock(recordingId), this.today().today);
        if (refusal)
          throw new RetentionLockedError(recordingId, refusal.reason, `${this.name}: ${refusal.detail}`);
        if (!descriptor && !present) return "absent";
        // Read-only files (0444): unlinking needs only the directory's permission. The object first, then its
        // descriptor: a crash in between leaves the descriptor, which the next call removes.
        let destroyed = true;
        try {
          await fs.promises.unlink(seg);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
          destroyed = false;
        }
        await fs.promises.rm(json, { force: true });
        await fsyncDir(path.dirname(seg));
        return destroyed ? "destroyed" : "absent";
      }),
    );
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.promises.lstat(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

async function readIfExists(file: string): Promise<Buffer | null> {
  try {
    return await fs.promises.readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

async function readFully(
  handle: fs.promises.FileHandle,
  position: number,
  length: number,
  into?: Buffer,
): Promise<Buffer> {
  const buf = into && into.length >= length ? into.subarray(0, length) : Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}
