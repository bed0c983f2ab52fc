import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../../hub/config";
import { startHub, type Hub } from "../../hub/hub";
import { TusClient, type TusResponse } from "../support/tus";

/*
 * The evidence store's faults, through the real HTTP gateway of hubs of this test's own: one replica root that
 * cannot be written (refused with 503 unless HUB_STORE_MIN_REPLICAS=1), a full disk (507, nothing partial ever
 * valid, the upload resumes once there is room), and no plaintext anywhere under the data directory.
 *
 * The unwritable and the full root are a small tmpfs mounted (and remounted read-only) by the test: it runs as
 * root, so file modes would stop nothing. Where mounting is not permitted the faults cannot be made: outside CI
 * those tests are skipped with a message; under CI=true they run and fail.
 */

const MiB = 1024 * 1024;
const PASSWORD = "Demo-Pass-2026!";
const MARKER = Buffer.from("DUAL-RECORD-PLAINTEXT-MARKER-双录明文标记-c41d");
const SEGMENT = 1024 * 1024 + 16; // one sealed segment on disk: 1 MiB of plaintext and its tag
const HEADER = 32;

function canMount(): string | null {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mount-probe-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], { stdio: "pipe" });
    execFileSync("umount", [dir], { stdio: "pipe" });
    return null;
  } catch (err) {
    return String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const mountProblem = canMount();
if (mountProblem) {
  // Say so, loudly: these faults need a mount of their own.
  console.warn(`evidence-faults: cannot mount a tmpfs (${mountProblem}); the fault tests need one`);
}
const describeMounted = mountProblem && process.env.CI !== "true" ? describe.skip : describe;

function mount(dir: string, size: string): void {
  fs.mkdirSync(dir, { recursive: true });
  if (mountProblem) throw new Error(`mount -t tmpfs is not permitted here: ${mountProblem}`);
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "pipe" });
}

function remount(dir: string, mode: "ro" | "rw"): void {
  execFileSync("mount", ["-o", `remount,${mode}`, dir], { stdio: "pipe" });
}

function unmount(dir: string): void {
  try {
    execFileSync("umount", [dir], { stdio: "pipe" });
  } catch {
    execFileSync("umount", ["-l", dir], { stdio: "pipe" });
  }
}

/** The first file under `dir` holding `needle` (read whole: every file here is small). */
function occursUnder(dir: string, needle: Buffer): string | null {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (fs.readFileSync(file).includes(needle)) return file;
  }
  return null;
}

const sha256 = (bytes: Buffer) => crypto.createHash("sha256").update(bytes).digest("hex");

interface TestHub {
  hub: Hub;
  url: string;
  dataDir: string;
  token(username: string): Promise<string>;
  tus(username?: string): Promise<TusClient>;
  /** A draft sale of sh.pd.sales1. */
  draft(): Promise<string>;
  recording(id: string): Promise<any>;
  /** A draft of sh.pd.sales1 and its upload of `size` random bytes, created (201) and not yet sent. */
  newUpload(
    size: number,
  ): Promise<{ id: string; bytes: Buffer; client: TusClient; url: string; objectId: string }>;
  play(id: string): Promise<{ status: number; bytes: Buffer }>;
  stop(): Promise<void>;
}

async function testHub(dataDir: string, env: Record<string, string> = {}): Promise<TestHub> {
  const hub = await startHub(
    loadConfig({
      HUB_DATA_DIR: dataDir,
      PORT: "0",
      LOG_LEVEL: process.env.HUB_TEST_LOG_LEVEL ?? "fatal",
      HUB_DEMO_PASSWORD: PASSWORD,
      HUB_NAMESPACE: `faults-${crypto.randomBytes(4).toString("hex")}`,
      ...env,
    }),
  );
  const url = hub.url!;
  const tokens: Record<string, string> = {};
  const token = async (username: string) => {
    if (!tokens[username]) {
      const res = await fetch(`${url}/api/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username, password: PASSWORD }),
      });
      tokens[username] = ((await res.json()) as { token: string }).token;
    }
    return tokens[username];
  };
  const get = async (urlPath: string, username: string) =>
    fetch(url + urlPath, { headers: { authorization: `Bearer ${await token(username)}` } });
  const th: TestHub = {
    hub,
    url,
    dataDir,
    token,
    tus: async (username = "sh.pd.sales1") => new TusClient(url, await token(username)),
    async draft() {
      const res = await fetch(`${url}/api/v1/recordings`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${await token("sh.pd.sales1")}`,
        },
        body: JSON.stringify({ customerNo: "C000000001", productCode: "AM2026001", kind: "sale" }),
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { id: string }).id;
    },
    async newUpload(size) {
      const id = await th.draft();
      const bytes = crypto.randomBytes(size);
      const client = await th.tus();
      const created = await client.create(id, bytes.length);
      expect(created.status).toBe(201);
      const url = created.uploadUrl!;
      return { id, bytes, client, url, objectId: url.split("/").pop()! };
    },
    async recording(id) {
      return (await get(`/api/v1/recordings/${id}`, "sh.pd.sales1")).json();
    },
    async play(id) {
      const res = await get(`/api/v1/recordings/${id}/media`, "sh.pd.manager");
      return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
    },
    stop: () => hub.stop(),
  };
  return th;
}

