/**
 * `<dual-record>` in a real browser: `npm run bench:widget [-- --minutes N]`.
 *
 * Measures, in one run on this machine: (a) the bundles' size, minified and gzip -9, against 35 KB; (b) the time
 * from start() to the first preview frame, against 1 s and against a plain getUserMedia page; (c) over a minute of
 * 720p recording, dropped frames (counted in the recorded file) against 2 %, and the main thread's busy time,
 * against a bare camera → canvas → MediaRecorder page; (d) the JS heap before, during and after a recording of
 * N minutes (default 10), which should stay flat. The element runs on /demo/teller.html of a real hub (a child
 * process, embedded SQLite, a fresh temp dir) in Debian's Chromium with a fake 1280×720 camera. See
 * bench/README.md.
 *
 * Exit code: 0 whatever the figures (it reports, it does not gate); 1 when a step fails (the hub or the browser
 * does not start, a method of the element rejects, the upload or submit does not finish, the recording does not
 * decode).
 */
import { startChild, stopChild, type Child } from "./child-process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import type { BrowserContext, CDPSession, Page } from "playwright-core";
import {
  LIBRARY_BUNDLE,
  RECORDER_BUNDLE,
  launchBrowser,
  metrics,
  openTellerPage,
  requireWidgetBundle,
  sleep,
  walkSaleSteps,
  type DriverGlobal,
  type RecorderPage,
} from "../test/support/browser";
import { decodeTrack, streamsOf } from "../test/support/media-probe";
import { envInt, runBench, table } from "./support";

const DEMO_PASSWORD = "Bench-Pass-2026!";
const SELLER = "sh.pd.sales1";
/** May play back the seller's recordings (sales staff never replay). */
const PLAYER = "sh.pd.manager";
/** 张伟 (C3, valid) buying 稳享理财30天 (R2): a sale that goes through every step. */
const SALE = { customerNo: "C000000001", productCode: "WM2026001" };

const KB = 1024;
const MB = 1024 * 1024;
const GOAL_GZIP_KB = 35;
const GOAL_FIRST_FRAME_MS = 1000;
const GOAL_DROPPED = 0.02;

/** `--minutes N` (or BENCH_MINUTES): length of the heap run; 0 skips it. */
function minutesOption(): number {
  const at = process.argv.indexOf("--minutes");
  const raw = at >= 0 ? process.argv[at + 1] : process.env.BENCH_MINUTES;
  if (raw === undefined || raw.trim() === "") return 10;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 600) {
    throw new Error(`--minutes must be a number of minutes between 0 and 600, got "${raw}"`);
  }
  return value;
}

const MINUTES = minutesOption();
const PREVIEW_RUNS = envInt("BENCH_PREVIEW_RUNS", 5, 1, 50);
const RECORD_SECONDS = envInt("BENCH_RECORD_SECONDS", 60, 15, 3600);
const REFERENCE_SECONDS = envInt("BENCH_REFERENCE_SECONDS", 15, 3, 600);
const CAMERA_FPS = envInt("BENCH_CAMERA_FPS", 15, 5, 60);
const HEAP_SAMPLE_SECONDS = 30;

const progress = (line: string) => process.stderr.write(`${line}\n`);
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const fixed = (x: number | null | undefined, digits = 2) =>
  x === null || x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(digits);

// ---------------------------------------------------------------------------------------------------------------
// The hub: `node dist/hub/main.js` in a child process, as an operator runs it.

/** The hub under test: the compiled hub, embedded SQLite in `dataDir`, demo data. */
function startHub(dataDir: string): Promise<Child> {
  return startChild(
    "the hub",
    [path.join(__dirname, "..", "hub", "main.js")],
    {
      ...process.env,
      HUB_DATA_DIR: dataDir,
      HOST: "127.0.0.1",
      PORT: "0",
      HUB_DEMO_PASSWORD: DEMO_PASSWORD,
      LOG_LEVEL: "warn",
    },
    /URL:\s+(http:\/\/\S+?)\/?\s/,
  );
}

async function login(url: string, username: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: DEMO_PASSWORD }),
  });
  const body = (await res.json()) as { token?: string };
  if (!body.token) throw new Error(`login as ${username}: ${res.status} ${JSON.stringify(body)}`);
  return body.token;
}

