import { Worker } from "node:worker_threads";
import { TAG_SIZE } from "./segment-format";

/*
 * The SHA-256 hashing of uploads, off the main thread (docs/evidence-store.md, "Where the work is done"). One
 * worker thread keeps, for each upload being received, its running SHA-256 of the plaintext and of the stored file.
 *
 * A segment travels in a slot: shared memory (a SharedArrayBuffer) holding its plaintext, copied in by the main
 * thread as it arrives, and its sealed bytes, encrypted into it by the main thread. The thread hashes both where
 * they are, while the main thread writes the sealed bytes and goes on receiving: nothing of a segment is copied
 * between the threads, and the thread allocates nothing per segment. A slot is reused once the main thread has
 * written its sealed bytes and the thread has hashed them.
 *
 * The thread handles its messages in the order they are sent, so the hashes see the segments in order, and
 * whatever reads or changes the hash state (mark, rollback, digest) sees every segment handed over before it:
 * `mark` saves an upload's hash state before a request and `rollback` puts it back when nothing of the request
 * counts.
 */

/**
 * The thread's program, as a string for `new Worker(source, { eval: true })`: a Worker cannot load a .ts file, tsc
 * does not copy .js files into dist/, and a string runs the same under jest and from dist/ (as hub/media/wasm-thread.ts).
 *
 * Messages in: { id, op, token, … }; each gets one reply { id, ok, … } or { id, ok: false, error }.
 *   open     { header }                          a fresh pair of hashes; the stored hash starts with the header
 *   hash     { memory, plain, sealedAt, sealed }  plaintext memory[0, plain), sealed memory[sealedAt, +sealed)
 *   update   { plainBytes, sealedBytes }         the same from buffers (a segment already stored, at a rebuild)
 *   mark                                         saves the hash state (before a request)
 *   rollback                                     back to the state saved by mark
 *   digest                                       → { sha256, storedSha256 } (hex); the upload is forgotten
 *   drop                                         the upload is forgotten
 */
export const HASH_THREAD_SOURCE = String.raw`
"use strict";
const { parentPort } = require("node:worker_threads");
const crypto = require("node:crypto");
const uploads = new Map();

function asBuffer(u8) {
  return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

function upload(token) {
  const u = uploads.get(token);
  if (!u) throw new Error("no upload " + token + " in the hash thread");
  return u;
}

function run(m) {
  switch (m.op) {
    case "open": {
      uploads.set(m.token, {
        plain: crypto.createHash("sha256"),
        stored: crypto.createHash("sha256").update(asBuffer(m.header)),
        saved: null,
      });
      return {};
    }
    case "hash": {
      const u = upload(m.token);
      u.plain.update(new Uint8Array(m.memory, 0, m.plain));
      u.stored.update(new Uint8Array(m.memory, m.sealedAt, m.sealed));
      return {};
    }
    case "update": {
      const u = upload(m.token);
      u.plain.update(asBuffer(m.plainBytes));
      u.stored.update(asBuffer(m.sealedBytes));
      return {};
    }
    case "mark": {
      const u = upload(m.token);
      u.saved = { plain: u.plain.copy(), stored: u.stored.copy() };
      return {};
    }
    case "rollback": {
      const u = upload(m.token);
      if (!u.saved) throw new Error("nothing to roll back to");
      u.plain = u.saved.plain.copy();
      u.stored = u.saved.stored.copy();
      return {};
    }
    case "digest": {
      const u = upload(m.token);
      uploads.delete(m.token);
      return { sha256: u.plain.digest("hex"), storedSha256: u.stored.digest("hex") };
    }
    case "drop": {
      uploads.delete(m.token);
      return {};
    }
    default:
      throw new Error("unknown op " + m.op);
  }
}

parentPort.on("message", (m) => {
  let reply;
  try {
    reply = Object.assign({ id: m.id, ok: true }, run(m));
  } catch (err) {
    reply = { id: m.id, ok: false, error: String((err && err.message) || err) };
  }
  parentPort.postMessage(reply);
});
`;

