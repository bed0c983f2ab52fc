/**
 * facts.ts: what the worker reads from ffmpeg's log. The logs are real ones (ffmpeg 4.3 in the wasm core, 5.1 from
 * Debian), trimmed, plus lines in the shapes other inputs print (MP4, a browser's WebM without a frame rate).
 */
import { classify, failureLine, parseFacts, pdfFacts } from "./facts";
import { MediaFailedError } from "./types";

/** The wasm core (ffmpeg 4.3) copying a recorder's WebM: four-space stream lines, no declared duration. */
const WASM_RECORDER_LOG = `[vp8 @ 0x104b140] Warning: not compiled with thread support, using thread emulation
Input #0, matroska,webm, from '/input':
  Metadata:
    ENCODER         : Lavf58.45.100
  Duration: N/A, start: -0.007000, bitrate: N/A
    Stream #0:0: Video: vp8, yuv420p(progressive), 320x240, SAR 1:1 DAR 4:3, 15 fps, 15 tbr, 1k tbn, 1k tbc (default)
    Metadata:
      ENCODER         : Lavc58.91.100 libvpx
    Stream #0:1: Audio: opus, 48000 Hz, mono, fltp (default)
    Metadata:
      ENCODER         : Lavc58.91.100 libopus
Output #0, null, to 'pipe:':
  Metadata:
    encoder         : Lavf58.45.100
    Stream #0:0: Video: vp8, yuv420p(progressive), 320x240 [SAR 1:1 DAR 4:3], q=2-31, 15 fps, 15 tbr, 1k tbn, 1k tbc (default)
    Stream #0:1: Audio: opus, 48000 Hz, mono, fltp (default)
Stream mapping:
  Stream #0:0 -> #0:0 (copy)
  Stream #0:1 -> #0:1 (copy)
frame=   45 fps=0.0 q=-1.0 Lsize=N/A time=00:00:03.00 bitrate=N/A speed=1.49e+03x
video:41kB audio:28kB subtitle:0kB other streams:0kB global headers:0kB muxing overhead: unknown`;

/** Debian's ffmpeg 5.1 reading Ogg from a pipe: progress lines joined by carriage returns, a negative first time. */
const NATIVE_OGG_LOG =
  `Input #0, ogg, from 'pipe:0':
  Duration: N/A, start: 0.000000, bitrate: N/A
  Stream #0:0: Audio: opus, 48000 Hz, mono, fltp
    Metadata:
      encoder         : Lavc58.91.100 libopus
Output #0, null, to 'pipe:':
  Stream #0:0: Audio: opus, 48000 Hz, mono, fltp
Stream mapping:
  Stream #0:0 -> #0:0 (copy)
` +
  "size=N/A time=-00:00:00.00 bitrate=N/A speed=N/A    \rsize=N/A time=00:00:01.99 bitrate=N/A speed=1.15e+04x    \n";

/** An MP4 from a phone: a declared duration, language tags, a codec tag's hex before the size, 5.1 sound. */
const MP4_LOG = `Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'pipe:0':
  Metadata:
    major_brand     : isom
  Duration: 00:01:02.50, start: 0.000000, bitrate: 5120 kb/s
  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, bt709, progressive), 1920x1080 [SAR 1:1 DAR 16:9], 4997 kb/s, 29.97 fps, 29.97 tbr, 30k tbn (default)
  Stream #0:1[0x2](eng): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, 5.1(side), fltp, 128 kb/s (default)
  Stream #0:2[0x3](und): Data: none (tmcd / 0x64636D74), 0 kb/s
Stream mapping:
  Stream #0:0 -> #0:0 (copy)
frame= 1873 fps=0.0 q=-1.0 Lsize=N/A time=00:01:02.46 bitrate=N/A speed= 900x`;

/** A browser's WebM: no DefaultDuration, so only "1k tbr"; the frame rate is the average. */
const CHROME_WEBM_LOG = `Input #0, matroska,webm, from 'pipe:0':
  Metadata:
    encoder         : Chrome
  Duration: N/A, start: 0.000000, bitrate: N/A
  Stream #0:0(eng): Video: vp8, yuv420p(progressive), 640x480, SAR 1:1 DAR 4:3, 1k tbr, 1k tbn (default)
  Stream #0:1(eng): Audio: opus, 48000 Hz, stereo, fltp (default)
[matroska @ 0x55d0] Element at 0x4a1b ending at 0x4a2c exceeds containing master element
Output #0, null, to 'pipe:':
Stream mapping:
frame=  299 fps=0.0 q=-1.0 size=N/A time=00:00:09.97 bitrate=N/A speed= 300x`;

const JPEG_LOG = `Input #0, jpeg_pipe, from '/input':
  Duration: N/A, bitrate: N/A
    Stream #0:0: Video: mjpeg (Baseline), yuvj444p(pc, bt470bg/unknown/unknown), 64x48 [SAR 1:1 DAR 4:3], 25 fps, 25 tbr, 25 tbn, 25 tbc
Output #0, null, to 'pipe:':
frame=    1 fps=0.0 q=-1.0 Lsize=N/A time=00:00:00.04 bitrate=N/A speed=1.2x`;

