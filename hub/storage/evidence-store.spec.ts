import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  ChecksumMismatchError,
  EvidenceStore,
  OffsetMismatchError,
  StoreCorruptError,
  UploadNotFoundError,
  UploadTooLargeError,
  plainSizeOf,
  type StoreAlarm,
} from "./evidence-store";
import {
  FilesystemBackend,
  ReplicaUnavailableError,
  StoreFullError,
  type ReplicaBackend,
} from "./replica-backend";
import { TAIL_SLOT_SPAN, storedSize } from "./segment-format";

const SEG = 1024; // small segments: many of them in a small file
const KEY = crypto.randomBytes(32);

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "store-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function roots() {
  return [
    new FilesystemBackend("primary", path.join(dir, "p")),
    new FilesystemBackend("backup", path.join(dir, "b")),
  ];
}

function makeStore(
  options: { minReplicas?: 1 | 2; replicas?: ReplicaBackend[]; alarms?: StoreAlarm[] } = {},
) {
  return new EvidenceStore(options.replicas ?? roots(), {
    minReplicas: options.minReplicas ?? 2,
    segmentSize: SEG,
    onAlarm: (a) => options.alarms?.push(a),
  });
}

const newId = () => crypto.randomBytes(16).toString("hex");
const sha = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");

async function* pieces(bytes: Buffer, size: number) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function readAll(iter: AsyncIterable<Buffer>) {
  const parts: Buffer[] = [];
  for await (const p of iter) parts.push(p);
  return Buffer.concat(parts);
}

async function create(store: EvidenceStore, length: number | null) {
  const objectId = newId();
  await store.createUpload(KEY, {
    objectId,
    recordingId: "r1",
    type: "video/webm",
    length,
    createdAt: new Date().toISOString(),
    metadata: {},
  });
  return objectId;
}

/** Every file under the data dir, concatenated. */
function everythingOnDisk(): Buffer {
  const out: Buffer[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(fs.readFileSync(p));
    }
  };
  walk(dir);
  return Buffer.concat(out);
}

