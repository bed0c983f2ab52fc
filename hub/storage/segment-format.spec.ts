import crypto from "node:crypto";
import { KeyRing, KeyUnwrapError, objectKey } from "./data-keys";
import { plainSizeOf } from "./evidence-store";
import {
  HEADER_SIZE,
  SegmentAuthError,
  TAG_SIZE,
  header,
  openSegment,
  openTail,
  readHeader,
  sealSegment,
  sealTail,
  segmentPosition,
  storedSize,
} from "./segment-format";

const key = crypto.randomBytes(32);
const id = "0123456789abcdef0123456789abcdef";

describe("segments", () => {
  it("round-trip, and every change to a sealed segment is refused", () => {
    const plain = crypto.randomBytes(1000);
    const sealed = sealSegment(key, id, 3, plain);
    expect(sealed.length).toBe(1000 + TAG_SIZE);
    expect(openSegment(key, id, 3, sealed)).toEqual(plain);
    expect(sealed.includes(plain.subarray(0, 16))).toBe(false);
    for (const at of [0, 500, 999, 1000, 1015]) {
      const bad = Buffer.from(sealed);
      bad[at] ^= 1;
      expect(() => openSegment(key, id, 3, bad)).toThrow(SegmentAuthError);
    }
    expect(() => openSegment(key, id, 4, sealed)).toThrow(SegmentAuthError); // moved to another place
    expect(() => openSegment(key, "f".repeat(32), 3, sealed)).toThrow(SegmentAuthError); // another object
    expect(() => openSegment(crypto.randomBytes(32), id, 3, sealed)).toThrow(SegmentAuthError);
    expect(() => openSegment(key, id, 3, sealed.subarray(0, 10))).toThrow(SegmentAuthError);
  });

  it("two objects never share a keystream: the same bytes encrypt differently", () => {
    const plain = Buffer.alloc(64, 1);
    const a = sealSegment(objectKey(key, id), id, 0, plain);
    const b = sealSegment(objectKey(key, "f".repeat(32)), "f".repeat(32), 0, plain);
    expect(a.equals(b)).toBe(false);
  });

  it("lays segments out at fixed positions, and stored sizes invert", () => {
    expect(readHeader(header(4096))).toBe(4096);
    expect(readHeader(Buffer.alloc(HEADER_SIZE))).toBeNull();
    expect(segmentPosition(0, 4096)).toBe(32);
    expect(segmentPosition(2, 4096)).toBe(32 + 2 * 4112);
    for (const size of [0, 1, 4095, 4096, 4097, 3 * 4096, 3 * 4096 + 1]) {
      expect(plainSizeOf(storedSize(size, 4096), 4096)).toBe(size);
    }
    expect(storedSize(0, 4096)).toBe(32 + 16); // one empty segment: even an empty file is authenticated
  });
});

describe("tails", () => {
  it("round-trip with their sequence number and segment count, and refuse tampering or another object", () => {
    const tail = { seq: 5, segments: 7, plain: crypto.randomBytes(321) };
    const bytes = sealTail(key, id, tail);
    expect(openTail(key, id, bytes)).toEqual(tail);
    expect(sealTail(key, id, tail).equals(bytes)).toBe(false); // a fresh nonce every time
    for (const at of [15, 23]) {
      // the sequence number, the segment count
      const changed = Buffer.from(bytes);
      changed[at] ^= 1;
      expect(() => openTail(key, id, changed)).toThrow(SegmentAuthError);
    }
    const flipped = Buffer.from(bytes);
    flipped[40] ^= 1;
    expect(() => openTail(key, id, flipped)).toThrow(SegmentAuthError);
    expect(() => openTail(key, "f".repeat(32), bytes)).toThrow(SegmentAuthError);
    expect(() => openTail(key, id, bytes.subarray(0, 20))).toThrow(SegmentAuthError);
    expect(openTail(key, id, sealTail(key, id, { seq: 0, segments: 0, plain: Buffer.alloc(0) }))).toEqual({
      seq: 0,
      segments: 0,
      plain: Buffer.alloc(0),
    });
  });

  it("are read from the start of a slot, whatever an older, longer record left after them", () => {
    const older = sealTail(key, id, { seq: 1, segments: 2, plain: crypto.randomBytes(900) });
    const newer = { seq: 3, segments: 4, plain: crypto.randomBytes(10) };
    const slot = Buffer.from(older);
    sealTail(key, id, newer).copy(slot, 0);
    expect(openTail(key, id, slot)).toEqual(newer);
  });

  it("refuse a record torn at any byte (a write cut short by a crash)", () => {
    const older = sealTail(key, id, { seq: 1, segments: 2, plain: crypto.randomBytes(300) });
    const newer = sealTail(key, id, { seq: 3, segments: 2, plain: crypto.randomBytes(200) });
    const olderRecord = openTail(key, id, older);
    for (let cut = 1; cut < newer.length; cut += 3) {
      // Only the first `cut` bytes of the newer record reached the slot; the rest is the older one, or nothing.
      const over = Buffer.from(older);
      newer.copy(over, 0, 0, cut);
      let opened: unknown;
      try {
        opened = openTail(key, id, over);
      } catch (err) {
        opened = err;
      }
      // Refused, or (cut inside the magic both share) still the older record, never anything else.
      if (!(opened instanceof SegmentAuthError)) expect(opened).toEqual(olderRecord);
      expect(() => openTail(key, id, newer.subarray(0, cut))).toThrow(SegmentAuthError);
    }
  });
});

describe("data keys", () => {
  it("are wrapped for one recording under one master key", () => {
    const ring = new KeyRing(crypto.randomBytes(32));
    const { dataKey, wrapped } = ring.newDataKey("rec-1");
    expect(wrapped).toMatch(new RegExp(`^v1:${ring.masterKeyId}:`));
    expect(wrapped.includes(dataKey.toString("base64"))).toBe(false);
    expect(ring.unwrap("rec-1", wrapped)).toEqual(dataKey);
    expect(() => ring.unwrap("rec-2", wrapped)).toThrow(KeyUnwrapError);
    expect(() => new KeyRing(crypto.randomBytes(32)).unwrap("rec-1", wrapped)).toThrow(/not this one/);
    const [v, k, payload] = wrapped.split(":");
    const bad = Buffer.from(payload, "base64");
    bad[20] ^= 1;
    expect(() => ring.unwrap("rec-1", `${v}:${k}:${bad.toString("base64")}`)).toThrow(KeyUnwrapError);
    expect(() => ring.unwrap("rec-1", "garbage")).toThrow(KeyUnwrapError);
  });

  it("give each object its own key", () => {
    const dataKey = crypto.randomBytes(32);
    expect(objectKey(dataKey, id)).not.toEqual(objectKey(dataKey, "f".repeat(32)));
    expect(objectKey(dataKey, id)).toEqual(objectKey(dataKey, id));
  });
});
