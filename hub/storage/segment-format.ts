import crypto from "node:crypto";

/*
 * The byte layout of stored objects (docs/evidence-store.md, "Stored object format"): a 32-byte header, then
 * segments of SEGMENT_SIZE plaintext bytes each sealed with AES-256-GCM, the last one shorter. Pure functions.
 */

export const SEGMENT_SIZE = 1024 * 1024;
export const TAG_SIZE = 16;
export const HEADER_SIZE = 32;
const MAGIC = Buffer.from("DRSEG001", "ascii");
const TAIL_MAGIC = Buffer.from("DRTAIL02", "ascii");
const TAIL_FIXED = 8 + 8 + 8 + 4 + 12;

export class SegmentAuthError extends Error {
  constructor(
    readonly objectId: string,
    readonly index: number,
  ) {
    super(`segment ${index} of object ${objectId} failed authentication`);
  }
}

export function header(segmentSize = SEGMENT_SIZE): Buffer {
  const buf = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(buf, 0);
  buf.writeUInt32BE(segmentSize, 8);
  return buf;
}

/** Segment size named by a header, or null when these bytes are not one. */
export function readHeader(buf: Buffer): number | null {
  if (buf.length < HEADER_SIZE || !buf.subarray(0, 8).equals(MAGIC)) return null;
  const size = buf.readUInt32BE(8);
  return size > 0 ? size : null;
}

/** File offset of segment `index`. */
export function segmentPosition(index: number, segmentSize = SEGMENT_SIZE): number {
  return HEADER_SIZE + index * (segmentSize + TAG_SIZE);
}

/** Size of the stored file for `plainSize` bytes (the last segment shorter; an empty object has one empty segment). */
export function storedSize(plainSize: number, segmentSize = SEGMENT_SIZE): number {
  const segments = Math.max(1, Math.ceil(plainSize / segmentSize));
  return HEADER_SIZE + plainSize + segments * TAG_SIZE;
}

function segmentNonce(index: number): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(BigInt(index), 4);
  return nonce;
}

function segmentAad(objectId: string, index: number): Buffer {
  return Buffer.from(`dr-seg:v1:${objectId}:${index}`, "utf8");
}

/** ciphertext ‖ tag of one segment. */
export function sealSegment(key: Buffer, objectId: string, index: number, plain: Buffer): Buffer {
  return sealSegmentInto(key, objectId, index, plain, Buffer.allocUnsafe(plain.length + TAG_SIZE));
}

/** Encrypted in pieces: each piece's ciphertext is a new buffer, and small ones are soon collected. */
const SEAL_PIECE = 64 * 1024;

/** sealSegment into `out` (at least plain.length + TAG_SIZE bytes): returns the sealed bytes, a view of `out`. */
export function sealSegmentInto(
  key: Buffer,
  objectId: string,
  index: number,
  plain: Buffer,
  out: Buffer,
): Buffer {
  const cipher = crypto.createCipheriv("aes-256-gcm", key, segmentNonce(index));
  cipher.setAAD(segmentAad(objectId, index));
  let n = 0;
  for (let at = 0; at < plain.length; at += SEAL_PIECE) {
    n += cipher.update(plain.subarray(at, Math.min(plain.length, at + SEAL_PIECE))).copy(out, n);
  }
  cipher.final();
  n += cipher.getAuthTag().copy(out, n);
  return out.subarray(0, n);
}

/** @throws SegmentAuthError when the bytes are not exactly what was sealed at this index of this object. */
export function openSegment(key: Buffer, objectId: string, index: number, sealed: Buffer): Buffer {
  if (sealed.length < TAG_SIZE) throw new SegmentAuthError(objectId, index);
  const decipher = crypto.createDecipheriv("aes-256-gcm", key, segmentNonce(index));
  decipher.setAAD(segmentAad(objectId, index));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_SIZE)), decipher.final()]);
  } catch {
    throw new SegmentAuthError(objectId, index);
  }
}