describe("classify", () => {
  it.each([
    ["video/webm;codecs=vp8,opus", { mime: "video/webm", kind: "video" }],
    [" Video/WebM ", { mime: "video/webm", kind: "video" }],
    ["audio/ogg; codecs=opus", { mime: "audio/ogg", kind: "audio" }],
    ["image/jpeg", { mime: "image/jpeg", kind: "image" }],
    ["application/pdf", "pdf"],
    ["APPLICATION/PDF; charset=binary", "pdf"],
    ["text/plain", null],
    ["application/octet-stream", null],
    ["", null],
  ])("%j → %j", (type, expected) => {
    expect(classify(type)).toEqual(expected);
  });
});

it("pdfFacts: a container and nothing else", () => {
  expect(pdfFacts()).toEqual({
    container: "pdf",
    durationMs: null,
    width: null,
    height: null,
    fps: null,
    video: false,
    audio: false,
    streams: [],
  });
});

describe("parseFacts", () => {
  it("reads a recorder's WebM from the wasm core: the duration from the copy's last progress time", () => {
    expect(parseFacts(WASM_RECORDER_LOG, "video/webm", "video")).toEqual({
      container: "webm",
      durationMs: 3000,
      width: 320,
      height: 240,
      fps: 15,
      video: true,
      audio: true,
      streams: [
        { index: 0, type: "video", codec: "vp8", width: 320, height: 240, fps: 15 },
        { index: 1, type: "audio", codec: "opus", sampleRate: 48000, channels: 1 },
      ],
    });
  });

  it("reads Ogg from a pipe: carriage-returned progress, the negative first time ignored", () => {
    expect(parseFacts(NATIVE_OGG_LOG, "audio/ogg", "audio")).toEqual({
      container: "ogg",
      durationMs: 1990,
      width: null,
      height: null,
      fps: null,
      video: false,
      audio: true,
      streams: [{ index: 0, type: "audio", codec: "opus", sampleRate: 48000, channels: 1 }],
    });
  });

  it("reads an MP4: the declared duration wins, tags and hex are not sizes, 5.1 is six channels, data is other", () => {
    expect(parseFacts(MP4_LOG, "video/mp4", "video")).toEqual({
      container: "mp4",
      durationMs: 62500,
      width: 1920,
      height: 1080,
      fps: 29.97,
      video: true,
      audio: true,
      streams: [
        { index: 0, type: "video", codec: "h264", width: 1920, height: 1080, fps: 29.97 },
        { index: 1, type: "audio", codec: "aac", sampleRate: 44100, channels: 6 },
        { index: 2, type: "other", codec: "none" },
      ],
    });
  });

  it("averages the frame rate when only a time base is declared (frames / duration), past a warning line", () => {
    const facts = parseFacts(CHROME_WEBM_LOG, "video/webm", "video");
    expect(facts.durationMs).toBe(9970);
    expect(facts.fps).toBe(29.99);
    expect(facts.streams[0]).toEqual({
      index: 0,
      type: "video",
      codec: "vp8",
      width: 640,
      height: 480,
      fps: 29.99,
    });
    expect(facts.streams[1]).toMatchObject({ channels: 2 });
  });

  it("leaves the frame rate unknown when there is no declared one and at most one frame", () => {
    const log = CHROME_WEBM_LOG.replace("frame=  299", "frame=    1");
    expect(parseFacts(log, "video/webm", "video").fps).toBeNull();
    // 3000 frames in 9.97 s would be 300 fps: no frame rate, not a wrong one.
    expect(
      parseFacts(CHROME_WEBM_LOG.replace("frame=  299", "frame= 3000"), "video/webm", "video").fps,
    ).toBeNull();
    const noProgress = CHROME_WEBM_LOG.split("\n").slice(0, -1).join("\n");
    expect(parseFacts(noProgress, "video/webm", "video")).toMatchObject({ durationMs: null, fps: null });
  });

  it("takes a tbr as the frame rate when no fps is printed, and never a rate above 240", () => {
    const line = (rest: string) =>
      `Input #0, matroska,webm, from 'x':\n  Stream #0:0: Video: vp9, yuv420p, 1280x720, ${rest}\n`;
    expect(parseFacts(line("25 tbr, 1k tbn"), "video/webm", "video").fps).toBe(25);
    expect(parseFacts(line("1000 fps, 1k tbn"), "video/webm", "video").fps).toBeNull();
    expect(parseFacts(line("0.1k tbr, 1k tbn"), "video/webm", "video").fps).toBe(100);
    expect(parseFacts(line("0 fps, 1k tbr"), "video/webm", "video").fps).toBeNull();
  });

  it("reads a still picture: its size, no duration, no frame rate, not video; the MIME subtype names it", () => {
    expect(parseFacts(JPEG_LOG, "image/jpeg", "image")).toEqual({
      container: "jpeg",
      durationMs: null,
      width: 64,
      height: 48,
      fps: null,
      video: false,
      audio: false,
      streams: [{ index: 0, type: "video", codec: "mjpeg", width: 64, height: 48 }],
    });
  });

  it("names the container by the demuxer's first name when the MIME subtype is not among its names", () => {
    expect(parseFacts(MP4_LOG, "video/quicktime", "video").container).toBe("mov");
    expect(parseFacts(WASM_RECORDER_LOG, "video/x-matroska", "video").container).toBe("matroska");
    expect(parseFacts(JPEG_LOG, "image/pjpeg", "image").container).toBe("jpeg");
  });

  it("reads channel layouts by name and by count, and leaves unknown ones out", () => {
    const audio = (layout: string) =>
      parseFacts(
        `Input #0, wav, from 'x':\n  Stream #0:0: Audio: pcm_s16le, 8000 Hz, ${layout}, s16\n`,
        "audio/wav",
        "audio",
      ).streams[0];
    expect(audio("stereo")).toEqual({
      index: 0,
      type: "audio",
      codec: "pcm_s16le",
      sampleRate: 8000,
      channels: 2,
    });
    expect(audio("7.1").channels).toBe(8);
    expect(audio("3 channels").channels).toBe(3);
    expect(audio("hexagonal").channels).toBeUndefined();
    expect(
      parseFacts(`Input #0, wav, from 'x':\n  Stream #0:0: Audio: pcm_s16le\n`, "audio/wav", "audio")
        .streams[0],
    ).toEqual({ index: 0, type: "audio", codec: "pcm_s16le" });
  });

  it("reads only the input's dump: not the output's streams, not a second input's", () => {
    const log = `Input #0, ogg, from 'a':\n  Stream #0:0: Audio: opus, 48000 Hz, mono\nInput #1, ogg, from 'b':\n  Stream #1:0: Audio: vorbis, 44100 Hz, stereo\n`;
    expect(parseFacts(log, "audio/ogg", "audio").streams).toEqual([
      { index: 0, type: "audio", codec: "opus", sampleRate: 48000, channels: 1 },
    ]);
    // Output #0 of the recorder log repeats both streams: they are not counted twice.
    expect(parseFacts(WASM_RECORDER_LOG, "video/webm", "video").streams).toHaveLength(2);
  });

  it("keeps a video stream without a readable size as video with unknown size", () => {
    const log = `Input #0, avi, from 'x':\n  Stream #0:0: Video: rawvideo ([0][0][0][0] / 0x0000), none, 0x0\n`;
    expect(parseFacts(log, "video/x-msvideo", "video")).toMatchObject({
      width: null,
      height: null,
      video: true,
    });
  });

  it("fails, as a media failure, when ffmpeg described no input", () => {
    expect(() =>
      parseFacts("/input: Invalid data found when processing input", "video/webm", "video"),
    ).toThrow(new MediaFailedError("ffmpeg printed no description of the input"));
    expect(() => parseFacts("", "video/webm", "video")).toThrow(MediaFailedError);
  });

  it("names the demuxer unknown when the input line has no `from`", () => {
    expect(
      parseFacts("Input #0, \n  Stream #0:0: Audio: opus, 48000 Hz, mono\n", "audio/ogg", "audio").container,
    ).toBe("unknown");
  });
});

