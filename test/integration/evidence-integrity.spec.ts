/**
 * Media worker and integrity end to end on embedded SQLite, through the real HTTP gateway: a recorder's WebM gets
 * its facts, poster and seekable rendition; a job interrupted by a restart is done after it; a flipped byte in one
 * replica is survived, alarmed and repaired; flipped in both, `dual-record evidence verify` names the recording.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { loadConfig } from "../../hub/config";
import { main as cli } from "../../hub/cli";
import { AuditEntryEntity, RecordingEntity } from "../../hub/db/entities";
import { startHub } from "../../hub/hub";
import { readWebmInfo } from "../../hub/media/webm";
import { HEADER_SIZE } from "../../hub/storage/segment-format";
import { makeTestMedia, type TestMedia } from "../fixtures/media/make-media";
import { withEnv } from "../support/env";
import { startHarness, type Harness } from "../support/hub-harness";
import { TusClient } from "../support/tus";

jest.setTimeout(300_000);

const sale = { customerNo: "C000000001", productCode: "AM2026001", kind: "sale" };
const submitBody = {
  startedAt: "2026-11-23T09:30:00.000Z",
  endedAt: "2026-11-23T09:40:00.000Z",
  steps: [{ code: "consent", at: 0 }],
  watermark: { text: "浦东支行 sh.pd.sales1" },
};

let h: Harness;
let media: TestMedia;
let sales: string;
let manager: string;

beforeAll(async () => {
  // The engine of a fresh machine (no ffmpeg on PATH); the native one is covered by hub/media's specs.
  h = await startHarness("embedded-sqlite", { HUB_MEDIA_ENGINE: "wasm" });
  sales = await h.login("sh.pd.sales1");
  manager = await h.login("sh.pd.manager");
});

afterAll(async () => {
  await h?.stop();
});

/** A draft with `bytes` uploaded through tus in one PATCH; returns its id and the original's object id. */
async function uploadedRecording(bytes: Buffer, type: string, body: object = sale) {
  const created = await h.api<{ id: string }>("POST", "/api/v1/recordings", { token: sales, body });
  expect(created.status).toBe(201);
  const tus = new TusClient(h.url, sales);
  const upload = await tus.create(created.body.id, bytes.length, type);
  expect(upload.status).toBe(201);
  const patched = await tus.patch(upload.uploadUrl!, 0, bytes);
  expect(patched.status).toBe(204);
  return { id: created.body.id, objectId: new URL(upload.uploadUrl!).pathname.split("/").pop()! };
}

async function recording(id: string, token = manager) {
  const res = await h.api<any>("GET", `/api/v1/recordings/${id}`, { token });
  expect(res.status).toBe(200);
  return res.body;
}

async function mediaSettled(id: string) {
  for (const end = Date.now() + 180_000; Date.now() < end;) {
    const r = await recording(id);
    if (r.mediaStatus !== "pending") return r;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`media of ${id} still pending after 180 s`);
}

async function play(id: string, query = "") {
  const res = await fetch(`${h.url}/api/v1/recordings/${id}/media${query}`, {
    headers: { authorization: `Bearer ${manager}` },
  });
  return {
    status: res.status,
    bytes: Buffer.from(await res.arrayBuffer()),
    type: res.headers.get("content-type"),
  };
}

function sealedFile(replica: "primary" | "backup", objectId: string): string {
  return path.join(h.dataDir, "evidence", replica, "sealed", objectId.slice(0, 2), `${objectId}.seg`);
}

function flipByte(file: string, at: number) {
  const fd = fs.openSync(file, "r+");
  try {
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, at);
    b[0] ^= 0x5a;
    fs.writeSync(fd, b, 0, 1, at);
  } finally {
    fs.closeSync(fd);
  }
}

async function alarms(objectId: string) {
  const rows = await h.db.manager
    .getRepository(AuditEntryEntity)
    .find({ where: { action: "evidence.alarm", target: objectId }, order: { seq: "ASC" } });
  return rows.map((r) => JSON.parse(r.details!) as { replica: string; verdict: string; during: string });
}

