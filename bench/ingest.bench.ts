/**
 * Evidence ingest benchmark: `npm run bench:ingest`.
 *
 * One upload of BENCH_SIZE bytes (default 1 GiB) through the hub's tus endpoint (encrypted, two replicas, fdatasync
 * per PATCH), compared in the same run with (a) the disk limit — plain Node writing the same bytes to two files with
 * fdatasync at the hub's cadence — and (b) the tus peer, `@tus/server` + `@tus/file-store` (plaintext, one copy).
 * The hub and the peer run as child processes so that their peak RSS is their own; the same HTTP client, in this
 * process, sends both the same PATCHes. Then Range requests into the middle of the recording measure the time to
 * the first byte of the body. See bench/README.md for the knobs and how to read the figures.
 *
 * Exit code: 0 whatever the ratios (it reports, it does not gate); 1 when a request fails, a child process dies, or
 * what the hub stored or plays back is not exactly what was sent.
 */
import { spawnSync } from "node:child_process";
import { startChild, stopChild, type Child } from "./child-process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { envInt, mean, runBench, table } from "./support";

const DEMO_PASSWORD = "Bench-Pass-2026!";
const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const MB = 1e6;

const GOAL_DISK = 0.6;
const GOAL_PEER = 0.5;
const GOAL_RSS_MB = 250;
const GOAL_TTFB_MS = 100;

/** A customer and a product the demo data lets `sh.pd.sales1` sell (test/integration/recordings.suite.ts). */
const SALE = { customerNo: "C000000001", productCode: "AM2026001", kind: "sale" };
const SELLER = "sh.pd.sales1";
/** Outlet manager of the seller's outlet: may play a draft whose upload is complete (hub/domain/recording.ts). */
const PLAYER = "sh.pd.manager";