describe("EvidenceStore uploads", () => {
  it.each([
    ["empty", 0, 100],
    ["less than a segment", 500, 7],
    ["exactly one segment", SEG, 300],
    ["segments and a tail, odd chunks", 5 * SEG + 123, 777],
    ["whole segments, one chunk", 4 * SEG, 4 * SEG],
  ])("round-trips %s, encrypted on both replicas", async (_name, size, chunk) => {
    const store = makeStore();
    const bytes = crypto.randomBytes(size);
    const objectId = await create(store, size);
    const { offset, completed } = await store.append(objectId, KEY, pieces(bytes, chunk), { offset: 0 });
    expect(offset).toBe(size);
    expect(completed).toMatchObject({
      objectId,
      size,
      sha256: sha(bytes),
      storedSize: storedSize(size, SEG),
    });
    for (const root of ["p", "b"]) {
      const file = path.join(dir, root, "sealed", objectId.slice(0, 2), `${objectId}.seg`);
      const stored = fs.readFileSync(file);
      expect(stored.length).toBe(completed!.storedSize);
      expect(sha(stored)).toBe(completed!.storedSha256);
      expect(fs.statSync(file).mode & 0o222).toBe(0); // read-only once sealed
      expect(plainSizeOf(stored.length, SEG)).toBe(size);
    }
    expect(fs.readdirSync(path.join(dir, "p", "staging"))).toEqual([]);
    expect(await readAll(store.read(objectId, KEY, size))).toEqual(bytes);
  });

  it("never writes plaintext: a marker in the upload appears nowhere on disk, in staging or sealed", async () => {
    const store = makeStore();
    const marker = Buffer.from("PLAINTEXT-MARKER-双录-0123456789");
    const bytes = Buffer.concat([crypto.randomBytes(3 * SEG + 10), marker, crypto.randomBytes(SEG / 2)]);
    const objectId = await create(store, bytes.length + 100);
    // Stop mid-way: the marker sits in the encrypted tail and segments of an unfinished upload.
    await store.append(objectId, KEY, pieces(bytes, 333), { offset: 0 });
    expect(everythingOnDisk().includes(marker)).toBe(false);
    await store.append(objectId, KEY, pieces(crypto.randomBytes(100), 100), { offset: bytes.length });
    expect(everythingOnDisk().includes(marker)).toBe(false);
    expect(everythingOnDisk().includes(marker.subarray(0, 16))).toBe(false);
  });

  it("resumes from the reported offset after a restart, whatever byte the last request stopped at", async () => {
    const bytes = crypto.randomBytes(7 * SEG + 5);
    let store = makeStore();
    const objectId = await create(store, bytes.length);
    const cuts = [1, SEG - 1, SEG, 3 * SEG + 17, 6 * SEG];
    let offset = 0;
    for (const cut of cuts) {
      ({ offset } = await store.append(objectId, KEY, pieces(bytes.subarray(offset, cut), 100), { offset }));
      expect(offset).toBe(cut);
      store = makeStore(); // a new process: nothing in memory
      expect((await store.uploadState(objectId, KEY)).offset).toBe(cut);
    }
    const done = await store.append(objectId, KEY, pieces(bytes.subarray(offset), 1000), { offset });
    expect(done.completed!.sha256).toBe(sha(bytes));
    expect(await readAll(makeStore().read(objectId, KEY, bytes.length))).toEqual(bytes);
  });

  it("cuts off segment bytes written after the last commit (a crash mid-request)", async () => {
    const bytes = crypto.randomBytes(4 * SEG);
    const store = makeStore();
    const objectId = await create(store, bytes.length);
    await store.append(objectId, KEY, pieces(bytes.subarray(0, SEG + 10), 64), { offset: 0 });
    // Garbage after the committed segments on the primary, as a killed process would leave.
    fs.appendFileSync(path.join(dir, "p", "staging", `${objectId}.seg`), crypto.randomBytes(3000));
    const fresh = makeStore();
    expect((await fresh.uploadState(objectId, KEY)).offset).toBe(SEG + 10);
    const done = await fresh.append(objectId, KEY, pieces(bytes.subarray(SEG + 10), 500), {
      offset: SEG + 10,
    });
    expect(done.completed!.sha256).toBe(sha(bytes));
  });

  it("brings a replica that committed further back to the other's offset", async () => {
    const bytes = crypto.randomBytes(3 * SEG);
    const store = makeStore();
    const objectId = await create(store, bytes.length);
    await store.append(objectId, KEY, pieces(bytes.subarray(0, 100), 100), { offset: 0 });
    const backupTail = fs.readFileSync(path.join(dir, "b", "staging", `${objectId}.tail`));
    await store.append(objectId, KEY, pieces(bytes.subarray(100, 2 * SEG), 100), { offset: 100 });
    // The backup's commit of the second request never happened.
    fs.writeFileSync(path.join(dir, "b", "staging", `${objectId}.tail`), backupTail);
    const fresh = makeStore();
    expect((await fresh.uploadState(objectId, KEY)).offset).toBe(100);
    const done = await fresh.append(objectId, KEY, pieces(bytes.subarray(100), 100), { offset: 100 });
    expect(done.completed!.sha256).toBe(sha(bytes));
    expect(await readAll(fresh.read(objectId, KEY, bytes.length))).toEqual(bytes);
  });

  it.each([
    ["on both roots, inside the record's header", ["p", "b"], 16],
    ["on both roots, inside its ciphertext", ["p", "b"], 45],
    ["on one root", ["b"], 45],
  ])(
    "resumes from the commit before when a crash tore the tail record being written (%s)",
    async (_name, tornRoots, cut) => {
      const bytes = crypto.randomBytes(4 * SEG + 10);
      const store = makeStore();
      const objectId = await create(store, bytes.length);
      const tailFile = (root: string) => path.join(dir, root, "staging", `${objectId}.tail`);
      await store.append(objectId, KEY, pieces(bytes.subarray(0, SEG + 7), 100), { offset: 0 });
      const before = new Map(["p", "b"].map((root) => [root, fs.readFileSync(tailFile(root))]));
      await store.append(objectId, KEY, pieces(bytes.subarray(SEG + 7, 3 * SEG + 3), 100), {
        offset: SEG + 7,
      });
      // A crash (power cut) while the second commit was being written in place: only its first `cut` bytes
      // reached the slot it was written to; the rest of that slot is what it held before.
      for (const root of tornRoots) {
        const after = fs.readFileSync(tailFile(root));
        const torn = Buffer.from(before.get(root)!);
        const changed = [...torn.keys()].find((i) => torn[i] !== after[i])!;
        expect(changed).toBeLessThan(TAIL_SLOT_SPAN); // the second commit went into the first slot
        after.copy(torn, 0, 0, cut);
        expect(torn.equals(before.get(root)!) || torn.equals(after)).toBe(false); // really torn
        fs.writeFileSync(tailFile(root), torn);
      }
      let fresh = makeStore();
      expect((await fresh.uploadState(objectId, KEY)).offset).toBe(SEG + 7);
      fresh = makeStore(); // and again: the roots now agree
      expect((await fresh.uploadState(objectId, KEY)).offset).toBe(SEG + 7);
      const done = await fresh.append(objectId, KEY, pieces(bytes.subarray(SEG + 7), 300), {
        offset: SEG + 7,
      });
      expect(done.completed!.sha256).toBe(sha(bytes));
      expect(
        await fresh.verifySealed(objectId, {
          size: done.completed!.storedSize,
          sha256: done.completed!.storedSha256,
        }),
      ).toEqual({ primary: "ok", backup: "ok" });
      expect(await readAll(makeStore().read(objectId, KEY, bytes.length))).toEqual(bytes);
    },
  );

  it("never takes a damaged tail for a commit: both slots bad on a root is that root corrupt", async () => {
    const bytes = crypto.randomBytes(2 * SEG + 10);
    const objectId = await create(makeStore(), bytes.length);
    await makeStore().append(objectId, KEY, pieces(bytes.subarray(0, SEG + 3), 100), { offset: 0 });
    const tailFile = (root: string) => path.join(dir, root, "staging", `${objectId}.tail`);
    const damaged = fs.readFileSync(tailFile("b"));
    damaged[30] ^= 1; // first slot
    damaged[TAIL_SLOT_SPAN + 30] ^= 1; // second slot
    fs.writeFileSync(tailFile("b"), damaged);
    await expect(makeStore().uploadState(objectId, KEY)).rejects.toThrow(/backup.*no valid tail/);
    const alarms: StoreAlarm[] = [];
    const lenient = makeStore({ minReplicas: 1, alarms });
    expect((await lenient.uploadState(objectId, KEY)).offset).toBe(SEG + 3);
    expect(alarms).toContainEqual(expect.objectContaining({ replica: "backup", verdict: "corrupt" }));
    const done = await lenient.append(objectId, KEY, pieces(bytes.subarray(SEG + 3), 100), {
      offset: SEG + 3,
    });
    expect(done.completed!.sha256).toBe(sha(bytes));
  });

  it("refuses bytes beyond the length after whole segments were written, keeping nothing of them", async () => {
    const store = makeStore();
    const bytes = crypto.randomBytes(3 * SEG + 10);
    const objectId = await create(store, bytes.length);
    await store.append(objectId, KEY, pieces(bytes.subarray(0, SEG + 5), 100), { offset: 0 });
    // Two whole segments are sealed, hashed and written before the extra bytes arrive.
    const tooMuch = Buffer.concat([bytes.subarray(SEG + 5), crypto.randomBytes(SEG)]);
    await expect(
      store.append(objectId, KEY, pieces(tooMuch, 300), { offset: SEG + 5 }),
    ).rejects.toBeInstanceOf(UploadTooLargeError);
    expect((await store.uploadState(objectId, KEY)).offset).toBe(SEG + 5);
    for (const root of ["p", "b"])
      expect(fs.statSync(path.join(dir, root, "staging", `${objectId}.seg`)).size).toBe(32 + SEG + 16);
    // Same process, same session: the hashes were rolled back in the hash thread.
    const done = await store.append(objectId, KEY, pieces(bytes.subarray(SEG + 5), 333), { offset: SEG + 5 });
    expect(done.completed!.sha256).toBe(sha(bytes));
    expect(
      await store.verifySealed(objectId, {
        size: done.completed!.storedSize,
        sha256: done.completed!.storedSha256,
      }),
    ).toEqual({ primary: "ok", backup: "ok" });
  });

  it("refuses a wrong offset and changes nothing", async () => {
    const store = makeStore();
    const objectId = await create(store, 100);
    await store.append(objectId, KEY, pieces(Buffer.alloc(10, 1), 10), { offset: 0 });
    await expect(
      store.append(objectId, KEY, pieces(Buffer.alloc(10, 2), 10), { offset: 5 }),
    ).rejects.toBeInstanceOf(OffsetMismatchError);
    expect((await store.uploadState(objectId, KEY)).offset).toBe(10);
  });

  it("keeps a request's bytes only when they match the announced SHA-256", async () => {
    const store = makeStore();
    const bytes = crypto.randomBytes(3 * SEG + 50);
    const objectId = await create(store, bytes.length);
    const first = bytes.subarray(0, 2 * SEG + 7);
    const wrong = crypto.createHash("sha256").update("something else").digest();
    await expect(
      store.append(objectId, KEY, pieces(first, 100), { offset: 0, checksum: wrong }),
    ).rejects.toBeInstanceOf(ChecksumMismatchError);
    expect((await store.uploadState(objectId, KEY)).offset).toBe(0);
    const right = crypto.createHash("sha256").update(first).digest();
    expect(
      (await store.append(objectId, KEY, pieces(first, 100), { offset: 0, checksum: right })).offset,
    ).toBe(first.length);
    const done = await store.append(objectId, KEY, pieces(bytes.subarray(first.length), 100), {
      offset: first.length,
    });
    expect(done.completed!.sha256).toBe(sha(bytes)); // the refused bytes left no trace in the hash
  });

  it("refuses bytes beyond the declared length, and a length below the offset", async () => {
    const store = makeStore();
    const objectId = await create(store, null);
    await store.append(objectId, KEY, pieces(Buffer.alloc(50), 50), { offset: 0 });
    await expect(store.declareLength(objectId, KEY, 40)).rejects.toBeInstanceOf(UploadTooLargeError);
    await store.declareLength(objectId, KEY, 60);
    await expect(
      store.append(objectId, KEY, pieces(Buffer.alloc(20), 20), { offset: 50 }),
    ).rejects.toBeInstanceOf(UploadTooLargeError);
    expect((await store.uploadState(objectId, KEY)).offset).toBe(50);
    const done = await store.append(objectId, KEY, pieces(Buffer.alloc(10), 10), { offset: 50 });
    expect(done.completed?.size).toBe(60);
  });

  it("forgets a terminated upload on both replicas", async () => {
    const store = makeStore();
    const objectId = await create(store, 100);
    await store.append(objectId, KEY, pieces(Buffer.alloc(10), 10), { offset: 0 });
    await store.terminate(objectId);
    await expect(makeStore().uploadState(objectId, KEY)).rejects.toBeInstanceOf(UploadNotFoundError);
    expect(fs.readdirSync(path.join(dir, "b", "staging"))).toEqual([]);
  });

  it("refuses with the replica named when a root cannot be written, unless one replica is enough", async () => {
    fs.mkdirSync(path.join(dir, "b"));
    fs.writeFileSync(path.join(dir, "b", "staging"), "a file where a directory should be");
    await expect(create(makeStore(), 10)).rejects.toMatchObject({ replica: "backup" });
    await expect(create(makeStore(), 10)).rejects.toBeInstanceOf(ReplicaUnavailableError);

    const alarms: StoreAlarm[] = [];
    const store = makeStore({ minReplicas: 1, alarms });
    const bytes = crypto.randomBytes(2 * SEG);
    const objectId = await create(store, bytes.length);
    const done = await store.append(objectId, KEY, pieces(bytes, 300), { offset: 0 });
    expect(done.completed!.sha256).toBe(sha(bytes));
    expect(alarms[0]).toMatchObject({ replica: "backup", verdict: "unavailable", during: "upload" });

    // The root comes back: the scrubber makes the second copy.
    fs.rmSync(path.join(dir, "b", "staging"));
    const expected = { size: done.completed!.storedSize, sha256: done.completed!.storedSha256 };
    const scrub = await makeStore().scrub(objectId, expected);
    expect(scrub).toMatchObject({
      verdicts: { primary: "ok", backup: "missing" },
      repaired: ["backup"],
      ok: true,
    });
    expect(await makeStore().verifySealed(objectId, expected)).toEqual({ primary: "ok", backup: "ok" });
  });

  it("answers a full disk with StoreFullError and keeps the committed offset", async () => {
    const real = roots();
    let full = false;
    // The real backend, with its writes failing as a full disk fails them.
    const filling: ReplicaBackend = Object.create(real[1]);
    filling.openStaging = async (id) => {
      const file = await real[1].openStaging(id);
      return {
        ...file,
        write: async (pos, bytes) => {
          if (full)
            throw new StoreFullError(
              "backup",
              Object.assign(new Error("ENOSPC: no space left"), { code: "ENOSPC" }),
            );
          return file.write(pos, bytes);
        },
      };
    };
    const store = makeStore({ replicas: [real[0], filling], minReplicas: 1 });
    const bytes = crypto.randomBytes(4 * SEG);
    const objectId = await create(store, bytes.length);
    await store.append(objectId, KEY, pieces(bytes.subarray(0, SEG + 1), 100), { offset: 0 });
    full = true;
    await expect(
      store.append(objectId, KEY, pieces(bytes.subarray(SEG + 1, 3 * SEG), 100), { offset: SEG + 1 }),
    ).rejects.toBeInstanceOf(StoreFullError);
    full = false;
    expect((await store.uploadState(objectId, KEY)).offset).toBe(SEG + 1);
    const done = await store.append(objectId, KEY, pieces(bytes.subarray(SEG + 1), 100), { offset: SEG + 1 });
    expect(done.completed!.sha256).toBe(sha(bytes));
  });

  it.each([1, 2] as const)(
    "keeps the offset when a commit reaches one root and not the other (min %i), after a restart too",
    async (minReplicas) => {
      const real = roots();
      let full = false;
      // The backup's segments fit, its tail does not: the primary has committed when the backup fails.
      const tight: ReplicaBackend = Object.create(real[1]);
      tight.writeTailSlot = async (id, slot, bytes) => {
        if (full) throw new StoreFullError("backup", Object.assign(new Error("ENOSPC"), { code: "ENOSPC" }));
        return real[1].writeTailSlot(id, slot, bytes);
      };
      const store = makeStore({ replicas: [real[0], tight], minReplicas });
      const bytes = crypto.randomBytes(5 * SEG + 7);
      const objectId = await create(store, bytes.length);
      await store.append(objectId, KEY, pieces(bytes.subarray(0, SEG + 1), 100), { offset: 0 });
      full = true;
      await expect(
        store.append(objectId, KEY, pieces(bytes.subarray(SEG + 1, 3 * SEG + 5), 100), { offset: SEG + 1 }),
      ).rejects.toBeInstanceOf(StoreFullError);
      // Still full: the offset is the one committed before, and reading it writes nothing.
      expect((await store.uploadState(objectId, KEY)).offset).toBe(SEG + 1);
      full = false;
      expect((await makeStore({ minReplicas }).uploadState(objectId, KEY)).offset).toBe(SEG + 1);
      const restarted = makeStore({ minReplicas });
      const done = await restarted.append(objectId, KEY, pieces(bytes.subarray(SEG + 1), 100), {
        offset: SEG + 1,
      });
      expect(done.completed!.sha256).toBe(sha(bytes));
      expect(
        await restarted.verifySealed(objectId, {
          size: done.completed!.storedSize,
          sha256: done.completed!.storedSha256,
        }),
      ).toEqual({
        primary: "ok",
        backup: "ok",
      });
    },
  );

  it("drops a root that cannot be opened mid-upload when one replica is enough, and refuses otherwise", async () => {
    const real = roots();
    let broken = false;
    const flaky: ReplicaBackend = Object.create(real[1]);
    flaky.openStaging = async (id) => {
      if (broken) throw new ReplicaUnavailableError("backup", new Error("EROFS"));
      return real[1].openStaging(id);
    };
    const bytes = crypto.randomBytes(3 * SEG + 3);
    const strict = makeStore({ replicas: [real[0], flaky] });
    const refusedId = await create(strict, bytes.length);
    await strict.append(refusedId, KEY, pieces(bytes.subarray(0, SEG), 100), { offset: 0 });
    broken = true;
    await expect(
      strict.append(refusedId, KEY, pieces(bytes.subarray(SEG), 100), { offset: SEG }),
    ).rejects.toMatchObject({ replica: "backup" });
    broken = false;
    expect((await makeStore().uploadState(refusedId, KEY)).offset).toBe(SEG);

    const alarms: StoreAlarm[] = [];
    const store = makeStore({ replicas: [real[0], flaky], minReplicas: 1, alarms });
    const objectId = await create(store, bytes.length);
    await store.append(objectId, KEY, pieces(bytes.subarray(0, SEG + 1), 100), { offset: 0 });
    broken = true;
    const done = await store.append(objectId, KEY, pieces(bytes.subarray(SEG + 1), 100), { offset: SEG + 1 });
    expect(done.completed!.sha256).toBe(sha(bytes));
    expect(alarms).toContainEqual(expect.objectContaining({ replica: "backup", verdict: "unavailable" }));
    expect(await readAll(store.read(objectId, KEY, bytes.length))).toEqual(bytes);
  });
});

