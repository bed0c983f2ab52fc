/**
 * The media worker against real engines and real media: the media is made once, at test time, by ffmpeg.wasm
 * (test/fixtures/media/make-media.ts). The wasm engine always runs; the native engine runs when an `ffmpeg` is on
 * PATH and is skipped, saying so, when there is none.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { makeTestMedia, type TestMedia } from "../../test/fixtures/media/make-media";
import {
  bufferInput,
  eventLoopLag,
  failingInput,
  jpegSize,
  stalledInput,
} from "../../test/fixtures/media/inspect";
import { ID, layout } from "../../test/fixtures/media/ebml";
import { withEnv } from "../../test/support/env";
import {
  createMediaWorker,
  MediaEngineError,
  MediaFailedError,
  MediaQueueFullError,
  type MediaResult,
  type MediaWorker,
} from ".";
import { WasmEngine, WasmThread } from "./wasm-engine";
import { makeSeekable, readWebmInfo } from "./webm";

function ffmpegOnPath(): string | null {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    try {
      fs.accessSync(path.join(dir, "ffmpeg"), fs.constants.X_OK);
      return path.join(dir, "ffmpeg");
    } catch {
      // not in this directory
    }
  }
  return null;
}

const NATIVE_FFMPEG = ffmpegOnPath();
const describeNative = NATIVE_FFMPEG ? describe : describe.skip;
const NATIVE_TITLE = NATIVE_FFMPEG
  ? `native engine (${NATIVE_FFMPEG})`
  : "native engine — SKIPPED: no `ffmpeg` on PATH on this machine (apt-get install ffmpeg to run these)";

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const JPEG_END = Buffer.from([0xff, 0xd9]);

let media: TestMedia;

beforeAll(async () => {
  media = await makeTestMedia();
}, 60_000);

/** The same behaviour from both engines. */
function behavesAsTheMediaWorker(engine: "wasm" | "native") {
  let worker: MediaWorker;
  let recorder: MediaResult;
  const run = (bytes: Buffer, type: string) => worker.process(bufferInput(bytes, type));

  beforeAll(async () => {
    worker = await createMediaWorker({ engine, queueSize: 8 });
    recorder = await run(media.recorderWebm, "video/webm;codecs=vp8,opus");
  }, 60_000);

  afterAll(() => worker?.close());

  it("is the engine asked for", () => {
    expect(worker.engine).toBe(engine);
  });

  it("reads the facts of a recorder's WebM: 3 s, 320×240 at 15 fps, VP8 video and Opus audio", () => {
    const { facts } = recorder;
    expect(facts).toMatchObject({
      container: "webm",
      width: 320,
      height: 240,
      fps: 15,
      video: true,
      audio: true,
    });
    expect(facts.durationMs).toBeGreaterThanOrEqual(2950);
    expect(facts.durationMs).toBeLessThanOrEqual(3100);
    expect(facts.streams).toEqual([
      { index: 0, type: "video", codec: "vp8", width: 320, height: 240, fps: 15 },
      { index: 1, type: "audio", codec: "opus", sampleRate: 48000, channels: 1 },
    ]);
  });

  it("remuxes it into a seekable WebM (Cues, Duration) with the same streams, and leaves the original as it was", async () => {
    // What a MediaRecorder uploads: no Cues, no Duration.
    expect(readWebmInfo(media.recorderWebm)).toEqual({ durationMs: null, cuePoints: 0 });
    const before = sha256(media.recorderWebm);
    const { canonical, facts } = recorder;
    expect(canonical?.type).toBe("video/webm");
    const info = readWebmInfo(canonical!.bytes);
    expect(info.cuePoints).toBeGreaterThanOrEqual(1);
    expect(info.durationMs).toBe(facts.durationMs);

    const again = await run(canonical!.bytes, "video/webm");
    expect(again.facts.streams).toEqual(facts.streams);
    expect(again.facts.durationMs).toBe(facts.durationMs);
    expect(readWebmInfo(again.canonical!.bytes)).toEqual(info);
    expect(sha256(media.recorderWebm)).toBe(before);
  });

  it("makes a 320×240 JPEG poster", () => {
    const { poster } = recorder;
    expect(poster!.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(poster!.subarray(-2)).toEqual(JPEG_END);
    expect(jpegSize(poster!)).toEqual({ width: 320, height: 240 });
  });

  it("takes the poster of a 0.6 s clip from its first frame", async () => {
    const { facts, poster, canonical } = await run(media.shortWebm, "video/webm");
    expect(facts.durationMs).toBeGreaterThan(500);
    expect(facts.durationMs).toBeLessThan(1000);
    expect(jpegSize(poster!)).toEqual({ width: 320, height: 240 });
    expect(readWebmInfo(canonical!.bytes).cuePoints).toBeGreaterThanOrEqual(1);
  });

  it("falls back to the first frame when there is no frame at 1 s (0.5 s of video, 2 s of sound)", async () => {
    const { facts, poster } = await run(media.briefVideoWebm, "video/webm");
    expect(facts.durationMs).toBeGreaterThan(1900);
    expect(facts.video).toBe(true);
    expect(jpegSize(poster!)).toEqual({ width: 320, height: 240 });
  });

  it("reads a 10 s recording: ffmpeg stops reading once it has the poster (a broken pipe), which is no failure", async () => {
    const { facts, poster, canonical } = await run(media.longWebm, "video/webm");
    expect(facts.durationMs).toBeGreaterThanOrEqual(9950);
    expect(facts.durationMs).toBeLessThanOrEqual(10100);
    expect(jpegSize(poster!)).toEqual({ width: 320, height: 240 });
    expect(canonical!.bytes.length).toBeGreaterThan(media.longWebm.length * 0.9);
    expect(readWebmInfo(canonical!.bytes).durationMs).toBe(facts.durationMs);
  });

  it("reads audio-only WebM: audio, no video, no poster, a seekable audio/webm rendition", async () => {
    const { facts, poster, canonical } = await run(media.audioWebm, "audio/webm;codecs=opus");
    expect(facts).toMatchObject({
      container: "webm",
      video: false,
      audio: true,
      width: null,
      height: null,
      fps: null,
    });
    expect(facts.durationMs).toBeGreaterThanOrEqual(1950);
    expect(facts.durationMs).toBeLessThanOrEqual(2100);
    expect(facts.streams).toEqual([
      { index: 0, type: "audio", codec: "opus", sampleRate: 48000, channels: 1 },
    ]);
    expect(poster).toBeNull();
    expect(canonical?.type).toBe("audio/webm");
    const info = readWebmInfo(canonical!.bytes);
    expect(info.cuePoints).toBeGreaterThanOrEqual(1);
    expect(info.durationMs).toBe(facts.durationMs);
  });

  it("reads Ogg audio: audio, no video, no poster, no rendition", async () => {
    const { facts, poster, canonical } = await run(media.oggAudio, "audio/ogg");
    expect(facts).toMatchObject({ container: "ogg", video: false, audio: true });
    // Read from a pipe (native) Ogg declares no duration: the last packet's time, one Opus frame shorter.
    expect(facts.durationMs).toBeGreaterThanOrEqual(1950);
    expect(facts.durationMs).toBeLessThanOrEqual(2100);
    expect(poster).toBeNull();
    expect(canonical).toBeNull();
  });

  it.each([
    ["image/jpeg", "jpeg", "mjpeg"],
    ["image/png", "png", "png"],
  ] as const)("reads a still %s: its size, no video, no poster, no rendition", async (type, key, codec) => {
    const { facts, poster, canonical } = await run(media[key], type);
    expect(facts).toEqual({
      container: key,
      durationMs: null,
      width: 64,
      height: 48,
      fps: null,
      video: false,
      audio: false,
      streams: [{ index: 0, type: "video", codec, width: 64, height: 48 }],
    });
    expect(poster).toBeNull();
    expect(canonical).toBeNull();
  });

  it("fails corrupt and truncated inputs with what ffmpeg said, and goes on with the next job", async () => {
    const random = createHash("sha512").update("not media").digest();
    const noise = Buffer.concat(Array.from({ length: 64 }, () => random));
    await expect(run(noise, "video/webm")).rejects.toThrow(
      expect.objectContaining({
        name: "MediaFailedError",
        message: expect.stringMatching(/^ffmpeg: .*input: /),
      }),
    );
    // Cut inside the header: no track can be read.
    const header = media.recorderWebm.subarray(0, 200);
    await expect(run(header, "video/webm")).rejects.toThrow(
      expect.objectContaining({
        name: "MediaFailedError",
        message: expect.stringMatching(/^ffmpeg: input: (End of file|Invalid data found)/),
      }),
    );
    await expect(run(Buffer.from("hello, world"), "image/jpeg")).rejects.toBeInstanceOf(MediaFailedError);
    await expect(run(media.png, "video/webm")).rejects.toThrow(
      "the input is declared video/webm but ffmpeg reads it as png",
    );
    const next = await run(media.shortWebm, "video/webm");
    expect(next.facts.video).toBe(true);
    expect(jpegSize(next.poster!)).toEqual({ width: 320, height: 240 });
  });

  it("reads what there is of a recording cut among its clusters (the facts tell how much)", async () => {
    const { facts, canonical } = await run(
      media.recorderWebm.subarray(0, media.recorderWebm.length >> 1),
      "video/webm",
    );
    expect(facts.durationMs).toBeGreaterThan(500);
    expect(facts.durationMs).toBeLessThan(2900);
    expect(readWebmInfo(canonical!.bytes).durationMs).toBe(facts.durationMs);
  });

  it("rejects a job whose input cannot be read with the reader's own error (a store fault), and goes on", async () => {
    const fault = new Error("segment 3 failed authentication");
    const job = worker.process(failingInput(media.recorderWebm, "video/webm", 8192, fault));
    await expect(job).rejects.toBe(fault);
    expect((await run(media.jpeg, "image/jpeg")).facts.width).toBe(64);
  });

  it("keeps the event loop free while ffmpeg works on 20 minutes of recording (timer lateness < 100 ms)", async () => {
    // In the wasm engine, how long each ffmpeg run takes in its thread: had it run on the event loop, the loop
    // would have been late by that much.
    const runs: number[] = [];
    const realCall = WasmThread.prototype.call;
    const call = jest.spyOn(WasmThread.prototype, "call").mockImplementation(async function (
      this: WasmThread,
      ...args
    ) {
      const started = performance.now();
      const reply = await realCall.apply(this, args);
      if (args[0].op === "run") runs.push(performance.now() - started);
      return reply;
    });
    try {
      const started = performance.now();
      const { result, worstLagMs } = await eventLoopLag(() =>
        Promise.all([
          run(media.loopedWebm, "video/webm"),
          run(media.recorderWebm, "video/webm"),
          run(media.audioWebm, "audio/webm"),
        ]),
      );
      const elapsed = performance.now() - started;
      const [looped] = result;
      expect(looped.facts.durationMs).toBeGreaterThan(1_190_000);
      expect(looped.facts.durationMs).toBeLessThan(1_215_000);
      expect(readWebmInfo(looped.canonical!.bytes).cuePoints).toBeGreaterThan(10);
      expect(jpegSize(looped.poster!)).toEqual({ width: 320, height: 240 });
      expect(elapsed).toBeGreaterThan(300);
      if (engine === "wasm") expect(Math.max(...runs)).toBeGreaterThan(150);
      expect(worstLagMs).toBeLessThan(100);
    } finally {
      call.mockRestore();
    }
  });

  it("stops a job that takes too long, and the same worker does the next one", async () => {
    // 300 ms + 30 s per MiB: a 4 KiB input gets ~0.4 s, the 70 KiB recording ~2.3 s.
    const timed = await createMediaWorker({
      engine,
      queueSize: 2,
      timeout: { floorMs: 300, perMiBMs: 30_000 },
    });
    const { input, release } = stalledInput(media.recorderWebm.subarray(0, 4096), "video/webm", 1024);
    try {
      const started = performance.now();
      await expect(timed.process(input)).rejects.toThrow(
        expect.objectContaining({
          name: "MediaFailedError",
          message: expect.stringMatching(/^the media job took longer than 0\.4 s and was stopped$/),
        }),
      );
      expect(performance.now() - started).toBeLessThan(3000);
      expect(timed.pending()).toBe(0);
      const next = await timed.process(bufferInput(media.recorderWebm, "video/webm"));
      expect(next.facts.durationMs).toBe(recorder.facts.durationMs);
    } finally {
      release();
      await timed.close();
    }
  });
}

describe("wasm engine", () => {
  behavesAsTheMediaWorker("wasm");

  it("reads the native engine's in-memory rewrite (makeSeekable) of a real recording the same, cues on clusters", async () => {
    const worker = await createMediaWorker({ engine: "wasm", wasmCore: "core-st", queueSize: 1 });
    try {
      const original = await worker.process(bufferInput(media.recorderWebm, "video/webm"));
      const rewritten = await makeSeekable(media.recorderWebm);
      const { cues, seeks } = layout(rewritten);
      expect(cues.length).toBeGreaterThanOrEqual(1);
      // A cue is the time of the cluster's first video keyframe, at or after the cluster's own time.
      for (const cue of cues) {
        expect(cue.found).toBe(ID.cluster);
        expect(cue.clusterTimecode).toBeLessThanOrEqual(cue.time);
      }
      for (const seek of seeks) expect(seek.found).toBe(seek.id);
      expect(readWebmInfo(rewritten).durationMs).toBe(original.facts.durationMs);
      const again = await worker.process(bufferInput(rewritten, "video/webm"));
      expect(again.facts).toEqual(original.facts);
    } finally {
      await worker.close();
    }
  });

  it("refuses an input longer than its declared size", async () => {
    const worker = await createMediaWorker({ engine: "wasm", wasmCore: "core-st", queueSize: 1 });
    try {
      const input = { ...bufferInput(media.jpeg, "image/jpeg"), size: 100 };
      await expect(worker.process(input)).rejects.toThrow(
        "the input has more bytes than its size says (100)",
      );
    } finally {
      await worker.close();
    }
  });

  it("stops ffmpeg in the middle of a run: the thread is terminated, the job rejects at once, a new thread takes over", async () => {
    const engine = await WasmEngine.create(1, "core-st");
    const call = WasmThread.prototype.call;
    const controller = new AbortController();
    const reason = new MediaFailedError("stopped for the test");
    let abortedAt = 0;
    const spy = jest.spyOn(WasmThread.prototype, "call").mockImplementation(function (
      this: WasmThread,
      ...args
    ) {
      const reply = call.apply(this, args);
      // The probe has been handed to the thread: stop the job while ffmpeg runs it.
      if (args[0].op === "run" && !controller.signal.aborted) {
        abortedAt = performance.now();
        controller.abort(reason);
      }
      return reply;
    });
    try {
      const job = engine.run(
        bufferInput(media.recorderWebm, "video/webm"),
        { mime: "video/webm", kind: "video" },
        controller.signal,
      );
      await expect(job).rejects.toBe(reason);
      expect(performance.now() - abortedAt).toBeLessThan(500);
      spy.mockRestore();
      const next = await engine.run(
        bufferInput(media.recorderWebm, "video/webm"),
        { mime: "video/webm", kind: "video" },
        new AbortController().signal,
      );
      expect(next.facts.durationMs).toBeGreaterThan(2900);
      expect(jpegSize(next.poster!)).toEqual({ width: 320, height: 240 });
    } finally {
      spy.mockRestore();
      await engine.close();
    }
  });
  it("a thread that cannot be started is an engine error, not the media's; a later job starts one again", async () => {
    const engine = await WasmEngine.create(1, "core-st");
    const video = { mime: "video/webm", kind: "video" } as const;
    const controller = new AbortController();
    const realCall = WasmThread.prototype.call;
    const call = jest.spyOn(WasmThread.prototype, "call").mockImplementation(function (
      this: WasmThread,
      ...args
    ) {
      const reply = realCall.apply(this, args);
      if (args[0].op === "run") controller.abort(new MediaFailedError("stopped for the test"));
      return reply;
    });
    const cannotStart = new MediaEngineError("@ffmpeg.wasm/core-st did not start: for the test");
    const start = jest.spyOn(WasmThread, "start").mockRejectedValue(cannotStart);
    try {
      // The stopped job's thread is terminated; its replacement does not start.
      await expect(
        engine.run(bufferInput(media.jpeg, "image/jpeg"), video, controller.signal),
      ).rejects.toThrow("stopped for the test");
      call.mockRestore();
      // The next job tries once more to start a thread, and says it could not.
      await expect(
        engine.run(bufferInput(media.jpeg, "image/jpeg"), video, new AbortController().signal),
      ).rejects.toBe(cannotStart);
      expect(start).toHaveBeenCalledTimes(2);
      start.mockRestore();
      const next = await engine.run(
        bufferInput(media.shortWebm, "video/webm"),
        video,
        new AbortController().signal,
      );
      expect(jpegSize(next.poster!)).toEqual({ width: 320, height: 240 });
    } finally {
      call.mockRestore();
      start.mockRestore();
      await engine.close();
    }
  });
});

describe("ffmpeg.wasm core: core-mt, falling back to core-st", () => {
  /** null when core-mt passes its self-test on this machine, else why it does not. */
  let mtRefused: string | null;

  beforeAll(async () => {
    mtRefused = await WasmThread.start("core-mt").then(
      async (thread) => {
        await thread.terminate();
        return null;
      },
      (error: Error) => error.message,
    );
  }, 60_000);

  it("uses core-st when told to", async () => {
    const worker = await createMediaWorker({ engine: "wasm", wasmCore: "core-st", queueSize: 1 });
    try {
      expect(worker.description).toMatch(/^@ffmpeg\.wasm\/core-st \(ffmpeg \S+\)$/);
      expect((await worker.process(bufferInput(media.png, "image/png"))).facts.width).toBe(64);
    } finally {
      await worker.close();
    }
  });

  it("auto takes core-mt when it passes its self-test, else core-st and says why", async () => {
    const worker = await createMediaWorker({ engine: "wasm", queueSize: 1 });
    try {
      if (mtRefused === null) {
        expect(worker.description).toMatch(/^@ffmpeg\.wasm\/core-mt \(ffmpeg \S+\)$/);
      } else {
        const why = mtRefused.replace("@ffmpeg.wasm/core-mt did not start: ", "");
        expect(worker.description).toBe(worker.description.replace(/;.*/, "") + `; core-mt refused: ${why}`);
        expect(worker.description).toMatch(/^@ffmpeg\.wasm\/core-st \(ffmpeg \S+\); core-mt refused: /);
      }
      expect((await worker.process(bufferInput(media.jpeg, "image/jpeg"))).facts.height).toBe(48);
    } finally {
      await worker.close();
    }
  });

  it("core-mt when told to: used when it passes its self-test, else the start fails saying why", async () => {
    const started = createMediaWorker({ engine: "wasm", wasmCore: "core-mt", queueSize: 1 });
    if (mtRefused === null) {
      const worker = await started;
      expect(worker.description).toMatch(/^@ffmpeg\.wasm\/core-mt /);
      await worker.close();
    } else {
      await expect(started).rejects.toThrow(mtRefused);
    }
  });
});

describe("queue", () => {
  it("holds `queueSize` jobs beyond the running ones and refuses the next with MediaQueueFullError", async () => {
    const worker = await createMediaWorker({
      engine: "wasm",
      wasmCore: "core-st",
      queueSize: 1,
      concurrency: 1,
    });
    try {
      const first = worker.process(bufferInput(media.recorderWebm, "video/webm"));
      const second = worker.process(bufferInput(media.shortWebm, "video/webm"));
      expect(worker.pending()).toBe(2);
      await expect(worker.process(bufferInput(media.jpeg, "image/jpeg"))).rejects.toBeInstanceOf(
        MediaQueueFullError,
      );
      // A PDF does not need ffmpeg: its facts come at once, past a full queue.
      const pdf = Buffer.from("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n");
      expect(await worker.process(bufferInput(pdf, "application/pdf"))).toEqual({
        facts: {
          container: "pdf",
          durationMs: null,
          width: null,
          height: null,
          fps: null,
          video: false,
          audio: false,
          streams: [],
        },
        poster: null,
        canonical: null,
      });
      expect(worker.pending()).toBe(2);
      expect((await first).facts.durationMs).toBeGreaterThan(2900);
      expect((await second).facts.durationMs).toBeLessThan(1000);
      expect(worker.pending()).toBe(0);
      expect((await worker.process(bufferInput(media.jpeg, "image/jpeg"))).facts.width).toBe(64);
    } finally {
      await worker.close();
    }
  });

  it("runs `concurrency` jobs at once, each in its own thread", async () => {
    const worker = await createMediaWorker({
      engine: "wasm",
      wasmCore: "core-st",
      queueSize: 0,
      concurrency: 2,
    });
    try {
      const jobs = [
        worker.process(bufferInput(media.recorderWebm, "video/webm")),
        worker.process(bufferInput(media.briefVideoWebm, "video/webm")),
      ];
      expect(worker.pending()).toBe(2);
      await expect(worker.process(bufferInput(media.jpeg, "image/jpeg"))).rejects.toBeInstanceOf(
        MediaQueueFullError,
      );
      const [a, b] = await Promise.all(jobs);
      expect(jpegSize(a.poster!)).toEqual({ width: 320, height: 240 });
      expect(jpegSize(b.poster!)).toEqual({ width: 320, height: 240 });
      expect(worker.pending()).toBe(0);
    } finally {
      await worker.close();
    }
  });

  it("refuses what it cannot read before queueing it: other types, PDFs that are not, inputs over the limit", async () => {
    const worker = await createMediaWorker({
      engine: "wasm",
      wasmCore: "core-st",
      queueSize: 1,
      maxInputBytes: 50_000,
    });
    try {
      await expect(worker.process(bufferInput(Buffer.from("hi"), "text/plain"))).rejects.toThrow(
        "text/plain is not a media type the worker reads",
      );
      await expect(worker.process(bufferInput(media.png, "application/pdf"))).rejects.toThrow(
        "the input is declared a PDF but is not one",
      );
      await expect(worker.process(bufferInput(media.recorderWebm, "video/webm"))).rejects.toThrow(
        `the input (${media.recorderWebm.length} bytes) is too large for the wasm engine (at most 50000)`,
      );
      expect(worker.pending()).toBe(0);
      expect((await worker.process(bufferInput(media.shortWebm, "video/webm"))).facts.video).toBe(true);
    } finally {
      await worker.close();
    }
  });

  it("close() rejects the running and the waiting jobs, and every job after", async () => {
    const worker = await createMediaWorker({
      engine: "wasm",
      wasmCore: "core-st",
      queueSize: 2,
      concurrency: 1,
    });
    const running = worker.process(bufferInput(media.recorderWebm, "video/webm"));
    const waiting = [
      worker.process(bufferInput(media.shortWebm, "video/webm")),
      worker.process(bufferInput(media.audioWebm, "audio/webm")),
    ];
    expect(worker.pending()).toBe(3);
    const outcomes = Promise.allSettled([running, ...waiting]);
    await worker.close();
    const failed = (message: string) => ({
      status: "rejected",
      reason: expect.objectContaining({ name: "MediaFailedError", message }),
    });
    expect(await outcomes).toEqual([
      failed("the media worker was closed while the job ran"),
      failed("the media worker was closed before the job ran"),
      failed("the media worker was closed before the job ran"),
    ]);
    expect(worker.pending()).toBe(0);
    await expect(worker.process(bufferInput(media.jpeg, "image/jpeg"))).rejects.toThrow(
      "the media worker is closed",
    );
  });
});

describe("engine selection", () => {
  let emptyDir: string;
  beforeAll(() => {
    emptyDir = fs.mkdtempSync(path.join(os.tmpdir(), "no-ffmpeg-"));
  });
  afterAll(() => fs.rmSync(emptyDir, { recursive: true, force: true }));

  it("auto takes ffmpeg.wasm when no ffmpeg is on PATH", async () => {
    const worker = await withEnv({ PATH: emptyDir }, () =>
      createMediaWorker({ engine: "auto", queueSize: 1 }),
    );
    try {
      expect(worker.engine).toBe("wasm");
      expect(worker.description).toMatch(/^@ffmpeg\.wasm\/core-(st|mt) /);
    } finally {
      await worker.close();
    }
  });

  it("native without an ffmpeg on PATH does not start, and says why", async () => {
    await expect(
      withEnv({ PATH: emptyDir }, () => createMediaWorker({ engine: "native", queueSize: 1 })),
    ).rejects.toThrow("media engine native: no `ffmpeg` on PATH (install it, or use the wasm engine)");
  });
});

describe(NATIVE_TITLE, () => {
  // describe.skip would hide why: the title says it, and the tests below are skipped one by one.
  const test = NATIVE_FFMPEG ? it : it.skip;

  test("auto takes the native ffmpeg when one is on PATH", async () => {
    const worker = await createMediaWorker({ engine: "auto", queueSize: 1 });
    try {
      expect(worker.engine).toBe("native");
      expect(worker.description).toMatch(/^ffmpeg version \S+ \(native\)$/);
    } finally {
      await worker.close();
    }
  });

  test("a stopped job leaves no ffmpeg process behind", async () => {
    const worker = await createMediaWorker({
      engine: "native",
      queueSize: 1,
      timeout: { floorMs: 300, perMiBMs: 0 },
    });
    const { input, release } = stalledInput(media.recorderWebm, "video/webm", 4096);
    try {
      await expect(worker.process(input)).rejects.toThrow(
        "the media job took longer than 0.3 s and was stopped",
      );
      // SIGKILL is delivered at once; give the kernel a moment to reap the process.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const children = execFileSync("ps", ["-o", "comm=", "--ppid", String(process.pid)], {
        encoding: "utf8",
      });
      expect(children.split("\n").filter((name) => name.trim() === "ffmpeg")).toEqual([]);
    } finally {
      release();
      await worker.close();
    }
  });
});

describeNative(`${NATIVE_TITLE}: the same behaviour as the wasm engine`, () => {
  behavesAsTheMediaWorker("native");
});
