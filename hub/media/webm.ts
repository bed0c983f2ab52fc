/**
 * Just enough EBML (Matroska/WebM) to read a file's duration and cues, and to make ffmpeg's piped output seekable:
 * when ffmpeg writes WebM to a pipe it cannot seek back, so the file has no Cues, no Duration and a Segment of
 * unknown size. `makeSeekable` rebuilds it in memory with all three, the way ffmpeg writes it to a file, and
 * yields to the event loop as it goes (it runs on the main thread).
 */
import { pacer } from "./reading";

const ID = {
  ebml: 0x1a45dfa3,
  segment: 0x18538067,
  seekHead: 0x114d9b74,
  seek: 0x4dbb,
  seekId: 0x53ab,
  seekPosition: 0x53ac,
  info: 0x1549a966,
  timecodeScale: 0x2ad7b1,
  duration: 0x4489,
  tracks: 0x1654ae6b,
  trackEntry: 0xae,
  trackNumber: 0xd7,
  trackType: 0x83,
  defaultDuration: 0x23e383,
  cluster: 0x1f43b675,
  timecode: 0xe7,
  simpleBlock: 0xa3,
  blockGroup: 0xa0,
  block: 0xa1,
  blockDuration: 0x9b,
  referenceBlock: 0xfb,
  cues: 0x1c53bb6b,
  cuePoint: 0xbb,
  cueTime: 0xb3,
  cueTrackPositions: 0xb7,
  cueTrack: 0xf7,
  cueClusterPosition: 0xf1,
  void: 0xec,
  crc32: 0xbf,
  tags: 0x1254c367,
  chapters: 0x1043a770,
  attachments: 0x1941a469,
} as const;

/** Children of the Segment: an unknown-sized Cluster ends where one of these starts. */
const SEGMENT_CHILDREN = new Set<number>([
  ID.seekHead,
  ID.info,
  ID.tracks,
  ID.cluster,
  ID.cues,
  ID.tags,
  ID.chapters,
  ID.attachments,
]);

interface Element {
  id: number;
  start: number;
  dataStart: number;
  /** End of the data; for an unknown size, the end of the parent (the caller may narrow it). */
  end: number;
  unknownSize: boolean;
}

function readVint(
  bytes: Buffer,
  at: number,
  keepMarker: boolean,
): { length: number; value: number; allOnes: boolean } {
  const first = bytes[at];
  if (first === undefined || first === 0) throw new Error(`invalid EBML number at ${at}`);
  const length = Math.clz32(first) - 23;
  const mask = 0xff >> length;
  let value = keepMarker ? first : first & mask;
  let allOnes = (first & mask) === mask;
  for (let i = 1; i < length; i++) {
    const byte = bytes[at + i];
    if (byte === undefined) throw new Error(`truncated EBML number at ${at}`);
    value = value * 256 + byte;
    if (byte !== 0xff) allOnes = false;
  }
  return { length, value, allOnes };
}

function readElement(bytes: Buffer, at: number, parentEnd: number): Element {
  const id = readVint(bytes, at, true);
  const size = readVint(bytes, at + id.length, false);
  const dataStart = at + id.length + size.length;
  const end = size.allOnes ? parentEnd : dataStart + size.value;
  if (end > parentEnd) throw new Error(`EBML element ${id.value.toString(16)} at ${at} runs past its parent`);
  return { id: id.value, start: at, dataStart, end, unknownSize: size.allOnes };
}

function* children(bytes: Buffer, start: number, end: number): Generator<Element> {
  for (let at = start; at < end;) {
    const element = readElement(bytes, at, end);
    yield element;
    at = element.end;
  }
}

function readUint(bytes: Buffer, e: Element): number {
  let value = 0;
  for (let i = e.dataStart; i < e.end; i++) value = value * 256 + bytes[i];
  return value;
}

