import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { EvidenceStore } from "./evidence-store";
import { FilesystemBackend, ReplicaUnavailableError } from "./replica-backend";
import { RetentionLockedError, type LockRefusalReason, type RetentionLock } from "./retention-lock";

/*
 * Retention is enforced by the store itself, from the storage layer up: a FilesystemBackend called directly and the
 * EvidenceStore over two of them refuse to destroy a recording's sealed objects early, on the day of their own
 * (here: fake) clock. Real files in a temporary directory, sealed through the store's normal upload path.
 */

const SEG = 1024;
const KEY = crypto.randomBytes(32);
const newId = () => crypto.randomBytes(16).toString("hex");

let dir: string;
let now: Date;
const clock = () => now;
/** Noon in Beijing (04:00 UTC) of `day`. */
const setDay = (day: string) => {
  now = new Date(`${day}T04:00:00.000Z`);
};

let primary: FilesystemBackend;
let backup: FilesystemBackend;
let store: EvidenceStore;
/** Recording A (two objects) and recording B (one object), sealed on both roots. */
let A: string;
let B: string;
let aObjects: string[];
let bObject: string;

function makeStore(replicas = [primary, backup]) {
  return new EvidenceStore(replicas, { minReplicas: 2, segmentSize: SEG, clock });
}

async function* pieces(bytes: Buffer, size: number) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function seal(recordingId: string, size: number): Promise<string> {
  const objectId = newId();
  await store.createUpload(KEY, {
    objectId,
    recordingId,
    type: "video/webm",
    length: size,
    createdAt: now.toISOString(),
    metadata: {},
  });
  const bytes = crypto.randomBytes(size);
  const { completed } = await store.append(objectId, KEY, pieces(bytes, 700), { offset: 0 });
  expect(completed).not.toBeNull();
  return objectId;
}

const sealedFile = (root: "p" | "b", objectId: string, ext: "seg" | "json") =>
  path.join(dir, root, "sealed", objectId.slice(0, 2), `${objectId}.${ext}`);
const lockFile = (root: "p" | "b", recordingId: string) =>
  path.join(dir, root, "locks", `${recordingId}.json`);

/** Every file under both roots' sealed/ directories, by path. */
function sealedFiles(): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else files.set(path.relative(dir, p), fs.readFileSync(p));
    }
  };
  for (const root of ["p", "b"]) walk(path.join(dir, root, "sealed"));
  return files;
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "retention-"));
  setDay("2030-03-10");
  primary = new FilesystemBackend("primary", path.join(dir, "p"), { clock });
  backup = new FilesystemBackend("backup", path.join(dir, "b"), { clock });
  store = makeStore();
  A = newId();
  B = newId();
  aObjects = [await seal(A, 3 * SEG + 5), await seal(A, 100)];
  bObject = await seal(B, 2 * SEG);
  // Every object's .seg and descriptor, on both roots.
  expect(sealedFiles().size).toBe(12);
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function reasonOf(work: Promise<unknown>): Promise<LockRefusalReason> {
  const err = await work.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RetentionLockedError);
  return (err as RetentionLockedError).reason;
}

/**
 * Both roots called directly for each object, then the store, all refused with `reason`; every sealed file still
 * there, byte for byte, and the locks unchanged.
 */
async function expectRefused(reason: LockRefusalReason, objects = aObjects, recordingId = A): Promise<void> {
  const before = sealedFiles();
  const locks = await store.retentionLock(recordingId);
  for (const backend of [primary, backup]) {
    for (const objectId of objects)
      expect(await reasonOf(backend.destroySealed(objectId, recordingId))).toBe(reason);
  }
  expect(await reasonOf(store.destroyRecording(recordingId, objects))).toBe(reason);
  expect(sealedFiles()).toEqual(before);
  expect(await store.retentionLock(recordingId)).toEqual(locks);
}

