/** The ffmpeg runs of one job, the same for both engines; each engine says how a run reads and writes. */
import { parseFacts, type Classified } from "./facts";
import { MediaFailedError, type MediaResult } from "./types";
import { readWebmInfo } from "./webm";

/** `{in}` and `{out}` in the arguments stand for the job's input and what the run writes. */
export interface FfmpegSession {
  /** Resolves with ffmpeg's log and what it wrote to `{out}` (null when nothing); rejects MediaFailedError. */
  run(args: string[]): Promise<{ log: string; output: Buffer | null }>;
  /** Runs a remux of the input and resolves with a seekable file (Cues, Duration). */
  remux(args: string[]): Promise<Buffer>;
}

const QUIET = ["-hide_banner", "-nostdin", "-loglevel", "info"];
// A stream copy to nowhere: reads every packet, so the last progress line has the duration when none is declared
// and the number of video frames.
export const PROBE_ARGS = [...QUIET, "-stats", "-i", "{in}", "-map", "0", "-c", "copy", "-f", "null", "-"];
const WEBM_CODECS = new Set(["vp8", "vp9", "av1", "opus", "vorbis"]);

export function remuxArgs(format: "webm" | "matroska"): string[] {
  return [
    ...QUIET,
    "-nostats",
    "-i",
    "{in}",
    "-map",
    "0:v?",
    "-map",
    "0:a?",
    "-c",
    "copy",
    "-f",
    format,
    "{out}",
  ];
}

/** One frame at `atSeconds` (decoded from the start: `-ss` after `-i`, exact, no index needed), as a JPEG. */
export function posterArgs(atSeconds: number): string[] {
  return [
    ...QUIET,
    "-nostats",
    "-i",
    "{in}",
    "-map",
    "0:v:0",
    "-ss",
    String(atSeconds),
    "-frames:v",
    "1",
    "-c:v",
    "mjpeg",
    "-q:v",
    "3",
    "-f",
    "mjpeg",
    "{out}",
  ];
}

function isJpeg(bytes: Buffer | null): bytes is Buffer {
  return bytes !== null && bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8;
}

/** A frame at 1 s, or the first frame when the clip is not longer than that (or has no frame at 1 s). */
async function poster(session: FfmpegSession, durationMs: number | null): Promise<Buffer | null> {
  for (const at of durationMs !== null && durationMs <= 1000 ? [0] : [1, 0]) {
    const { output } = await session.run(posterArgs(at));
    if (isJpeg(output)) return output;
  }
  return null;
}

/**
 * Probe, poster, then remux: the remux comes last so that the native engine starts its processes before the
 * rendition is held in memory (starting a process costs more the more memory the hub holds).
 */
export async function analyse(session: FfmpegSession, { mime, kind }: Classified): Promise<MediaResult> {
  const probe = await session.run(PROBE_ARGS);
  const facts = parseFacts(probe.log, mime, kind);
  const media = facts.streams.filter((s) => s.type !== "other");
  if (media.length === 0) {
    throw new MediaFailedError(
      `ffmpeg found no ${kind === "image" ? "picture" : "audio or video"} in the input`,
    );
  }
  const webmDeclared = mime === "video/webm" || mime === "audio/webm";
  if (webmDeclared && facts.container !== "webm") {
    throw new MediaFailedError(`the input is declared ${mime} but ffmpeg reads it as ${facts.container}`);
  }
  const image = kind === "video" && facts.video ? await poster(session, facts.durationMs) : null;
  let canonical: MediaResult["canonical"] = null;
  if (webmDeclared) {
    // Chrome can record H.264 into "WebM", which the WebM muxer refuses: such a file is kept as Matroska.
    const webm = media.every((s) => WEBM_CODECS.has(s.codec));
    const bytes = await session.remux(remuxArgs(webm ? "webm" : "matroska"));
    canonical = { type: webm ? mime : mime.replace("webm", "x-matroska"), bytes };
    // The muxer's Duration (the end of the last frame) is more exact than the copy's last packet time.
    facts.durationMs = readWebmInfo(bytes).durationMs ?? facts.durationMs;
  }
  return { facts, poster: image, canonical };
}