describe("failureLine", () => {
  it("takes the last line that says something, with the engines' file names as `input`", () => {
    expect(failureLine("[mp3 @ 0x1] misdetection possible!\n/input: Invalid argument\n")).toBe(
      "input: Invalid argument",
    );
    expect(failureLine("pipe:0: Invalid data found when processing input\nConversion failed!\n")).toBe(
      "input: Invalid data found when processing input",
    );
    expect(failureLine("'/input': End of file\n\nExiting normally, received signal 2.")).toBe(
      "input: End of file",
    );
  });

  it("skips progress, statistics and summary lines", () => {
    const log =
      "Error while decoding stream #0:0: Invalid data found when processing input\n" +
      "frame=   10 fps=0.0 q=-1.0 size=N/A time=00:00:00.66\r\n" +
      "size=N/A time=00:00:00.66 bitrate=N/A\n" +
      "video:41kB audio:28kB subtitle:0kB\n" +
      "[out#0/null @ 0x1] video:0kB audio:0kB\n" +
      "Statistics: 12 seeks\n";
    expect(failureLine(log)).toBe(
      "Error while decoding stream #0:0: Invalid data found when processing input",
    );
  });

  it("leaves other paths alone and keeps at most 200 characters", () => {
    expect(failureLine("/inputs/x: No such file or directory")).toBe("/inputs/x: No such file or directory");
    expect(failureLine("/missing: No such file or directory")).toBe("/missing: No such file or directory");
    expect(failureLine("x".repeat(500))).toHaveLength(200);
  });

  it("says `no output` when there is nothing", () => {
    expect(failureLine("")).toBe("no output");
    expect(failureLine("\n\nConversion failed!\n")).toBe("no output");
  });
});
