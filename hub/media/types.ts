/** The media worker's public shapes; `index.ts` re-exports them. */
import type { Classified } from "./facts";

export interface MediaStreamFacts {
  index: number;
  type: "video" | "audio" | "other";
  codec: string;
  width?: number;
  height?: number;
  fps?: number;
  sampleRate?: number;
  channels?: number;
}

export interface MediaFacts {
  container: string;
  durationMs: number | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  /** True for moving pictures only: a still image has a video stream in `streams` but `video: false`. */
  video: boolean;
  audio: boolean;
  streams: MediaStreamFacts[];
}

export interface MediaInput {
  /** MIME type, e.g. video/webm, audio/ogg, image/jpeg, application/pdf; parameters (`;codecs=…`) are ignored. */
  type: string;
  /** The plaintext's length in bytes: the size limit and the timeout are computed from it. */
  size: number;
  /**
   * The plaintext, in order; may be called more than once, and a reader may stop early. An error it throws
   * rejects the job with that same error (not a MediaFailedError): it is the store's fault, not the media's.
   */
  read(): AsyncIterable<Buffer>;
}

export interface MediaResult {
  facts: MediaFacts;
  /** JPEG, for video only. */
  poster: Buffer | null;
  /** The recorder's WebM remuxed into a seekable one (Cues + duration); only for video/webm and audio/webm input. */
  canonical: { type: string; bytes: Buffer } | null;
}

export class MediaQueueFullError extends Error {
  override name = "MediaQueueFullError";
}

/** A job that could not be done; the message says why (what ffmpeg said, shortened). */
export class MediaFailedError extends Error {
  override name = "MediaFailedError";
}

/**
 * The engine could not take the job (an ffmpeg.wasm thread did not start): not the media's fault, so not a
 * MediaFailedError; the job can be offered again later.
 */
export class MediaEngineError extends Error {
  override name = "MediaEngineError";
}

export interface MediaWorker {
  readonly engine: "wasm" | "native";
  /** Which ffmpeg does the work, e.g. "@ffmpeg.wasm/core-st (ffmpeg v0.11.0…)", for logs and audit details. */
  readonly description: string;
  /**
   * Rejects MediaQueueFullError when `queueSize` jobs already wait; MediaFailedError when the media cannot be read
   * (or the job timed out, or the worker was closed); MediaEngineError when the engine could not take the job; the
   * reader's own error when `input.read()` failed. Only MediaFailedError is the recording's failure.
   */
  process(input: MediaInput): Promise<MediaResult>;
  /** Jobs accepted and not yet settled: running plus waiting. */
  pending(): number;
  /** Rejects the jobs still waiting or running and stops the engine. */
  close(): Promise<void>;
}

export interface MediaWorkerOptions {
  engine: "wasm" | "native" | "auto";
  /** Jobs allowed to wait beyond the running ones. */
  queueSize: number;
  /** Jobs running at once (default 1). */
  concurrency?: number;
  /**
   * Larger inputs are refused (default 1 GiB for wasm; for native the largest Buffer, as the remux is kept in
   * memory). A job holds about 3× its input in memory at its peak: see README.md.
   */
  maxInputBytes?: number;
  /**
   * A job running longer than floorMs + perMiBMs × its size in MiB is stopped (MediaFailedError) and its engine
   * replaced (default 60 s + 1 s per MiB).
   */
  timeout?: { floorMs: number; perMiBMs: number };
  /**
   * Which ffmpeg.wasm core the wasm engine uses: `auto` (default) tries core-mt and falls back to core-st when
   * core-mt fails its self-test here; a named core is used or the start fails.
   */
  wasmCore?: "auto" | "core-mt" | "core-st";
}

/** What an engine does for one job; `index.ts` adds the queue, the size limit and the timeout around it. */
export interface MediaEngine {
  readonly engine: "wasm" | "native";
  readonly description: string;
  /** Must reject soon after `signal` aborts, with `signal.reason`. */
  run(input: MediaInput, media: Classified, signal: AbortSignal): Promise<MediaResult>;
  close(): Promise<void>;
}
