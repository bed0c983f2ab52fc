/**
 * webm.ts on Matroska files built byte by byte (test/fixtures/media/ebml.ts), in the shapes recorders and piped
 * ffmpeg write: unknown sizes, no Cues, no Duration. Real files go through it in media-worker.spec.ts.
 */
import { createHash } from "node:crypto";
import {
  blockGroup,
  childrenOf,
  ebmlHeader,
  el,
  float,
  ID,
  layout,
  readUint,
  simpleBlock,
  text,
  track,
  uint,
  UNKNOWN_1,
  UNKNOWN_8,
  unknownSized,
} from "../../test/fixtures/media/ebml";
import { makeSeekable, readWebmInfo } from "./webm";

const info = (...extra: Buffer[]) =>
  el(ID.info, uint(ID.timecodeScale, 1_000_000), text(ID.muxingApp, "test"), ...extra);
const liveCluster = (size: Buffer, timecode: number, ...blocks: Buffer[]) =>
  unknownSized(ID.cluster, size, uint(ID.timecode, timecode), ...blocks);
const file = (...segment: Buffer[]) =>
  Buffer.concat([ebmlHeader(), unknownSized(ID.segment, UNKNOWN_8, ...segment)]);
const sha = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** Audio first (track 1, 20 ms frames), then video (track 2, no frame duration), then a track with no blocks. */
const TRACKS = el(
  ID.tracks,
  track(1, 2, "A_OPUS", 20_000_000),
  el(ID.void, Buffer.alloc(3)),
  track(2, 1, "V_VP8"),
  track(3, 2, "A_VORBIS"),
);
const TAGS = el(ID.tags, el(ID.tag, text(0x45a3, "TITLE")));
const CLUSTER_1 = [
  uint(ID.timecode, 0),
  simpleBlock(1, -7, true),
  simpleBlock(2, 0, true),
  simpleBlock(2, 33, false),
  simpleBlock(1, 13, true),
];
const CLUSTER_2 = [uint(ID.timecode, 1000), simpleBlock(1, 0, true), simpleBlock(2, 0, false)];
const CLUSTER_3 = [
  uint(ID.timecode, 2000),
  simpleBlock(2, 0, true),
  simpleBlock(1, 0, true),
  simpleBlock(1, 20, true),
  simpleBlock(2, 40, false),
];

/** What a MediaRecorder or a piped ffmpeg writes, with the leftovers a rewrite must drop. */
const RECORDER = file(
  el(
    ID.seekHead,
    el(ID.seek, el(ID.seekId, Buffer.from([0x15, 0x49, 0xa9, 0x66])), uint(ID.seekPosition, 0)),
  ),
  el(ID.void, Buffer.alloc(10)),
  info(el(ID.crc32, Buffer.alloc(4, 1)), float(ID.duration, 999, 4)),
  TRACKS,
  TAGS,
  unknownSized(ID.cluster, UNKNOWN_8, ...CLUSTER_1),
  unknownSized(ID.cluster, UNKNOWN_1, ...CLUSTER_2),
  el(ID.cluster, ...CLUSTER_3),
  el(ID.cues, el(ID.cuePoint, uint(ID.cueTime, 5))),
);

describe("readWebmInfo", () => {
  it("reads a file without Duration and Cues as such, through unknown-sized Segment and Clusters", () => {
    expect(readWebmInfo(file(info(), TRACKS, liveCluster(UNKNOWN_8, 0, simpleBlock(2, 0, true))))).toEqual({
      durationMs: null,
      cuePoints: 0,
    });
  });

  it("reads the Duration (8- or 4-byte float) in the Info's timecode scale, rounded to a millisecond", () => {
    expect(readWebmInfo(file(info(float(ID.duration, 2080.4, 8)), TRACKS)).durationMs).toBe(2080);
    expect(readWebmInfo(file(info(float(ID.duration, 1500.5, 4)), TRACKS)).durationMs).toBe(1501);
    const micro = el(ID.info, uint(ID.timecodeScale, 1000), float(ID.duration, 1_500_000, 8));
    expect(readWebmInfo(file(micro, TRACKS)).durationMs).toBe(1500);
  });

  it("counts cue points only, also after an unknown-sized Cluster (which ends where the Cues begin)", () => {
    const cues = el(
      ID.cues,
      el(ID.cuePoint, uint(ID.cueTime, 0)),
      el(ID.void, Buffer.alloc(2)),
      el(ID.cuePoint, uint(ID.cueTime, 1000)),
      el(ID.cuePoint, uint(ID.cueTime, 2000)),
    );
    const bytes = file(
      info(),
      TRACKS,
      liveCluster(UNKNOWN_8, 0, simpleBlock(2, 0, true), simpleBlock(1, 0, true)),
      cues,
    );
    expect(readWebmInfo(bytes)).toEqual({ durationMs: null, cuePoints: 3 });
  });

  it.each([
    ["an empty file", Buffer.alloc(0), "invalid EBML number at 0"],
    ["a zero byte", Buffer.from([0x00]), "invalid EBML number at 0"],
    ["a cut ID", Buffer.from([0x1a, 0x45]), "truncated EBML number at 0"],
    ["another format", Buffer.from("RIFF\x00\x00\x00\x00WAVE", "latin1"), "not an EBML file"],
    [
      "no Segment",
      Buffer.concat([ebmlHeader(), el(ID.void, Buffer.alloc(2))]),
      "no Matroska Segment after the EBML header",
    ],
    [
      "a child longer than its parent",
      Buffer.concat([ebmlHeader(), el(ID.segment, Buffer.from([0xec, 0x90]))]),
      "runs past its parent",
    ],
    ["a header cut short", ebmlHeader().subarray(0, 6), "runs past its parent"],
  ])("throws on %s", (_what, bytes, message) => {
    expect(() => readWebmInfo(bytes)).toThrow(message);
  });
});

