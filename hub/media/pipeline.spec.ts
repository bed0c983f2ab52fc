/**
 * pipeline.ts with a scripted ffmpeg: which runs a job makes for each kind of input, and what it does with their
 * results. Real ffmpeg runs are in media-worker.spec.ts.
 */
import { ebmlHeader, el, float, ID, text, track, uint } from "../../test/fixtures/media/ebml";
import { analyse, PROBE_ARGS, posterArgs, remuxArgs, type FfmpegSession } from "./pipeline";
import { MediaFailedError } from "./types";

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);

function probeLog(demuxer: string, streams: string[], time = "00:00:03.00"): string {
  return [
    `Input #0, ${demuxer}, from 'pipe:0':`,
    "  Duration: N/A, start: 0.000000, bitrate: N/A",
    ...streams.map((s, i) => `  Stream #0:${i}: ${s}`),
    "Stream mapping:",
    `frame=   45 fps=0.0 q=-1.0 Lsize=N/A time=${time} bitrate=N/A speed= 300x`,
  ].join("\n");
}

const VP8 = "Video: vp8, yuv420p(progressive), 320x240, 15 fps, 15 tbr, 1k tbn (default)";
const H264 = "Video: h264 (Constrained Baseline), yuv420p(progressive), 640x480, 30 fps, 30 tbr, 1k tbn";
const OPUS = "Audio: opus, 48000 Hz, mono, fltp (default)";

/** A seekable WebM whose Info says `durationMs`, or says nothing. */
function webmWithDuration(durationMs: number | null): Buffer {
  const info = el(
    ID.info,
    uint(ID.timecodeScale, 1_000_000),
    ...(durationMs === null ? [] : [float(ID.duration, durationMs, 8)]),
  );
  return Buffer.concat([ebmlHeader(), el(ID.segment, info, el(ID.tracks, track(1, 1, "V_VP8")))]);
}

/** An ffmpeg that answers the probe with `log`, posters with `posters` in turn, and a remux with `remuxed`. */
function scripted(log: string, options: { posters?: (Buffer | null)[]; remuxed?: Buffer } = {}) {
  const posters = [...(options.posters ?? [])];
  const calls: string[][] = [];
  const session: FfmpegSession = {
    async run(args) {
      calls.push(args);
      if (args === PROBE_ARGS) return { log, output: null };
      return { log: "", output: posters.shift() ?? null };
    },
    async remux(args) {
      calls.push(args);
      return options.remuxed ?? webmWithDuration(3021);
    },
  };
  return { session, calls };
}

