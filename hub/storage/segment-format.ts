import crypto from "node:crypto";

/*
 * The byte layout of stored objects (docs/evidence-store.md, "Stored object format"): a 32-byte header, then
 * segments of SEGMENT_SIZE plaintext bytes each sealed with AES-256-GCM, the last one shorter. Pure functions.
 */

export const SEGMENT_SIZE = 1024 * 1024;
export const TAG_SIZE = 16;
export const HEADER_SIZE = 32;
const MAGIC = Buffer.from("DRSEG001", "ascii");
const TAIL_MAGIC = Buffer.from("DRTAIL01", "ascii");
const TAIL_FIXED = 8 + 8 + 4 + 12;

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
  const cipher = crypto.createCipheriv("aes-256-gcm", key, segmentNonce(index));
  cipher.setAAD(segmentAad(objectId, index));
  const out = Buffer.allocUnsafe(plain.length + TAG_SIZE);
  const n = cipher.update(plain).copy(out, 0);
  cipher.final();
  cipher.getAuthTag().copy(out, n);
  return out;
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

function tailAad(objectId: string, segments: number): Buffer {
  return Buffer.from(`dr-tail:v1:${objectId}:${segments}`, "utf8");
}

export function sealTail(key: Buffer, objectId: string, tail: Tail): Buffer {
  // Prefix 0xFFFFFFFF keeps tail nonces apart from segment nonces (which start with four zero bytes).
  const nonce = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff]), crypto.randomBytes(8)]);
  const cipher = crypto.createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(tailAad(objectId, tail.segments));
  const body = Buffer.concat([cipher.update(tail.plain), cipher.final(), cipher.getAuthTag()]);
  const fixed = Buffer.alloc(TAIL_FIXED);
  TAIL_MAGIC.copy(fixed, 0);
  fixed.writeBigUInt64BE(BigInt(tail.segments), 8);
  fixed.writeUInt32BE(tail.plain.length, 16);
  nonce.copy(fixed, 20);
  return Buffer.concat([fixed, body]);
}

/** @throws SegmentAuthError (index -1) when the tail is damaged or belongs to another object. */
export function openTail(key: Buffer, objectId: string, bytes: Buffer): Tail {
  const fail = () => new SegmentAuthError(objectId, -1);
  if (bytes.length < TAIL_FIXED + TAG_SIZE || !bytes.subarray(0, 8).equals(TAIL_MAGIC)) throw fail();
  const segments = Number(bytes.readBigUInt64BE(8));
  const length = bytes.readUInt32BE(16);
  if (bytes.length !== TAIL_FIXED + length + TAG_SIZE) throw fail();
  const decipher = crypto.createDecipheriv("aes-256-gcm", key, bytes.subarray(20, 32));
  decipher.setAAD(tailAad(objectId, segments));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_SIZE));
  try {
    const plain = Buffer.concat([
      decipher.update(bytes.subarray(TAIL_FIXED, bytes.length - TAG_SIZE)),
      decipher.final(),
    ]);
    return { segments, plain };
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