describe("makeSeekable", () => {
  let out: Buffer;
  beforeAll(async () => {
    out = await makeSeekable(RECORDER);
  });

  it("gives the Segment its size and lays out SeekHead, Info, Tracks, kept elements, Clusters, Cues", () => {
    const { header, segment, top } = layout(out);
    expect(out.subarray(0, header.end)).toEqual(RECORDER.subarray(0, header.end));
    expect(segment.end).toBe(out.length);
    expect(top.map((n) => n.id)).toEqual([
      ID.seekHead,
      ID.info,
      ID.tracks,
      ID.tags,
      ID.cluster,
      ID.cluster,
      ID.cluster,
      ID.cues,
    ]);
  });

  it("writes a SeekHead whose every position finds its element", () => {
    const { seeks } = layout(out);
    expect(seeks.map((s) => s.id)).toEqual([ID.info, ID.tracks, ID.tags, ID.cues]);
    for (const seek of seeks) expect(seek.found).toBe(seek.id);
  });

  it("cues each cluster that holds a keyframe of the first video track, pointing at that cluster", () => {
    expect(layout(out).cues).toEqual([
      { time: 0, track: 2, found: ID.cluster, clusterTimecode: 0 },
      { time: 2000, track: 2, found: ID.cluster, clusterTimecode: 2000 },
    ]);
  });

  it("writes one Duration: the end of the last frame of any track (video 2040 + its gap 40 > audio 2020 + 20 ms)", () => {
    const { top } = layout(out);
    const infoNode = top.find((n) => n.id === ID.info)!;
    const children = childrenOf(out, infoNode);
    expect(children.map((c) => c.id)).toEqual([ID.timecodeScale, ID.muxingApp, ID.duration]);
    expect(readUint(out, children[0])).toBe(1_000_000);
    expect(out.readDoubleBE(children[2].dataStart)).toBe(2080);
    expect(readWebmInfo(out)).toEqual({ durationMs: 2080, cuePoints: 2 });
  });

  it("copies the Tracks, the kept elements and every cluster's children unchanged", () => {
    const { top } = layout(out);
    const bytesOf = (n: { start: number; end: number }) => out.subarray(n.start, n.end);
    expect(bytesOf(top[2])).toEqual(TRACKS);
    expect(bytesOf(top[3])).toEqual(TAGS);
    const clusters = top.filter((n) => n.id === ID.cluster);
    [CLUSTER_1, CLUSTER_2, CLUSTER_3].forEach((children, i) => {
      expect(out.subarray(clusters[i].dataStart, clusters[i].end)).toEqual(Buffer.concat(children));
    });
  });

  it("is read back the same: a second rewrite changes nothing", async () => {
    expect(await makeSeekable(out)).toEqual(out);
  });

  it("reads BlockGroups: no ReferenceBlock is a keyframe, BlockDuration ends the track, strays are ignored", async () => {
    const bytes = file(
      info(),
      el(ID.tracks, track(1, 1, "V_VP8")),
      liveCluster(
        UNKNOWN_8,
        0,
        blockGroup(1, 0),
        blockGroup(1, 100, { reference: -100, duration: 50 }),
        simpleBlock(1, 50, false), // earlier than the last: not the track's end
        simpleBlock(9, 9000, true), // no such track
        el(ID.void, Buffer.alloc(5)), // neither a block nor a group: skipped
        el(ID.blockGroup, uint(ID.blockDuration, 9000)), // a group without a block: skipped
      ),
      liveCluster(UNKNOWN_8, 500, blockGroup(1, 0, { reference: -1, duration: 30 })),
    );
    const result = await makeSeekable(bytes);
    expect(layout(result).cues).toEqual([{ time: 0, track: 1, found: ID.cluster, clusterTimecode: 0 }]);
    expect(readWebmInfo(result)).toEqual({ durationMs: 530, cuePoints: 1 });
  });

  it("cues audio-only files on their first track, keyframes by the SimpleBlock flag", async () => {
    const bytes = file(
      info(),
      el(ID.tracks, track(1, 2, "A_OPUS")),
      liveCluster(UNKNOWN_8, 0, simpleBlock(1, 0, true), simpleBlock(1, 20, true)),
      liveCluster(UNKNOWN_8, 1000, simpleBlock(1, 0, true), simpleBlock(1, 20, true)),
    );
    const result = await makeSeekable(bytes);
    expect(layout(result).cues.map((c) => [c.time, c.track])).toEqual([
      [0, 1],
      [1000, 1],
    ]);
    expect(readWebmInfo(result)).toEqual({ durationMs: 1040, cuePoints: 2 });
  });

  it("counts a frame duration in the file's timecode scale, and a lone frame lasts that long", async () => {
    const scaled = el(ID.info, uint(ID.timecodeScale, 100_000)); // 0.1 ms units
    const bytes = file(
      scaled,
      el(ID.tracks, track(1, 1, "V_VP8", 40_000_000)),
      liveCluster(UNKNOWN_8, 0, simpleBlock(1, 0, true)),
    );
    const result = await makeSeekable(bytes);
    expect(readWebmInfo(result)).toEqual({ durationMs: 40, cuePoints: 1 });
  });

  it("gives a lone frame without a frame duration no length, and a cue time before zero the time zero", async () => {
    const bytes = file(
      info(),
      el(ID.tracks, track(1, 1, "V_VP8")),
      liveCluster(UNKNOWN_8, 0, simpleBlock(1, -5, true)),
    );
    const result = await makeSeekable(bytes);
    expect(layout(result).cues).toEqual([{ time: 0, track: 1, found: ID.cluster, clusterTimecode: 0 }]);
    expect(readWebmInfo(result)).toEqual({ durationMs: 0, cuePoints: 1 });
  });

  it("handles a file with no tracks and no clusters (duration 0, no cues)", async () => {
    const result = await makeSeekable(file(info(), el(ID.tracks)));
    expect(readWebmInfo(result)).toEqual({ durationMs: 0, cuePoints: 0 });
    expect(layout(result).seeks.every((s) => s.found === s.id)).toBe(true);
  });

  it.each([
    ["no Info", file(TRACKS, liveCluster(UNKNOWN_8, 0, simpleBlock(2, 0, true)))],
    ["no Tracks", file(info(), liveCluster(UNKNOWN_8, 0, simpleBlock(2, 0, true)))],
  ])("refuses a file with %s", async (_what, bytes) => {
    await expect(makeSeekable(bytes)).rejects.toThrow("the WebM has no Info or no Tracks");
  });

  it("copies a cluster of tens of MiB intact, yielding to the event loop between slices", async () => {
    const payload = Buffer.alloc(40 * 1024 * 1024);
    for (let i = 0; i < payload.length; i += 4096) payload[i] = i % 251;
    const bytes = file(
      info(),
      el(ID.tracks, track(1, 1, "V_VP8")),
      liveCluster(UNKNOWN_8, 0, simpleBlock(1, 0, true, payload)),
    );
    // Every step "takes" 20 ms, so the pacer yields after each one.
    let clock = 0;
    const now = jest.spyOn(performance, "now").mockImplementation(() => (clock += 20));
    let turns = 0;
    let spinning = true;
    const spin = () => {
      if (!spinning) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    try {
      const result = await makeSeekable(bytes);
      const clusterNode = layout(result).top.find((n) => n.id === ID.cluster)!;
      const block = childrenOf(result, clusterNode).find((n) => n.id === ID.simpleBlock)!;
      expect(sha(result.subarray(block.end - payload.length, block.end))).toBe(sha(payload));
      expect(turns).toBeGreaterThan(0);
    } finally {
      now.mockRestore();
      spinning = false;
    }
  });
});