function expectError(res: TusResponse, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(typeof res.body.error.message).toBe("string");
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  // Which root and why, never where the server keeps its files.
  expect(res.text).not.toMatch(new RegExp(`${os.tmpdir()}|staging|sealed|\\.seg|\\n\\s+at `));
}

/** Sends `bytes` from `offset` in PATCHes of `chunk` bytes, each checked. */
async function sendAll(client: TusClient, url: string, bytes: Buffer, offset: number, chunk = MiB + 333) {
  while (offset < bytes.length) {
    const res = await client.patch(url, offset, bytes.subarray(offset, offset + chunk));
    expect({ status: res.status, text: res.text }).toEqual({ status: 204, text: "" });
    offset = res.offset!;
  }
  return offset;
}

/** The staging files of an upload on a root, with their sizes. */
function staging(root: string, objectId: string): Record<string, number> {
  const dir = path.join(root, "staging");
  const out: Record<string, number> = {};
  if (!fs.existsSync(dir)) return out;
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith(objectId)) out[name.slice(objectId.length)] = fs.statSync(path.join(dir, name)).size;
  }
  return out;
}

const sealedFile = (root: string, objectId: string) =>
  path.join(root, "sealed", objectId.slice(0, 2), `${objectId}.seg`);

/**
 * A hub whose backup root sits on a 16 MB tmpfs of its own inside a fresh data directory (so the plaintext search
 * covers it), for one describe block: mounted and started before its tests, stopped, unmounted and removed after.
 */
function useBackupDisk(prefix: string, env: Record<string, string>) {
  const disk = {} as { dataDir: string; mountPoint: string; primary: string; backup: string; t: TestHub };
  let mounted = false;
  beforeAll(async () => {
    disk.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    disk.mountPoint = path.join(disk.dataDir, "backup-disk");
    mount(disk.mountPoint, "16m");
    mounted = true;
    disk.primary = path.join(disk.dataDir, "evidence", "primary");
    disk.backup = path.join(disk.mountPoint, "root");
    disk.t = await testHub(disk.dataDir, { HUB_STORE_BACKUP: disk.backup, ...env });
  });
  afterAll(async () => {
    await disk.t?.stop();
    if (mounted) {
      remount(disk.mountPoint, "rw");
      unmount(disk.mountPoint);
    }
    fs.rmSync(disk.dataDir, { recursive: true, force: true });
  });
  return disk;
}

