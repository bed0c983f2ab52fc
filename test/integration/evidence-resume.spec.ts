import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startHubProcess, type HubProcess } from "../support/hub-process";
import { TusClient } from "../support/tus";

/*
 * The "must show": a 1 GiB recording uploaded in 5 MiB chunks, cut once by a dropped connection and once
 * by killing the hub, resumed each time from the offset the server reports, downloads byte-identical; and the
 * marker written inside it appears nowhere under the data directory.
 */

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const CHUNK = 5 * MiB;
const PASSWORD = "Demo-Pass-2026!";
const MARKER = Buffer.from("DUAL-RECORD-PLAINTEXT-MARKER-双录明文标记-7f3a");
const MARKER_AT = 512 * MiB + 12345;

/** Deterministic bytes of the test file at any range (AES-CTR keystream), with the marker spliced in. */
function bytesAt(start: number, length: number): Buffer {
  const key = Buffer.alloc(32, 7);
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(Math.floor(start / 16)), 8);
  const skip = start % 16;
  const out = crypto
    .createCipheriv("aes-256-ctr", key, iv)
    .update(Buffer.alloc(length + skip))
    .subarray(skip);
  const from = Math.max(start, MARKER_AT);
  const to = Math.min(start + length, MARKER_AT + MARKER.length);
  if (from < to) MARKER.copy(out, from - start, from - MARKER_AT, to - MARKER_AT);
  return out;
}

function expectedSha256(size: number): string {
  const hash = crypto.createHash("sha256");
  for (let at = 0; at < size; at += 16 * MiB) hash.update(bytesAt(at, Math.min(16 * MiB, size - at)));
  return hash.digest("hex");
}

/** The first file under `dir` holding `needle`, read in 8 MiB pieces that overlap by the needle's length. */
function occursUnder(dir: string, needle: Buffer): string | null {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const fd = fs.openSync(file, "r");
    try {
      const buf = Buffer.alloc(8 * MiB);
      let carry = Buffer.alloc(0);
      for (let n = fs.readSync(fd, buf); n > 0; n = fs.readSync(fd, buf)) {
        const window = Buffer.concat([carry, buf.subarray(0, n)]);
        if (window.includes(needle)) return file;
        carry = Buffer.from(window.subarray(Math.max(0, window.length - needle.length + 1)));
      }
    } finally {
      fs.closeSync(fd);
    }
  }
  return null;
}

async function login(url: string, username: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  const body = (await res.json()) as { token: string };
  if (!body.token) throw new Error(`login ${username}: ${JSON.stringify(body)}`);
  return body.token;
}

/**
 * A PATCH whose body stops after `send` bytes of `bytes`: 1.5 s later (time for the server to receive them) the
 * connection drops, after `onSent` has run. Resolves once the connection is dropped, with what the request saw
 * ("cut" unless the server answered before the drop, which the test treats as a failure).
 */
async function cutPatch(
  uploadUrl: string,
  token: string,
  offset: number,
  bytes: Buffer,
  send: number,
  onSent?: () => void,
): Promise<string> {
  const controller = new AbortController();
  let dropped!: Promise<void>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(bytes.subarray(0, send));
      dropped = new Promise<void>((resolve) =>
        setTimeout(() => {
          onSent?.();
          controller.abort();
          resolve();
        }, 1500),
      );
    },
    // Nothing more is ever sent: the body stays open until the connection drops.
    pull: () => new Promise<void>(() => undefined),
  });
  const outcome = await fetch(uploadUrl, {
    method: "PATCH",
    headers: {
      "Tus-Resumable": "1.0.0",
      Authorization: `Bearer ${token}`,
      "Upload-Offset": String(offset),
      "Content-Type": "application/offset+octet-stream",
    },
    body,
    signal: controller.signal,
    duplex: "half",
  } as RequestInit).then(
    async (res) => `answered ${res.status} ${await res.text()}`,
    () => "cut",
  );
  await dropped;
  return outcome;
}