function readFloat(bytes: Buffer, e: Element): number {
  return e.end - e.dataStart === 4 ? bytes.readFloatBE(e.dataStart) : bytes.readDoubleBE(e.dataStart);
}

function topLevel(bytes: Buffer): { header: Element; segment: Element } {
  // The ID first: another format's first bytes make no sense as a size.
  if (readVint(bytes, 0, true).value !== ID.ebml) throw new Error("not an EBML file");
  const header = readElement(bytes, 0, bytes.length);
  const segment = readElement(bytes, header.end, bytes.length);
  if (segment.id !== ID.segment) throw new Error("no Matroska Segment after the EBML header");
  return { header, segment };
}

/** The Segment's children, giving unknown-sized Clusters (as browsers write them) their real end. */
function* segmentChildren(bytes: Buffer, segment: Element): Generator<Element> {
  for (let at = segment.dataStart; at < segment.end;) {
    const element = readElement(bytes, at, segment.end);
    if (element.unknownSize && element.id === ID.cluster) {
      let end = element.dataStart;
      while (end < segment.end) {
        const child = readElement(bytes, end, segment.end);
        if (SEGMENT_CHILDREN.has(child.id)) break;
        end = child.end;
      }
      element.end = end;
    }
    yield element;
    at = element.end;
  }
}

export interface WebmInfo {
  /** From the Info's Duration; null when the file does not say. */
  durationMs: number | null;
  cuePoints: number;
}

export function readWebmInfo(bytes: Buffer): WebmInfo {
  const { segment } = topLevel(bytes);
  let durationMs: number | null = null;
  let cuePoints = 0;
  for (const element of segmentChildren(bytes, segment)) {
    if (element.id === ID.info) {
      let scale = 1_000_000;
      let duration: number | null = null;
      for (const child of children(bytes, element.dataStart, element.end)) {
        if (child.id === ID.timecodeScale) scale = readUint(bytes, child);
        if (child.id === ID.duration) duration = readFloat(bytes, child);
      }
      if (duration !== null) durationMs = Math.round((duration * scale) / 1e6);
    } else if (element.id === ID.cues) {
      for (const child of children(bytes, element.dataStart, element.end))
        if (child.id === ID.cuePoint) cuePoints++;
    }
  }
  return { durationMs, cuePoints };
}

// --- writing ---

/** An ID keeps its marker bits, so its bytes are those of the number. */
function idBytes(id: number): Buffer {
  return minimalUint(id);
}

function uintBytes(value: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = length - 1, v = value; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v % 256;
  return out;
}

function minimalUint(value: number): Buffer {
  let length = 1;
  while (length < 8 && value >= 2 ** (8 * length)) length++;
  return uintBytes(value, length);
}

/** An EBML size in 8 bytes, so that an element's size never changes the positions computed before it is known. */
function size8(size: number): Buffer {
  const out = uintBytes(size, 8);
  out[0] = 0x01;
  return out;
}

function element(id: number, ...data: Buffer[]): Buffer {
  const body = Buffer.concat(data);
  return Buffer.concat([idBytes(id), size8(body.length), body]);
}

function uintElement(id: number, value: number, length?: number): Buffer {
  return element(id, length ? uintBytes(value, length) : minimalUint(value));
}

interface Track {
  number: number;
  type: number;
  /** In timecode units. */
  defaultDuration: number | null;
  last: number | null;
  previous: number | null;
  lastDuration: number | null;
}

interface Cluster {
  element: Element;
  /** Time of the first keyframe of the cue track in this cluster, if any. */
  cueTime: number | null;
}

function readTracks(bytes: Buffer, tracks: Element, scale: number): Map<number, Track> {
  const out = new Map<number, Track>();
  for (const entry of children(bytes, tracks.dataStart, tracks.end)) {
    if (entry.id !== ID.trackEntry) continue;
    const track: Track = {
      number: 0,
      type: 0,
      defaultDuration: null,
      last: null,
      previous: null,
      lastDuration: null,
    };
    for (const child of children(bytes, entry.dataStart, entry.end)) {
      if (child.id === ID.trackNumber) track.number = readUint(bytes, child);
      if (child.id === ID.trackType) track.type = readUint(bytes, child);
      if (child.id === ID.defaultDuration) track.defaultDuration = readUint(bytes, child) / scale;
    }
    out.set(track.number, track);
  }
  return out;
}