/** The uncommitted end of an upload: the plaintext after the last whole segment, sealed under a random nonce. */
export interface Tail {
  segments: number;
  plain: Buffer;
}

/**
 * Where the second of an upload's two tail slots starts in its tail file (the first starts at 0): room for the
 * longest tail record (TAIL_FIXED + SEGMENT_SIZE + TAG_SIZE), rounded up so that the slots share no disk block.
 */
export const TAIL_SLOT_SPAN = SEGMENT_SIZE + 4096;

/** Bytes of a tail record holding `plain` bytes. */
export function tailRecordSize(plain: number): number {
  return TAIL_FIXED + plain + TAG_SIZE;
}

/** A tail as committed in one of the two tail slots: `seq` orders the commits (the valid one with the highest wins). */
export interface TailRecord extends Tail {
  seq: number;
}

function tailAad(objectId: string, seq: number, segments: number): Buffer {
  return Buffer.from(`dr-tail:v2:${objectId}:${seq}:${segments}`, "utf8");
}

/** "DRTAIL02" ‖ seq ‖ segments ‖ length ‖ nonce ‖ ciphertext ‖ tag (docs/evidence-store.md). */
export function sealTail(key: Buffer, objectId: string, tail: TailRecord): Buffer {
  // Prefix 0xFFFFFFFF keeps tail nonces apart from segment nonces (which start with four zero bytes).
  const nonce = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff]), crypto.randomBytes(8)]);
  const cipher = crypto.createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(tailAad(objectId, tail.seq, tail.segments));
  const out = Buffer.allocUnsafe(TAIL_FIXED + tail.plain.length + TAG_SIZE);
  TAIL_MAGIC.copy(out, 0);
  out.writeBigUInt64BE(BigInt(tail.seq), 8);
  out.writeBigUInt64BE(BigInt(tail.segments), 16);
  out.writeUInt32BE(tail.plain.length, 24);
  nonce.copy(out, 28);
  const n = cipher.update(tail.plain).copy(out, TAIL_FIXED);
  cipher.final();
  cipher.getAuthTag().copy(out, TAIL_FIXED + n);
  return out;
}

/**
 * The tail record at the start of `bytes`; what follows it is ignored (a slot is rewritten in place, so an older,
 * longer record may leave bytes behind a newer one).
 * @throws SegmentAuthError (index -1) when the record is damaged or torn, or belongs to another object.
 */
export function openTail(key: Buffer, objectId: string, bytes: Buffer): TailRecord {
  const fail = () => new SegmentAuthError(objectId, -1);
  if (bytes.length < TAIL_FIXED + TAG_SIZE || !bytes.subarray(0, 8).equals(TAIL_MAGIC)) throw fail();
  const seq = Number(bytes.readBigUInt64BE(8));
  const segments = Number(bytes.readBigUInt64BE(16));
  const length = bytes.readUInt32BE(24);
  const end = TAIL_FIXED + length + TAG_SIZE;
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(segments) || bytes.length < end) throw fail();
  const decipher = crypto.createDecipheriv("aes-256-gcm", key, bytes.subarray(28, TAIL_FIXED));
  decipher.setAAD(tailAad(objectId, seq, segments));
  decipher.setAuthTag(bytes.subarray(end - TAG_SIZE, end));
  try {
    const plain = Buffer.concat([
      decipher.update(bytes.subarray(TAIL_FIXED, end - TAG_SIZE)),
      decipher.final(),
    ]);
    return { seq, segments, plain };
  } catch {
    throw fail();
  }
}

/** The segments holding plaintext bytes [start, end] (inclusive) of an object of `size` bytes. */
export function segmentsFor(
  start: number,
  end: number,
  segmentSize = SEGMENT_SIZE,
): { first: number; last: number } {
  return { first: Math.floor(start / segmentSize), last: Math.floor(end / segmentSize) };
}
