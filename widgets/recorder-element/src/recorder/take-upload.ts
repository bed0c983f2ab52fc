/**
 * Sends a take to the hub with tus (tus-js-client) straight from the chunks persisted in IndexedDB: it starts
 * while recording (deferred length), follows the recorder as chunks are written, and finishes once the take is
 * stopped. It survives anything short of the user discarding the take: a dropped network or a restarted hub is
 * retried for ever with backoff (the upload resumes from the hub's offset), an expired token waits for a new one.
 */
import { Upload, type FileSource } from "tus-js-client";
import type { Take, TakeStore } from "./take-store";
import { UploadPacer } from "./upload-pacing";
import { HubError } from "../hub-client";

/** Bytes per PATCH: small enough to resume cheaply and to pace smoothly, big enough to keep the link busy. */
const CHUNK = 1024 * 1024;

export interface UploadEvents {
  progress(sent: number, total: number | null): void;
  /** The hub has every byte (Upload-Offset = Upload-Length). */
  complete(): void;
  /** Something the user must act on (a 401: log in again; a 403/404/409: the recording cannot take it). */
  blocked(error: HubError): void;
  /** A transient failure that will be retried by itself after `retryInMs`. */
  waiting(error: HubError, retryInMs: number): void;
  /** The link looks busy: the upload pauses for `ms`. */
  idle(ms: number): void;
}

export interface UploadContext {
  endpoint: string;
  token(): string | null;
  store: TakeStore;
  /** The take, as the recorder keeps it up to date (size, phase). */
  take(): Take;
  /** Resolves when more bytes are persisted or the take stops. */
  changed(): Promise<void>;
  capBytesPerSecond: number;
  events: UploadEvents;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class TakeUpload {
  private upload: Upload | null = null;
  private stopped = false;
  private running: Promise<void> | null = null;
  private readonly pacer: UploadPacer;
  private wake: (() => void) | null = null;

  constructor(private readonly ctx: UploadContext) {
    this.pacer = new UploadPacer({ capBytesPerSecond: ctx.capBytesPerSecond });
  }

  /** Starts (or resumes) the upload loop; resolves when the hub has the whole take, or the upload is cancelled. */
  start(): Promise<void> {
    this.running ??= this.loop().finally(() => (this.running = null));
    return this.running;
  }

  /** Retry now (a new token arrived, the network came back). */
  nudge(): void {
    this.wake?.();
  }

  /** Stops sending; `terminate` also asks the hub to forget the unfinished upload (a re-recorded take). */
  async cancel(terminate: boolean): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.upload?.abort(terminate).catch(() => undefined);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.once();
        if (!this.stopped) this.ctx.events.complete();
        return;
      } catch (err) {
        if (this.stopped) return;
        const error = toHubError(err);
        if (error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429) {
          this.ctx.events.blocked(error);
          await this.pause(Infinity); // until nudged (new token) or cancelled
        } else {
          const ms = this.pacer.failed();
          this.ctx.events.waiting(error, ms);
          await this.pause(ms);
        }
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  private once(): Promise<void> {
    const { ctx } = this;
    const take = ctx.take();
    const started = new Map<unknown, { at: number; bytes: number }>();
    return new Promise<void>((resolve, reject) => {
      const upload = new Upload(take as unknown as Blob, {
        endpoint: ctx.endpoint,
        uploadUrl: take.uploadUrl ?? undefined,
        uploadLengthDeferred: true,
        chunkSize: CHUNK,
        retryDelays: [0, 1000, 3000],
        storeFingerprintForResuming: false,
        removeFingerprintOnSuccess: false,
        metadata: { recordingId: take.recordingId ?? "", filetype: take.mimeType },
        // size is unknown while recording (deferred length); tus-js-client types it as a number.
        fileReader: { openFile: async () => this.source() as unknown as FileSource },
        onBeforeRequest: (req) => {
          const token = ctx.token();
          if (token) req.setHeader("Authorization", `Bearer ${token}`);
          if (req.getMethod() === "PATCH") started.set(req, { at: performance.now(), bytes: 0 });
        },
        onAfterResponse: (req) => {
          const s = started.get(req);
          started.delete(req);
          if (!s) return;
          const busyMs = this.pacer.observe(this.lastSliceBytes, performance.now() - s.at);
          if (busyMs > 0) {
            this.busyUntil = performance.now() + busyMs;
            ctx.events.idle(busyMs);
          }
        },
        onUploadUrlAvailable: async () => {
          const current = ctx.take();
          current.uploadUrl = upload.url;
          await ctx.store.put(current);
        },
        onChunkComplete: (_size, accepted) => {
          const current = ctx.take();
          ctx.events.progress(accepted, current.phase === "recording" ? null : current.size);
        },
        onSuccess: () => resolve(),
        onError: (err) => reject(err),
      });
      this.upload = upload;
      upload.start();
    });
  }

  private lastSliceBytes = 0;
  private busyUntil = 0;

  /** A tus file source over the persisted chunks that waits for the recorder when it runs ahead of it. */
  private source() {
    const { ctx } = this;
    return {
      size: null,
      slice: async (start: number, end: number): Promise<{ value: Blob; done: boolean }> => {
        for (;;) {
          const take = ctx.take();
          const final = take.phase !== "recording";
          if (final || take.size >= end) {
            const stop = Math.min(end, take.size);
            const value = await ctx.store.read(take.takeId, start, stop);
            const idleWait = Math.max(0, this.busyUntil - performance.now());
            const wait = Math.max(idleWait, this.pacer.delayBefore(value.size, performance.now()));
            if (wait > 0) await sleep(wait);
            this.lastSliceBytes = value.size;
            return { value, done: final && stop === take.size };
          }
          await ctx.changed();
        }
      },
      close: () => undefined,
    };
  }
}

function toHubError(err: unknown): HubError {
  const e = err as { originalResponse?: { getStatus(): number; getBody(): string } | null; message?: string };
  const res = e?.originalResponse;
  if (!res) return new HubError("HUB_UNREACHABLE", e?.message ?? String(err));
  const status = res.getStatus();
  let code = `HTTP_${status}`;
  let message = e.message ?? "";
  try {
    const body = JSON.parse(res.getBody()) as { error?: { code: string; message: string } };
    if (body.error) ({ code, message } = body.error);
  } catch {
    /* a HEAD answer carries no body */
    if (status === 401) code = "HUB_AUTH_TOKEN_INVALID";
  }
  return new HubError(code, message, status);
}