describe("EvidenceStore reads and integrity", () => {
  async function sealed(size = 6 * SEG + 99) {
    const alarms: StoreAlarm[] = [];
    const store = makeStore({ alarms });
    const bytes = crypto.randomBytes(size);
    const objectId = await create(store, size);
    const { completed } = await store.append(objectId, KEY, pieces(bytes, 1000), { offset: 0 });
    const file = (root: string) => path.join(dir, root, "sealed", objectId.slice(0, 2), `${objectId}.seg`);
    const flip = (root: string, at: number) => {
      fs.chmodSync(file(root), 0o644);
      const fd = fs.openSync(file(root), "r+");
      const b = Buffer.alloc(1);
      fs.readSync(fd, b, 0, 1, at);
      b[0] ^= 0xff;
      fs.writeSync(fd, b, 0, 1, at);
      fs.closeSync(fd);
    };
    return { store, bytes, objectId, completed: completed!, alarms, file, flip };
  }

  it("serves any range by decrypting only its segments", async () => {
    const { store, bytes, objectId } = await sealed();
    for (const [start, end] of [
      [0, 0],
      [SEG - 1, SEG],
      [2 * SEG + 5, 4 * SEG + 7],
      [bytes.length - 1, bytes.length - 1],
      [0, bytes.length - 1],
    ]) {
      expect(await readAll(store.read(objectId, KEY, bytes.length, start, end))).toEqual(
        bytes.subarray(start, end + 1),
      );
    }
  });

  it("reads from the good replica when one is flipped, raising an alarm; the scrubber repairs it", async () => {
    const { store, bytes, objectId, completed, alarms, flip } = await sealed();
    flip("p", 32 + 3 * (SEG + 16) + 10); // inside segment 3 of the primary
    expect(await readAll(store.read(objectId, KEY, bytes.length))).toEqual(bytes);
    expect(alarms).toContainEqual(
      expect.objectContaining({ replica: "primary", verdict: "corrupt", during: "read" }),
    );
    const expected = { size: completed.storedSize, sha256: completed.storedSha256 };
    expect(await store.verifySealed(objectId, expected)).toEqual({ primary: "corrupt", backup: "ok" });
    const scrub = await store.scrub(objectId, expected);
    expect(scrub).toMatchObject({ repaired: ["primary"], ok: true });
    expect(await store.verifySealed(objectId, expected)).toEqual({ primary: "ok", backup: "ok" });
  });

  it("reports a recording flipped on both replicas and refuses to serve the damaged segment", async () => {
    const { store, bytes, objectId, completed, flip } = await sealed();
    flip("p", 40);
    flip("b", 40);
    const expected = { size: completed.storedSize, sha256: completed.storedSha256 };
    expect(await store.scrub(objectId, expected)).toMatchObject({
      verdicts: { primary: "corrupt", backup: "corrupt" },
      repaired: [],
      ok: false,
    });
    await expect(readAll(store.read(objectId, KEY, bytes.length))).rejects.toBeInstanceOf(StoreCorruptError);
    // Bytes in other segments are still served.
    expect(await readAll(store.read(objectId, KEY, bytes.length, 2 * SEG, 3 * SEG))).toEqual(
      bytes.subarray(2 * SEG, 3 * SEG + 1),
    );
  });

  it("detects a replica whose segments were swapped or truncated", async () => {
    const { store, bytes, objectId, completed, file } = await sealed();
    fs.chmodSync(file("p"), 0o644);
    fs.truncateSync(file("p"), completed.storedSize - 20);
    await expect(readAll(store.read(objectId, KEY, bytes.length))).resolves.toEqual(bytes);
    expect(
      await store.verifySealed(objectId, { size: completed.storedSize, sha256: completed.storedSha256 }),
    ).toEqual({
      primary: "corrupt",
      backup: "ok",
    });
    fs.rmSync(file("b"));
    expect(
      await store.verifySealed(objectId, { size: completed.storedSize, sha256: completed.storedSha256 }),
    ).toEqual({
      primary: "corrupt",
      backup: "missing",
    });
  });

  it("names sealed objects of each replica", async () => {
    const { store, objectId } = await sealed(10);
    const listed: string[] = [];
    for await (const id of store.replicas[1].listSealed()) listed.push(id);
    expect(listed).toEqual([objectId]);
  });
});
