/**
 * ffmpeg.wasm in worker threads, so that the hub's event loop keeps serving while ffmpeg works. One thread per
 * concurrent job; a thread that was stopped (timeout, close) or crashed is terminated and replaced.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { analyse, type FfmpegSession } from "./pipeline";
import { failureLine, type Classified } from "./facts";
import {
  MediaEngineError,
  MediaFailedError,
  type MediaEngine,
  type MediaInput,
  type MediaResult,
} from "./types";
import { pacer } from "./reading";
import { WASM_THREAD_SOURCE } from "./wasm-thread";

export type WasmCore = "core-mt" | "core-st";

const STARTUP_TIMEOUT_MS = 30_000;

interface Reply {
  ok: boolean;
  code: number;
  log: string;
  output: Uint8Array | null;
  /** What stopped the wasm when it trapped instead of exiting. */
  trap?: string | null;
}

type ThreadMessage = { op: "open"; input?: Uint8Array } | { op: "run"; args: string[] } | { op: "close" };

// The project's tsconfig has no "dom" lib and @types/node 20 does not declare WebAssembly: what is used here.
declare const WebAssembly: { compile(bytes: Uint8Array): Promise<WasmModule> };
/** A compiled WebAssembly.Module: passed to threads as it is (structured clone shares the compiled code). */
type WasmModule = object;

// One compile per core and process, kept for the process's life: the module is shared with every thread (and the
// core's own pthreads), so a thread starts in tens of milliseconds instead of compiling 25 MB again.
const modules = new Map<WasmCore, Promise<WasmModule>>();

function compiled(core: WasmCore): Promise<WasmModule> {
  let module = modules.get(core);
  if (!module) {
    const corePath = require.resolve(`@ffmpeg.wasm/${core}`);
    module = readFile(path.join(path.dirname(corePath), "core.wasm")).then((bytes) =>
      WebAssembly.compile(bytes),
    );
    module.catch(() => modules.delete(core)); // a later start tries again
    modules.set(core, module);
  }
  return module;
}

/** One worker thread holding one ffmpeg.wasm core; one call at a time. */
export class WasmThread {
  private pending: { resolve: (reply: Reply) => void; reject: (error: Error) => void } | null = null;
  private dead = false;

  private constructor(
    readonly core: WasmCore,
    readonly version: string,
    private worker: Worker,
  ) {
    worker.on("message", (reply: Reply) => this.settle((p) => p.resolve(reply)));
    worker.on("error", (error) => this.died(`ffmpeg.wasm crashed: ${error.message}`));
    worker.on("exit", (code) => this.died(`ffmpeg.wasm exited (code ${code})`));
  }

  /**
   * Starts a thread and resolves once the core has passed its self-test (wasm-thread.ts); rejects when it fails
   * the test, crashes, exits or takes too long.
   */
  static async start(core: WasmCore): Promise<WasmThread> {
    const corePath = require.resolve(`@ffmpeg.wasm/${core}`);
    const wasmModule = await compiled(core);
    const worker = new Worker(WASM_THREAD_SOURCE, { eval: true, workerData: { corePath, wasmModule } });
    return new Promise((resolve, reject) => {
      // Only these listeners are removed: `removeAllListeners()` would also drop the Worker's own listeners that
      // keep its message port started, and no later message would ever arrive.
      const detach = () => {
        clearTimeout(timer);
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
      };
      const fail = (why: string) => {
        detach();
        void worker.terminate();
        reject(new MediaEngineError(`@ffmpeg.wasm/${core} did not start: ${why}`));
      };
      const onMessage = (message: { ready: boolean; version?: string; log?: string }) => {
        if (!message.ready) return fail(failureLine(message.log ?? ""));
        detach();
        resolve(new WasmThread(core, message.version ?? "unknown", worker));
      };
      const onError = (error: Error) => fail(error.message);
      const onExit = (code: number) => fail(`exited with code ${code}`);
      const timer = setTimeout(() => fail(`no answer in ${STARTUP_TIMEOUT_MS / 1000} s`), STARTUP_TIMEOUT_MS);
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.on("exit", onExit);
    });
  }

  /** False once the thread was terminated, crashed or exited: it must be replaced. */
  get alive(): boolean {
    return !this.dead;
  }

  private died(why: string) {
    this.dead = true;
    this.settle((p) => p.reject(new MediaFailedError(why)));
  }

  private settle(action: (pending: NonNullable<WasmThread["pending"]>) => void) {
    const pending = this.pending;
    this.pending = null;
    if (pending) action(pending);
  }

  /** Sends one message and waits for its reply; an abort terminates the thread and rejects with the reason. */
  call(message: ThreadMessage, transfer: ArrayBuffer[], signal: AbortSignal): Promise<Reply> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.dead) return Promise.reject(new MediaFailedError("ffmpeg.wasm thread is gone"));
    return new Promise<Reply>((resolve, reject) => {
      const onAbort = () => {
        this.dead = true;
        this.settle((p) => p.reject(signal.reason));
        void this.worker.terminate();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      const done = () => signal.removeEventListener("abort", onAbort);
      this.pending = {
        resolve: (reply) => (done(), resolve(reply)),
        reject: (error) => (done(), reject(error)),
      };
      this.worker.postMessage(message, transfer);
    });
  }

  async terminate(): Promise<void> {
    this.died("the media worker was closed");
    await this.worker.terminate();
  }
}