async function verify(args: string[] = []) {
  const out: string[] = [];
  const errors: string[] = [];
  const code = await withEnv(h.env, () =>
    cli(["evidence", "verify", ...args], { log: (s) => out.push(s), error: (s) => errors.push(s) }),
  );
  return { code, report: out.length ? JSON.parse(out[out.length - 1]) : null, errors };
}

const sha256 = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");

describe("media worker through the hub", () => {
  beforeAll(async () => {
    media = await makeTestMedia();
  });

  it("finds the facts of a recorder WebM, stores a seekable canonical rendition and a poster, and seals them", async () => {
    const { id } = await uploadedRecording(media.recorderWebm, "video/webm");
    const r = await mediaSettled(id);
    expect(r.mediaError).toBeNull();
    expect(r.mediaStatus).toBe("done");
    expect(r.mediaFacts).toMatchObject({ width: 320, height: 240, fps: 15, video: true, audio: true });
    expect(Math.abs(r.mediaFacts.durationMs - 3000)).toBeLessThanOrEqual(100);
    expect(r.renditions).toEqual(["original", "canonical"]);

    const original = await play(id);
    expect(original.status).toBe(200);
    expect(original.bytes.equals(media.recorderWebm)).toBe(true);
    expect(readWebmInfo(original.bytes).cuePoints).toBe(0);
    const canonical = await play(id, "?rendition=canonical");
    expect(canonical.status).toBe(200);
    expect(canonical.type).toMatch(/^video\/webm/);
    const info = readWebmInfo(canonical.bytes);
    expect(info.cuePoints).toBeGreaterThan(0);
    expect(Math.abs(info.durationMs! - 3000)).toBeLessThanOrEqual(100);

    const submitted = await h.api<any>("POST", `/api/v1/recordings/${id}/submit`, {
      token: sales,
      body: submitBody,
    });
    expect(submitted.status).toBe(200);
    expect(submitted.body.manifest.mediaFacts).toEqual(r.mediaFacts);
    expect(submitted.body.manifest.objects.map((o: { name: string }) => o.name).sort()).toEqual([
      "canonical",
      "original",
      "poster",
    ]);
    const row = await h.db.manager.getRepository(RecordingEntity).findOneByOrFail({ id });
    expect(row.posterMediaType).toBe("image/jpeg");
    expect(row.canonicalSha256).toBe(sha256(canonical.bytes));
    // Both copies of every sealed object verify against the manifest.
    const check = await verify(["--id", id]);
    expect(check).toMatchObject({
      code: 0,
      report: { ok: true, recordings: 1, objects: 3, repaired: [], failed: [] },
    });
  });

  it("records a file ffmpeg cannot read as failed, with the reason, and still lets it be submitted", async () => {
    const junk = Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), crypto.randomBytes(50_000)]);
    const { id } = await uploadedRecording(junk, "video/webm");
    const r = await mediaSettled(id);
    expect(r.mediaStatus).toBe("failed");
    expect(typeof r.mediaError).toBe("string");
    expect(r.mediaError.length).toBeGreaterThan(0);
    expect(r.renditions).toEqual(["original"]);
    const submitted = await h.api<any>("POST", `/api/v1/recordings/${id}/submit`, {
      token: sales,
      body: submitBody,
    });
    expect(submitted.status).toBe(200);
    expect(submitted.body.manifest).toMatchObject({ mediaFacts: null, mediaError: r.mediaError });
  });

  it("adds media made after submit to the chain as its own entry, never changing the manifest", async () => {
    const { id } = await uploadedRecording(media.audioWebm, "audio/webm", { ...sale, kind: "callback" });
    const submitted = await h.api<any>("POST", `/api/v1/recordings/${id}/submit`, {
      token: sales,
      body: submitBody,
    });
    expect(submitted.status).toBe(200);
    await mediaSettled(id);
    // However the race went, replay the case where the worker finishes after submit: pending again, and its cue.
    const repo = h.db.manager.getRepository(RecordingEntity);
    await repo.update({ id }, { mediaStatus: "pending", mediaFacts: null, canonicalObject: null } as never);
    h.hubs[0].broker.broadcastLocal("recordings.uploaded", { recordingId: id });
    const r = await mediaSettled(id);
    expect(r.mediaStatus).toBe("done");
    const row = await repo.findOneByOrFail({ id });
    expect(JSON.parse(row.manifest!)).toEqual(submitted.body.manifest);
    const entries = await h.db.manager
      .getRepository(AuditEntryEntity)
      .find({ where: { action: "recording.rendition", target: `recording:${id}` }, order: { seq: "DESC" } });
    expect(entries.length).toBeGreaterThanOrEqual(1);
    const details = JSON.parse(entries[0].details!);
    expect(details).toMatchObject({
      recordingId: id,
      manifestSeq: submitted.body.chain.seq,
      mediaError: null,
    });
    expect(details.mediaFacts).toMatchObject({ audio: true, video: false });
    expect(details.objects).toEqual([
      {
        name: "canonical",
        objectId: row.canonicalObject,
        size: Number(row.canonicalStoredSize),
        sha256: row.canonicalStoredSha256,
      },
    ]);
    // The rendition made after submit is scrubbed with the manifest's objects.
    expect((await verify(["--id", id])).report).toMatchObject({ ok: true, objects: 2 });
  });
});