/**
 * Shared memory for one segment: `plain` (the main thread copies the plaintext in) and `sealed` (room for the
 * sealed segment, which the main thread encrypts into). Taken with HashThread.slot(), handed to hash(), given back
 * with release() once its sealed bytes are written; the thread lets go of it once hashed, and only then is it reused.
 */
export interface Slot {
  readonly plain: Buffer;
  readonly sealed: Buffer;
  readonly memory: SharedArrayBuffer;
  /** Holders: the main thread until release(), the thread until hashed. */
  holders: number;
  /** Handed to hash() and not yet let go of by both. */
  handed: boolean;
}

/** `buf` when it owns its whole ArrayBuffer (it can be moved to the thread), else a copy that does. */
function owned(buf: Buffer): Buffer {
  const own =
    buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength && buf.buffer instanceof ArrayBuffer;
  return own ? buf : Buffer.from(new Uint8Array(buf).buffer);
}

interface Reply {
  id: number;
  ok: boolean;
  error?: string;
  sha256?: string;
  storedSha256?: string;
}

/** The hash thread failed or stopped: the hash state of the uploads it held is gone (they are rebuilt at open). */
export class HashThreadError extends Error {}

/** Segments handed over and not yet both written and hashed, at most: then room() waits (receiving pauses). */
const MAX_HANDED = 12;
/** Slots kept for reuse. */
const SPARE_SLOTS = 16;

