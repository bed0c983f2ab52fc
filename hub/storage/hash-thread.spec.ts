import crypto from "node:crypto";
import { HashThread, HashThreadError, type Slot } from "./hash-thread";
import { header, sealSegment, sealSegmentInto } from "./segment-format";

const key = crypto.randomBytes(32);
const id = "0123456789abcdef0123456789abcdef";
const sha = (...parts: Buffer[]) => {
  const hash = crypto.createHash("sha256");
  for (const p of parts) hash.update(p);
  return hash.digest("hex");
};

let thread: HashThread;
beforeEach(() => {
  thread = new HashThread(4096);
});
afterEach(async () => {
  await thread.close();
});

/** One segment through a slot, as the store does: copied in, sealed in place, handed over, written, released. */
async function segment(token: number, index: number, plain: Buffer): Promise<Buffer> {
  const slot: Slot = thread.slot();
  const inSlot = slot.plain.subarray(0, plain.copy(slot.plain, 0));
  const sealed = sealSegmentInto(key, id, index, inSlot, slot.sealed);
  thread.hash(token, slot, inSlot.length, sealed.length);
  const copy = Buffer.from(sealed);
  thread.release(slot);
  return copy;
}

describe("segments sealed in place", () => {
  it("are exactly sealSegment's", () => {
    for (const size of [0, 1, 65536, 65537, 200_000]) {
      const plain = crypto.randomBytes(size);
      const out = Buffer.alloc(size + 100);
      expect(sealSegmentInto(key, id, 7, plain, out)).toEqual(sealSegment(key, id, 7, plain));
    }
  });
});

describe("the hash thread", () => {
  it("hashes the plaintext and the stored file of each segment, in order", async () => {
    const token = await thread.open(header(4096));
    const plains = [crypto.randomBytes(4096), crypto.randomBytes(4096), crypto.randomBytes(100)];
    const sealed: Buffer[] = [];
    for (const [i, plain] of plains.entries()) sealed.push(await segment(token, i, plain));
    expect(sealed).toEqual(plains.map((p, i) => sealSegment(key, id, i, p)));
    expect(await thread.digest(token)).toEqual({
      sha256: sha(...plains),
      storedSha256: sha(header(4096), ...sealed),
    });
  });

  it("reuses a slot only once it is hashed, and makes room wait while too many are handed over", async () => {
    const token = await thread.open(header(4096));
    // Twelve segments written (released by the writer) but not yet hashed: a slow hash thread, as seen from here.
    const plains = Array.from({ length: 12 }, () => crypto.randomBytes(4096));
    const slots = plains.map((plain, i) => {
      const slot = thread.slot();
      plain.copy(slot.plain);
      const sealed = sealSegmentInto(key, id, i, slot.plain, slot.sealed);
      thread.hash(token, slot, 4096, sealed.length);
      return slot;
    });
    let roomy = false;
    const room = thread.room().then(() => (roomy = true));
    expect(thread.slot()).not.toBe(slots[0]); // held by the writer and the thread: never handed out again
    await new Promise((resolve) => setImmediate(resolve));
    expect(roomy).toBe(false);
    for (const slot of slots) thread.release(slot); // written
    await room; // hashed: room again
    expect(await thread.digest(token)).toEqual({
      sha256: sha(...plains),
      storedSha256: sha(header(4096), ...plains.map((p, i) => sealSegment(key, id, i, p))),
    });
    expect(slots).toContain(thread.slot()); // spare again
  });

  it("rolls back to the state saved by mark: a refused request leaves no trace in either hash", async () => {
    const token = await thread.open(header(1024));
    const [a, refused, b, c] = [1, 2, 3, 4].map(() => crypto.randomBytes(1024));
    const kept = [await segment(token, 0, a)];
    // Each request marks first, as the store does; a refused one rolls back to its mark.
    await thread.mark(token);
    await segment(token, 1, refused);
    await thread.rollback(token);
    await thread.mark(token);
    kept.push(await segment(token, 1, b));
    await thread.mark(token);
    await segment(token, 2, refused);
    await segment(token, 3, refused);
    await thread.rollback(token);
    await segment(token, 2, refused);
    await thread.rollback(token); // the same mark twice
    kept.push(await segment(token, 2, c));
    expect(await thread.digest(token)).toEqual({
      sha256: sha(a, b, c),
      storedSha256: sha(header(1024), ...kept),
    });
  });

  it("rebuilds hashes from stored segments, copying what it may not move (a slice of a shared buffer)", async () => {
    const token = await thread.open(header(1024));
    const plain = crypto.randomBytes(1024);
    const sealed = sealSegment(key, id, 0, plain);
    const pooled = Buffer.concat([crypto.randomBytes(10), sealed]);
    const slice = pooled.subarray(10);
    await thread.update(token, Buffer.from(plain), slice);
    expect(slice).toEqual(sealed); // still usable: it was copied, not moved
    const next = crypto.randomBytes(700);
    const last = await segment(token, 1, next);
    expect(await thread.digest(token)).toEqual({
      sha256: sha(plain, next),
      storedSha256: sha(header(1024), sealed, last),
    });
  });

  it("refuses a token it does not hold (dropped, or lost with a stopped thread), and starts again", async () => {
    const token = await thread.open(header(1024));
    thread.drop(token);
    await expect(thread.mark(token)).rejects.toBeInstanceOf(HashThreadError);
    const other = await thread.open(header(1024));
    await thread.close();
    await expect(segment(other, 0, crypto.randomBytes(10))).rejects.toBeInstanceOf(HashThreadError);
    await expect(thread.digest(other)).rejects.toBeInstanceOf(HashThreadError);
    const fresh = await thread.open(header(1024));
    expect((await thread.digest(fresh)).sha256).toBe(sha());
  });
});