describe("evidence: 1 GiB upload cut twice, once by killing the hub", () => {
  let dataDir: string;
  let hub: HubProcess | null = null;

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "hub-resume-"));
  });
  afterAll(async () => {
    await hub?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async () =>
    (hub = await startHubProcess({ HUB_DATA_DIR: dataDir, HUB_DEMO_PASSWORD: PASSWORD }));

  it(
    "resumes from the reported offset each time and downloads byte-identical; no plaintext on disk",
    async () => {
      // Hashed first: seconds of blocked event loop later would outlast the server's keep-alive, and the next
      // request would go out on a connection the server has just closed.
      const expected = expectedSha256(GiB);
      await start();
      let token = await login(hub!.url, "sh.pd.sales1");
      const created = await fetch(`${hub!.url}/api/v1/recordings`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ customerNo: "C000000002", productCode: "WM2026001", kind: "sale" }),
      });
      expect(created.status).toBe(201);
      const recordingId = ((await created.json()) as { id: string }).id;

      let tus = new TusClient(hub!.url, token);
      const creation = await tus.create(recordingId, GiB);
      expect(creation.status).toBe(201);
      const uploadPath = new URL(creation.uploadUrl!).pathname;
      const uploadUrl = () => hub!.url + uploadPath;

      let offset = 0;
      const sendUntil = async (limit: number) => {
        while (offset < limit) {
          const length = Math.min(CHUNK, limit - offset);
          const res = await tus.patch(uploadUrl(), offset, bytesAt(offset, length));
          expect(res.status).toBe(204);
          expect(res.offset).toBe(offset + length);
          offset = res.offset!;
        }
      };

      await sendUntil(300 * MiB);
      // Cut 1: the connection drops 2.5 MiB into a 5 MiB request. What arrived is kept, as reported.
      expect(await cutPatch(uploadUrl(), token, offset, bytesAt(offset, CHUNK), 2.5 * MiB)).toBe("cut");
      const afterDrop = (await tus.head(uploadUrl())).offset!;
      expect(afterDrop).toBeGreaterThan(offset);
      expect(afterDrop).toBeLessThanOrEqual(offset + 2.5 * MiB);
      offset = afterDrop;

      await sendUntil(700 * MiB + 3);
      // Cut 2: the hub is killed while a request is half sent.
      const victim = hub!;
      expect(
        await cutPatch(uploadUrl(), token, offset, bytesAt(offset, CHUNK), 3 * MiB, () => void victim.kill()),
      ).toBe("cut");
      await victim.kill();
      await start();
      token = await login(hub!.url, "sh.pd.sales1");
      tus = new TusClient(hub!.url, token);
      const afterKill = (await tus.head(uploadUrl())).offset!;
      expect(afterKill).toBeGreaterThanOrEqual(offset);
      expect(afterKill).toBeLessThanOrEqual(offset + 3 * MiB);
      offset = afterKill;

      await sendUntil(GiB);
      const recording = await fetch(`${hub!.url}/api/v1/recordings/${recordingId}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(await recording.json()).toMatchObject({
        upload: { state: "complete" },
        media: { type: "video/webm", size: GiB, sha256: expected },
      });

      // The outlet manager plays it back: byte-identical.
      const manager = await login(hub!.url, "sh.pd.manager");
      const media = await fetch(`${hub!.url}/api/v1/recordings/${recordingId}/media`, {
        headers: { authorization: `Bearer ${manager}` },
      });
      expect(media.status).toBe(200);
      const hash = crypto.createHash("sha256");
      let size = 0;
      for await (const chunk of media.body as unknown as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        size += chunk.length;
      }
      expect({ size, sha256: hash.digest("hex") }).toEqual({ size: GiB, sha256: expected });

      expect(occursUnder(dataDir, MARKER)).toBeNull();
      // The scan finds what it looks for, even across its 8 MiB pieces.
      const probe = path.join(dataDir, "probe.bin");
      fs.writeFileSync(probe, bytesAt(MARKER_AT - 8 * MiB + 5, 8 * MiB + 100));
      expect(occursUnder(dataDir, MARKER)).toBe(probe);
    },
    15 * 60_000,
  );
});
