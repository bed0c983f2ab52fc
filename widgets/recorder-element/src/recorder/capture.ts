/**
 * Camera and microphone → a canvas with the watermark burnt into every frame → MediaRecorder. The canvas is the
 * preview the staff see, so the preview shows exactly what is recorded. MediaRecorder hands over a chunk every
 * TIMESLICE ms; the caller persists each one before the next arrives.
 */
import { watermarkLines, type WatermarkFacts } from "./watermark";

/** At most 2 s of video can be lost in a crash (issue: timeslice ≤ 2 s). */
export const TIMESLICE_MS = 1000;
const TARGET = { width: 1280, height: 720, fps: 20 };
const VIDEO_TYPES = [
  'video/webm;codecs="vp8,opus"',
  'video/webm;codecs="vp9,opus"',
  "video/webm",
  "video/mp4",
];
const AUDIO_TYPES = ['audio/webm;codecs="opus"', "audio/webm", 'audio/ogg;codecs="opus"'];

export class CaptureError extends Error {
  constructor(
    readonly code: "DR_NO_DEVICE" | "DR_PERMISSION_DENIED" | "DR_UNSUPPORTED",
    message: string,
  ) {
    super(message);
  }
}

export interface CaptureCallbacks {
  /** A chunk of the take; resolve when it is safely stored. */
  chunk(data: Blob): Promise<void>;
  /** The camera or microphone went away mid-recording. */
  deviceLost(): void;
  /** The first composited frame is on the canvas (what the staff see first). */
  firstFrame(): void;
}

export class Capture {
  readonly canvas: HTMLCanvasElement | null;
  private recorder: MediaRecorder | null = null;
  private frameTimer = 0;
  private canvasTrack: CanvasCaptureMediaStreamTrack | null = null;
  private drawn = false;
  private writes: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | null = null;

  private constructor(
    private readonly input: MediaStream,
    private readonly video: HTMLVideoElement | null,
    private readonly facts: () => WatermarkFacts,
    private readonly callbacks: CaptureCallbacks,
  ) {
    this.canvas = video ? document.createElement("canvas") : null;
  }

  /** Opens the devices; `audioOnly` for a follow-up call. Throws CaptureError with the reason. */
  static async open(
    audioOnly: boolean,
    facts: () => WatermarkFacts,
    callbacks: CaptureCallbacks,
  ): Promise<Capture> {
    if (typeof MediaRecorder === "undefined" || !navigator.mediaDevices?.getUserMedia) {
      throw new CaptureError("DR_UNSUPPORTED", "MediaRecorder or getUserMedia is missing");
    }
    let input: MediaStream;
    try {
      input = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true },
        video: audioOnly
          ? false
          : {
              width: { ideal: TARGET.width },
              height: { ideal: TARGET.height },
              frameRate: { ideal: TARGET.fps },
            },
      });
    } catch (err) {
      const name = (err as DOMException).name;
      if (name === "NotAllowedError" || name === "SecurityError") {
        throw new CaptureError("DR_PERMISSION_DENIED", (err as Error).message);
      }
      throw new CaptureError("DR_NO_DEVICE", (err as Error).message);
    }
    let video: HTMLVideoElement | null = null;
    if (!audioOnly) {
      video = document.createElement("video");
      video.muted = true;
      video.playsInline = true;
      video.srcObject = input;
      await video.play();
    }
    return new Capture(input, video, facts, callbacks);
  }

  /** The camera's own frame size and rate (degraded from 1280×720 when that is all it offers). */
  get settings(): { width: number; height: number; fps: number } {
    const s = this.input.getVideoTracks()[0]?.getSettings() ?? {};
    return {
      width: s.width ?? TARGET.width,
      height: s.height ?? TARGET.height,
      fps: s.frameRate ?? TARGET.fps,
    };
  }

  /** Starts drawing and recording; returns the MIME type being recorded. */
  start(): string {
    const tracks: MediaStreamTrack[] = [...this.input.getAudioTracks()];
    let types = AUDIO_TYPES;
    if (this.canvas && this.video) {
      const { width, height, fps } = this.settings;
      this.canvas.width = width;
      this.canvas.height = height;
      const fpsUsed = Math.min(Math.max(Math.round(fps), 15), 25);
      // captureStream(0) + requestFrame() after each draw: with captureStream(fps) Chromium drops frames drawn a
      // little early (a measured 9% at 15 fps); this way every drawn frame is a recorded frame.
      const [track] = this.canvas.captureStream(0).getVideoTracks() as CanvasCaptureMediaStreamTrack[];
      this.canvasTrack = track;
      this.drawLoop(1000 / fpsUsed);
      tracks.push(track);
      types = VIDEO_TYPES;
    }
    for (const track of this.input.getTracks())
      track.addEventListener("ended", () => this.callbacks.deviceLost());
    const mimeType = types.find((t) => MediaRecorder.isTypeSupported(t)) ?? "";
    const recorder = new MediaRecorder(new MediaStream(tracks), {
      mimeType,
      videoBitsPerSecond: 1_000_000,
      audioBitsPerSecond: 64_000,
    });
    recorder.ondataavailable = (e) => {
      if (e.data.size === 0) return;
      // Chunks are stored strictly in order; a failed write is the caller's to report.
      this.writes = this.writes.then(() => this.callbacks.chunk(e.data));
    };
    recorder.start(TIMESLICE_MS);
    this.recorder = recorder;
    return recorder.mimeType || mimeType || (this.canvas ? "video/webm" : "audio/webm");
  }

  /** Stops recording; resolves once the last chunk is stored. */
  stop(): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      const recorder = this.recorder;
      if (!recorder || recorder.state === "inactive") return resolve();
      recorder.addEventListener("stop", () => resolve(), { once: true });
      recorder.stop();
    }).then(() => this.writes);
    return this.stopping;
  }

  /** Releases the camera and microphone. */
  close(): void {
    clearTimeout(this.frameTimer);
    for (const track of this.input.getTracks()) track.stop();
    if (this.video) this.video.srcObject = null;
  }

  /**
   * Draws camera frame + watermark. A timer, not requestAnimationFrame: rAF stops when the teller switches to
   * another window, and the recording must go on.
   */
  private drawLoop(interval: number): void {
    const ctx = this.canvas!.getContext("2d", { alpha: false })!;
    const video = this.video!;
    let next = performance.now();
    const draw = () => {
      const { width, height } = this.canvas!;
      ctx.drawImage(video, 0, 0, width, height);
      const lines = watermarkLines(this.facts());
      const size = Math.max(14, Math.round(height / 30));
      ctx.font = `${size}px "PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif`;
      ctx.textBaseline = "top";
      const pad = Math.round(size / 2);
      const boxWidth = Math.max(...lines.map((l) => ctx.measureText(l).width)) + pad * 2;
      ctx.fillStyle = "rgba(0,0,0,0.7)";
      ctx.fillRect(0, 0, boxWidth, lines.length * (size + 4) + pad * 2);
      ctx.fillStyle = "#fff";
      lines.forEach((line, i) => ctx.fillText(line, pad, pad + i * (size + 4)));
      this.canvasTrack?.requestFrame();
      if (!this.drawn) {
        this.drawn = true;
        this.callbacks.firstFrame();
      }
      // After a stall (a hidden tab's throttled timers) start afresh rather than bursting to catch up.
      next = Math.max(next + interval, performance.now());
      this.frameTimer = window.setTimeout(draw, Math.max(0, next - performance.now()));
    };
    draw();
  }
}