describe("integrity of the replicas", () => {
  it("plays a recording with a byte flipped in one replica, raises the alarm, and the scrubber repairs it", async () => {
    const bytes = crypto.randomBytes(3 * 1024 * 1024 + 777);
    const { id, objectId } = await uploadedRecording(bytes, "application/pdf", { ...sale, kind: "scan" });
    expect(
      (await h.api("POST", `/api/v1/recordings/${id}/submit`, { token: sales, body: submitBody })).status,
    ).toBe(200);
    const primary = sealedFile("primary", objectId);
    const good = fs.readFileSync(primary);
    flipByte(primary, HEADER_SIZE + 1024 * 1024 + 5000);

    const played = await play(id);
    expect(played.status).toBe(200);
    expect(sha256(played.bytes)).toBe(sha256(bytes));
    expect(await alarms(objectId)).toContainEqual(
      expect.objectContaining({ replica: "primary", verdict: "corrupt", during: "read" }),
    );
    const metrics = await h.api<string>("GET", "/metrics");
    expect(metrics.text).toMatch(/hub_evidence_alarms_total\{[^}]*replica="primary"[^}]*\} [1-9]/);

    const scrubbed = await verify();
    expect(scrubbed.code).toBe(0);
    expect(scrubbed.report.ok).toBe(true);
    expect(scrubbed.report.repaired).toEqual([
      expect.objectContaining({ recordingId: id, name: "original", objectId, repaired: ["primary"] }),
    ]);
    expect(fs.readFileSync(primary).equals(good)).toBe(true);
    expect(await alarms(objectId)).toContainEqual(
      expect.objectContaining({ replica: "primary", verdict: "corrupt", during: "scrub" }),
    );
    // Repaired: a second pass finds nothing to do.
    expect((await verify(["--id", id])).report).toMatchObject({ ok: true, repaired: [], failed: [] });

    // A copy gone missing is put back too.
    fs.rmSync(sealedFile("backup", objectId));
    expect((await verify(["--id", id])).report.repaired).toEqual([
      expect.objectContaining({ objectId, repaired: ["backup"] }),
    ]);
    expect(fs.readFileSync(sealedFile("backup", objectId)).equals(good)).toBe(true);
  });

  it("reports a recording flipped in both replicas, and exits 1", async () => {
    const bytes = crypto.randomBytes(2 * 1024 * 1024);
    const { id, objectId } = await uploadedRecording(bytes, "application/pdf", { ...sale, kind: "scan" });
    expect(
      (await h.api("POST", `/api/v1/recordings/${id}/submit`, { token: sales, body: submitBody })).status,
    ).toBe(200);
    // Both copies of the first segment are damaged (in different bytes); the second segment is good on both.
    flipByte(sealedFile("primary", objectId), HEADER_SIZE + 10);
    flipByte(sealedFile("backup", objectId), HEADER_SIZE + 100);
    const result = await verify();
    expect(result.code).toBe(1);
    expect(result.report.ok).toBe(false);
    expect(result.report.failed).toEqual([
      expect.objectContaining({
        recordingId: id,
        name: "original",
        objectId,
        verdicts: { primary: "corrupt", backup: "corrupt" },
      }),
    ]);
    // Playback of a segment bad everywhere fails loudly, never with wrong bytes; the good segment still plays.
    const range = (r: string) =>
      fetch(`${h.url}/api/v1/recordings/${id}/media`, {
        headers: { authorization: `Bearer ${manager}`, range: r },
      });
    const bad = await range("bytes=0-99");
    expect(bad.status).toBe(500);
    const badBody = await bad.text();
    expect(JSON.parse(badBody)).toMatchObject({ error: { code: "HUB_STORE_CORRUPT" } });
    const good = await range("bytes=1048676-1048775");
    expect(good.status).toBe(206);
    expect(Buffer.from(await good.arrayBuffer()).equals(bytes.subarray(1048676, 1048776))).toBe(true);
  });
});