/** Bytes, or with a binary unit: 512k, 256m, 1g (KiB, MiB, GiB). */
function envSize(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const match = /^(\d+)\s*([kmg]?)i?b?$/i.exec(raw.trim());
  const unit: Record<string, number> = { "": 1, k: KiB, m: MiB, g: GiB };
  const value = match ? Number(match[1]) * unit[match[2].toLowerCase()] : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a size between ${min} and ${max} bytes (e.g. 1g, 256m), got "${raw}"`);
  }
  return value;
}

const SIZE = envSize("BENCH_SIZE", GiB, MiB, 64 * GiB);
const ROUNDS = envInt("BENCH_ROUNDS", 2, 1, 20);
const CHUNK = envSize("BENCH_CHUNK", 5 * MiB, 64 * KiB, 64 * MiB);
const RANGE_REQUESTS = envInt("BENCH_RANGE_REQUESTS", 9, 1, 101);
const CHECKSUM = (process.env.BENCH_CHECKSUM || "off") === "on";
if (!["on", "off"].includes(process.env.BENCH_CHECKSUM || "off")) {
  throw new Error(`BENCH_CHECKSUM must be on or off, got "${process.env.BENCH_CHECKSUM}"`);
}
/**
 * The upload's declared type (a sale takes video/webm or video/mp4). The bytes are random either way; the type only
 * matters to the hub's media worker, after the upload.
 */
const TYPE = process.env.BENCH_TYPE || "video/webm";
const MEDIA_WAIT = process.env.BENCH_MEDIA_WAIT || "quiet";
if (!["quiet", "settled"].includes(MEDIA_WAIT)) {
  throw new Error(`BENCH_MEDIA_WAIT must be quiet or settled, got "${MEDIA_WAIT}"`);
}
if (!["video/mp4", "video/webm"].includes(TYPE))
  throw new Error(`BENCH_TYPE must be video/mp4 or video/webm, got "${TYPE}"`);
/** Extra node options for the hub's process only, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
const HUB_NODE_ARGS = (process.env.BENCH_HUB_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);

// ---------------------------------------------------------------------------------------------------------------
// The bytes: one pseudo-random buffer, a whole number of chunks, repeated. Every PATCH body is a view into it.

const SOURCE_SIZE = CHUNK * Math.max(1, Math.ceil((12 * MiB) / CHUNK));
const source = crypto.randomBytes(SOURCE_SIZE);

/** The `length` bytes at `offset` of the stream, for offsets on a chunk boundary (a view, no copy). */
function chunkAt(offset: number, length: number): Buffer {
  const at = offset % SOURCE_SIZE;
  return source.subarray(at, at + length);
}

/** The bytes [offset, offset + length) of the stream, anywhere (a copy; for checking what playback returns). */
function bytesAt(offset: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const at = (offset + done) % SOURCE_SIZE;
    done += source.copy(out, done, at, Math.min(SOURCE_SIZE, at + length - done));
  }
  return out;
}

function streamSha256(size: number): string {
  const hash = crypto.createHash("sha256");
  for (let offset = 0; offset < size; offset += CHUNK)
    hash.update(chunkAt(offset, Math.min(CHUNK, size - offset)));
  return hash.digest("hex");
}

const chunkChecksums = new Map<string, string>();
function chunkChecksum(offset: number, length: number): string {
  const key = `${offset % SOURCE_SIZE}:${length}`;
  let digest = chunkChecksums.get(key);
  if (!digest) {
    digest = crypto.createHash("sha256").update(chunkAt(offset, length)).digest("base64");
    chunkChecksums.set(key, digest);
  }
  return `sha256 ${digest}`;
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP: one keep-alive connection, the same client for the hub and the peer.

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

function request(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: Buffer | string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (part: Buffer) => parts.push(part));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(parts).toString("utf8"),
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    if (body !== undefined) req.setHeader("Content-Length", Buffer.byteLength(body));
    req.end(body);
  });
}

async function json<T>(url: string, method: string, token: string | null, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await request(url, method, headers, body === undefined ? undefined : JSON.stringify(body));
  if (res.status < 200 || res.status > 299)
    throw new Error(`${method} ${url} → ${res.status} ${res.text.slice(0, 500)}`);
  return JSON.parse(res.text) as T;
}

async function login(baseUrl: string, username: string): Promise<string> {
  const body = await json<{ token?: string }>(`${baseUrl}/api/v1/auth/login`, "POST", null, {
    username,
    password: DEMO_PASSWORD,
  });
  if (!body.token) throw new Error(`login as ${username}: no token`);
  return body.token;
}

function tusMetadata(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k} ${Buffer.from(v, "utf8").toString("base64")}`)
    .join(",");
}

/** tus creation then PATCHes of CHUNK bytes, each waited for; returns the upload URL and the seconds it took. */
async function tusUpload(
  endpoint: string,
  extraHeaders: Record<string, string>,
  metadata: Record<string, string>,
  size: number,
): Promise<{ uploadUrl: string; seconds: number; patchMs: number[] }> {
  const base = { "Tus-Resumable": "1.0.0", ...extraHeaders };
  const started = process.hrtime.bigint();
  const created = await request(endpoint, "POST", {
    ...base,
    "Upload-Length": String(size),
    "Upload-Metadata": tusMetadata(metadata),
  });
  const location = created.headers.location;
  if (created.status !== 201 || !location) {
    throw new Error(`tus creation at ${endpoint} → ${created.status} ${created.text.slice(0, 500)}`);
  }
  const uploadUrl = new URL(location, endpoint).toString();
  const patchMs: number[] = [];
  for (let offset = 0; offset < size; offset += CHUNK) {
    const length = Math.min(CHUNK, size - offset);
    const headers: Record<string, string> = {
      ...base,
      "Upload-Offset": String(offset),
      "Content-Type": "application/offset+octet-stream",
    };
    if (CHECKSUM) headers["Upload-Checksum"] = chunkChecksum(offset, length);
    const sent = process.hrtime.bigint();
    const res = await request(uploadUrl, "PATCH", headers, chunkAt(offset, length));
    patchMs.push(secondsSince(sent) * 1000);
    if (res.status !== 204 || Number(res.headers["upload-offset"]) !== offset + length) {
      throw new Error(
        `PATCH ${uploadUrl} at ${offset} → ${res.status} offset ${res.headers["upload-offset"]} ${res.text.slice(0, 500)}`,
      );
    }
  }
  return { uploadUrl, seconds: secondsSince(started), patchMs };
}