describe("analyse", () => {
  it("a WebM recording: probe, a poster at 1 s, remux to WebM (last); the rendition's Duration is the duration", async () => {
    const { session, calls } = scripted(probeLog("matroska,webm", [VP8, OPUS]), { posters: [JPEG] });
    const result = await analyse(session, { mime: "video/webm", kind: "video" });
    expect(calls).toEqual([PROBE_ARGS, posterArgs(1), remuxArgs("webm")]);
    expect(result.facts).toMatchObject({ container: "webm", durationMs: 3021, video: true, audio: true });
    expect(result.canonical?.type).toBe("video/webm");
    expect(result.poster).toBe(JPEG);
  });

  it("keeps the probe's duration when the rendition declares none", async () => {
    const { session } = scripted(probeLog("matroska,webm", [VP8]), {
      posters: [JPEG],
      remuxed: webmWithDuration(null),
    });
    expect((await analyse(session, { mime: "video/webm", kind: "video" })).facts.durationMs).toBe(3000);
  });

  it("falls back to the first frame when there is no frame at 1 s", async () => {
    const { session, calls } = scripted(probeLog("matroska,webm", [VP8]), { posters: [null, JPEG] });
    const result = await analyse(session, { mime: "video/webm", kind: "video" });
    expect(calls).toEqual([PROBE_ARGS, posterArgs(1), posterArgs(0), remuxArgs("webm")]);
    expect(result.poster).toBe(JPEG);
  });

  it("takes the first frame at once for a clip of at most 1 s", async () => {
    const { session, calls } = scripted(probeLog("mov,mp4,m4a,3gp,3g2,mj2", [H264], "00:00:00.60"), {
      posters: [JPEG],
    });
    const result = await analyse(session, { mime: "video/mp4", kind: "video" });
    expect(calls).toEqual([PROBE_ARGS, posterArgs(0)]);
    expect(result).toEqual({
      facts: expect.objectContaining({ container: "mp4", durationMs: 600 }),
      poster: JPEG,
      canonical: null,
    });
  });

  it("gives no poster when neither frame comes out as a JPEG", async () => {
    const { session } = scripted(probeLog("mov,mp4,m4a,3gp,3g2,mj2", [H264]), {
      posters: [Buffer.from("GIF89a"), Buffer.alloc(0)],
    });
    expect((await analyse(session, { mime: "video/mp4", kind: "video" })).poster).toBeNull();
  });

  it("keeps H.264 recorded into WebM as Matroska (the WebM muxer refuses it)", async () => {
    const { session, calls } = scripted(probeLog("matroska,webm", [H264, OPUS]), { posters: [JPEG] });
    const result = await analyse(session, { mime: "video/webm", kind: "video" });
    expect(calls[2]).toEqual(remuxArgs("matroska"));
    expect(result.canonical?.type).toBe("video/x-matroska");
  });

  it("audio-only WebM: a rendition, no poster", async () => {
    const { session, calls } = scripted(probeLog("matroska,webm", [OPUS]));
    const result = await analyse(session, { mime: "audio/webm", kind: "audio" });
    expect(calls).toEqual([PROBE_ARGS, remuxArgs("webm")]);
    expect(result.canonical?.type).toBe("audio/webm");
    expect(result.poster).toBeNull();
  });

  it("a video stream in a file declared audio gets no poster", async () => {
    const { session, calls } = scripted(
      probeLog("ogg", [OPUS, "Video: theora, yuv420p, 320x240, 25 fps, 25 tbr"]),
    );
    const result = await analyse(session, { mime: "audio/ogg", kind: "audio" });
    expect(calls).toEqual([PROBE_ARGS]);
    expect(result).toMatchObject({ poster: null, canonical: null, facts: { video: true, audio: true } });
  });

  it("a still picture: the probe only", async () => {
    const { session, calls } = scripted(
      probeLog("png_pipe", ["Video: png, rgb24(pc), 64x48, 25 fps, 25 tbr"]),
    );
    const result = await analyse(session, { mime: "image/png", kind: "image" });
    expect(calls).toEqual([PROBE_ARGS]);
    expect(result).toMatchObject({ poster: null, canonical: null, facts: { video: false, width: 64 } });
  });

  it("fails a file declared WebM that is something else, before any other run", async () => {
    const { session, calls } = scripted(probeLog("mov,mp4,m4a,3gp,3g2,mj2", [H264]));
    await expect(analyse(session, { mime: "video/webm", kind: "video" })).rejects.toThrow(
      new MediaFailedError("the input is declared video/webm but ffmpeg reads it as mov"),
    );
    expect(calls).toEqual([PROBE_ARGS]);
  });

  it.each([
    ["video", "video/webm", "ffmpeg found no audio or video in the input"],
    ["image", "image/png", "ffmpeg found no picture in the input"],
  ] as const)("fails a %s input in which ffmpeg found no stream to read", async (kind, mime, message) => {
    const { session } = scripted(probeLog("matroska,webm", ["Subtitle: webvtt"]));
    await expect(analyse(session, { mime, kind })).rejects.toThrow(new MediaFailedError(message));
  });

  it("passes a failed run's MediaFailedError on", async () => {
    const failure = new MediaFailedError("ffmpeg: input: Invalid data found when processing input");
    const session: FfmpegSession = {
      run: () => Promise.reject(failure),
      remux: () => Promise.reject(failure),
    };
    await expect(analyse(session, { mime: "video/webm", kind: "video" })).rejects.toBe(failure);
  });
});

it("the EBML fixture writer makes what readWebmInfo reads (a check of the helper itself)", async () => {
  const { readWebmInfo } = await import("./webm");
  expect(readWebmInfo(webmWithDuration(1234))).toEqual({ durationMs: 1234, cuePoints: 0 });
  expect(text(ID.muxingApp, "x")).toEqual(Buffer.from([0x4d, 0x80, 0x81, 0x78]));
});