/** Track number, relative time and keyframe flag of a SimpleBlock or Block. */
function blockHeader(bytes: Buffer, e: Element): { track: number; relative: number; keyframe: boolean } {
  const track = readVint(bytes, e.dataStart, false);
  const at = e.dataStart + track.length;
  return { track: track.value, relative: bytes.readInt16BE(at), keyframe: (bytes[at + 2] & 0x80) !== 0 };
}

function scanCluster(bytes: Buffer, cluster: Element, tracks: Map<number, Track>, cueTrack: number): Cluster {
  let timecode = 0;
  let cueTime: number | null = null;
  const seen = (trackNumber: number, time: number, keyframe: boolean, duration: number | null) => {
    const track = tracks.get(trackNumber);
    if (!track) return;
    if (track.last === null || time >= track.last) {
      track.previous = track.last;
      track.last = time;
      track.lastDuration = duration;
    }
    if (keyframe && trackNumber === cueTrack && cueTime === null) cueTime = time;
  };
  for (const child of children(bytes, cluster.dataStart, cluster.end)) {
    if (child.id === ID.timecode) timecode = readUint(bytes, child);
    else if (child.id === ID.simpleBlock) {
      const block = blockHeader(bytes, child);
      seen(block.track, timecode + block.relative, block.keyframe, null);
    } else if (child.id === ID.blockGroup) {
      let block: ReturnType<typeof blockHeader> | null = null;
      let duration: number | null = null;
      let keyframe = true;
      for (const part of children(bytes, child.dataStart, child.end)) {
        if (part.id === ID.block) block = blockHeader(bytes, part);
        if (part.id === ID.blockDuration) duration = readUint(bytes, part);
        if (part.id === ID.referenceBlock) keyframe = false;
      }
      if (block) seen(block.track, timecode + block.relative, keyframe, duration);
    }
  }
  return { element: cluster, cueTime };
}

/** End of the last frame of a track: its time plus its duration, or the track's frame duration, or the last gap. */
function trackEnd(track: Track): number {
  if (track.last === null) return 0;
  const gap = track.previous === null ? 0 : track.last - track.previous;
  return track.last + (track.lastDuration ?? track.defaultDuration ?? gap);
}

/**
 * Copies `parts` into one Buffer in slices of 4 MiB, yielding to the event loop when a copy has taken a while (a
 * recording may be 1 GiB).
 */
export async function concatYielding(parts: Buffer[]): Promise<Buffer> {
  const pause = pacer();
  const out = Buffer.allocUnsafeSlow(parts.reduce((sum, part) => sum + part.length, 0));
  const slice = 4 * 1024 * 1024;
  let at = 0;
  for (const part of parts) {
    for (let from = 0; from < part.length; from += slice) {
      const piece = part.subarray(from, from + slice);
      piece.copy(out, at);
      at += piece.length;
      await pause();
    }
  }
  return out;
}

/**
 * Rewrites a Matroska/WebM file with a known Segment size, a SeekHead, a Duration and Cues (one per cluster that
 * holds a keyframe of the first video track, else of the first track), clusters copied unchanged.
 */
