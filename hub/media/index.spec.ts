/**
 * index.ts around a scripted engine: how a job's outcome is passed on, the timeout's arithmetic, the order of the
 * queue, PDFs. The real engines are in media-worker.spec.ts.
 */
import { createMediaWorker, MediaEngineError, MediaFailedError, type MediaResult } from ".";
import { bufferInput } from "../../test/fixtures/media/inspect";
import type { Classified } from "./facts";
import type { MediaEngine, MediaInput } from "./types";
import { WasmEngine } from "./wasm-engine";

const RESULT: MediaResult = {
  facts: {
    container: "webm",
    durationMs: 1,
    width: null,
    height: null,
    fps: null,
    video: false,
    audio: true,
    streams: [],
  },
  poster: null,
  canonical: null,
};

type Script = (input: MediaInput, media: Classified, signal: AbortSignal) => Promise<MediaResult>;

/** A worker whose wasm engine runs `script` for every job. */
async function workerWith(script: Script, options: { timeout?: { floorMs: number; perMiBMs: number } } = {}) {
  const engine: MediaEngine = { engine: "wasm", description: "scripted", run: script, close: async () => {} };
  const create = jest.spyOn(WasmEngine, "create").mockResolvedValue(engine as unknown as WasmEngine);
  try {
    return await createMediaWorker({ engine: "wasm", queueSize: 4, ...options });
  } finally {
    create.mockRestore();
  }
}

/** Reads the whole input, as an engine does. */
async function drain(input: MediaInput): Promise<void> {
  for await (const chunk of input.read()) void chunk;
}

const webm = (size = 10) => bufferInput(Buffer.alloc(size), "video/webm");

describe("a job's outcome", () => {
  it("passes a result, a MediaFailedError and a MediaEngineError on as they are", async () => {
    const failed = new MediaFailedError("ffmpeg: input: End of file");
    const engineDown = new MediaEngineError("@ffmpeg.wasm/core-st did not start: no answer in 30 s");
    const outcomes = [Promise.resolve(RESULT), Promise.reject(failed), Promise.reject(engineDown)];
    const worker = await workerWith(() => outcomes.shift()!);
    await expect(worker.process(webm())).resolves.toBe(RESULT);
    await expect(worker.process(webm())).rejects.toBe(failed);
    await expect(worker.process(webm())).rejects.toBe(engineDown);
  });

  it("makes any other error a MediaFailedError, so that no failure goes unrecorded", async () => {
    const worker = await workerWith(() => Promise.reject(new RangeError("offset out of range")));
    await expect(worker.process(webm())).rejects.toThrow(
      new MediaFailedError("the media job failed: offset out of range"),
    );
  });

  it("passes the reader's error on as it is, whatever the engine made of it", async () => {
    const fault = new Error("replica unreachable");
    const input: MediaInput = {
      type: "video/webm",
      size: 10,
      async *read() {
        yield Buffer.alloc(1);
        throw fault;
      },
    };
    const worker = await workerWith(async (job) => {
      await drain(job).catch(() => {});
      throw new MediaFailedError("ffmpeg: input: End of file");
    });
    await expect(worker.process(input)).rejects.toBe(fault);
  });
});

describe("timeout", () => {
  it("is floorMs + perMiBMs × the input's MiB, and aborts the engine's signal with a MediaFailedError", async () => {
    let seen: AbortSignal | null = null;
    const worker = await workerWith(
      (_input, _media, signal) =>
        new Promise((_, reject) => {
          seen = signal;
          signal.addEventListener("abort", () => reject(signal.reason));
        }),
      { timeout: { floorMs: 50, perMiBMs: 100 } },
    );
    const started = performance.now();
    // 0.5 MiB: 50 + 50 ms.
    await expect(worker.process(webm(512 * 1024))).rejects.toThrow(
      new MediaFailedError("the media job took longer than 0.1 s and was stopped"),
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    expect(seen!.aborted).toBe(true);
  });
});

describe("queue", () => {
  it("runs jobs in the order they came", async () => {
    const order: number[] = [];
    const worker = await workerWith(async (input) => {
      order.push(input.size);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return RESULT;
    });
    await Promise.all([1, 2, 3, 4, 5].map((size) => worker.process(webm(size))));
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });
});

describe("PDF", () => {
  it("checks the first five bytes, however they are cut into chunks, and reads no further", async () => {
    const worker = await workerWith(() => Promise.reject(new Error("a PDF must not reach the engine")));
    let chunksRead = 0;
    const pdf: MediaInput = {
      type: "application/pdf",
      size: 1000,
      async *read() {
        for (const part of ["%P", "D", "F-1.7\n", "rest", "more"]) {
          chunksRead++;
          yield Buffer.from(part);
        }
      },
    };
    expect((await worker.process(pdf)).facts.container).toBe("pdf");
    expect(chunksRead).toBe(3);
  });

  it("refuses an empty or short input declared a PDF", async () => {
    const worker = await workerWith(() => Promise.resolve(RESULT));
    await expect(worker.process(bufferInput(Buffer.alloc(0), "application/pdf"))).rejects.toThrow(
      "the input is declared a PDF but is not one",
    );
    await expect(worker.process(bufferInput(Buffer.from("%PD"), "application/pdf"))).rejects.toThrow(
      MediaFailedError,
    );
  });
});
