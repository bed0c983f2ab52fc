import { execFile } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { loadConfig } from "../../hub/config";
import { loadMasterKey } from "../../hub/keys";
import {
  PLAY_TICKET_KEY_INFO,
  PLAY_TICKET_LIFETIME_MS,
  sealPlayTicket,
} from "../../hub/services/gateway/play-ticket";
import { KeyRing } from "../../hub/storage/data-keys";
import type { Harness } from "../support/hub-harness";
import { TusClient, tusMetadata, type TusResponse } from "../support/tus";

const run = promisify(execFile);
const MiB = 1024 * 1024;
/** Three segments of the store (1 MiB each), the last one short. */
const SIZE = 2 * MiB + 12_345;
const DEFAULT_MAX = 4 * 1024 ** 3;

const sha256 = (bytes: Buffer) => crypto.createHash("sha256").update(bytes).digest("hex");
const b64sha256 = (bytes: Buffer) => crypto.createHash("sha256").update(bytes).digest("base64");

/** Bytes a test sends: random, so that no two recordings or segments look alike. */
const media = (size: number) => crypto.randomBytes(size);

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

/**
 * Uploads (tus 1.0), playback with HTTP Range and the evidence package through the real HTTP gateway: the byte
 * paths that never cross the service bus. Runs inside the hub suite, on each topology (in a cluster the gateway
 * node has no database and asks the back end for every grant).
 */