/** A's lock: retention ended on 2030-01-31, recycled on 2030-03-10 (today). */
async function expireAndRecycleA(): Promise<void> {
  await store.updateRetentionLock(A, { kind: "retain", retainUntil: "2030-01-31" });
  await store.updateRetentionLock(A, { kind: "recycle" });
}

describe("the store refuses to destroy a recording early", () => {
  it("without a lock", async () => {
    await expectRefused("NO_LOCK");
  });

  it("while its retention has not passed, and on its last day (the business day of the store's clock)", async () => {
    await store.updateRetentionLock(A, { kind: "retain", retainUntil: "2030-06-30" });
    await expectRefused("RETAINED");
    await store.updateRetentionLock(A, { kind: "retain", retainUntil: "2030-03-10" });
    await expectRefused("RETAINED");
    // 23:59:59 in Beijing on its last day (15:59:59 UTC): still retained, recycling too is refused.
    now = new Date("2030-03-10T15:59:59.000Z");
    await expectRefused("RETAINED");
    expect(await reasonOf(store.updateRetentionLock(A, { kind: "recycle" }))).toBe("RETAINED");
    // Midnight in Beijing (16:00 UTC, still 10 March in UTC): the next business day.
    now = new Date("2030-03-10T16:00:00.000Z");
    expect((await store.updateRetentionLock(A, { kind: "recycle" })).recycledOn).toBe("2030-03-11");
  });

  it("with no retention end set (a dispute opened before any retention date)", async () => {
    await store.updateRetentionLock(A, { kind: "hold", disputeId: "D-1" });
    await store.updateRetentionLock(A, { kind: "release", disputeId: "D-1" });
    expect((await store.retentionLock(A)).primary).toMatchObject({ retainUntil: null, holds: [] });
    await expectRefused("NO_END");
  });

  it("while held by a dispute, even long after its retention and its time in the bin", async () => {
    await expireAndRecycleA();
    setDay("2030-06-01");
    await store.updateRetentionLock(A, { kind: "hold", disputeId: "D-42" });
    await expectRefused("HELD");
    // Opening the dispute took it out of the bin: released, it must be recycled again and wait again.
    await store.updateRetentionLock(A, { kind: "release", disputeId: "D-42" });
    await expectRefused("NOT_RECYCLED");
  });

  it("when it was never put in the recycle bin", async () => {
    await store.updateRetentionLock(A, { kind: "retain", retainUntil: "2029-12-31" });
    setDay("2031-01-01");
    await expectRefused("NOT_RECYCLED");
  });

  it("while in the recycle bin for 30 days or fewer", async () => {
    await expireAndRecycleA();
    await expectRefused("IN_BIN");
    setDay("2030-04-08"); // 29 days
    await expectRefused("IN_BIN");
    setDay("2030-04-09"); // 30 days
    await expectRefused("IN_BIN");
  });

  it("when an object of another recording is passed with an expired recording's id", async () => {
    await expireAndRecycleA();
    setDay("2030-04-10");
    const before = sealedFiles();
    for (const backend of [primary, backup]) {
      expect(await reasonOf(backend.destroySealed(bObject, A))).toBe("OTHER_RECORDING");
    }
    // Refused before anything is touched: A's own objects, listed first, are kept too.
    expect(await reasonOf(store.destroyRecording(A, [...aObjects, bObject]))).toBe("OTHER_RECORDING");
    expect(sealedFiles()).toEqual(before);
    expect((await store.retentionLock(A)).primary?.purgedOn).toBeNull();
  });

  it("when an object has no descriptor on a root (whose it is cannot be told)", async () => {
    await expireAndRecycleA();
    setDay("2030-04-10");
    fs.rmSync(sealedFile("b", aObjects[0], "json"));
    const before = sealedFiles();
    expect(await reasonOf(backup.destroySealed(aObjects[0], A))).toBe("OTHER_RECORDING");
    expect(await reasonOf(store.destroyRecording(A, aObjects))).toBe("OTHER_RECORDING");
    expect(sealedFiles()).toEqual(before);
  });

  it("after an attempt to lower its retention while held (SHORTENS_HELD), which changes neither lock", async () => {
    await store.updateRetentionLock(A, { kind: "retain", retainUntil: "2031-01-01" });
    await store.updateRetentionLock(A, { kind: "hold", disputeId: "D-7" });
    const locks = await store.retentionLock(A);
    expect(await reasonOf(store.updateRetentionLock(A, { kind: "retain", retainUntil: "2029-01-01" }))).toBe(
      "SHORTENS_HELD",
    );
    expect(await reasonOf(primary.updateLock(A, { kind: "retain", retainUntil: "2029-01-01" }))).toBe(
      "SHORTENS_HELD",
    );
    expect(await store.retentionLock(A)).toEqual(locks);
    setDay("2032-01-01");
    await expectRefused("HELD");
  });

  it("whatever day a caller passes: the roots judge on their own clock", async () => {
    await store.updateRetentionLock(A, { kind: "retain", retainUntil: "2030-06-30" });
    const destroy = primary.destroySealed.bind(primary) as unknown as (
      ...args: unknown[]
    ) => Promise<unknown>;
    expect(await reasonOf(destroy(aObjects[0], A, "2099-12-31"))).toBe("RETAINED");
    const update = primary.updateLock.bind(primary) as unknown as (...args: unknown[]) => Promise<unknown>;
    expect(await reasonOf(update(A, { kind: "recycle" }, "2099-12-31", "2099-12-31T00:00:00Z"))).toBe(
      "RETAINED",
    );
    expect(fs.existsSync(sealedFile("p", aObjects[0], "seg"))).toBe(true);
  });

  it("when one root's lock was rewritten by hand to an earlier date while the other says retained", async () => {
    await store.updateRetentionLock(A, { kind: "retain", retainUntil: "2031-01-01" });
    const stored = JSON.parse(fs.readFileSync(lockFile("p", A), "utf8")) as RetentionLock;
    fs.writeFileSync(
      lockFile("p", A),
      JSON.stringify({ ...stored, retainUntil: "2029-01-01", recycledOn: "2029-06-01" }),
    );
    expect((await primary.getLock(A))?.retainUntil).toBe("2029-01-01");
    const before = sealedFiles();
    expect(await reasonOf(store.destroyRecording(A, aObjects))).toBe("RETAINED");
    expect(await reasonOf(backup.destroySealed(aObjects[0], A))).toBe("RETAINED");
    expect(sealedFiles()).toEqual(before);
    expect((await store.retentionLock(A)).backup?.purgedOn).toBeNull();
  });

  it("when a root's lock file is damaged (read as a fault, never as no lock)", async () => {
    await expireAndRecycleA();
    setDay("2030-04-10");
    fs.writeFileSync(lockFile("b", A), "{ not json");
    const before = sealedFiles();
    await expect(store.destroyRecording(A, aObjects)).rejects.toThrow(/retention lock of/);
    await expect(backup.destroySealed(aObjects[0], A)).rejects.toThrow(/retention lock of/);
    await expect(store.updateRetentionLock(A, { kind: "hold", disputeId: "D" })).rejects.toThrow(
      /retention lock of/,
    );
    expect(sealedFiles()).toEqual(before);
    expect((await primary.getLock(A))?.holds).toEqual([]);
  });
});