/** Waits (untimed) until the hub's media worker has no job left, so that it does not load the next phase. */
async function mediaSettled(url: string, token: string, timeoutMs = 180_000): Promise<void> {
  for (const until = Date.now() + timeoutMs; Date.now() < until; await sleep(1000)) {
    const res = await fetch(`${url}/api/v1/recordings?pageSize=200`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await res.json()) as { items: Array<{ mediaStatus: string }> };
    if (!body.items.some((r) => r.mediaStatus === "pending")) return;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Measurements in the page.

interface Busy {
  /** Main-thread task time / wall time. */
  busy: number;
  wallSeconds: number;
}

/** Runs `work` and answers the page's main-thread busy share meanwhile (CDP Performance.TaskDuration). */
async function busyDuring<T>(session: CDPSession, work: () => Promise<T>): Promise<Busy & { value: T }> {
  const before = await metrics(session);
  const started = Date.now();
  const value = await work();
  const after = await metrics(session);
  const wallSeconds = (Date.now() - started) / 1000;
  return { value, wallSeconds, busy: (after.TaskDuration - before.TaskDuration) / wallSeconds };
}

async function pageSession(context: BrowserContext, page: Page): Promise<CDPSession> {
  const session = await context.newCDPSession(page);
  await session.send("Performance.enable");
  return session;
}

async function heapUsed(session: CDPSession): Promise<number> {
  await session.send("HeapProfiler.collectGarbage");
  return (await metrics(session)).JSHeapUsedSize;
}

/** save() then submit(), waiting for dr-submitted; answers the recording's id. */
async function submitTake(rec: RecorderPage, from: number, timeoutMs: number): Promise<string> {
  await rec.call("save");
  const id = await rec.begin("submit");
  const submitted = await rec.waitForEvent<{ recordingId: string }>("dr-submitted", { from, timeoutMs });
  const outcome = await rec.outcome(id);
  if (outcome && !outcome.ok) throw new Error(`submit() failed: ${JSON.stringify(outcome.error)}`);
  return submitted.detail.recordingId;
}

async function download(url: string, token: string, recordingId: string, file: string): Promise<void> {
  const res = await fetch(`${url}/api/v1/recordings/${recordingId}/media`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status !== 200) throw new Error(`GET media of ${recordingId} → ${res.status} ${await res.text()}`);
  fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));
}