class WasmSession implements FfmpegSession {
  constructor(
    private thread: WasmThread,
    private signal: AbortSignal,
  ) {}

  async run(args: string[]) {
    const reply = await this.thread.call({ op: "run", args }, [], this.signal);
    if (!reply.ok) {
      const trap = reply.trap ? ` (ffmpeg.wasm stopped: ${reply.trap})` : "";
      throw new MediaFailedError(`ffmpeg: ${failureLine(reply.log)}${trap}`);
    }
    const output =
      reply.output && Buffer.from(reply.output.buffer, reply.output.byteOffset, reply.output.byteLength);
    return { log: reply.log, output };
  }

  async remux(args: string[]): Promise<Buffer> {
    const { output } = await this.run(args);
    if (!output) throw new MediaFailedError("ffmpeg: the remux wrote nothing");
    return output;
  }
}

/**
 * The whole input in one fresh ArrayBuffer of its declared size, which is transferred to the thread (never a
 * pooled Buffer's). An abort stops a read that is waiting for bytes. An error of `input.read()` is thrown as it is.
 */
async function readAll(input: MediaInput, signal: AbortSignal): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = new Uint8Array(input.size);
  let at = 0;
  const iterator = input.read()[Symbol.asyncIterator]();
  let done = false;
  // A reader that has its bytes at hand resolves in microtasks only: let the event loop in now and then.
  const pause = pacer();
  try {
    for (;;) {
      const step = await untilAborted(iterator.next(), signal);
      if (step.done) break;
      if (at + step.value.length > bytes.length) {
        throw new MediaFailedError(`the input has more bytes than its size says (${input.size})`);
      }
      bytes.set(step.value, at);
      at += step.value.length;
      await pause();
    }
    done = true;
  } finally {
    if (!done) void Promise.resolve(iterator.return?.()).catch(() => {});
  }
  return at === bytes.length ? bytes : bytes.subarray(0, at);
}

/** `promise`, or the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([promise, aborted]).finally(() => signal.removeEventListener("abort", onAbort));
}

export type WasmCoreChoice = "auto" | WasmCore;

export class WasmEngine implements MediaEngine {
  readonly engine = "wasm";
  readonly description: string;
  private threads: Promise<WasmThread>[];
  private idle: number[];
  private closed = false;

  private constructor(
    readonly core: WasmCore,
    first: WasmThread,
    concurrency: number,
    /** Why core-mt is not used, when it was tried and refused. */
    readonly fallbackReason: string | null,
  ) {
    this.description =
      `@ffmpeg.wasm/${core} (ffmpeg ${first.version})` +
      (fallbackReason ? `; core-mt refused: ${fallbackReason}` : "");
    this.threads = [Promise.resolve(first)];
    for (let i = 1; i < concurrency; i++) this.threads.push(this.startThread());
    this.idle = this.threads.map((_, i) => i);
  }

  /**
   * `auto` prefers the multi-threaded core and falls back to the single-threaded one when the multi-threaded one
   * does not pass its self-test here; a named core is used or the start fails.
   */
  static async create(concurrency: number, choice: WasmCoreChoice = "auto"): Promise<WasmEngine> {
    if (choice !== "auto") return new WasmEngine(choice, await WasmThread.start(choice), concurrency, null);
    try {
      return new WasmEngine("core-mt", await WasmThread.start("core-mt"), concurrency, null);
    } catch (error) {
      modules.delete("core-mt"); // its compiled code is ~100 MB this process need not keep
      const reason = (error as Error).message.replace(/^@ffmpeg\.wasm\/core-mt did not start: /, "");
      return new WasmEngine("core-st", await WasmThread.start("core-st"), concurrency, reason);
    }
  }

  private startThread(): Promise<WasmThread> {
    const thread = WasmThread.start(this.core);
    thread.catch(() => {}); // the job that needs it gets the error
    return thread;
  }

  async run(input: MediaInput, media: Classified, signal: AbortSignal): Promise<MediaResult> {
    const slot = this.idle.pop();
    if (slot === undefined) throw new Error("no idle wasm thread: more jobs started than threads");
    let thread: WasmThread | null = null;
    try {
      const bytes = await readAll(input, signal);
      thread = await untilAborted(this.thread(slot), signal);
      await thread.call({ op: "open", input: bytes }, [bytes.buffer], signal);
      return await analyse(new WasmSession(thread, signal), media);
    } finally {
      if (thread?.alive) {
        // A failed ffmpeg run leaves the thread usable (the next job opens a new instance): free this job's now.
        await thread.call({ op: "close" }, [], new AbortController().signal).catch(() => {});
      } else if (thread && !this.closed) {
        // A stopped or crashed thread is replaced.
        this.threads[slot] = this.startThread();
        void thread.terminate();
      }
      this.idle.push(slot);
    }
  }

  /** The slot's thread; when it did not start, it is started again, once, for this job. */
  private async thread(slot: number): Promise<WasmThread> {
    try {
      return await this.threads[slot];
    } catch {
      this.threads[slot] = this.startThread();
      return await this.threads[slot];
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.threads.map((t) =>
        t.then(
          (thread) => thread.terminate(),
          () => {},
        ),
      ),
    );
  }
}