describe("the store destroys a recording past its retention and 30 days in the bin", () => {
  it("on both roots, marks both locks purged, and does nothing more when asked again", async () => {
    await expireAndRecycleA();
    setDay("2030-04-10"); // 31 days in the bin
    expect(await store.destroyRecording(A, aObjects)).toEqual({ destroyed: 2, absent: 0 });
    for (const root of ["p", "b"] as const) {
      for (const objectId of aObjects) {
        expect(fs.existsSync(sealedFile(root, objectId, "seg"))).toBe(false);
        expect(fs.existsSync(sealedFile(root, objectId, "json"))).toBe(false);
      }
      // The other recording is untouched.
      expect(fs.existsSync(sealedFile(root, bObject, "seg"))).toBe(true);
      expect(fs.existsSync(sealedFile(root, bObject, "json"))).toBe(true);
    }
    expect(sealedFiles().size).toBe(4);
    const locks = await store.retentionLock(A);
    expect(locks.primary).toMatchObject({
      retainUntil: "2030-01-31",
      recycledOn: "2030-03-10",
      purgedOn: "2030-04-10",
    });
    expect(locks.backup).toEqual(locks.primary);

    setDay("2030-05-01");
    expect(await store.destroyRecording(A, aObjects)).toEqual({ destroyed: 0, absent: 2 });
    expect(await primary.destroySealed(aObjects[0], A)).toBe("absent");
    expect(await store.retentionLock(A)).toEqual(locks);
    // The lock stays as the record of it, and nothing changes it.
    expect(await reasonOf(store.updateRetentionLock(A, { kind: "restore" }))).toBe("PURGED");
    expect(await reasonOf(store.updateRetentionLock(A, { kind: "hold", disputeId: "D" }))).toBe("PURGED");
    expect(await reasonOf(store.updateRetentionLock(A, { kind: "retain", retainUntil: "2040-01-01" }))).toBe(
      "PURGED",
    );
    expect(await store.retentionLock(A)).toEqual(locks);
  });

  it("a repair (a scrub racing the purge) never writes a destroyed recording's object back", async () => {
    await expireAndRecycleA();
    const descriptor = fs.readFileSync(sealedFile("b", aObjects[0], "json"));
    const bytes = fs.readFileSync(sealedFile("b", aObjects[0], "seg"));
    setDay("2030-04-10");
    await store.destroyRecording(A, aObjects);
    await expect(
      primary.putSealed(
        aObjects[0],
        (async function* () {
          yield bytes;
        })(),
        descriptor,
      ),
    ).rejects.toMatchObject({ reason: "PURGED" });
    expect(fs.existsSync(sealedFile("p", aObjects[0], "seg"))).toBe(false);
  });

  it("directly on one root, which the store then completes", async () => {
    await expireAndRecycleA();
    setDay("2030-04-10");
    expect(await primary.destroySealed(aObjects[0], A)).toBe("destroyed");
    expect(fs.existsSync(sealedFile("p", aObjects[0], "seg"))).toBe(false);
    expect(fs.existsSync(sealedFile("b", aObjects[0], "seg"))).toBe(true);
    expect(await store.destroyRecording(A, aObjects)).toEqual({ destroyed: 2, absent: 0 });
    expect(sealedFiles().size).toBe(4);
  });

  it("a root that cut out between the object and its descriptor: the next call removes the descriptor", async () => {
    await expireAndRecycleA();
    setDay("2030-04-10");
    fs.rmSync(sealedFile("p", aObjects[1], "seg"));
    expect(await primary.destroySealed(aObjects[1], A)).toBe("absent");
    expect(fs.existsSync(sealedFile("p", aObjects[1], "json"))).toBe(false);
  });
});

