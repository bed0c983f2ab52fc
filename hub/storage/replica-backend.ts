import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/*
 * One replica root of the evidence store. The interface is what an S3 backend with object lock can also offer:
 * staging objects are appended (multipart parts), truncated back to a committed size and sealed in one call
 * (CompleteMultipartUpload with a retention date); sealed objects are only read, hashed, listed and, for repair,
 * replaced whole from the other replica.
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

export interface StagingFile {
  size(): Promise<number>;
  write(position: number, bytes: Buffer): Promise<void>;
  read(position: number, length: number): Promise<Buffer>;
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

  /** Small staging documents (upload state, encrypted tail), each replaced atomically and durably. */
  putStagingDoc(objectId: string, doc: "meta" | "tail", bytes: Buffer): Promise<void>;
  getStagingDoc(objectId: string, doc: "meta" | "tail"): Promise<Buffer | null>;
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
}

const ID = /^[0-9a-f]{32}$/;

function checkId(objectId: string): void {
  if (!ID.test(objectId)) throw new TypeError(`not an object id: ${objectId}`);
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
  private ready = false;

  constructor(
    readonly name: ReplicaName,
    readonly root: string,
  ) {
    this.staging = path.join(root, "staging");
    this.sealed = path.join(root, "sealed");
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

  putStagingDoc(objectId: string, doc: "meta" | "tail", bytes: Buffer): Promise<void> {
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

  getStagingDoc(objectId: string, doc: "meta" | "tail"): Promise<Buffer | null> {
    return this.guard(async () => {
      try {
        return await fs.promises.readFile(this.stagingPath(objectId, doc));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw err;
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
        read: (position, length) => guard(() => readFully(handle, position, length)),
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
    return this.guard(async () => {
      try {
        return await fs.promises.readFile(this.sealedPath(objectId).replace(/\.seg$/, ".json"));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw err;
      }
    });
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
}

async function readFully(handle: fs.promises.FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}
