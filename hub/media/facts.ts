/**
 * Facts from ffmpeg's log. The wasm core has no ffprobe, so both engines read what `ffmpeg -i` prints about its
 * input (ffmpeg 4.3 in the core, whatever version the operator installs for native; the lines parsed here have kept
 * their shape across those versions).
 */
import { MediaFailedError, type MediaFacts, type MediaStreamFacts } from "./types";

export type MediaKind = "video" | "audio" | "image";

/** An input ffmpeg looks at: its MIME type without parameters, and what kind of media that is. */
export interface Classified {
  mime: string;
  kind: MediaKind;
}

/** How the worker treats a MIME type: "pdf" (facts without ffmpeg), media for ffmpeg, or null (not handled). */
export function classify(type: string): Classified | "pdf" | null {
  const mime = type.split(";")[0].trim().toLowerCase();
  if (mime === "application/pdf") return "pdf";
  const top = mime.split("/")[0];
  if (top === "video" || top === "audio" || top === "image") return { mime, kind: top };
  return null;
}

export function pdfFacts(): MediaFacts {
  return {
    container: "pdf",
    durationMs: null,
    width: null,
    height: null,
    fps: null,
    video: false,
    audio: false,
    streams: [],
  };
}

const CHANNEL_LAYOUTS: Record<string, number> = {
  mono: 1,
  stereo: 2,
  "2.1": 3,
  quad: 4,
  "4.0": 4,
  "5.0": 5,
  "5.1": 6,
  "7.1": 8,
};

/** "30", "29.97", "1k" → number; frame rates above 240 are time bases, not frame rates. */
function rate(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const value = text.endsWith("k") ? parseFloat(text) * 1000 : parseFloat(text);
  return value > 0 && value <= 240 ? value : undefined;
}

function hms(h: string, m: string, s: string): number {
  return Math.round((Number(h) * 3600 + Number(m) * 60 + Number(s)) * 1000);
}

function parseStream(line: string): MediaStreamFacts | null {
  const m = /^\s*Stream #0:(\d+)\S*: (Video|Audio|Subtitle|Data|Attachment): ([^\s,]+)(.*)$/.exec(line);
  if (!m) return null;
  const [, index, kind, codec, rest] = m;
  const stream: MediaStreamFacts = {
    index: Number(index),
    type: kind === "Video" ? "video" : kind === "Audio" ? "audio" : "other",
    codec,
  };
  if (stream.type === "video") {
    // Not "0x0000", a codec tag's hex that ffmpeg may print before the size.
    const size = /\b([1-9]\d{0,4})x([1-9]\d{0,4})\b/.exec(rest);
    if (size) {
      stream.width = Number(size[1]);
      stream.height = Number(size[2]);
    }
    const fps = rate(/([\d.]+k?) fps/.exec(rest)?.[1]) ?? rate(/([\d.]+k?) tbr/.exec(rest)?.[1]);
    if (fps !== undefined) stream.fps = Math.round(fps * 100) / 100;
  } else if (stream.type === "audio") {
    const hz = /(\d+) Hz/.exec(rest);
    if (hz) stream.sampleRate = Number(hz[1]);
    const layout = /Hz, ([^,(]+)/.exec(rest)?.[1].trim();
    const channels = layout && (CHANNEL_LAYOUTS[layout] ?? Number(/^(\d+) channels/.exec(layout)?.[1]));
    if (channels) stream.channels = channels;
  }
  return stream;
}

/** Turns ffmpeg's "Input #0, matroska,webm" into one name, the one the MIME subtype names when it is listed. */
function containerName(demuxer: string, mime: string): string {
  const names = demuxer.split(",").map((name) => name.replace(/_pipe$/, ""));
  const subtype = mime.split("/")[1];
  return names.find((name) => name === subtype) ?? names[0];
}

/**
 * Facts from the log of `ffmpeg -i <input> … -f null -`. Throws MediaFailedError when the log has no input section
 * (callers only parse logs of runs that succeeded).
 */
export function parseFacts(log: string, mime: string, kind: MediaKind): MediaFacts {
  const lines = log.split(/\r?\n/);
  const start = lines.findIndex((line) => line.startsWith("Input #0, "));
  if (start < 0) throw new MediaFailedError("ffmpeg printed no description of the input");
  const demuxer = /^Input #0, (.+?), from /.exec(lines[start])?.[1] ?? "unknown";
  const section: string[] = [];
  // The input's dump is its indented lines, up to the mapping or the output's dump; warnings may come between.
  for (const line of lines.slice(start + 1)) {
    if (/^(Stream mapping:|Output #0|Input #1)/.test(line)) break;
    if (line.startsWith(" ")) section.push(line);
  }
  const streams = section.map(parseStream).filter((s): s is MediaStreamFacts => s !== null);
  const firstVideo = streams.find((s) => s.type === "video");
  const still = kind === "image";
  if (still) streams.forEach((s) => delete s.fps);

  const declared = /Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)/.exec(section.join("\n"));
  // Without a declared duration (a recorder's WebM, or Ogg read from a pipe) the copy pass's last progress time.
  const progress = [...log.matchAll(/time=(\d+):(\d{2}):(\d{2}(?:\.\d+)?)/g)].pop();
  const found = declared ?? progress;
  const durationMs = still || !found ? null : hms(found[1], found[2], found[3]);
  // A browser's WebM often declares no frame rate (only "1k tbr"): then the average, frames copied / duration.
  const frames = Number([...log.matchAll(/frame=\s*(\d+)/g)].pop()?.[1] ?? 0);
  if (!still && firstVideo && firstVideo.fps === undefined && frames > 1 && durationMs) {
    const fps = rate(String((frames * 1000) / durationMs));
    if (fps !== undefined) firstVideo.fps = Math.round(fps * 100) / 100;
  }
  return {
    container: containerName(demuxer, mime),
    durationMs,
    width: firstVideo?.width ?? null,
    height: firstVideo?.height ?? null,
    fps: still ? null : (firstVideo?.fps ?? null),
    video: !still && firstVideo !== undefined,
    audio: streams.some((s) => s.type === "audio"),
    streams,
  };
}

/** The line of a failed run's log that says what went wrong, with the engine's file names replaced by "input". */
export function failureLine(log: string): string {
  const noise = /^(Conversion failed!|Exiting normally|Statistics:|\s*$|frame=|size=|video:|\[out#)/;
  const lines = log
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => !noise.test(line));
  const line = lines.pop() ?? "no output";
  return line.replace(/'?(?<![\w/])(pipe:0|\/input)(?![\w/])'?/g, "input").slice(0, 200);
}