function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

// ---------------------------------------------------------------------------------------------------------------
// Child processes: the hub (`node dist/hub/main.js`) and the tus peer (`node dist/bench/tus-peer.js`).

function alive(child: Child): void {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) {
    throw new Error(
      `${child.name} died (${child.proc.exitCode ?? child.proc.signalCode}):\n${child.output.join("").slice(-3000)}`,
    );
  }
}

/** VmRSS and VmHWM (peak) of a process, in bytes. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb("VmRSS"), peak: kb("VmHWM") };
}

/**
 * User + system CPU seconds a process has used (clock ticks of 1/100 s, Linux's USER_HZ); with `tree`, also those
 * of its children, finished (waited for) and running (the hub's media worker may run ffmpeg as a child process).
 */
function cpuOf(pid: number, tree = false): number {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return 0; // a child that has just exited; its time is in its parent's once waited for
  }
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  let ticks = Number(fields[11]) + Number(fields[12]);
  if (!tree) return ticks / 100;
  ticks += Number(fields[13]) + Number(fields[14]);
  let seconds = ticks / 100;
  for (const task of safeReaddir(`/proc/${pid}/task`)) {
    let children = "";
    try {
      children = fs.readFileSync(`/proc/${pid}/task/${task}/children`, "utf8");
    } catch {
      continue;
    }
    for (const child of children.split(" ").filter(Boolean)) seconds += cpuOf(Number(child), true);
  }
  return seconds;
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** `sync -f`: commits the file system holding `dir` (syncfs(2), which Node does not offer). */
function syncFileSystem(dir: string): void {
  const result = spawnSync("sync", ["-f", dir], { stdio: "ignore" });
  if (result.error || result.status !== 0)
    throw new Error(`sync -f ${dir} failed: ${result.error ?? result.status}`);
}