export function describeUploads(harness: () => Harness, token: (username: string) => Promise<string>): void {
  const h = () => harness();
  const tus = async (username: string) => new TusClient(h().url, await token(username));

  /** Our one error shape, with the code's status, as JSON, and never a stack trace. */
  function expectError(res: Reply | TusResponse, status: number, code: string) {
    expect({ status: res.status, code: res.body?.error?.code, text: res.text.slice(0, 300) }).toEqual({
      status,
      code,
      text: expect.any(String),
    });
    expect(typeof res.body.error.message).toBe("string");
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
  }

  async function raw(method: string, urlPath: string, headers: Record<string, string> = {}, body?: Buffer) {
    const res = await fetch(h().url + urlPath, { method, headers, body });
    const buf = Buffer.from(await res.arrayBuffer());
    const text = buf.toString("utf8");
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
    return { status: res.status, headers: res.headers, text, body: parsed as any, bytes: buf };
  }

  const sale = { customerNo: "C000000001", productCode: "AM2026001", kind: "sale" };
  const goodSubmit = {
    startedAt: "2026-11-23T09:30:00.000Z",
    endedAt: "2026-11-23T09:40:00.000Z",
    steps: [
      { code: "consent", at: 0 },
      { code: "confirmation", at: 590_000 },
    ],
    watermark: { text: "浦东支行 sh.pd.sales1", clock: "hub", position: "bottom-right" },
  };

  async function draft(username = "sh.pd.sales1", body: Record<string, unknown> = sale): Promise<string> {
    const res = await h().api("POST", "/api/v1/recordings", { token: await token(username), body });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  const recording = async (id: string, username = "sh.pd.sales1") =>
    h().api("GET", `/api/v1/recordings/${id}`, { token: await token(username) });

  /** Creates the upload and sends `bytes` in chunks of `chunk` bytes, each with its checksum. */
  async function upload(
    id: string,
    bytes: Buffer,
    options: { username?: string; chunk?: number; type?: string } = {},
  ): Promise<string> {
    const client = await tus(options.username ?? "sh.pd.sales1");
    const created = await client.create(id, bytes.length, options.type ?? "video/webm");
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toMatch(/^\/api\/v1\/uploads\/[0-9a-f]{32}$/);
    const url = created.uploadUrl!;
    const chunk = options.chunk ?? 700_001;
    for (let offset = 0; offset < bytes.length;) {
      const res = await client.patch(url, offset, bytes.subarray(offset, offset + chunk));
      expect({ status: res.status, text: res.text }).toEqual({ status: 204, text: "" });
      expect(res.offset).toBe(Math.min(offset + chunk, bytes.length));
      offset = res.offset!;
    }
    return url;
  }

  async function submitted(bytes: Buffer): Promise<string> {
    const id = await draft();
    await upload(id, bytes);
    const res = await h().api("POST", `/api/v1/recordings/${id}/submit`, {
      token: await token("sh.pd.sales1"),
      body: goodSubmit,
    });
    expect(res.status).toBe(200);
    return id;
  }

  const play = async (id: string, username: string, headers: Record<string, string> = {}) =>
    raw("GET", `/api/v1/recordings/${id}/media`, {
      authorization: `Bearer ${await token(username)}`,
      ...headers,
    });

  const stagingEntries = () =>
    ["primary", "backup"].flatMap((root) => {
      const dir = path.join(h().dataDir, "evidence", root, "staging");
      return fs.existsSync(dir) ? fs.readdirSync(dir).map((name) => `${root}/${name}`) : [];
    });

  describe("uploads, playback and evidence over HTTP", () => {
    it("announces tus 1.0 with creation, deferred length, termination and sha256 checksums, without a token", async () => {
      const res = await raw("OPTIONS", "/api/v1/uploads");
      expect(res.status).toBe(204);
      expect(res.headers.get("tus-version")).toBe("1.0.0");
      const extensions = res.headers
        .get("tus-extension")!
        .split(",")
        .map((e) => e.trim());
      expect(extensions).toEqual(
        expect.arrayContaining(["creation", "creation-defer-length", "termination", "checksum"]),
      );
      expect(
        res.headers
          .get("tus-checksum-algorithm")!
          .split(",")
          .map((a) => a.trim()),
      ).toContain("sha256");
      expect(res.headers.get("tus-max-size")).toBe(String(DEFAULT_MAX));
      // A browser can send the token and the checksum, and read the algorithms.
      expect(res.headers.get("access-control-allow-headers")).toMatch(/Authorization/);
      expect(res.headers.get("access-control-allow-headers")).toMatch(/Upload-Checksum/);
    });

    it("answers tus protocol errors in the hub's JSON error shape, in the caller's language", async () => {
      const id = await draft();
      const auth = { Authorization: `Bearer ${await token("sh.pd.sales1")}` };
      const creation = {
        ...auth,
        "Tus-Resumable": "1.0.0",
        "Upload-Length": "10",
        "Upload-Metadata": tusMetadata({ recordingId: id, filetype: "video/webm" }),
      };
      const { "Tus-Resumable": _version, ...unversioned } = creation;
      expectError(await raw("POST", "/api/v1/uploads", unversioned), 400, "HUB_BAD_REQUEST");
      expectError(
        await raw("POST", "/api/v1/uploads", { ...creation, "Tus-Resumable": "0.2.2" }),
        400,
        "HUB_BAD_REQUEST",
      );
      expectError(
        await raw("POST", "/api/v1/uploads", { ...creation, "Upload-Length": "ten" }),
        400,
        "HUB_BAD_REQUEST",
      );
      const { "Upload-Length": _length, ...lengthless } = creation;
      expectError(await raw("POST", "/api/v1/uploads", lengthless), 400, "HUB_BAD_REQUEST");
      const created = await (await tus("sh.pd.sales1")).create(id, 10);
      const uploadPath = new URL(created.uploadUrl!).pathname;
      const wrongType = await raw(
        "PATCH",
        uploadPath,
        { ...auth, "Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/json" },
        Buffer.from("{}"),
      );
      expectError(wrongType, 400, "HUB_BAD_REQUEST");
      for (const method of ["GET", "PUT"])
        expectError(await raw(method, uploadPath, auth), 404, "HUB_NOT_FOUND");
      expectError(
        await raw("POST", "/api/v1/uploads", {
          ...creation,
          "Upload-Metadata": tusMetadata({ recordingId: "f".repeat(32), filetype: "video/webm" }),
        }),
        404,
        "HUB_RECORDING_NOT_FOUND",
      );
      const english = await raw("POST", "/api/v1/uploads", {
        ...creation,
        "Accept-Language": "en-US,en;q=0.9",
        "Upload-Length": String(DEFAULT_MAX + 1),
      });
      expectError(english, 413, "HUB_UPLOAD_TOO_LARGE");
      expect(english.body.error.message).toMatch(/^The upload exceeds the size limit/);
      expect(
        (await raw("HEAD", uploadPath, { ...auth, "Tus-Resumable": "1.0.0" })).headers.get("upload-offset"),
      ).toBe("0");
    });

    it("refuses a creation without a token, for someone else's, a submitted or an unknown recording", async () => {
      const id = await draft();
      const metadata = tusMetadata({ recordingId: id, filetype: "video/webm" });
      const creation = { "Tus-Resumable": "1.0.0", "Upload-Length": "10", "Upload-Metadata": metadata };
      const before = stagingEntries();

      expectError(await raw("POST", "/api/v1/uploads", creation), 401, "HUB_AUTH_REQUIRED");
      expectError(
        await raw("POST", "/api/v1/uploads", { ...creation, Authorization: "Bearer not-a-token" }),
        401,
        "HUB_AUTH_TOKEN_INVALID",
      );
      for (const other of ["sh.pd.manager", "bj.cy.sales1", "hq.admin"]) {
        const res = await (await tus(other)).create(id, 10);
        expectError(res, 403, "HUB_RECORDING_NOT_CREATOR");
        expect(res.uploadUrl).toBeNull();
      }
      expectError(
        await (await tus("sh.pd.sales1")).create("f".repeat(32), 10),
        404,
        "HUB_RECORDING_NOT_FOUND",
      );
      expectError(await (await tus("sh.pd.sales1")).create("NOT-AN-ID", 10), 404, "HUB_RECORDING_NOT_FOUND");
      const noRecording = await raw("POST", "/api/v1/uploads", {
        ...creation,
        Authorization: `Bearer ${await token("sh.pd.sales1")}`,
        "Upload-Metadata": tusMetadata({ filetype: "video/webm" }),
      });
      expectError(noRecording, 422, "HUB_VALIDATION_FAILED");

      const done = await submitted(media(1000));
      const late = await (await tus("sh.pd.sales1")).create(done, 10);
      expectError(late, 409, "HUB_RECORDING_NOT_DRAFT");

      // None of these left anything behind, in the recording or on disk.
      expect((await recording(id)).body).toMatchObject({ upload: { state: "none" }, media: null });
      expect(stagingEntries()).toEqual(before);
    });

    it("refuses a type the recording's kind does not take (415) and a length above the limit (413)", async () => {
      const id = await draft();
      const before = stagingEntries();
      const client = await tus("sh.pd.sales1");
      for (const type of ["audio/ogg", "image/png", "text/plain", "", "video/webm/x"]) {
        const res = await client.create(id, 1000, type);
        expectError(res, 415, "HUB_UPLOAD_TYPE_NOT_ALLOWED");
      }
      const callback = await draft("sh.pd.sales1", { ...sale, kind: "callback" });
      expectError(await client.create(callback, 1000, "video/webm"), 415, "HUB_UPLOAD_TYPE_NOT_ALLOWED");
      const accepted = await client.create(callback, 1000, "audio/ogg");
      expect(accepted.status).toBe(201);
      const objectId = accepted.uploadUrl!.split("/").pop()!;

      const tooLarge = await client.create(id, DEFAULT_MAX + 1);
      expectError(tooLarge, 413, "HUB_UPLOAD_TOO_LARGE");
      expect((await recording(id)).body).toMatchObject({ upload: { state: "none" }, media: null });
      // Only the callback's upload is on disk, in both roots; the refused ones left nothing.
      expect(
        stagingEntries()
          .filter((e) => !before.includes(e))
          .sort(),
      ).toEqual(
        ["backup", "primary"].flatMap((root) =>
          ["meta", "seg", "tail"].map((ext) => `${root}/${objectId}.${ext}`),
        ),
      );

      // A recorder's type with codecs is its essence.
      const withCodecs = await client.create(id, 1000, 'video/webm;codecs="vp8,opus"');
      expect(withCodecs.status).toBe(201);
      expect((await recording(id)).body).toMatchObject({
        upload: { state: "in-progress" },
        media: { type: "video/webm", size: null, sha256: null },
      });

      // More bytes than the upload's length.
      const small = await client.create(id, 10);
      const over = await client.patch(small.uploadUrl!, 0, media(11), { checksum: false });
      expectError(over, 413, "HUB_UPLOAD_TOO_LARGE");
      expect((await client.head(small.uploadUrl!)).offset).toBe(0);
    });

    it("keeps the offset when a PATCH names the wrong offset, fails its checksum or is not the creator's", async () => {
      const id = await draft();
      const bytes = media(SIZE);
      const client = await tus("sh.pd.sales1");
      const { uploadUrl, status } = await client.create(id, bytes.length);
      expect(status).toBe(201);
      const url = uploadUrl!;
      const first = await client.patch(url, 0, bytes.subarray(0, MiB + 7));
      expect({ status: first.status, offset: first.offset }).toEqual({ status: 204, offset: MiB + 7 });
      const offset = async () => {
        const head = await client.head(url);
        expect(head.status).toBe(200);
        expect(head.headers.get("cache-control")).toBe("no-store");
        expect(head.headers.get("upload-length")).toBe(String(SIZE));
        return head.offset;
      };
      expect(await offset()).toBe(MiB + 7);

      for (const wrong of [0, MiB, MiB + 8, SIZE]) {
        const res = await client.patch(url, wrong, bytes.subarray(wrong, wrong + 100));
        expectError(res, 409, "HUB_UPLOAD_OFFSET_MISMATCH");
      }
      expect(await offset()).toBe(MiB + 7);

      // A body whose SHA-256 is not the announced one: none of it is kept, even the whole segment it completes.
      const next = bytes.subarray(MiB + 7, MiB + 7 + MiB);
      const corrupted = Buffer.from(next);
      corrupted[corrupted.length - 1] ^= 0xff;
      const mismatch = await client.patch(url, MiB + 7, corrupted, { checksum: `sha256 ${b64sha256(next)}` });
      expectError(mismatch, 460, "HUB_UPLOAD_CHECKSUM_MISMATCH");
      expect(await offset()).toBe(MiB + 7);
      // Only sha256 is offered.
      const md5 = crypto.createHash("md5").update(next).digest("base64");
      expectError(await client.patch(url, MiB + 7, next, { checksum: `md5 ${md5}` }), 400, "HUB_BAD_REQUEST");
      expect(await offset()).toBe(MiB + 7);

      // Nobody else may write, read the offset of, or end the creator's upload.
      const manager = await tus("sh.pd.manager");
      expectError(await manager.patch(url, MiB + 7, next), 403, "HUB_RECORDING_NOT_CREATOR");
      expect((await manager.head(url)).status).toBe(403);
      expectError(await manager.terminate(url), 403, "HUB_RECORDING_NOT_CREATOR");
      const anonymous = await raw(
        "PATCH",
        new URL(url).pathname,
        {
          "Tus-Resumable": "1.0.0",
          "Upload-Offset": String(MiB + 7),
          "Content-Type": "application/offset+octet-stream",
        },
        next,
      );
      expectError(anonymous, 401, "HUB_AUTH_REQUIRED");
      expect(await offset()).toBe(MiB + 7);
      expect((await recording(id)).body).toMatchObject({ upload: { state: "in-progress" } });

      // The right bytes at the right offset go on from there; the whole file arrives intact.
      for (let at = MiB + 7; at < SIZE;) {
        const res = await client.patch(url, at, bytes.subarray(at, at + 900_000));
        expect(res.status).toBe(204);
        at = res.offset!;
      }
      expect(await offset()).toBe(SIZE);
      expect((await recording(id)).body).toMatchObject({
        upload: { state: "complete", uploadedAt: expect.any(String) },
        media: { type: "video/webm", size: SIZE, sha256: sha256(bytes) },
        renditions: ["original"],
      });
      // A complete upload takes no more bytes and cannot be terminated.
      expectError(await client.patch(url, SIZE, Buffer.from("x")), 413, "HUB_UPLOAD_TOO_LARGE");
      expectError(await client.terminate(url), 400, "HUB_BAD_REQUEST");
      expect((await recording(id)).body.media).toMatchObject({ size: SIZE, sha256: sha256(bytes) });
    });

    it("takes the length on a later PATCH when it was deferred", async () => {
      const id = await draft();
      const bytes = media(MiB + 4321);
      const client = await tus("sh.pd.sales1");
      const created = await client.create(id, null);
      expect(created.status).toBe(201);
      const url = created.uploadUrl!;
      const head = await client.head(url);
      expect({ offset: head.offset, defer: head.headers.get("upload-defer-length") }).toEqual({
        offset: 0,
        defer: "1",
      });
      expect(head.headers.get("upload-length")).toBeNull();

      const first = await client.patch(url, 0, bytes.subarray(0, 600_000));
      expect({ status: first.status, offset: first.offset }).toEqual({ status: 204, offset: 600_000 });
      expect((await recording(id)).body.upload.state).toBe("in-progress");
      const last = await client.patch(url, 600_000, bytes.subarray(600_000), { length: bytes.length });
      expect({ status: last.status, offset: last.offset }).toEqual({ status: 204, offset: bytes.length });
      const after = await client.head(url);
      expect(after.headers.get("upload-length")).toBe(String(bytes.length));
      expect(after.offset).toBe(bytes.length);
      expect((await recording(id)).body).toMatchObject({
        upload: { state: "complete" },
        media: { size: bytes.length, sha256: sha256(bytes) },
      });
    });

    it("completes an empty file as soon as its upload is created", async () => {
      const id = await draft("sh.pd.sales1", { ...sale, kind: "scan" });
      const client = await tus("sh.pd.sales1");
      const created = await client.create(id, 0, "application/pdf");
      expect(created.status).toBe(201);
      const head = await client.head(created.uploadUrl!);
      expect({ offset: head.offset, length: head.headers.get("upload-length") }).toEqual({
        offset: 0,
        length: "0",
      });
      expect((await recording(id)).body).toMatchObject({
        upload: { state: "complete" },
        media: { type: "application/pdf", size: 0, sha256: sha256(Buffer.alloc(0)) },
      });
      const whole = await play(id, "sh.pd.manager");
      expect({ status: whole.status, length: whole.bytes.length }).toEqual({ status: 200, length: 0 });
      expect((await play(id, "sh.pd.manager", { range: "bytes=0-" })).status).toBe(416);
    });

    it("terminates an unfinished upload: HEAD answers 404 and the recording has no upload", async () => {
      const id = await draft();
      const client = await tus("sh.pd.sales1");
      const before = stagingEntries();
      const created = await client.create(id, 3 * MiB);
      const url = created.uploadUrl!;
      expect((await client.patch(url, 0, media(MiB + 1))).status).toBe(204);
      const objectId = url.split("/").pop()!;
      expect(
        stagingEntries()
          .filter((e) => !before.includes(e))
          .sort(),
      ).toEqual(
        ["backup", "primary"].flatMap((root) =>
          ["meta", "seg", "tail"].map((ext) => `${root}/${objectId}.${ext}`),
        ),
      );
      const ended = await client.terminate(url);
      expect(ended.status).toBe(204);
      expect((await client.head(url)).status).toBe(404);
      expectError(await client.patch(url, MiB + 1, media(10)), 404, "HUB_UPLOAD_NOT_FOUND");
      expect((await recording(id)).body).toMatchObject({ upload: { state: "none" }, media: null });
      expect(stagingEntries()).toEqual(before);
      expectError(await play(id, "sh.pd.manager"), 409, "HUB_RECORDING_UPLOAD_INCOMPLETE");
    });

    it("answers HEAD on a finished upload to its creator only, before and after submit", async () => {
      const id = await draft();
      const bytes = media(MiB + 11);
      const url = await upload(id, bytes);
      const creator = await tus("sh.pd.sales1");
      const others = [await tus("sh.pd.manager"), await tus("bj.cy.sales1")];
      const offsetOf = async (client: TusClient) => {
        const res = await client.head(url);
        return { status: res.status, offset: res.offset };
      };
      expect(await offsetOf(creator)).toEqual({ status: 200, offset: bytes.length });
      for (const other of others) expect((await offsetOf(other)).status).toBe(403);
      const res = await h().api("POST", `/api/v1/recordings/${id}/submit`, {
        token: await token("sh.pd.sales1"),
        body: goodSubmit,
      });
      expect(res.status).toBe(200);
      expect(await offsetOf(creator)).toEqual({ status: 200, offset: bytes.length });
      for (const other of others) expect((await offsetOf(other)).status).toBe(403);
    });

    describe("a complete recording", () => {
      let id: string;
      let bytes: Buffer;
      beforeAll(async () => {
        bytes = media(SIZE);
        id = await submitted(bytes);
      });

      it("plays back whole and by HTTP Range, decrypting exactly the bytes asked for", async () => {
        const whole = await play(id, "sh.pd.manager");
        expect(whole.status).toBe(200);
        expect(whole.headers.get("content-length")).toBe(String(SIZE));
        expect(whole.headers.get("accept-ranges")).toBe("bytes");
        expect(whole.headers.get("content-type")).toBe("video/webm");
        expect(whole.headers.get("cache-control")).toBe("no-store");
        expect(whole.bytes.equals(bytes)).toBe(true);

        const ranges: [string, number, number][] = [
          ["bytes=0-0", 0, 0],
          ["bytes=0-99", 0, 99],
          [`bytes=${MiB - 100}-${MiB + 99}`, MiB - 100, MiB + 99], // across the first segment boundary
          [`bytes=${MiB - 5}-${2 * MiB + 5}`, MiB - 5, 2 * MiB + 5], // across both
          [`bytes=${MiB}-${2 * MiB - 1}`, MiB, 2 * MiB - 1], // exactly one segment
          [`bytes=${2 * MiB}-`, 2 * MiB, SIZE - 1], // the short last segment
          [`bytes=${SIZE - 1}-`, SIZE - 1, SIZE - 1],
          [`bytes=100-${SIZE + 1000}`, 100, SIZE - 1], // an end beyond the file is the file's end
          ["bytes=-500", SIZE - 500, SIZE - 1], // suffix
          [`bytes=-${MiB + 10}`, SIZE - MiB - 10, SIZE - 1],
          [`bytes=-${SIZE + 10}`, 0, SIZE - 1],
        ];
        for (const [range, start, end] of ranges) {
          const res = await play(id, "sh.pd.manager", { range });
          expect({ range, status: res.status, contentRange: res.headers.get("content-range") }).toEqual({
            range,
            status: 206,
            contentRange: `bytes ${start}-${end}/${SIZE}`,
          });
          expect(res.headers.get("content-length")).toBe(String(end - start + 1));
          expect({ range, same: res.bytes.equals(bytes.subarray(start, end + 1)) }).toEqual({
            range,
            same: true,
          });
        }
        for (const range of [`bytes=${SIZE}-`, `bytes=${SIZE + 5}-${SIZE + 10}`, "bytes=-0"]) {
          const res = await play(id, "sh.pd.manager", { range });
          expect({ range, status: res.status, contentRange: res.headers.get("content-range") }).toEqual({
            range,
            status: 416,
            contentRange: `bytes */${SIZE}`,
          });
          expect(JSON.parse(res.bytes.toString("utf8"))).toMatchObject({
            error: { code: "HUB_RANGE_NOT_SATISFIABLE", details: { field: "headers.range", size: SIZE } },
          });
        }
        // A Range not to be honoured (another unit, malformed, reversed, several ranges) is ignored: the whole file.
        for (const range of ["items=0-5", "bytes=abc", "bytes=5-2", "bytes=0-1,5-6", "bytes="]) {
          const res = await play(id, "sh.pd.manager", { range });
          expect({ range, status: res.status, contentRange: res.headers.get("content-range") }).toEqual({
            range,
            status: 200,
            contentRange: null,
          });
          expect(res.bytes.equals(bytes)).toBe(true);
        }
        // Those who may play, within scope.
        for (const username of ["sh.admin", "hq.auditor", "hq.admin"]) {
          const res = await play(id, username, { range: `bytes=${MiB}-${MiB + 9}` });
          expect({ username, status: res.status }).toEqual({ username, status: 206 });
          expect(res.bytes.equals(bytes.subarray(MiB, MiB + 10))).toBe(true);
        }
        const outside = await play(id, "bj.cy.manager");
        expectError(outside, 403, "HUB_FORBIDDEN");
        expect(outside.body.error.details).toMatchObject({ reason: "SCOPE", action: "recording.play" });
        expectError(await play("0".repeat(32), "sh.pd.manager"), 404, "HUB_RECORDING_NOT_FOUND");
        expectError(
          await raw("GET", `/api/v1/recordings/${id}/media`, { authorization: "Bearer x" }),
          401,
          "HUB_AUTH_TOKEN_INVALID",
        );
        expectError(await raw("GET", `/api/v1/recordings/${id}/media`), 401, "HUB_AUTH_REQUIRED");
        expectError(
          await raw("GET", `/api/v1/recordings/${id}/media?rendition=canonical`, {
            authorization: `Bearer ${await token("sh.pd.manager")}`,
          }),
          404,
          "HUB_RECORDING_RENDITION_NOT_FOUND",
        );
      });

      it("audits every playback, one entry per request, refusals too", async () => {
        const auditor = await token("hq.auditor");
        const plays = async () => {
          const res = await h().api(
            "GET",
            `/api/v1/audit?action=recording.play&target=recording:${id}&actor=sh.pd.manager&pageSize=200`,
            { token: auditor },
          );
          expect(res.status).toBe(200);
          return res.body.items as { result: string; details: { rendition: string } }[];
        };
        const before = (await plays()).length;
        expect((await play(id, "sh.pd.manager")).status).toBe(200);
        expect((await play(id, "sh.pd.manager", { range: "bytes=10-20" })).status).toBe(206);
        expect((await play(id, "sh.pd.manager", { range: `bytes=${SIZE}-` })).status).toBe(416);
        const after = await plays();
        expect(after.length).toBe(before + 3);
        expect(after.slice(0, 3).map((e) => `${e.result}:${e.details.rendition}`)).toEqual([
          "ok:original",
          "ok:original",
          "ok:original",
        ]);
      });

      it("never lets sales staff replay or download a submitted recording", async () => {
        for (const headers of [{}, { range: "bytes=0-99" }] as Record<string, string>[]) {
          const res = await play(id, "sh.pd.sales1", headers);
          expectError(res, 403, "HUB_RECORDING_NO_REPLAY");
          expect(res.bytes.length).toBeLessThan(1000);
          expect(res.bytes.includes(bytes.subarray(0, 16))).toBe(false);
        }
        const evidence = await raw("GET", `/api/v1/recordings/${id}/evidence`, {
          authorization: `Bearer ${await token("sh.pd.sales1")}`,
        });
        expectError(evidence, 403, "HUB_FORBIDDEN");
        expect(evidence.bytes.includes(bytes.subarray(0, 16))).toBe(false);
        const trail = await h().api(
          "GET",
          `/api/v1/audit?action=recording.play&target=recording:${id}&actor=sh.pd.sales1`,
          { token: await token("hq.auditor") },
        );
        expect(trail.body.items.map((e: any) => e.result)).toEqual(["denied", "denied"]);
      });

      describe("playback tickets", () => {
        const ticketFor = async (username: string, of = id, query = "", init: RequestInit = {}) => {
          const res = await fetch(`${h().url}/api/v1/recordings/${of}/media/ticket${query}`, {
            method: "POST",
            ...init,
            headers: { authorization: `Bearer ${await token(username)}`, ...(init.headers ?? {}) },
          });
          const text = await res.text();
          return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : null };
        };
        const plays = async (username: string) => {
          const res = await h().api(
            "GET",
            `/api/v1/audit?action=recording.play&target=recording:${id}&actor=${username}&pageSize=200`,
            { token: await token("hq.auditor") },
          );
          expect(res.status).toBe(200);
          return res.body.items as { result: string; details: { rendition: string } }[];
        };
        /** The ticket key as every gateway node derives it from the shared master key. */
        const ticketKey = () => new KeyRing(loadMasterKey(loadConfig(h().env))).derive(PLAY_TICKET_KEY_INFO);

        it("gives an outlet manager a URL that plays by HTTP Range without a header, audited per request", async () => {
          const before = (await plays("sh.pd.manager")).length;
          const issued = await ticketFor("sh.pd.manager");
          expect(issued.status).toBe(201);
          expect(issued.headers.get("cache-control")).toBe("no-store");
          expect(Object.keys(issued.body).sort()).toEqual(["expiresAt", "url"]);
          expect(issued.body.url).toMatch(
            new RegExp(`^/api/v1/recordings/${id}/media\\?rendition=original&ticket=[A-Za-z0-9_-]{100,}$`),
          );
          const expiresAt = Date.parse(issued.body.expiresAt);
          expect(Math.abs(expiresAt - (h().clock.now().getTime() + PLAY_TICKET_LIFETIME_MS))).toBeLessThan(
            5000,
          );
          // The bearer token is sealed, not readable in the URL (nor any part of it).
          for (const part of (await token("sh.pd.manager")).split("."))
            expect(issued.body.url).not.toContain(part);
          // Issuing plays nothing: no recording.play entry for it.
          expect((await plays("sh.pd.manager")).length).toBe(before);

          const url = issued.body.url as string;
          const ranged = await raw("GET", url, { range: `bytes=${MiB - 5}-${MiB + 4}` });
          expect({ status: ranged.status, contentRange: ranged.headers.get("content-range") }).toEqual({
            status: 206,
            contentRange: `bytes ${MiB - 5}-${MiB + 4}/${SIZE}`,
          });
          expect(ranged.bytes.equals(bytes.subarray(MiB - 5, MiB + 5))).toBe(true);
          const seek = await raw("GET", url, { range: `bytes=${2 * MiB}-` });
          expect(seek.status).toBe(206);
          expect(seek.bytes.equals(bytes.subarray(2 * MiB))).toBe(true);
          const whole = await raw("GET", url);
          expect(whole.status).toBe(200);
          expect(whole.bytes.equals(bytes)).toBe(true);
          expectError(await raw("GET", url, { range: `bytes=${SIZE}-` }), 416, "HUB_RANGE_NOT_SATISFIABLE");

          const after = await plays("sh.pd.manager");
          expect(after.length).toBe(before + 4);
          expect(after.slice(0, 4).map((e) => `${e.result}:${e.details.rendition}`)).toEqual([
            "ok:original",
            "ok:original",
            "ok:original",
            "ok:original",
          ]);

          // Body `{}` is fine; anything else in the body or the query is not.
          const json = { "content-type": "application/json" };
          expect((await ticketFor("hq.auditor", id, "", { body: "{}", headers: json })).status).toBe(201);
          expectError(
            await ticketFor("hq.auditor", id, "", { body: '{"rendition":"original"}', headers: json }),
            422,
            "HUB_VALIDATION_FAILED",
          );
          expectError(await ticketFor("hq.auditor", id, "?ticket=x"), 422, "HUB_VALIDATION_FAILED");
          expectError(await ticketFor("hq.auditor", id, "?rendition=poster"), 422, "HUB_VALIDATION_FAILED");
          expectError(
            await ticketFor("hq.auditor", id, "?rendition=canonical"),
            404,
            "HUB_RECORDING_RENDITION_NOT_FOUND",
          );
          expectError(await ticketFor("hq.auditor", "0".repeat(32)), 404, "HUB_RECORDING_NOT_FOUND");
        });

        it("refuses sales staff, callers outside the scope, and anyone without a bearer token", async () => {
          const denied = async () =>
            (await plays("sh.pd.sales1")).filter((e) => e.result === "denied").length;
          const before = await denied();
          const sales = await ticketFor("sh.pd.sales1");
          expectError(sales, 403, "HUB_RECORDING_NO_REPLAY");
          // The attempt is in the trail as a refused play, as a refused media request would be.
          expect(await denied()).toBe(before + 1);
          const outside = await ticketFor("bj.cy.manager");
          expectError(outside, 403, "HUB_FORBIDDEN");
          const path = `/api/v1/recordings/${id}/media/ticket`;
          expectError(await raw("POST", path), 401, "HUB_AUTH_REQUIRED");
          // A ticket never makes another one: a leaked URL cannot outlive its ticket.
          const { url } = (await ticketFor("sh.pd.manager")).body;
          const sealed = new URL(url, h().url).searchParams.get("ticket")!;
          expectError(await raw("POST", `${path}?ticket=${sealed}`), 401, "HUB_AUTH_REQUIRED");
          expectError(
            await raw("POST", path, { authorization: `Bearer ${sealed}` }),
            401,
            "HUB_AUTH_TOKEN_INVALID",
          );
        });

        it("refuses a tampered ticket, another recording's or rendition's, and the ticket on any other route", async () => {
          const other = await submitted(media(1000));
          const { url } = (await ticketFor("hq.auditor")).body;
          const sealed = new URL(url, h().url).searchParams.get("ticket")!;
          const at = Math.floor(sealed.length / 2);
          const tampered = sealed.slice(0, at) + (sealed[at] === "A" ? "B" : "A") + sealed.slice(at + 1);
          const media_ = (of: string, t: string, rendition = "original") =>
            raw("GET", `/api/v1/recordings/${of}/media?rendition=${rendition}&ticket=${t}`, {
              range: "bytes=0-9",
            });
          for (const [t, why] of [
            [tampered, "tampered"],
            [sealed.slice(0, -4), "truncated"],
            ["", "empty"],
            ["not+a/ticket=", "not base64url"],
          ]) {
            const res = await media_(id, t);
            expect({ why, status: res.status, code: res.body?.error?.code }).toEqual({
              why,
              status: 401,
              code: "HUB_PLAY_TICKET_INVALID",
            });
            expect(res.bytes.includes(bytes.subarray(0, 10))).toBe(false);
          }
          expectError(await media_(other, sealed), 401, "HUB_PLAY_TICKET_INVALID");
          expectError(await media_(id, sealed, "canonical"), 401, "HUB_PLAY_TICKET_INVALID");
          expect((await media_(id, sealed)).status).toBe(206);
          // Only the media route reads a ticket: the evidence package (which an auditor may download) and the
          // JSON API want the header.
          expectError(
            await raw("GET", `/api/v1/recordings/${id}/evidence?ticket=${sealed}`),
            401,
            "HUB_AUTH_REQUIRED",
          );
          expectError(
            await raw("GET", `/api/v1/recordings/${id}?ticket=${sealed}`),
            401,
            "HUB_AUTH_REQUIRED",
          );
          expectError(await raw("GET", `/api/v1/audit?ticket=${sealed}`), 401, "HUB_AUTH_REQUIRED");
        });

        it("refuses an expired ticket and the ticket of a session that has ended", async () => {
          const { url } = (await ticketFor("sh.pd.manager")).body;
          expect((await raw("GET", url, { range: "bytes=0-0" })).status).toBe(206);
          h().clock.advance(PLAY_TICKET_LIFETIME_MS + 1000);
          const expired = await raw("GET", url, { range: "bytes=0-0" });
          expectError(expired, 401, "HUB_PLAY_TICKET_EXPIRED");
          expect(expired.body.error.details.expiresAt).toEqual(expect.any(String));
          h().clock.reset();

          // Sealed with the key any gateway node derives from the master key: a ticket is stateless.
          const manager = await token("sh.pd.manager");
          const forged = (exp: number) =>
            `/api/v1/recordings/${id}/media?rendition=original&ticket=${sealPlayTicket(ticketKey(), {
              token: manager,
              recordingId: id,
              rendition: "original",
              exp,
            })}`;
          expect((await raw("GET", forged(Date.now() + 60_000), { range: "bytes=5-9" })).status).toBe(206);
          expectError(
            await raw("GET", forged(Date.now() - 1), { range: "bytes=5-9" }),
            401,
            "HUB_PLAY_TICKET_EXPIRED",
          );
          // Another key (another hub's master key) is not this hub's ticket.
          const foreign = sealPlayTicket(new KeyRing(crypto.randomBytes(32)).derive(PLAY_TICKET_KEY_INFO), {
            token: manager,
            recordingId: id,
            rendition: "original",
            exp: Date.now() + 60_000,
          });
          expectError(
            await raw("GET", `/api/v1/recordings/${id}/media?rendition=original&ticket=${foreign}`),
            401,
            "HUB_PLAY_TICKET_INVALID",
          );

          // A session of its own, logged out after the ticket was issued: the ticket dies with it.
          const session = await h().login("sh.pd.manager");
          const own = await fetch(`${h().url}/api/v1/recordings/${id}/media/ticket`, {
            method: "POST",
            headers: { authorization: `Bearer ${session}` },
          });
          expect(own.status).toBe(201);
          const ownUrl = ((await own.json()) as { url: string }).url;
          expect((await raw("GET", ownUrl, { range: "bytes=0-0" })).status).toBe(206);
          expect((await h().api("POST", "/api/v1/auth/logout", { token: session })).status).toBe(200);
          expectError(await raw("GET", ownUrl, { range: "bytes=0-0" }), 401, "HUB_AUTH_TOKEN_REVOKED");
        });
      });

      it("exports an evidence zip to head office, the branch and auditors only", async () => {
        const evidence = async (username: string, of = id) =>
          raw("GET", `/api/v1/recordings/${of}/evidence`, {
            authorization: `Bearer ${await token(username)}`,
          });
        for (const username of ["hq.admin", "sh.admin", "hq.auditor"]) {
          const res = await evidence(username);
          expect({ username, status: res.status }).toEqual({ username, status: 200 });
          expect(res.headers.get("content-type")).toBe("application/zip");
          expect(res.headers.get("content-disposition")).toBe(`attachment; filename="evidence-${id}.zip"`);
          expect(res.bytes.subarray(0, 4).toString("binary")).toBe("PK\x03\x04");
        }
        for (const username of ["sh.pd.sales1", "sh.pd.manager", "bj.cy.manager", "bj.cy.sales1"]) {
          const res = await evidence(username);
          expectError(res, 403, "HUB_FORBIDDEN");
          expect(res.body.error.details).toMatchObject({ action: "recording.exportEvidence" });
        }
        expectError(await evidence("hq.admin", "0".repeat(32)), 404, "HUB_RECORDING_NOT_FOUND");
        expectError(await evidence("hq.admin", await draft()), 409, "HUB_RECORDING_NOT_SUBMITTED");
        expectError(await raw("GET", `/api/v1/recordings/${id}/evidence`), 401, "HUB_AUTH_REQUIRED");
      });

      it("gives an evidence zip that verifies with sha256sum and openssl alone, as its README says", async () => {
        const res = await raw("GET", `/api/v1/recordings/${id}/evidence`, {
          authorization: `Bearer ${await token("hq.auditor")}`,
        });
        expect(res.status).toBe(200);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "evidence-"));
        try {
          await verifyEvidenceZip(dir, `evidence-${id}.zip`, res.bytes, bytes);
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    });
  });
}

const sh = async (command: string, cwd: string) => {
  try {
    const { stdout, stderr } = await run("sh", ["-c", command], { cwd, encoding: "utf8" });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
};

/**
 * What a court does with the package, with no software of ours: the README's own commands, literally, then
 * verify.sh, then sha256sum and openssl on their own; and the same on a copy with one byte of the media changed.
 */
async function verifyEvidenceZip(
  dir: string,
  fileName: string,
  zip: Buffer,
  original: Buffer,
): Promise<void> {
  for (const tool of ["unzip", "sha256sum", "openssl"]) {
    expect({ tool, found: (await sh(`command -v ${tool}`, dir)).code }).toEqual({ tool, found: 0 });
  }
  fs.writeFileSync(path.join(dir, fileName), zip);
  const listing = await sh(`unzip -Z1 ${fileName}`, dir);
  const readme = (await sh(`unzip -p ${fileName} README.txt`, dir)).out;
  expect(readme).toContain("======== English ========");
  const english = readme.slice(readme.indexOf("======== English ========"));
  const commands = english
    .split("\n")
    .filter((line) => line.startsWith("    $ "))
    .map((line) => line.slice("    $ ".length));
  // The unzip line first, then the seven steps' commands.
  expect(commands[0]).toBe("unzip <package>.zip -d evidence && cd evidence");
  expect(commands.length).toBeGreaterThanOrEqual(8);
  const mediaPath = listing.out.split("\n").find((f) => f.startsWith("media/"))!;
  expect(mediaPath).toBe("media/original.webm");
  expect(listing.out.split("\n").filter(Boolean).sort()).toEqual(
    expect.arrayContaining([
      "README.txt",
      "verify.sh",
      "SHA256SUMS",
      "public-key.pem",
      "checkpoint.txt",
      "checkpoint.sig",
      "manifest.json",
      mediaPath,
    ]),
  );

  const unzipped = await sh(commands[0].replace("<package>.zip", fileName), dir);
  expect(unzipped.code).toBe(0);
  const folder = path.join(dir, "evidence");
  expect(fs.readFileSync(path.join(folder, mediaPath)).equals(original)).toBe(true);
  const manifest = JSON.parse(fs.readFileSync(path.join(folder, "manifest.json"), "utf8"));
  expect(manifest.media).toEqual({ type: "video/webm", size: original.length, sha256: sha256(original) });

  // Each of the README's commands, as written, in the unzipped folder.
  for (const command of commands.slice(1)) {
    const result = await sh(command, folder);
    expect({ command, code: result.code, out: result.out }).toEqual({
      command,
      code: 0,
      out: expect.any(String),
    });
  }
  // And what they print.
  const sums = await sh("sha256sum -c SHA256SUMS", folder);
  expect(sums.code).toBe(0);
  expect(sums.out).toContain(`${mediaPath}: OK`);
  expect(sums.out).not.toMatch(/FAILED/);
  const signature = await sh(
    "openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin -in checkpoint.txt -sigfile checkpoint.sig",
    folder,
  );
  expect(signature).toEqual({ code: 0, out: expect.stringContaining("Signature Verified Successfully") });
  const script = await sh("sh verify.sh", folder);
  expect(script.code).toBe(0);
  expect(script.out).toMatch(/^ALL 7 STEPS PASSED/m);

  // One byte of the media changed: sha256sum, step 7 and verify.sh all say so.
  const tampered = path.join(dir, "tampered");
  fs.cpSync(folder, tampered, { recursive: true });
  const mediaFile = path.join(tampered, mediaPath);
  const changed = fs.readFileSync(mediaFile);
  changed[Math.floor(changed.length / 2)] ^= 0x01;
  fs.writeFileSync(mediaFile, changed);
  const badSums = await sh("sha256sum -c SHA256SUMS", tampered);
  expect(badSums.code).not.toBe(0);
  expect(badSums.out).toContain(`${mediaPath}: FAILED`);
  const step7 = commands[commands.length - 1];
  expect(step7).toContain(mediaPath);
  expect((await sh(step7, tampered)).code).not.toBe(0);
  const badScript = await sh("sh verify.sh", tampered);
  expect(badScript.code).not.toBe(0);
  expect(badScript.out).toMatch(/FAILED: step 1/);
  expect(badScript.out).not.toMatch(/ALL 7 STEPS PASSED/);

  // A changed checkpoint: openssl refuses the signature.
  const forged = path.join(dir, "forged");
  fs.cpSync(folder, forged, { recursive: true });
  const checkpoint = fs.readFileSync(path.join(forged, "checkpoint.txt"), "utf8");
  fs.writeFileSync(
    path.join(forged, "checkpoint.txt"),
    checkpoint.replace(/:(\d+):/, (_m, n) => `:${Number(n) + 1}:`),
  );
  const badSignature = await sh(
    "openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin -in checkpoint.txt -sigfile checkpoint.sig",
    forged,
  );
  expect(badSignature.code).not.toBe(0);
  expect(badSignature.out).toMatch(/Signature Verification Failure/);
  expect((await sh("sh verify.sh", forged)).code).not.toBe(0);
}
