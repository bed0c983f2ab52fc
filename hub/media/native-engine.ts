/**
 * The operator's `ffmpeg`, one child process per run. Plaintext goes in through stdin and comes out through stdout:
 * nothing touches the disk. Because a pipe cannot be seeked, ffmpeg's WebM has no Cues and no Duration; the remux
 * gets them in memory (webm.ts).
 */
import { spawn } from "node:child_process";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { analyse, type FfmpegSession } from "./pipeline";
import { failureLine, type Classified } from "./facts";
import {
  MediaEngineError,
  MediaFailedError,
  type MediaEngine,
  type MediaInput,
  type MediaResult,
} from "./types";
import { readWatched } from "./reading";
import { concatYielding, makeSeekable } from "./webm";

const LOG_PART_BYTES = 64 * 1024;

/** ffmpeg's stderr, keeping its start (the input's description) and its end (the error or the last progress). */
class LogTail {
  private head = "";
  private tail = "";

  add(text: string) {
    const room = LOG_PART_BYTES - this.head.length;
    if (room > 0) {
      this.head += text.slice(0, room);
      text = text.slice(room);
    }
    this.tail = (this.tail + text).slice(-LOG_PART_BYTES);
  }

  toString() {
    return this.tail ? `${this.head}\n${this.tail}` : this.head;
  }
}

/**
 * `ffmpeg version <version>` from `ffmpeg -version`, or null when there is no ffmpeg on PATH. Runs (here and below)
 * are given `process.env` as it is now, so that the PATH read is the one the process has at that moment.
 */
export function nativeVersion(): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn("ffmpeg", ["-hide_banner", "-version"], {
      stdio: ["ignore", "pipe", "ignore"],
      env: process.env,
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("error", () => resolve(null));
    child.on("close", (code) => resolve(code === 0 ? out.split("\n")[0].replace(/ Copyright.*$/, "") : null));
  });
}

class NativeSession implements FfmpegSession {
  constructor(
    private input: MediaInput,
    private signal: AbortSignal,
  ) {}

  run(args: string[]): Promise<{ log: string; output: Buffer | null }> {
    const writes = args.includes("{out}");
    const resolved = args.map((arg) => (arg === "{in}" ? "pipe:0" : arg === "{out}" ? "pipe:1" : arg));
    const input = this.input;
    const signal = this.signal;
    // An error of the input's reader fails the run with that error: ffmpeg would otherwise take the cut input
    // for a short one.
    let readError: unknown = null;
    const source = readWatched(input, (error) => (readError ??= error));
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const child = spawn("ffmpeg", resolved, {
        stdio: ["pipe", "pipe", "pipe"],
        env: process.env,
        signal,
        killSignal: "SIGKILL",
      });
      // ffmpeg may stop reading once it has what it needs (a poster frame): the broken pipe is not an error, and
      // an EPIPE can still come after the pipeline has settled, so stdin keeps a listener of its own.
      child.stdin.on("error", () => {});
      pipeline(Readable.from(source), child.stdin).catch(() => {});
      const log = new LogTail();
      const output: Buffer[] = [];
      child.stderr.on("data", (chunk: Buffer) => log.add(chunk.toString()));
      child.stdout.on("data", (chunk: Buffer) => writes && output.push(chunk));
      // Not started (ffmpeg gone from PATH since the worker started, no memory to fork): not the media's fault.
      child.on("error", (error) =>
        reject(signal.aborted ? signal.reason : new MediaEngineError(`ffmpeg did not run: ${error.message}`)),
      );
      child.on("close", (code) => {
        if (signal.aborted) return reject(signal.reason);
        if (readError !== null) return reject(readError);
        const text = log.toString();
        if (code !== 0) return reject(new MediaFailedError(`ffmpeg: ${failureLine(text)}`));
        if (!writes || output.length === 0) return resolve({ log: text, output: null });
        concatYielding(output).then((bytes) => resolve({ log: text, output: bytes }), reject);
      });
    });
  }

  async remux(args: string[]): Promise<Buffer> {
    const { output } = await this.run(args);
    if (!output) throw new MediaFailedError("ffmpeg: the remux wrote nothing");
    try {
      return await makeSeekable(output);
    } catch (error) {
      throw new MediaFailedError(`the remux could not be made seekable: ${(error as Error).message}`);
    }
  }
}

export class NativeEngine implements MediaEngine {
  readonly engine = "native";

  constructor(readonly description: string) {}

  run(input: MediaInput, media: Classified, signal: AbortSignal): Promise<MediaResult> {
    return analyse(new NativeSession(input, signal), media);
  }

  async close(): Promise<void> {
    // Nothing outlives a job: its processes are gone when it settles.
  }
}