describe("the recycle bin", () => {
  it("restore takes a recording out of the bin on both roots: it must go back in and wait again", async () => {
    await expireAndRecycleA();
    setDay("2030-03-20");
    const restored = await store.updateRetentionLock(A, { kind: "restore" });
    expect(restored.recycledOn).toBeNull();
    expect((await store.retentionLock(A)).backup?.recycledOn).toBeNull();
    setDay("2030-04-10");
    await expectRefused("NOT_RECYCLED");
    expect((await store.updateRetentionLock(A, { kind: "recycle" })).recycledOn).toBe("2030-04-10");
    await expectRefused("IN_BIN");
  });

  it("a hold takes a recycled recording out of the bin", async () => {
    await expireAndRecycleA();
    setDay("2030-03-25");
    const held = await store.updateRetentionLock(A, { kind: "hold", disputeId: "D-9" });
    expect(held).toMatchObject({ holds: ["D-9"], recycledOn: null });
    expect((await store.retentionLock(A)).backup).toEqual(held);
    expect(await reasonOf(store.updateRetentionLock(A, { kind: "recycle" }))).toBe("HELD");
  });

  it("recycling again keeps the first day", async () => {
    await expireAndRecycleA();
    setDay("2030-03-20");
    expect((await store.updateRetentionLock(A, { kind: "recycle" })).recycledOn).toBe("2030-03-10");
  });
});

