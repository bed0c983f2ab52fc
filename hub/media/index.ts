/**
 * The media worker: facts, a poster frame and a seekable rendition of a recording, by ffmpeg.wasm or a native
 * ffmpeg behind one interface. Jobs queue here; the engines only run them. See README.md.
 */
import { constants } from "node:buffer";
import { classify, pdfFacts, type Classified } from "./facts";
import { NativeEngine, nativeVersion } from "./native-engine";
import { readWatched } from "./reading";
import {
  MediaEngineError,
  MediaFailedError,
  MediaQueueFullError,
  type MediaEngine,
  type MediaInput,
  type MediaResult,
  type MediaWorker,
  type MediaWorkerOptions,
} from "./types";
import { WasmEngine } from "./wasm-engine";

export {
  MediaEngineError,
  MediaFailedError,
  MediaQueueFullError,
  type MediaFacts,
  type MediaInput,
  type MediaResult,
  type MediaStreamFacts,
  type MediaWorker,
  type MediaWorkerOptions,
} from "./types";

const MiB = 1024 * 1024;
export const WASM_MAX_INPUT_BYTES = 1024 * MiB;
// Generous: a stream copy and one decoded frame take seconds per hundred MiB even in wasm on a busy machine.
export const DEFAULT_TIMEOUT = { floorMs: 60_000, perMiBMs: 1_000 };

interface Job {
  input: MediaInput;
  media: Classified;
  resolve: (result: MediaResult) => void;
  reject: (error: unknown) => void;
}

/** The input with its reader's errors kept aside, so that they are told apart from the media's. */
function watched(input: MediaInput): { input: MediaInput; readError: () => unknown } {
  let error: unknown = null;
  const read = () => readWatched(input, (err) => (error ??= err));
  return { input: { type: input.type, size: input.size, read }, readError: () => error };
}

/** A PDF is not given to ffmpeg: its facts are fixed; only its first bytes are checked. */
async function pdf(input: MediaInput): Promise<MediaResult> {
  let head = Buffer.alloc(0);
  for await (const chunk of input.read()) {
    head = Buffer.concat([head, chunk.subarray(0, 5 - head.length)]);
    if (head.length >= 5) break;
  }
  if (head.toString("latin1") !== "%PDF-")
    throw new MediaFailedError("the input is declared a PDF but is not one");
  return { facts: pdfFacts(), poster: null, canonical: null };
}

class QueuedMediaWorker implements MediaWorker {
  readonly engine: "wasm" | "native";
  readonly description: string;
  private waiting: Job[] = [];
  private running = new Set<AbortController>();
  private closed = false;

  constructor(
    private core: MediaEngine,
    private queueSize: number,
    private concurrency: number,
    private maxInputBytes: number,
    private timeout: { floorMs: number; perMiBMs: number },
  ) {
    this.engine = core.engine;
    this.description = core.description;
  }

  process(input: MediaInput): Promise<MediaResult> {
    if (this.closed) return Promise.reject(new MediaFailedError("the media worker is closed"));
    const media = classify(input.type);
    if (media === "pdf") return pdf(input);
    if (!media)
      return Promise.reject(new MediaFailedError(`${input.type} is not a media type the worker reads`));
    if (input.size > this.maxInputBytes) {
      return Promise.reject(
        new MediaFailedError(
          `the input (${input.size} bytes) is too large for the ${this.engine} engine (at most ${this.maxInputBytes})`,
        ),
      );
    }
    if (this.running.size >= this.concurrency && this.waiting.length >= this.queueSize) {
      return Promise.reject(new MediaQueueFullError(`${this.waiting.length} media jobs are already waiting`));
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ input, media, resolve, reject });
      this.next();
    });
  }

  pending(): number {
    return this.running.size + this.waiting.length;
  }

  private next() {
    while (!this.closed && this.running.size < this.concurrency && this.waiting.length > 0) {
      void this.start(this.waiting.shift()!);
    }
  }

  private async start(job: Job) {
    const controller = new AbortController();
    this.running.add(controller);
    const ms = this.timeout.floorMs + (this.timeout.perMiBMs * job.input.size) / MiB;
    const timer = setTimeout(
      () =>
        controller.abort(
          new MediaFailedError(`the media job took longer than ${(ms / 1000).toFixed(1)} s and was stopped`),
        ),
      ms,
    );
    const { input, readError } = watched(job.input);
    try {
      job.resolve(await this.core.run(input, job.media, controller.signal));
    } catch (error) {
      // The reader's errors and the engine's are not the media's: they pass as they are.
      if (readError() !== null) job.reject(readError());
      else if (error instanceof MediaFailedError || error instanceof MediaEngineError) job.reject(error);
      else
        job.reject(
          new MediaFailedError(`the media job failed: ${(error as Error)?.message ?? String(error)}`),
        );
    } finally {
      clearTimeout(timer);
      this.running.delete(controller);
      this.next();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const job of this.waiting.splice(0)) {
      job.reject(new MediaFailedError("the media worker was closed before the job ran"));
    }
    for (const controller of this.running) {
      controller.abort(new MediaFailedError("the media worker was closed while the job ran"));
    }
    await this.core.close();
  }
}

/** Starts a media worker; `auto` picks native when an `ffmpeg` is on PATH, else wasm. */
export async function createMediaWorker(options: MediaWorkerOptions): Promise<MediaWorker> {
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const queueSize = Math.max(0, options.queueSize);
  const version = options.engine === "wasm" ? null : await nativeVersion();
  if (options.engine === "native" && !version) {
    throw new Error("media engine native: no `ffmpeg` on PATH (install it, or use the wasm engine)");
  }
  // The native remux is kept in memory, so there an input must fit in one Buffer.
  const maxInputBytes = options.maxInputBytes ?? (version ? constants.MAX_LENGTH : WASM_MAX_INPUT_BYTES);
  const core: MediaEngine = version
    ? new NativeEngine(`${version} (native)`)
    : await WasmEngine.create(concurrency, options.wasmCore ?? "auto");
  return new QueuedMediaWorker(
    core,
    queueSize,
    concurrency,
    maxInputBytes,
    options.timeout ?? DEFAULT_TIMEOUT,
  );
}
