import { execFileSync } from "node:child_process";

/*
 * What a recording really holds, by decoding it with ffmpeg/ffprobe: MediaRecorder's WebM usually carries no
 * duration in its header, so its length is measured from the decoded frames' timestamps.
 */

export interface StreamInfo {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
}

export function streamsOf(file: string): StreamInfo[] {
  const out = execFileSync(
    "ffprobe",
    ["-v", "error", "-show_entries", "stream=codec_type,codec_name,width,height", "-of", "json", file],
    { encoding: "utf8" },
  );
  return (JSON.parse(out) as { streams: StreamInfo[] }).streams;
}

/** The duration the container declares (null when it declares none, as MediaRecorder's WebM often does). */
export function containerSeconds(file: string): number | null {
  const out = execFileSync(
    "ffprobe",
    ["-v", "error", "-show_entries", "format=duration", "-of", "default=noprint_wrappers=1:nokey=1", file],
    { encoding: "utf8" },
  ).trim();
  const seconds = Number(out);
  return out && Number.isFinite(seconds) ? seconds : null;
}

export interface DecodedTrack {
  frames: number;
  /** From the first decoded frame's start to the last one's end. */
  seconds: number;
}

/** Decodes every frame of the first video (`v`) or audio (`a`) stream; null when there is none. */
export function decodeTrack(file: string, kind: "v" | "a"): DecodedTrack | null {
  const out = execFileSync(
    "ffprobe",
    [
      ...["-v", "error", "-select_streams", `${kind}:0`],
      ...[
        "-show_entries",
        "frame=best_effort_timestamp_time,pts_time,pkt_duration_time",
        "-of",
        "json",
        file,
      ],
    ],
    { encoding: "utf8", maxBuffer: 512 * 1024 * 1024 },
  );
  type Frame = { best_effort_timestamp_time?: string; pts_time?: string; pkt_duration_time?: string };
  const frames = (JSON.parse(out) as { frames?: Frame[] }).frames ?? [];
  const times = frames
    .map((f) => Number(f.best_effort_timestamp_time ?? f.pts_time))
    .filter((t) => Number.isFinite(t));
  if (times.length === 0) return null;
  const durations = frames.map((f) => Number(f.pkt_duration_time)).filter((d) => Number.isFinite(d) && d > 0);
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  const lastDuration = durations.at(-1) ?? (gaps.length ? gaps.sort((a, b) => a - b)[gaps.length >> 1] : 0);
  return { frames: frames.length, seconds: Math.max(...times) + lastDuration - Math.min(...times) };
}

export interface FrameStats {
  width: number;
  height: number;
  /** Mean and standard deviation of the luma, 0–255, and how many of the 256 levels occur. */
  mean: number;
  stddev: number;
  levels: number;
}

/** Saves the video frame at `seconds` as a PNG and says how much picture there is in it. */
export function extractFrame(file: string, seconds: number, png: string): FrameStats {
  execFileSync("ffmpeg", ["-v", "error", "-i", file, "-ss", String(seconds), "-frames:v", "1", "-y", png]);
  const [{ width = 0, height = 0 }] = streamsOf(png);
  const gray = execFileSync("ffmpeg", ["-v", "error", "-i", png, "-f", "rawvideo", "-pix_fmt", "gray", "-"], {
    maxBuffer: 64 * 1024 * 1024,
  });
  let sum = 0;
  let squares = 0;
  const seen = new Set<number>();
  for (const v of gray) {
    sum += v;
    squares += v * v;
    seen.add(v);
  }
  const mean = sum / gray.length;
  return { width, height, mean, stddev: Math.sqrt(squares / gray.length - mean * mean), levels: seen.size };
}