/** The main thread's side of the hash thread, and the slots. The thread never keeps the process alive idle. */
export class HashThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  /** Raised each time the thread stops: the hash state it held belonged to the generation before. */
  private generation = 0;
  private nextToken = 1;
  /** The thread generation each upload's hashes live in. */
  private readonly uploads = new Map<number, number>();
  /** Uploads whose hashes missed a segment (the thread failed it): refused from then on. */
  private readonly broken = new Map<number, Error>();
  private readonly spare: Slot[] = [];
  private handed = 0;
  private readonly waitingForRoom: (() => void)[] = [];

  constructor(private readonly segmentSize: number) {}

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(HASH_THREAD_SOURCE, { eval: true, name: "evidence hash thread" });
    worker.unref();
    const fail = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.generation++;
      const pending = [...this.pending.values()];
      this.pending.clear();
      for (const p of pending) p.reject(new HashThreadError(`the hash thread stopped: ${err.message}`));
    };
    worker.on("message", (reply: Reply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (!this.pending.size) worker.unref();
      if (reply.ok) p.resolve(reply);
      else p.reject(new HashThreadError(reply.error ?? "hash thread error"));
    });
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`exit code ${code}`)));
    this.worker = worker;
    return worker;
  }

  /** One message and its reply. What `transfer` names is moved; shared memory is shared; the rest is copied. */
  private send(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Reply> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      if (!this.pending.size) worker.ref(); // an answer is awaited: the process stays up for it
      this.pending.set(id, { resolve, reject });
      try {
        worker.postMessage({ ...message, id }, transfer);
      } catch (err) {
        this.pending.delete(id);
        if (!this.pending.size) worker.unref();
        reject(err as Error);
      }
    });
  }

  private check(token: number): void {
    const err = this.broken.get(token);
    if (err) throw err;
    const generation = this.uploads.get(token);
    if (generation === undefined) throw new HashThreadError(`no upload ${token}`);
    if (generation !== this.generation)
      throw new HashThreadError(`the hashes of upload ${token} were lost with the hash thread`);
  }

  private async call(token: number, message: Record<string, unknown>, transfer: ArrayBuffer[] = []) {
    this.check(token);
    const reply = await this.send({ ...message, token }, transfer);
    this.check(token);
    return reply;
  }

  /** A slot for one segment's plaintext. */
  slot(): Slot {
    const slot = this.spare.pop();
    if (slot) {
      slot.holders = 1;
      return slot;
    }
    const size = this.segmentSize;
    const memory = new SharedArrayBuffer(2 * size + TAG_SIZE);
    return {
      plain: Buffer.from(memory, 0, size),
      sealed: Buffer.from(memory, size, size + TAG_SIZE),
      memory,
      holders: 1,
      handed: false,
    };
  }

  /** Waits while too many segments are handed over and not yet written and hashed (the disks or the hashing lag). */
  async room(): Promise<void> {
    while (this.handed >= MAX_HANDED) await new Promise<void>((resolve) => this.waitingForRoom.push(resolve));
  }

  /** One holder of the slot lets go: after the last one it is spare. */
  release(slot: Slot): void {
    if (--slot.holders > 0) return;
    if (slot.handed) this.letGo(slot);
    if (this.spare.length < SPARE_SLOTS) this.spare.push(slot);
  }

  private letGo(slot: Slot): void {
    slot.handed = false;
    this.handed--;
    this.waitingForRoom.shift()?.();
  }

  /** A fresh pair of hashes (plaintext; stored file from `header` on); returns the upload's token. */
  async open(header: Buffer): Promise<number> {
    const token = this.nextToken++;
    const { generation } = this;
    await this.send({ op: "open", token, header });
    this.uploads.set(token, generation);
    this.check(token);
    return token;
  }

  /**
   * Both hashes go on with the slot's first `plain` bytes of plaintext and first `sealed` bytes of sealed segment,
   * after every segment handed over before. Not awaited: the thread holds the slot until hashed, and a failure
   * refuses the upload's next mark, rollback or digest.
   */
  hash(token: number, slot: Slot, plain: number, sealed: number): void {
    this.check(token);
    slot.holders++;
    slot.handed = true;
    this.handed++;
    const sealedAt = slot.sealed.byteOffset;
    this.send({ op: "hash", token, memory: slot.memory, plain, sealedAt, sealed }).then(
      () => this.release(slot),
      (err: Error) => {
        if (!this.broken.has(token) && this.uploads.has(token)) this.broken.set(token, err);
        // Not answered: a stopped thread may still have been reading the slot, which is not reused.
        if (err.message.startsWith("the hash thread stopped")) this.letGo(slot);
        else this.release(slot);
      },
    );
  }

  /** Both hashes go on with a segment already stored (rebuilding a session). The buffers may be moved. */
  async update(token: number, plain: Buffer, sealed: Buffer): Promise<void> {
    const [plainBytes, sealedBytes] = [owned(plain), owned(sealed)];
    await this.call(token, { op: "update", plainBytes, sealedBytes }, [
      plainBytes.buffer as ArrayBuffer,
      sealedBytes.buffer as ArrayBuffer,
    ]);
  }

  /** Saves the hash state, with every segment handed over before: what `rollback` goes back to. */
  async mark(token: number): Promise<void> {
    await this.call(token, { op: "mark" });
  }

  async rollback(token: number): Promise<void> {
    await this.call(token, { op: "rollback" });
  }

  /** The plaintext's and the stored file's SHA-256, with every segment handed over before; then forgotten. */
  async digest(token: number): Promise<{ sha256: string; storedSha256: string }> {
    try {
      const reply = await this.call(token, { op: "digest" });
      return { sha256: reply.sha256!, storedSha256: reply.storedSha256! };
    } finally {
      this.uploads.delete(token);
      this.broken.delete(token);
    }
  }

  /** Forgets an upload's hashes (no answer awaited; a stopped thread has forgotten them anyway). */
  drop(token: number): void {
    const generation = this.uploads.get(token);
    this.uploads.delete(token);
    this.broken.delete(token);
    if (generation === this.generation) this.send({ op: "drop", token }).catch(() => undefined);
  }

  /** Stops the thread (tests, shutdown); a later call starts a new one, without the uploads' hashes. */
  async close(): Promise<void> {
    await this.worker?.terminate();
  }
}