describe("the background scrubber", () => {
  let own: Harness;
  afterAll(async () => {
    await own?.stop();
  });

  it("repairs a corrupt copy on its own, every HUB_SCRUB_INTERVAL seconds, and raises the alarm", async () => {
    own = await startHarness("embedded-sqlite", { HUB_SCRUB_INTERVAL: "1" });
    const token = await own.login("sh.pd.sales1");
    const created = await own.api<{ id: string }>("POST", "/api/v1/recordings", {
      token,
      body: { ...sale, kind: "scan" },
    });
    const bytes = crypto.randomBytes(1_500_000);
    const tus = new TusClient(own.url, token);
    const upload = await tus.create(created.body.id, bytes.length, "application/pdf");
    expect((await tus.patch(upload.uploadUrl!, 0, bytes)).status).toBe(204);
    const objectId = new URL(upload.uploadUrl!).pathname.split("/").pop()!;
    expect(
      (await own.api("POST", `/api/v1/recordings/${created.body.id}/submit`, { token, body: submitBody }))
        .status,
    ).toBe(200);
    const backup = path.join(
      own.dataDir,
      "evidence",
      "backup",
      "sealed",
      objectId.slice(0, 2),
      `${objectId}.seg`,
    );
    const good = fs.readFileSync(backup);
    flipByte(backup, HEADER_SIZE + 1_200_000);
    for (const end = Date.now() + 30_000; Date.now() < end;) {
      if (fs.readFileSync(backup).equals(good)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(fs.readFileSync(backup).equals(good)).toBe(true);
    const alarm = await own.db.manager
      .getRepository(AuditEntryEntity)
      .findOneByOrFail({ action: "evidence.alarm", target: objectId });
    expect(JSON.parse(alarm.details!)).toMatchObject({
      replica: "backup",
      verdict: "corrupt",
      during: "scrub",
    });
  });
});

describe("media jobs survive a restart", () => {
  beforeAll(async () => {
    media ??= await makeTestMedia();
  });

  it("does a job left pending by a stopped hub when the next hub starts", async () => {
    const { id } = await uploadedRecording(media.shortWebm, "video/webm");
    // As if the hub had died before the worker ran: pending, nothing made.
    const repo = h.db.manager.getRepository(RecordingEntity);
    await mediaSettled(id);
    await repo.update({ id }, {
      mediaStatus: "pending",
      mediaFacts: null,
      canonicalObject: null,
      posterObject: null,
    } as never);
    for (const hub of h.hubs) await hub.stop();
    const second = await startHub(loadConfig(h.env));
    h.hubs.splice(0, h.hubs.length, second); // the harness stops it and removes the data directory
    const db = second.db!;
    for (const end = Date.now() + 180_000; Date.now() < end;) {
      const row = await db.manager.getRepository(RecordingEntity).findOneByOrFail({ id });
      if (row.mediaStatus !== "pending") {
        expect(row.mediaStatus).toBe("done");
        expect(row.canonicalObject).toMatch(/^[0-9a-f]{32}$/);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error("the pending media job was not done after the restart");
  });
});