function ownCpu(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

// ---------------------------------------------------------------------------------------------------------------
// The three sides.

interface Run {
  seconds: number;
  /** CPU seconds of the server process (the hub, the peer; this process for the disk limit). */
  serverCpu: number;
  /** CPU seconds of this process (the client) during the run. */
  clientCpu: number;
  /** Median milliseconds of one PATCH (request sent to response) or, for the disk limit, of one chunk. */
  stepMs: number;
}

/** Plain Node: the same bytes to two files in the same filesystem, both fdatasync'ed after every chunk. */
async function diskLimit(dir: string): Promise<Run> {
  fs.mkdirSync(dir, { recursive: true });
  const cpu = ownCpu();
  const started = process.hrtime.bigint();
  const files = await Promise.all(
    ["primary.bin", "backup.bin"].map((f) => fs.promises.open(path.join(dir, f), "w")),
  );
  const stepMs: number[] = [];
  try {
    for (let offset = 0; offset < SIZE; offset += CHUNK) {
      const step = process.hrtime.bigint();
      const bytes = chunkAt(offset, Math.min(CHUNK, SIZE - offset));
      await Promise.all(
        files.map(async (file) => {
          let done = 0;
          while (done < bytes.length) {
            done += (await file.write(bytes, done, bytes.length - done, offset + done)).bytesWritten;
          }
        }),
      );
      await Promise.all(files.map((file) => file.datasync()));
      stepMs.push(secondsSince(step) * 1000);
    }
  } finally {
    await Promise.all(files.map((file) => file.close()));
  }
  const seconds = secondsSince(started);
  const used = ownCpu() - cpu;
  fs.rmSync(dir, { recursive: true, force: true });
  return { seconds, serverCpu: used, clientCpu: used, stepMs: median(stepMs) };
}

async function peerUpload(peer: Child, dir: string): Promise<Run & { writebackSeconds: number }> {
  alive(peer);
  const [cpu, own] = [cpuOf(peer.proc.pid!), ownCpu()];
  const { uploadUrl, seconds, patchMs } = await tusUpload(
    peer.url,
    {},
    { filename: "bench", filetype: TYPE },
    SIZE,
  );
  const run = {
    seconds,
    serverCpu: cpuOf(peer.proc.pid!) - cpu,
    clientCpu: ownCpu() - own,
    stepMs: median(patchMs),
  };
  const id = new URL(uploadUrl).pathname.split("/").pop()!;
  const file = path.join(dir, id);
  const stored = fs.statSync(file).size;
  if (stored !== SIZE) throw new Error(`the tus peer stored ${stored} bytes, not ${SIZE}`);
  // Not part of its figure (the peer never syncs): how long its bytes then took to reach the disk.
  const handle = await fs.promises.open(file, "r");
  const syncStarted = process.hrtime.bigint();
  await handle.sync();
  const writebackSeconds = secondsSince(syncStarted);
  await handle.close();
  fs.rmSync(file, { force: true });
  fs.rmSync(`${file}.json`, { force: true });
  return { ...run, writebackSeconds };
}

interface RecordingView {
  id: string;
  media: { type: string | null; size: number | null; sha256: string | null } | null;
  mediaStatus?: string;
  mediaError?: string | null;
}

/** Samples a process's VmRSS every 20 ms until stopped; returns the highest seen (stopping twice is harmless). */
function rssSampler(pid: number): { stop: () => number } {
  let peak = 0;
  let stopped = false;
  const sample = () => {
    try {
      peak = Math.max(peak, memoryOf(pid).rss);
    } catch {
      // the process is gone; alive() reports it
    }
  };
  sample();
  const timer = setInterval(sample, 20);
  return {
    stop() {
      if (!stopped) {
        stopped = true;
        clearInterval(timer);
        sample();
      }
      return peak;
    },
  };
}

async function hubUpload(
  hub: Child,
  salesToken: string,
): Promise<Run & { recordingId: string; startRss: number; peakRss: number }> {
  alive(hub);
  const recording = await json<RecordingView>(`${hub.url}/api/v1/recordings`, "POST", salesToken, SALE);
  const [cpu, own] = [cpuOf(hub.proc.pid!), ownCpu()];
  const startRss = memoryOf(hub.proc.pid!).rss;
  const sampler = rssSampler(hub.proc.pid!);
  let upload: Awaited<ReturnType<typeof tusUpload>>;
  let peakRss: number;
  try {
    upload = await tusUpload(
      `${hub.url}/api/v1/uploads`,
      { Authorization: `Bearer ${salesToken}` },
      { recordingId: recording.id, filetype: TYPE },
      SIZE,
    );
  } finally {
    peakRss = sampler.stop();
  }
  const serverCpu = cpuOf(hub.proc.pid!) - cpu;
  return {
    seconds: upload.seconds,
    serverCpu,
    clientCpu: ownCpu() - own,
    stepMs: median(upload.patchMs),
    recordingId: recording.id,
    startRss,
    peakRss,
  };
}

/**
 * The hub's media worker starts on the recording as soon as its last byte is in (hub/services/recordings/
 * media-jobs.ts): it decrypts the recording and hands it to ffmpeg (ffmpeg.wasm in a worker thread, or a native
 * ffmpeg child process). Untimed, the bench waits until the job has an outcome or (BENCH_MEDIA_WAIT=quiet, the
 * default) until the hub and its children have used less than 15 % of a core for a second, so that the job's work
 * does not land in the next measurement. Returns how long that took, the CPU of the hub and its children and the
 * hub's peak RSS meanwhile, and the job's status then.
 */
async function mediaSettled(
  hub: Child,
  token: string,
  recordingId: string,
): Promise<{ seconds: number; cpu: number; status: string; error: string | null; peakRss: number }> {
  const started = process.hrtime.bigint();
  const cpu = cpuOf(hub.proc.pid!, true);
  const sampler = rssSampler(hub.proc.pid!);
  // The hub's own limit for one media job (hub/media/index.ts): 60 s + 1 s per MiB; then a margin.
  const limit = 90 + SIZE / MiB;
  let lastCpu = cpu;
  try {
    for (;;) {
      alive(hub);
      const view = await json<RecordingView>(`${hub.url}/api/v1/recordings/${recordingId}`, "GET", token);
      const status = view.mediaStatus ?? "unknown";
      const nowCpu = cpuOf(hub.proc.pid!, true);
      const quiet = MEDIA_WAIT === "quiet" && secondsSince(started) >= 1 && nowCpu - lastCpu < 0.15;
      lastCpu = nowCpu;
      if (status !== "pending" || quiet || secondsSince(started) > limit) {
        return {
          seconds: secondsSince(started),
          cpu: nowCpu - cpu,
          status,
          error: view.mediaError ?? null,
          peakRss: sampler.stop(),
        };
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  } finally {
    sampler.stop();
  }
}

/** What the hub says it stored for the recording, against the bytes sent. */
async function checkStored(
  hub: Child,
  token: string,
  recordingId: string,
  expectedSha: string,
): Promise<string | null> {
  const view = await json<RecordingView>(`${hub.url}/api/v1/recordings/${recordingId}`, "GET", token);
  if (view.media?.size !== SIZE || view.media?.sha256 !== expectedSha) {
    return `recording ${recordingId}: media ${JSON.stringify(view.media)}, sent ${SIZE} bytes with sha256 ${expectedSha}`;
  }
  return null;
}

/** Offsets spread around the middle (unaligned, a few MiB apart), all within the middle half. */
function middleOffsets(count: number): number[] {
  const mid = Math.floor(SIZE / 2);
  const step = Math.max(1, Math.min(3 * MiB, Math.floor(SIZE / 4 / Math.max(1, count))));
  return Array.from(
    { length: count },
    (_, i) => mid + Math.round((i - (count - 1) / 2) * step) + 12_345 * i,
  ).map((o) => Math.min(Math.max(o, 0), SIZE - 1));
}

const CHECK_BYTES = 64 * KiB;

/**
 * GET media with `Range: bytes=<offset>-` on a fresh connection: milliseconds until the first byte of the body,
 * then the first CHECK_BYTES are compared with what was sent and the rest is not read (the connection is closed).
 */
function rangeFirstByte(hub: Child, token: string, recordingId: string, offset: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let firstByteMs: number | null = null;
    const parts: Buffer[] = [];
    let received = 0;
    let settled = false;
    const want = Math.min(CHECK_BYTES, SIZE - offset);
    const settle = (err: Error | null) => {
      if (settled) return;
      settled = true;
      req.destroy();
      if (err) return reject(err);
      const got = Buffer.concat(parts).subarray(0, want);
      if (got.length !== want || !got.equals(bytesAt(offset, want))) {
        return reject(new Error(`Range bytes=${offset}-: the body is not the bytes sent at that offset`));
      }
      resolve(firstByteMs!);
    };
    const req = http.get(
      `${hub.url}/api/v1/recordings/${recordingId}/media`,
      { headers: { Authorization: `Bearer ${token}`, Range: `bytes=${offset}-` }, agent: false },
      (res) => {
        const expectRange = `bytes ${offset}-${SIZE - 1}/${SIZE}`;
        if (res.statusCode !== 206 || res.headers["content-range"] !== expectRange) {
          const body: Buffer[] = [];
          res.on("data", (b: Buffer) => body.push(b));
          res.on("end", () =>
            settle(
              new Error(
                `Range bytes=${offset}- → ${res.statusCode} ${res.headers["content-range"]} ${Buffer.concat(body).toString("utf8").slice(0, 500)}`,
              ),
            ),
          );
          return;
        }
        res.on("data", (b: Buffer) => {
          firstByteMs ??= Number(process.hrtime.bigint() - started) / 1e6;
          parts.push(b);
          received += b.length;
          if (received >= want) settle(null);
        });
        res.on("end", () => settle(null));
        res.on("error", (err) => settle(err));
      },
    );
    req.on("error", (err) => settle(err));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Output.

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
const mbps = (seconds: number) => SIZE / MB / seconds;
const mb = (bytes: number) => (bytes / MB).toFixed(1);
const verdict = (ok: boolean) => (ok ? "PASS" : "BELOW GOAL");

function sizeText(bytes: number): string {
  if (bytes % GiB === 0) return `${bytes / GiB} GiB`;
  if (bytes % MiB === 0) return `${bytes / MiB} MiB`;
  return `${bytes} bytes`;
}

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "hub-ingest-"));
  const hubDir = path.join(tmpDir, "hub");
  const peerDir = path.join(tmpDir, "peer");
  const diskDir = path.join(tmpDir, "disk");
  fs.mkdirSync(peerDir);
  let hub: Child | null = null;
  let peer: Child | null = null;
  let exitCode = 0;
  const problems: string[] = [];
  try {
    const free = fs.statfsSync(tmpDir);
    const needed = SIZE * (2 * ROUNDS + 3);
    if (free.bavail * free.bsize < needed) {
      throw new Error(
        `${tmpDir} has ${mb(free.bavail * free.bsize)} MB free; the bench needs about ${mb(needed)} MB`,
      );
    }

    process.stderr.write(`sha256 of the ${sizeText(SIZE)} to send … `);
    const expectedSha = streamSha256(SIZE);
    process.stderr.write(`${expectedSha.slice(0, 16)}…\n`);

    const hubEnv: NodeJS.ProcessEnv = { ...process.env };
    for (const name of Object.keys(hubEnv))
      if (/^(HUB_|DATABASE_URL$|TRANSPORTER$)/.test(name)) delete hubEnv[name];
    Object.assign(hubEnv, {
      HOST: "127.0.0.1",
      PORT: "0",
      HUB_DATA_DIR: hubDir,
      HUB_DEMO_PASSWORD: DEMO_PASSWORD,
      LOG_LEVEL: "warn",
    });
    hub = await startChild(
      "hub",
      [...HUB_NODE_ARGS, path.join(__dirname, "..", "hub", "main.js")],
      hubEnv,
      /URL:\s+(http:\/\/\S+?)\/?\s*$/m,
    );
    peer = await startChild(
      "tus peer",
      [path.join(__dirname, "tus-peer.js"), peerDir],
      { ...process.env },
      /URL:\s+(http:\/\/\S+?)\s*$/m,
    );
    const salesToken = await login(hub.url, SELLER);
    const playerToken = await login(hub.url, PLAYER);
    const hubIdle = memoryOf(hub.proc.pid!);

    console.log(
      `ingest bench: ${sizeText(SIZE)} per upload, ${ROUNDS} round(s) of disk limit, tus peer, hub (order reversed ` +
        `every other round), ` +
        `PATCHes of ${sizeText(CHUNK)} one after the other on one keep-alive connection` +
        `${CHECKSUM ? " with Upload-Checksum" : ""}, source a ${sizeText(SOURCE_SIZE)} random buffer repeated; ` +
        `node ${process.version}, ${os.cpus().length} CPUs, temp dir ${tmpDir}`,
    );

    const runs: Record<"disk" | "peer" | "hub", Run[]> = { disk: [], peer: [], hub: [] };
    const writeback: number[] = [];
    const ttfb: number[] = [];
    const uploadRss: { start: number; peak: number }[] = [];
    const mediaJobs: Awaited<ReturnType<typeof mediaSettled>>[] = [];
    const recordings: string[] = [];
    const sides = {
      disk: async () => {
        const d = await diskLimit(diskDir);
        runs.disk.push(d);
        return `${mbps(d.seconds).toFixed(0)} MB/s`;
      },
      peer: async () => {
        const p = await peerUpload(peer!, peerDir);
        runs.peer.push(p);
        writeback.push(p.writebackSeconds);
        return `${mbps(p.seconds).toFixed(0)} MB/s (then fsync ${p.writebackSeconds.toFixed(1)} s)`;
      },
      hub: async () => {
        const h = await hubUpload(hub!, salesToken);
        runs.hub.push(h);
        recordings.push(h.recordingId);
        uploadRss.push({ start: h.startRss, peak: h.peakRss });
        const media = await mediaSettled(hub!, salesToken, h.recordingId);
        mediaJobs.push(media);
        const wrong = await checkStored(hub!, salesToken, h.recordingId, expectedSha);
        if (wrong) problems.push(`STORED BYTES DIFFER: ${wrong}`);
        const times: number[] = [];
        for (const offset of middleOffsets(RANGE_REQUESTS)) {
          times.push(await rangeFirstByte(hub!, playerToken, h.recordingId, offset));
        }
        ttfb.push(...times);
        return (
          `${mbps(h.seconds).toFixed(0)} MB/s, peak RSS ${mb(h.peakRss)} MB; waited ${media.seconds.toFixed(1)} s for ` +
          `the media job (${media.status}, peak RSS ${mb(media.peakRss)} MB); Range first byte median ${median(times).toFixed(1)} ms`
        );
      },
    };
    for (let round = 1; round <= ROUNDS; round++) {
      // Odd rounds disk → peer → hub, even rounds the other way: no side always follows the same one.
      const order = (["disk", "peer", "hub"] as const).slice();
      if (round % 2 === 0) order.reverse();
      for (const side of order) {
        process.stderr.write(`  round ${round} ${side} … `);
        process.stderr.write(`${await sides[side]()}\n`);
        alive(hub);
        alive(peer);
        // Untimed: the file system's journal, deletions and any dirty pages reach the disk before the next side.
        syncFileSystem(tmpDir);
      }
    }

    const hubMemory = memoryOf(hub.proc.pid!);
    const peerMemory = memoryOf(peer.proc.pid!);

    const rows: string[][] = [
      ["side", "MB/s", "s", `ms / ${sizeText(CHUNK)}`, "server CPU s", "client CPU s", "runs (MB/s)"],
    ];
    const labels = {
      disk: `disk limit  plain Node, 2 files, write + fdatasync every ${sizeText(CHUNK)}`,
      peer: "tus peer    @tus/server + @tus/file-store, plaintext, 1 copy, no fsync",
      hub: "hub         /api/v1/uploads: AES-256-GCM, 2 replicas, read back, fdatasync",
    };
    const summary = {} as Record<"disk" | "peer" | "hub", number>;
    for (const side of ["disk", "peer", "hub"] as const) {
      const r = runs[side];
      summary[side] = mbps(mean(r.map((x) => x.seconds)));
      rows.push([
        labels[side],
        summary[side].toFixed(0),
        mean(r.map((x) => x.seconds)).toFixed(2),
        mean(r.map((x) => x.stepMs)).toFixed(1),
        side === "disk" ? "-" : mean(r.map((x) => x.serverCpu)).toFixed(2),
        mean(r.map((x) => x.clientCpu)).toFixed(2),
        r.map((x) => mbps(x.seconds).toFixed(0)).join(", "),
      ]);
    }
    const toDisk = summary.hub / summary.disk;
    const toPeer = summary.hub / summary.peer;
    const peakMb = hubMemory.peak / MB;
    const ttfbMedian = median(ttfb);

    console.log("");
    console.log(table(rows));
    console.log("");
    console.log(
      `ratio hub/disk limit: ${toDisk.toFixed(3)}   goal ≥ ${GOAL_DISK}: ${verdict(toDisk >= GOAL_DISK)}`,
    );
    console.log(
      `ratio hub/tus peer:   ${toPeer.toFixed(3)}   goal ≥ ${GOAL_PEER}: ${verdict(toPeer >= GOAL_PEER)}`,
    );
    // The first upload's peak is the ingest's own: later ones run beside media jobs still holding their input.
    const uploadPeakMb = uploadRss[0].peak / MB;
    console.log(
      `hub peak RSS, upload: ${uploadPeakMb.toFixed(1)} MB   goal < ${GOAL_RSS_MB} MB: ` +
        `${verdict(uploadPeakMb < GOAL_RSS_MB)}   (VmRSS sampled every 20 ms during the first upload; ` +
        `${mb(hubIdle.rss)} MB idle before it; each upload start → peak: ` +
        `${uploadRss.map((u) => `${mb(u.start)} → ${mb(u.peak)}`).join(", ")} MB)`,
    );
    console.log(
      `hub peak RSS, whole run (VmHWM): ${peakMb.toFixed(1)} MB   goal < ${GOAL_RSS_MB} MB: ` +
        `${verdict(peakMb < GOAL_RSS_MB)}   (start-up, uploads, media jobs, Range requests; ${mb(hubMemory.rss)} MB at the end)`,
    );
    for (const [i, job] of mediaJobs.entries()) {
      const now = await json<RecordingView>(
        `${hub.url}/api/v1/recordings/${recordings[i]}`,
        "GET",
        salesToken,
      );
      const error = now.mediaError ?? job.error;
      console.log(
        `hub media job ${i + 1}: waited for untimed ${job.seconds.toFixed(1)} s (${MEDIA_WAIT}; CPU of the hub and its children ` +
          `${job.cpu.toFixed(1)} s, peak RSS ${mb(job.peakRss)} MB), status then ${job.status}, at the end ` +
          `${now.mediaStatus}${error ? ` (${error.split("\n")[0].slice(0, 160)})` : ""}`,
      );
    }
    console.log(`tus peer peak RSS:    ${mb(peerMemory.peak)} MB`);
    console.log(
      `Range first byte:     median ${ttfbMedian.toFixed(1)} ms of ${ttfb.length} requests ` +
        `(min ${Math.min(...ttfb).toFixed(1)}, max ${Math.max(...ttfb).toFixed(1)})   ` +
        `goal < ${GOAL_TTFB_MS} ms: ${verdict(ttfbMedian < GOAL_TTFB_MS)}`,
    );
    console.log(
      `  (bytes=<offset>- into the middle of the ${sizeText(SIZE)} recording, as ${PLAYER}, a new connection each; ` +
        `the recording had just been written, so its segments were in the page cache)`,
    );
    console.log(
      `tus peer writeback:   its file then took ${mean(writeback).toFixed(2)} s to fsync ` +
        `(not in its figure: ${mbps(mean(runs.peer.map((x) => x.seconds)) + mean(writeback)).toFixed(0)} MB/s with it)`,
    );
    console.log(
      `stored: ${recordings.length} recording(s), size and sha256 ${problems.length ? "NOT as sent" : "as sent"} ` +
        `(${expectedSha}); every Range body checked against the bytes sent`,
    );

    for (const p of problems) console.error(p);
    if (problems.length) exitCode = 1;
  } catch (err) {
    console.error("bench failed:", err);
    exitCode = 1;
  } finally {
    agent.destroy();
    for (const child of [peer, hub]) {
      try {
        await stopChild(child);
      } catch (err) {
        console.error(`stopping ${child?.name} failed:`, err);
        exitCode = 1;
      }
    }
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
  return exitCode;
}

runBench(main);