export async function makeSeekable(bytes: Buffer): Promise<Buffer> {
  const pause = pacer();
  const { header, segment } = topLevel(bytes);
  const kept: Element[] = [];
  const clusters: Element[] = [];
  let info: Element | null = null;
  let tracksElement: Element | null = null;
  for (const e of segmentChildren(bytes, segment)) {
    if (e.id === ID.info) info = e;
    else if (e.id === ID.tracks) tracksElement = e;
    else if (e.id === ID.cluster) clusters.push(e);
    else if (e.id !== ID.seekHead && e.id !== ID.cues && e.id !== ID.void) kept.push(e);
    await pause();
  }
  if (!info || !tracksElement) throw new Error("the WebM has no Info or no Tracks");

  let scale = 1_000_000;
  const infoChildren: Buffer[] = [];
  for (const child of children(bytes, info.dataStart, info.end)) {
    if (child.id === ID.timecodeScale) scale = readUint(bytes, child);
    // The old Duration is replaced, and with it any CRC-32 of the Info.
    if (child.id !== ID.duration && child.id !== ID.crc32)
      infoChildren.push(bytes.subarray(child.start, child.end));
  }
  const tracks = readTracks(bytes, tracksElement, scale);
  const all = [...tracks.values()];
  const cueTrack = (all.find((t) => t.type === 1) ?? all[0])?.number ?? 1;
  const scanned: Cluster[] = [];
  for (const cluster of clusters) {
    scanned.push(scanCluster(bytes, cluster, tracks, cueTrack));
    await pause();
  }
  const duration = Math.max(0, ...all.map(trackEnd));

  const newInfo = element(ID.info, ...infoChildren, element(ID.duration, doubleBytes(duration)));
  const tracksBytes = bytes.subarray(tracksElement.start, tracksElement.end);
  const keptBytes = kept.map((e) => bytes.subarray(e.start, e.end));
  // A cluster keeps its bytes; one of unknown size gets a real size header in front of its children.
  const clusterBytes = scanned.map(({ element: c }) =>
    c.unknownSize
      ? [Buffer.concat([idBytes(ID.cluster), size8(c.end - c.dataStart)]), bytes.subarray(c.dataStart, c.end)]
      : [bytes.subarray(c.start, c.end)],
  );

  // Layout inside the Segment: SeekHead, Info, Tracks, kept elements, Clusters, Cues. The SeekHead has a fixed
  // size (8-byte positions), so every position is known before it is written.
  const seekTargets = [ID.info, ID.tracks, ...kept.map((e) => e.id), ID.cues];
  const seekHeadSize = seekHead(seekTargets.map((id) => ({ id, position: 0 }))).length;
  let position = seekHeadSize;
  const positions = [position];
  position += newInfo.length;
  positions.push(position);
  position += tracksBytes.length;
  for (const e of keptBytes) {
    positions.push(position);
    position += e.length;
  }
  const cuePoints: Buffer[] = [];
  scanned.forEach((cluster, i) => {
    if (cluster.cueTime !== null) {
      cuePoints.push(
        element(
          ID.cuePoint,
          uintElement(ID.cueTime, Math.max(0, cluster.cueTime)),
          element(
            ID.cueTrackPositions,
            uintElement(ID.cueTrack, cueTrack),
            uintElement(ID.cueClusterPosition, position),
          ),
        ),
      );
    }
    position += clusterBytes[i].reduce((sum, part) => sum + part.length, 0);
  });
  positions.push(position);
  const cues = element(ID.cues, ...cuePoints);
  const head = seekHead(seekTargets.map((id, i) => ({ id, position: positions[i] })));

  const body = [head, newInfo, tracksBytes, ...keptBytes, ...clusterBytes.flat(), cues];
  const segmentSize = body.reduce((sum, part) => sum + part.length, 0);
  return concatYielding([
    bytes.subarray(header.start, header.end),
    idBytes(ID.segment),
    size8(segmentSize),
    ...body,
  ]);
}

function seekHead(entries: { id: number; position: number }[]): Buffer {
  return element(
    ID.seekHead,
    ...entries.map(({ id, position }) =>
      element(ID.seek, element(ID.seekId, idBytes(id)), uintElement(ID.seekPosition, position, 8)),
    ),
  );
}

function doubleBytes(value: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeDoubleBE(value);
  return out;
}