describeMounted("evidence store faults", () => {
  describe("a backup root on its own small disk (HUB_STORE_MIN_REPLICAS=2)", () => {
    const disk = useBackupDisk("hub-faults-", {});

    it("refuses creation and PATCH with 503 while the backup is read-only, and resumes when it is back", async () => {
      const { id, bytes, client, url, objectId } = await disk.t.newUpload(3 * MiB + 5);
      const first = await client.patch(url, 0, bytes.subarray(0, MiB + 3));
      expect(first.offset).toBe(MiB + 3);

      remount(disk.mountPoint, "ro");
      try {
        const refused = await client.patch(url, MiB + 3, bytes.subarray(MiB + 3, 2 * MiB + 3));
        expectError(refused, 503, "HUB_STORE_REPLICA_UNAVAILABLE");
        expect(refused.body.error.message).toMatch(/backup/);
        // A new upload is refused before anything is written, and the recording keeps the upload it has.
        const other = await disk.t.draft();
        const before = fs.readdirSync(path.join(disk.primary, "staging")).sort();
        const creation = await client.create(other, 1000);
        expectError(creation, 503, "HUB_STORE_REPLICA_UNAVAILABLE");
        expect(creation.uploadUrl).toBeNull();
        expect(fs.readdirSync(path.join(disk.primary, "staging")).sort()).toEqual(before);
        expect(await disk.t.recording(other)).toMatchObject({ upload: { state: "none" }, media: null });
        // Still nothing of the refused request on the primary either.
        expect(staging(disk.primary, objectId)[".seg"]).toBe(HEADER + SEGMENT);
      } finally {
        remount(disk.mountPoint, "rw");
      }

      const head = await client.head(url);
      expect({ status: head.status, offset: head.offset }).toEqual({ status: 200, offset: MiB + 3 });
      await sendAll(client, url, bytes, head.offset!);
      expect(await disk.t.recording(id)).toMatchObject({
        upload: { state: "complete" },
        media: { size: bytes.length, sha256: sha256(bytes) },
      });
      const played = await disk.t.play(id);
      expect(played.status).toBe(200);
      expect(played.bytes.equals(bytes)).toBe(true);
      // Both roots hold the sealed object, byte for byte the same.
      expect(
        fs
          .readFileSync(sealedFile(disk.primary, objectId))
          .equals(fs.readFileSync(sealedFile(disk.backup, objectId))),
      ).toBe(true);
    });

    it("answers 507 when the backup disk is full, keeps nothing partial, and completes once there is room", async () => {
      const { id, bytes, client, url, objectId } = await disk.t.newUpload(6 * MiB + 777);
      const committed = 2 * MiB;
      expect((await client.patch(url, 0, bytes.subarray(0, committed))).offset).toBe(committed);

      // Leave about 1.5 MiB free on the backup's disk: the next 3 MiB cannot fit.
      const ballast = path.join(disk.mountPoint, "ballast");
      const { bavail, bsize } = fs.statfsSync(disk.mountPoint);
      fs.writeFileSync(ballast, Buffer.alloc(Math.max(0, bavail * bsize - 1.5 * MiB)));

      const full = await client.patch(url, committed, bytes.subarray(committed, committed + 3 * MiB));
      expectError(full, 507, "HUB_STORE_FULL");
      expect(full.body.error.message).toMatch(/full/i);
      expect(full.body.error.message).toMatch(/backup/);
      // The server reports the offset it had: nothing of the refused request counts.
      const head = await client.head(url);
      expect({ status: head.status, offset: head.offset }).toEqual({ status: 200, offset: committed });
      // ... and none of its bytes stay on either root: both are cut back to the committed segments.
      for (const root of [disk.primary, disk.backup])
        expect(staging(root, objectId)[".seg"]).toBe(HEADER + 2 * SEGMENT);
      // Never valid: the recording has no completed upload, it cannot be submitted or played, nothing is sealed.
      expect(await disk.t.recording(id)).toMatchObject({
        upload: { state: "in-progress", uploadedAt: null },
        media: { size: null, sha256: null },
      });
      const submit = await fetch(`${disk.t.url}/api/v1/recordings/${id}/submit`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${await disk.t.token("sh.pd.sales1")}`,
        },
        body: JSON.stringify({
          startedAt: "2026-11-23T09:30:00.000Z",
          endedAt: "2026-11-23T09:40:00.000Z",
          steps: [{ code: "consent", at: 0 }],
          watermark: { text: "x" },
        }),
      });
      expect(submit.status).toBe(409);
      expect(((await submit.json()) as any).error.code).toBe("HUB_RECORDING_UPLOAD_INCOMPLETE");
      expect((await disk.t.play(id)).status).toBe(409);
      for (const root of [disk.primary, disk.backup])
        expect(fs.existsSync(sealedFile(root, objectId))).toBe(false);

      // A full disk refuses a new upload too.
      const filler = path.join(disk.mountPoint, "filler");
      try {
        fs.writeFileSync(filler, Buffer.alloc(16 * MiB));
      } catch {
        // ENOSPC: the disk is now completely full, as wanted
      }
      const creation = await (await disk.t.tus()).create(await disk.t.draft(), 1000);
      expectError(creation, 507, "HUB_STORE_FULL");
      // Trying again while full changes nothing.
      expectError(
        await client.patch(url, committed, bytes.subarray(committed, committed + MiB)),
        507,
        "HUB_STORE_FULL",
      );
      expect((await client.head(url)).offset).toBe(committed);

      // Room again: the upload resumes from the offset the server reports and arrives whole.
      fs.rmSync(ballast);
      fs.rmSync(filler, { force: true });
      const resumed = await client.head(url);
      expect(resumed.offset).toBe(committed);
      await sendAll(client, url, bytes, resumed.offset!);
      expect(await disk.t.recording(id)).toMatchObject({
        upload: { state: "complete" },
        media: { size: bytes.length, sha256: sha256(bytes) },
      });
      const played = await disk.t.play(id);
      expect(played.status).toBe(200);
      expect(played.bytes.equals(bytes)).toBe(true);
    });

    it("answers 507 when the segments fit but the commit does not, and resumes from where it was", async () => {
      const { id, bytes, client, url, objectId } = await disk.t.newUpload(2 * MiB + 4321);

      // Room for the PATCH's whole segment on the backup, not for its tail (900 KiB) as well: the primary
      // commits, the backup cannot.
      const ballast = path.join(disk.mountPoint, "ballast");
      const { bavail, bsize } = fs.statfsSync(disk.mountPoint);
      fs.writeFileSync(ballast, Buffer.alloc(Math.max(0, bavail * bsize - (MiB + 300 * 1024))));
      try {
        const full = await client.patch(url, 0, bytes.subarray(0, MiB + 900 * 1024));
        expectError(full, 507, "HUB_STORE_FULL");
        const head = await client.head(url);
        expect({ status: head.status, offset: head.offset }).toEqual({ status: 200, offset: 0 });
      } finally {
        fs.rmSync(ballast);
      }
      // The offset the server reports, on both roots, whatever each had committed.
      const head = await client.head(url);
      expect({ status: head.status, offset: head.offset }).toEqual({ status: 200, offset: 0 });
      await sendAll(client, url, bytes, 0);
      expect(await disk.t.recording(id)).toMatchObject({
        upload: { state: "complete" },
        media: { size: bytes.length, sha256: sha256(bytes) },
      });
      expect((await disk.t.play(id)).bytes.equals(bytes)).toBe(true);
      expect(
        fs
          .readFileSync(sealedFile(disk.primary, objectId))
          .equals(fs.readFileSync(sealedFile(disk.backup, objectId))),
      ).toBe(true);
    });

    it("leaves no plaintext anywhere under the data directory, staging included", async () => {
      // One complete upload and one stopped half-way (a whole segment and an uncommitted tail in staging), both
      // with the marker in a whole segment, across a segment boundary and in the tail.
      const withMarker = (size: number, at: number[]) => {
        const bytes = crypto.randomBytes(size);
        for (const p of at) MARKER.copy(bytes, p);
        return bytes;
      };
      const complete = withMarker(2 * MiB + 100, [1000, MiB - 10, 2 * MiB + 20]);
      const partial = withMarker(3 * MiB, [5000, MiB - 20, MiB + 4000]);
      const client = await disk.t.tus();

      const done = await disk.t.draft();
      const doneUpload = await client.create(done, complete.length);
      await sendAll(client, doneUpload.uploadUrl!, complete, 0, 700_000);
      expect((await disk.t.recording(done)).upload.state).toBe("complete");

      const stopped = await disk.t.draft();
      const stoppedUpload = await client.create(stopped, partial.length);
      const url = stoppedUpload.uploadUrl!;
      expect((await client.patch(url, 0, partial.subarray(0, MiB + 5000))).offset).toBe(MiB + 5000);
      const objectId = url.split("/").pop()!;
      for (const root of [disk.primary, disk.backup]) {
        expect(staging(root, objectId)).toMatchObject({
          ".seg": HEADER + SEGMENT,
          ".tail": expect.any(Number),
        });
      }

      expect(occursUnder(disk.dataDir, MARKER)).toBeNull();
      // The search finds what it looks for.
      const probe = path.join(disk.backup, "staging", "probe.bin");
      fs.writeFileSync(probe, partial.subarray(MiB - 100, MiB + 100));
      try {
        expect(occursUnder(disk.dataDir, MARKER)).toBe(probe);
      } finally {
        fs.rmSync(probe);
      }
    });
  });

  describe("a backup root that turns read-only mid-upload, with HUB_STORE_MIN_REPLICAS=1", () => {
    const disk = useBackupDisk("hub-faults-min1-", { HUB_STORE_MIN_REPLICAS: "1" });

    it("goes on with the primary alone, from the offset it had, and plays back whole", async () => {
      const { id, bytes, client, url, objectId } = await disk.t.newUpload(3 * MiB + 17);
      expect((await client.patch(url, 0, bytes.subarray(0, MiB + 9))).offset).toBe(MiB + 9);

      remount(disk.mountPoint, "ro");
      try {
        await sendAll(client, url, bytes, MiB + 9);
      } finally {
        remount(disk.mountPoint, "rw");
      }
      expect(await disk.t.recording(id)).toMatchObject({
        upload: { state: "complete" },
        media: { size: bytes.length, sha256: sha256(bytes) },
      });
      const played = await disk.t.play(id);
      expect(played.status).toBe(200);
      expect(played.bytes.equals(bytes)).toBe(true);
      expect(fs.existsSync(sealedFile(path.join(disk.dataDir, "evidence", "primary"), objectId))).toBe(true);
      expect(fs.existsSync(sealedFile(path.join(disk.mountPoint, "root"), objectId))).toBe(false);
    });
  });

  describe("a backup root that is a file, not a directory", () => {
    let dataDir: string;
    let backup: string;
    let t: TestHub | null = null;

    beforeAll(() => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "hub-faults-file-"));
      backup = path.join(dataDir, "backup-root");
      fs.writeFileSync(backup, "not a directory");
    });
    afterEach(async () => {
      await t?.stop();
      t = null;
    });
    afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

    it("refuses uploads with 503 HUB_STORE_REPLICA_UNAVAILABLE with two replicas required", async () => {
      t = await testHub(dataDir, { HUB_STORE_BACKUP: backup });
      const id = await t.draft();
      const res = await (await t.tus()).create(id, 1000);
      expectError(res, 503, "HUB_STORE_REPLICA_UNAVAILABLE");
      expect(res.body.error.message).toMatch(/backup/);
      expect(await t.recording(id)).toMatchObject({ upload: { state: "none" }, media: null });
    });

    it("goes on with the primary alone when HUB_STORE_MIN_REPLICAS=1", async () => {
      t = await testHub(dataDir, { HUB_STORE_BACKUP: backup, HUB_STORE_MIN_REPLICAS: "1" });
      const { id, bytes, client, url, objectId } = await t.newUpload(2 * MiB + 99);
      await sendAll(client, url, bytes, 0);
      expect(await t.recording(id)).toMatchObject({
        upload: { state: "complete" },
        media: { size: bytes.length, sha256: sha256(bytes) },
      });
      const played = await t.play(id);
      expect(played.status).toBe(200);
      expect(played.bytes.equals(bytes)).toBe(true);
      expect(fs.existsSync(sealedFile(path.join(dataDir, "evidence", "primary"), objectId))).toBe(true);
      expect(fs.readFileSync(backup, "utf8")).toBe("not a directory");
    });
  });

  describe("a last PATCH whose bytes are committed but cannot be sealed", () => {
    let dataDir: string;
    let t: TestHub;
    beforeAll(async () => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "hub-faults-seal-"));
      t = await testHub(dataDir);
    });
    afterAll(async () => {
      await t?.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it("keeps every byte, and seals on the client's next HEAD once the root can take it", async () => {
      const { id, bytes, client, url, objectId } = await t.newUpload(2 * MiB + 5);
      expect((await client.patch(url, 0, bytes.subarray(0, MiB + 3))).offset).toBe(MiB + 3);

      // A file where the primary's sealed/<ab>/ directory must be made: the last segment is committed on both
      // roots, sealing then fails.
      const primary = path.join(dataDir, "evidence", "primary");
      const blocker = path.join(primary, "sealed", objectId.slice(0, 2));
      fs.mkdirSync(path.dirname(blocker), { recursive: true });
      fs.writeFileSync(blocker, "in the way");
      const last = await client.patch(url, MiB + 3, bytes.subarray(MiB + 3));
      expect(last.status).toBeGreaterThanOrEqual(500);
      expect(last.body.error.code).toMatch(/^HUB_STORE_/);
      expect(await t.recording(id)).toMatchObject({ upload: { state: "in-progress" } });
      // While it is still in the way, HEAD fails the same way and nothing is lost.
      expect((await client.head(url)).status).toBeGreaterThanOrEqual(500);

      fs.rmSync(blocker);
      const head = await client.head(url);
      expect({ status: head.status, offset: head.offset }).toEqual({ status: 200, offset: bytes.length });
      expect(await t.recording(id)).toMatchObject({
        upload: { state: "complete" },
        media: { size: bytes.length, sha256: sha256(bytes) },
      });
      expect(fs.existsSync(sealedFile(primary, objectId))).toBe(true);
      const played = await t.play(id);
      expect(played.status).toBe(200);
      expect(played.bytes.equals(bytes)).toBe(true);
    });
  });
});