describe("lock storage", () => {
  it("writes each root's lock atomically and durably: a new backend on the same root reads it", async () => {
    await store.updateRetentionLock(A, { kind: "retain", retainUntil: "2031-01-01" });
    await store.updateRetentionLock(A, { kind: "hold", disputeId: "D-2" });
    const held = await store.updateRetentionLock(A, { kind: "hold", disputeId: "D-1" });
    expect(held).toEqual({
      version: 1,
      recordingId: A,
      retainUntil: "2031-01-01",
      holds: ["D-1", "D-2"],
      recycledOn: null,
      purgedOn: null,
      updatedAt: now.toISOString(),
    });
    for (const root of ["p", "b"]) {
      expect(fs.readdirSync(path.join(dir, root, "locks"))).toEqual([`${A}.json`]);
      const reopened = new FilesystemBackend(root === "p" ? "primary" : "backup", path.join(dir, root));
      expect(await reopened.getLock(A)).toEqual(held);
    }
    expect(await primary.getLock(B)).toBeNull();
  });

  it("applies concurrent changes of one recording one at a time", async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `D-${String(i).padStart(2, "0")}`);
    await Promise.all(ids.map((disputeId) => primary.updateLock(A, { kind: "hold", disputeId })));
    expect((await primary.getLock(A))?.holds).toEqual(ids);
    await Promise.all(ids.map((disputeId) => store.updateRetentionLock(B, { kind: "hold", disputeId })));
    expect(await store.retentionLock(B)).toEqual({
      primary: expect.objectContaining({ holds: ids }),
      backup: expect.objectContaining({ holds: ids }),
    });
  });

  it("a change refused on either root is written on neither", async () => {
    await store.updateRetentionLock(A, { kind: "retain", retainUntil: "2030-01-31" });
    // The backup alone holds it (as after a hold that reached only the backup).
    await backup.updateLock(A, { kind: "hold", disputeId: "D-3" });
    expect(await reasonOf(store.updateRetentionLock(A, { kind: "recycle" }))).toBe("HELD");
    expect((await primary.getLock(A))?.recycledOn).toBeNull();
  });

  it("a root that cannot be read refuses changes and destruction on both (the error names the root)", async () => {
    await expireAndRecycleA();
    setDay("2030-04-10");
    fs.rmSync(path.join(dir, "b", "locks"), { recursive: true });
    fs.writeFileSync(path.join(dir, "b", "locks"), "not a directory");
    const err = await store.updateRetentionLock(A, { kind: "hold", disputeId: "D" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplicaUnavailableError);
    expect((err as ReplicaUnavailableError).replica).toBe("backup");
    expect((await primary.getLock(A))?.holds).toEqual([]);
    await expect(store.destroyRecording(A, aObjects)).rejects.toBeInstanceOf(ReplicaUnavailableError);
    expect(sealedFiles().size).toBe(12);
  });

  it("refuses what is not a recording id", async () => {
    await expect(primary.updateLock("r1", { kind: "retain", retainUntil: null })).rejects.toThrow(TypeError);
    await expect(primary.getLock("../sealed/x")).rejects.toThrow(TypeError);
    await expect(primary.destroySealed(aObjects[0], "R".repeat(32))).rejects.toThrow(TypeError);
    await expect(primary.destroySealed("../x", A)).rejects.toThrow(TypeError);
  });
});