/** Least-squares slope of y over x. */
function slope(points: ReadonlyArray<[number, number]>): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxy / sxx;
}

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  requireWidgetBundle(RECORDER_BUNDLE);
  requireWidgetBundle(LIBRARY_BUNDLE);

  // (a) Bundle sizes: what a host page downloads (the bundles are minified by the rollup build).
  const bundles = [RECORDER_BUNDLE, LIBRARY_BUNDLE].map((file) => {
    const bytes = fs.readFileSync(file);
    return { name: path.basename(file), min: bytes.length, gzip: zlib.gzipSync(bytes, { level: 9 }).length };
  });
  console.log(`(a) bundle size (KB = 1024 bytes; gzip -9 with zlib)\n`);
  console.log(
    table([
      ["bundle", "minified KB", "gzip KB", "goal KB", "gzip/goal"],
      ...bundles.map((b, i) => [
        b.name,
        fixed(b.min / KB, 1),
        fixed(b.gzip / KB, 1),
        i === 0 ? String(GOAL_GZIP_KB) : "—",
        i === 0 ? fixed(b.gzip / KB / GOAL_GZIP_KB) : "—",
      ]),
    ]),
  );
  console.log("");

  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-widget-"));
  let hub: Child | null = null;
  let browser: Awaited<ReturnType<typeof launchBrowser>> | null = null;
  try {
    progress("starting the hub and Chromium …");
    hub = await startHub(path.join(tmpDir, "hub"));
    const camera = { width: 1280, height: 720, fps: CAMERA_FPS };
    browser = await launchBrowser(camera);
    const context = await browser.newContext(hub.url);
    const playerToken = await login(hub.url, PLAYER);
    const teller = () =>
      openTellerPage(context, hub!.url, { username: SELLER, password: DEMO_PASSWORD }, SALE);

    // References, in the same browser: the camera in a plain page, and the least a recorder must do.
    progress(`reference: plain getUserMedia preview for ${REFERENCE_SECONDS} s …`);
    const refPage = await context.newPage();
    await refPage.goto(`${hub.url}/demo/index.html`);
    const refSession = await pageSession(context, refPage);
    const refCamera = await busyDuring(refSession, () =>
      refPage.evaluate(
        ({ w, h, s }) => (globalThis as unknown as DriverGlobal).drTest.referenceCamera(w, h, s),
        { w: camera.width, h: camera.height, s: REFERENCE_SECONDS },
      ),
    );
    progress(`reference: camera → canvas → MediaRecorder for ${REFERENCE_SECONDS} s …`);
    const refRecorder = await busyDuring(refSession, () =>
      refPage.evaluate(
        ({ w, h, fps, s }) => (globalThis as unknown as DriverGlobal).drTest.referenceRecorder(w, h, fps, s),
        { w: camera.width, h: camera.height, fps: CAMERA_FPS, s: REFERENCE_SECONDS },
      ),
    );
    const refFile = path.join(tmpDir, "reference.webm");
    fs.writeFileSync(refFile, Buffer.from(refRecorder.value, "base64"));
    const refTrack = decodeTrack(refFile, "v");
    if (!refTrack) throw new Error("the reference recording has no video frames");
    const refFps = refCamera.value.fps;
    const refDropped = Math.max(0, 1 - refTrack.frames / (refTrack.seconds * refFps));
    await refPage.close();

    // (b) start() → first preview frame, each run after one of the plain page (the first camera opening of a
    // browser is slower than the next: alternating keeps both sides equally warm).
    const runs: Array<{ probeMs: number | null; ownMs: number | null; refMs: number }> = [];
    for (let i = 1; i <= PREVIEW_RUNS; i++) {
      progress(`(b) start() → first preview frame, run ${i}/${PREVIEW_RUNS} …`);
      const plain = await context.newPage();
      await plain.goto(`${hub.url}/demo/index.html`);
      const refRun = await plain.evaluate(
        ({ w, h }) => (globalThis as unknown as DriverGlobal).drTest.referenceCamera(w, h, 0.5),
        { w: camera.width, h: camera.height },
      );
      await plain.close();
      const { page, rec } = await teller();
      const timed = await page.evaluate(
        (tag) => (globalThis as unknown as DriverGlobal).drTest.startToFirstPreviewFrame(tag, 20_000),
        rec.tag,
      );
      if (!timed.start.ok) throw new Error(`start() failed: ${JSON.stringify(timed.start.error)}`);
      // The element's own figure (start() → first watermarked frame drawn), where it offers one.
      const ownMs = await rec.get<number | null | undefined>("firstFrameMs");
      runs.push({ probeMs: timed.firstFrameMs, ownMs: ownMs ?? null, refMs: refRun.firstFrameMs });
      await rec.call("abort", "bench: preview timing");
      await page.close();
    }
    const probe = runs.map((r) => r.probeMs).filter((v): v is number => v !== null);
    const own = runs.map((r) => r.ownMs).filter((v): v is number => v !== null);
    const firstFrame = probe.length ? median(probe) : NaN;
    const refFirstFrame = median(runs.map((r) => r.refMs));

    // (c) A minute of 720p: busy main thread while recording, then the frames in the file.
    progress(`(c) recording ${RECORD_SECONDS} s of 720p …`);
    const rec60 = await teller();
    const session60 = await pageSession(context, rec60.page);
    const from60 = await rec60.rec.mark();
    const since60 = await rec60.page.evaluate(() => (globalThis as unknown as DriverGlobal).drTest.now());
    const recording = await busyDuring(session60, async () => {
      const started = Date.now();
      await rec60.rec.call("start");
      await walkSaleSteps(rec60.rec, from60, SALE, { dwellMs: 1000 });
      await sleep(Math.max(0, started + RECORD_SECONDS * 1000 - Date.now()));
    });
    const longTasks = await rec60.page.evaluate(
      (since) => (globalThis as unknown as DriverGlobal).drTest.longTasks(since),
      since60,
    );
    await rec60.rec.call("stop");
    progress("(c) uploading and submitting …");
    const id60 = await submitTake(rec60.rec, from60, 600_000);
    await rec60.page.close();
    const file60 = path.join(tmpDir, "recording-60s.webm");
    await download(hub.url, playerToken, id60, file60);
    const video60 = decodeTrack(file60, "v");
    if (!video60) throw new Error("the recorded take has no video frames");
    const size60 = streamsOf(file60).find((s) => s.codec_type === "video");
    const expected60 = video60.seconds * refFps;
    const dropped60 = Math.max(0, 1 - video60.frames / expected60);
    await mediaSettled(hub.url, playerToken);

    console.log(`(b) start() → first preview frame (${PREVIEW_RUNS} runs; the teller page already loaded)\n`);
    console.log(
      table([
        ["measure", "median ms", "runs ms", "goal ms", "median/goal"],
        [
          "first picture in the element (rAF probe)",
          fixed(firstFrame, 0),
          runs.map((r) => fixed(r.probeMs, 0)).join(" "),
          String(GOAL_FIRST_FRAME_MS),
          fixed(firstFrame / GOAL_FIRST_FRAME_MS),
        ],
        [
          "element's own firstFrameMs",
          own.length ? fixed(median(own), 0) : "n/a",
          runs.map((r) => fixed(r.ownMs, 0)).join(" "),
          String(GOAL_FIRST_FRAME_MS),
          own.length ? fixed(median(own) / GOAL_FIRST_FRAME_MS) : "n/a",
        ],
        [
          "reference: getUserMedia → first video frame",
          fixed(refFirstFrame, 0),
          runs.map((r) => fixed(r.refMs, 0)).join(" "),
          "",
          "",
        ],
      ]),
    );
    console.log(
      `element / reference: ${fixed(firstFrame / refFirstFrame)} (the browser's very first camera opening, ` +
        `before the runs: ${fixed(refCamera.value.firstFrameMs, 0)} ms)\n`,
    );

    console.log(
      `(c) ${RECORD_SECONDS} s of recording; camera ${camera.width}×${camera.height} at ${CAMERA_FPS} fps\n`,
    );
    console.log(
      table([
        ["side", "frames", "seconds", "fps", "expected", "dropped", "main thread busy"],
        [
          "<dual-record> (teller page)",
          String(video60.frames),
          fixed(video60.seconds),
          fixed(video60.frames / video60.seconds),
          fixed(expected60, 0),
          pct(dropped60),
          pct(recording.busy),
        ],
        [
          "reference: canvas → MediaRecorder",
          String(refTrack.frames),
          fixed(refTrack.seconds),
          fixed(refTrack.frames / refTrack.seconds),
          fixed(refTrack.seconds * refFps, 0),
          pct(refDropped),
          pct(refRecorder.busy),
        ],
        ["reference: camera preview only", "", "", fixed(refFps), "", "", pct(refCamera.busy)],
      ]),
    );
    console.log("");
    console.log(
      `recorded frame size: ${size60?.width}×${size60?.height}; expected frames = seconds × camera fps`,
    );
    console.log(
      `dropped: ${pct(dropped60)} against the goal < ${pct(GOAL_DROPPED)} (reference ${pct(refDropped)})`,
    );
    console.log(
      `main thread busy: ${pct(recording.busy)}, ${fixed(recording.busy / refRecorder.busy)}× the bare recorder's; ` +
        `${longTasks.length} tasks over 50 ms (longest ${fixed(Math.max(0, ...longTasks.map((t) => t.duration)), 0)} ms)`,
    );
    console.log("");

    // (d) The JS heap over a long recording.
    if (MINUTES > 0) {
      progress(`(d) recording ${MINUTES} min for the heap …`);
      const long = await teller();
      const session = await pageSession(context, long.page);
      const before = await heapUsed(session);
      const from = await long.rec.mark();
      const started = Date.now();
      await long.rec.call("start");
      await walkSaleSteps(long.rec, from, SALE, { dwellMs: 1000 });
      const samples: Array<[number, number]> = [];
      for (;;) {
        const minutes = (Date.now() - started) / 60_000;
        samples.push([minutes, await heapUsed(session)]);
        if (minutes >= MINUTES) break;
        progress(`(d) ${minutes.toFixed(1)} / ${MINUTES} min, heap ${fixed(samples.at(-1)![1] / MB, 1)} MB`);
        await sleep(Math.min(HEAP_SAMPLE_SECONDS * 1000, started + MINUTES * 60_000 - Date.now() + 50));
      }
      await long.rec.call("stop");
      const afterStop = await heapUsed(session);
      const takeSize = (await long.rec.events<{ sent: number }>("dr-upload-progress", from)).at(-1)?.detail
        .sent;
      await submitTake(long.rec, from, 30 * 60_000);
      const afterSubmit = await heapUsed(session);
      await long.page.close();
      const heaps = samples.map(([, y]) => y);
      console.log(`(d) JS heap (JSHeapUsedSize after a forced GC) over ${MINUTES} min of recording\n`);
      console.log(
        table([
          ["moment", "MB"],
          ["before start (element idle, logged in)", fixed(before / MB)],
          [`while recording: min of ${samples.length} samples`, fixed(Math.min(...heaps) / MB)],
          [`while recording: max`, fixed(Math.max(...heaps) / MB)],
          ["after stop (previewing)", fixed(afterStop / MB)],
          ["after submit (idle)", fixed(afterSubmit / MB)],
        ]),
      );
      console.log("");
      console.log(
        `growth while recording: ${fixed(slope(samples) / KB, 1)} KB/min (goal: flat); after submit / before: ` +
          `${fixed(afterSubmit / before)}; take uploaded: ${takeSize ? fixed(takeSize / MB, 1) : "?"} MB`,
      );
    }
    return 0;
  } finally {
    await browser?.close();
    await stopChild(hub);
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}

runBench(main);
