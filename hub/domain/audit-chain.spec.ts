/**
 * Tests of the audit / evidence hash chain. Tamper cases assert the exact seq and reason a verifier reports; the
 * last block checks, with the real `openssl` and `sha256sum`, that a court can reproduce hashes and signatures
 * without our code.
 */
import { execFileSync } from "node:child_process";
import { createHash, createPublicKey, generateKeyPairSync, KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import {
  canonicalJson,
  ChainEntry,
  ChainVerifier,
  Checkpoint,
  checkpointPayload,
  ENTRY_KINDS,
  EntryDraft,
  entryPayload,
  GENESIS_HASH,
  hashEntry,
  JsonValue,
  keyIdOf,
  RESULTS,
  sealEntries,
  signCheckpoint,
  verifyCheckpoint,
  verifyEntries,
  VerifyResult,
} from "./audit-chain";

// ------------------------------------------------------------------------------------------------------------
// Fixtures
// ------------------------------------------------------------------------------------------------------------

const hub = generateKeyPairSync("ed25519");
const attacker = generateKeyPairSync("ed25519");

const T0 = Date.parse("2026-11-23T09:30:00.000Z");

function draft(i: number): EntryDraft {
  return {
    at: new Date(T0 + i * 1_234).toISOString(),
    kind: ENTRY_KINDS[i % 3]!,
    actor: i % 7 === 0 ? null : `sh.pd.sales${i % 5}`,
    role: i % 7 === 0 ? null : "sales",
    org: i % 2 === 0 ? "SH.PD" : "SH.XH",
    action: i % 3 === 1 ? "recording.manifest" : "recording.view",
    target: i % 11 === 0 ? null : `rec-${String(i).padStart(6, "0")}`,
    result: RESULTS[i % 3]!,
    ip: i % 4 === 0 ? null : `10.0.${i % 256}.${(i * 7) % 256}`,
    details: i % 5 === 0 ? null : { branch: "浦东支行", n: i, steps: [1, 2, { ok: i % 2 === 0 }] },
  };
}

const N = 1_000;
/** The entry tampered with in most cases (an arbitrary one, between checkpoints 400 and 500). */
const K = 437;
const CP_EVERY = 100;
const chain: readonly ChainEntry[] = sealEntries(
  { seq: 0, hash: GENESIS_HASH },
  Array.from({ length: N }, (_, i) => draft(i + 1)),
);
const checkpointAt = (
  entries: readonly ChainEntry[],
  seq: number,
  key: KeyObject = hub.privateKey,
): Checkpoint =>
  signCheckpoint(key, { seq, hash: entries[seq - 1]!.hash, at: new Date(T0 + seq * 2_000).toISOString() });
const checkpoints: readonly Checkpoint[] = Array.from({ length: N / CP_EVERY }, (_, i) =>
  checkpointAt(chain, (i + 1) * CP_EVERY),
);

/** A deep copy of the chain an attacker can modify freely. */
const copy = (): ChainEntry[] => chain.map((e) => JSON.parse(JSON.stringify(e)) as ChainEntry);
const verify = (entries: Iterable<ChainEntry>, cps: readonly Checkpoint[] = checkpoints): VerifyResult =>
  verifyEntries(entries, { publicKey: hub.publicKey, checkpoints: cps });
const broken = (r: VerifyResult) => ({
  ok: r.ok,
  brokenAt: r.brokenAt,
  reason: r.reason,
  entries: r.entries,
});
const rehash = (e: ChainEntry): ChainEntry => ({ ...e, hash: hashEntry(e) }); // the payload ignores e.hash
/** What an attacker with database write access but without the signing key can do: re-seal from index i on. */
const resealFrom = (entries: ChainEntry[], index: number): void => {
  for (let i = index; i < entries.length; i++) {
    entries[i]!.prevHash = i === 0 ? GENESIS_HASH : entries[i - 1]!.hash;
    entries[i] = rehash(entries[i]!);
  }
};

// ------------------------------------------------------------------------------------------------------------
// canonicalJson
// ------------------------------------------------------------------------------------------------------------

describe("canonicalJson", () => {
  it("sorts keys recursively and writes no whitespace", () => {
    const value: JsonValue = { b: 1, a: { d: [3, { z: true, y: null }, []], c: "x" }, aa: {} };
    expect(canonicalJson(value)).toBe('{"a":{"c":"x","d":[3,{"y":null,"z":true},[]]},"aa":{},"b":1}');
  });

  it("orders keys by UTF-16 code units, not by code points", () => {
    // U+FF61 sorts after U+1F600 in UTF-16 (0xFF61 > 0xD83D) although its code point is smaller.
    const value: JsonValue = { "\uff61": 1, "😀": 2, b: 3, B: 4, é: 5, 浦东: 6, a1: 7, a: 8 };
    expect(canonicalJson(value)).toBe('{"B":4,"a":8,"a1":7,"b":3,"é":5,"浦东":6,"😀":2,"｡":1}');
  });

  it("keeps Chinese text as itself (UTF-8) and escapes like JSON.stringify", () => {
    expect(canonicalJson({ branch: "浦东支行" })).toBe('{"branch":"浦东支行"}');
    expect(Buffer.byteLength(canonicalJson("浦东支行"), "utf8")).toBe(2 + 4 * 3);
    expect(canonicalJson('q"b\\n\n\t\u0001')).toBe('"q\\"b\\\\n\\n\\t\\u0001"');
    expect(canonicalJson("\ud800")).toBe('"\\ud800"'); // lone surrogate: escaped, so the UTF-8 stays valid
    expect(canonicalJson({ "键\n": "值" })).toBe('{"键\\n":"值"}');
  });

  it("writes numbers as JSON.stringify does", () => {
    expect(canonicalJson([0, -0, 1.5, -7, 1e21, 0.1 + 0.2, Number.MAX_SAFE_INTEGER])).toBe(
      "[0,0,1.5,-7,1e+21,0.30000000000000004,9007199254740991]",
    );
    expect(canonicalJson(true)).toBe("true");
    expect(canonicalJson(null)).toBe("null");
  });

  it("omits members whose value is undefined", () => {
    const value = { b: undefined, a: 1, c: { d: undefined } } as unknown as JsonValue;
    expect(canonicalJson(value)).toBe('{"a":1,"c":{}}');
  });

  it.each([
    ["NaN", NaN],
    ["Infinity", Infinity],
    ["-Infinity", -Infinity],
    ["nested NaN", { a: [1, { b: NaN }] }],
  ])("rejects %s with a TypeError", (_name, value) => {
    expect(() => canonicalJson(value as JsonValue)).toThrow(TypeError);
  });

  it("rejects what is not JSON instead of guessing", () => {
    const bad: unknown[] = [
      undefined,
      [1, undefined],
      () => 1,
      10n,
      Symbol("s"),
      new Date(0),
      new Map(),
      Buffer.from("x"),
    ];
    for (const value of bad) expect(() => canonicalJson(value as JsonValue)).toThrow(TypeError);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic as JsonValue)).toThrow(/circular/);
  });

  it("accepts a shared (non-cyclic) sub-object and null-prototype objects", () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: [shared, shared] })).toBe('{"a":{"x":1},"b":[{"x":1},{"x":1}]}');
    const bare = Object.assign(Object.create(null) as Record<string, JsonValue>, { b: 2, a: 1 });
    expect(canonicalJson(bare)).toBe('{"a":1,"b":2}');
  });

  it("is what JSON.parse reads back and re-canonicalizes identically", () => {
    const value: JsonValue = { z: [{ b: "浦东支行", a: -0.5 }], y: { "": null } };
    const text = canonicalJson(value);
    expect(canonicalJson(JSON.parse(text) as JsonValue)).toBe(text);
  });
});

// ------------------------------------------------------------------------------------------------------------
// Entries
// ------------------------------------------------------------------------------------------------------------

const sampleDraft: EntryDraft = {
  at: "2026-11-23T09:30:00.123Z",
  kind: "audit",
  actor: "sh.pd.sales1",
  role: "sales",
  org: "SH.PD",
  action: "recording.view",
  target: "rec-0001",
  result: "ok",
  ip: "10.1.2.3",
  details: { steps: [1, 2, 3], note: '客户确认 "风险"', branch: "浦东支行" },
};
/** Written out by hand from the documented layout, not produced by the code under test. */
const SAMPLE_PAYLOAD =
  '{"action":"recording.view","actor":"sh.pd.sales1","at":"2026-11-23T09:30:00.123Z",' +
  '"details":{"branch":"浦东支行","note":"客户确认 \\"风险\\"","steps":[1,2,3]},"ip":"10.1.2.3","kind":"audit",' +
  '"org":"SH.PD","prevHash":"0000000000000000000000000000000000000000000000000000000000000000","result":"ok",' +
  '"role":"sales","seq":1,"target":"rec-0001"}';
/** `printf '%s' "$SAMPLE_PAYLOAD" | sha256sum`, computed outside this code base. */
const SAMPLE_HASH = "85b5b8e2d4b334ee4a9c56108e697a107765bfd5c57d2bea3c88f6586e9ba348";

describe("entryPayload / hashEntry", () => {
  const [sample] = sealEntries({ seq: 0, hash: GENESIS_HASH }, [sampleDraft]);

  it("hashes exactly the documented canonical text", () => {
    expect(entryPayload(sample!)).toBe(SAMPLE_PAYLOAD);
    const independent = createHash("sha256").update(Buffer.from(SAMPLE_PAYLOAD, "utf8")).digest("hex");
    expect(independent).toBe(SAMPLE_HASH);
    expect(hashEntry(sample!)).toBe(SAMPLE_HASH);
    expect(sample!.hash).toBe(SAMPLE_HASH);
  });

  it("ignores the hash itself and any extra property", () => {
    const extra = { ...sample!, hash: "f".repeat(64), dbRowId: 42 } as ChainEntry;
    expect(entryPayload(extra)).toBe(SAMPLE_PAYLOAD);
  });

  it("covers every field: changing any one changes the hash", () => {
    const changes: Partial<ChainEntry>[] = [
      { seq: 2 },
      { at: "2026-11-23T09:30:00.124Z" },
      { kind: "manifest" },
      { actor: null },
      { role: "manager" },
      { org: "SH" },
      { action: "recording.download" },
      { target: "rec-0002" },
      { result: "denied" },
      { ip: null },
      { details: null },
      { prevHash: "1".repeat(64) },
    ];
    const hashes = new Set(changes.map((c) => hashEntry({ ...sample!, ...c })));
    expect(hashes.size).toBe(changes.length);
    expect(hashes.has(SAMPLE_HASH)).toBe(false);
  });

  it("refuses a malformed entry with a TypeError", () => {
    const bad: Record<string, unknown>[] = [
      { seq: 0 },
      { seq: 1.5 },
      { seq: "1" },
      { at: undefined },
      { actor: undefined },
      { ip: 7 },
      { details: undefined },
      { prevHash: null },
    ];
    for (const b of bad) {
      expect(() => entryPayload({ ...sample!, ...b } as unknown as ChainEntry)).toThrow(TypeError);
    }
  });
});

describe("sealEntries", () => {
  it("numbers from head.seq+1 and links each entry to the previous hash", () => {
    expect(chain).toHaveLength(N);
    chain.forEach((e, i) => {
      expect(e.seq).toBe(i + 1);
      expect(e.prevHash).toBe(i === 0 ? GENESIS_HASH : chain[i - 1]!.hash);
      expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(hashEntry(e)).toBe(e.hash);
    });
    expect(new Set(chain.map((e) => e.hash)).size).toBe(N);
  });

  it("gives the same chain whether sealed at once or in batches", () => {
    const first = sealEntries({ seq: 0, hash: GENESIS_HASH }, [draft(1), draft(2), draft(3)]);
    const rest = sealEntries({ seq: 3, hash: first[2]!.hash }, [draft(4), draft(5)]);
    expect([...first, ...rest]).toEqual(chain.slice(0, 5));
    expect(sealEntries({ seq: 5, hash: chain[4]!.hash }, [])).toEqual([]);
  });

  it("does not modify the drafts and keeps a canonical copy of details", () => {
    const d: EntryDraft = { ...sampleDraft, details: { b: [1], a: "浦东支行" } };
    const before = JSON.stringify(d);
    const [sealed] = sealEntries({ seq: 0, hash: GENESIS_HASH }, [d]);
    expect(JSON.stringify(d)).toBe(before);
    ((d.details as { b: number[] }).b as number[]).push(2); // the caller keeps using its object
    expect(sealed!.details).toEqual({ a: "浦东支行", b: [1] });
    expect(hashEntry(sealed!)).toBe(sealed!.hash);
    expect(Object.keys(sealed!).sort()).toEqual([
      "action",
      "actor",
      "at",
      "details",
      "hash",
      "ip",
      "kind",
      "org",
      "prevHash",
      "result",
      "role",
      "seq",
      "target",
    ]);
  });

  it.each<[string, Partial<Record<keyof EntryDraft, unknown>>, RegExp]>([
    ["at without milliseconds", { at: "2026-11-23T09:30:00Z" }, /drafts\[1\]\.at/],
    ["at with an offset", { at: "2026-11-23T09:30:00.123+08:00" }, /drafts\[1\]\.at/],
    ["an impossible date", { at: "2026-02-30T09:30:00.123Z" }, /drafts\[1\]\.at/],
    ["an unknown kind", { kind: "note" }, /drafts\[1\]\.kind/],
    ["an unknown result", { result: "maybe" }, /drafts\[1\]\.result/],
    ["an empty action", { action: "" }, /drafts\[1\]\.action/],
    ["a numeric actor", { actor: 5 }, /drafts\[1\]\.actor/],
    ["missing details", { details: undefined }, /drafts\[1\]\.details/],
    ["NaN in details", { details: { x: NaN } }, /finite/],
  ])("refuses %s, naming the draft and field, and seals nothing", (_name, change, message) => {
    const bad = { ...sampleDraft, ...change } as EntryDraft;
    expect(() => sealEntries({ seq: 0, hash: GENESIS_HASH }, [sampleDraft, bad])).toThrow(message);
    expect(() => sealEntries({ seq: 0, hash: GENESIS_HASH }, [sampleDraft, bad])).toThrow(TypeError);
  });

  it("refuses a malformed head", () => {
    expect(() => sealEntries({ seq: -1, hash: GENESIS_HASH }, [])).toThrow(TypeError);
    expect(() => sealEntries({ seq: 1.5, hash: GENESIS_HASH }, [])).toThrow(TypeError);
    expect(() => sealEntries({ seq: 3, hash: "ABC" }, [])).toThrow(TypeError);
    expect(() => sealEntries({ seq: 3, hash: "A".repeat(64) }, [])).toThrow(TypeError);
    expect(() => sealEntries({ seq: 0, hash: "1".repeat(64) }, [])).toThrow(TypeError);
  });
});

// ------------------------------------------------------------------------------------------------------------
// Checkpoints
// ------------------------------------------------------------------------------------------------------------

describe("checkpoints", () => {
  const head = { seq: 1000, hash: chain[999]!.hash, at: "2026-11-23T10:00:00.000Z" };

  it("signs the documented payload text", () => {
    expect(checkpointPayload({ seq: 7, hash: "ab".repeat(32), at: "2026-11-23T09:30:00.123Z" })).toBe(
      `dual-record-checkpoint:v1:7:${"ab".repeat(32)}:2026-11-23T09:30:00.123Z`,
    );
  });

  it("derives the key id from the SPKI DER of the public key", () => {
    const der = hub.publicKey.export({ type: "spki", format: "der" });
    expect(keyIdOf(hub.publicKey)).toBe(createHash("sha256").update(der).digest("hex").slice(0, 16));
    expect(keyIdOf(hub.publicKey)).toMatch(/^[0-9a-f]{16}$/);
    expect(keyIdOf(hub.privateKey)).toBe(keyIdOf(hub.publicKey));
    expect(keyIdOf(attacker.publicKey)).not.toBe(keyIdOf(hub.publicKey));
  });

  it("verifies its own signature and nothing altered", () => {
    const cp = signCheckpoint(hub.privateKey, head);
    expect(cp).toMatchObject({ ...head, keyId: keyIdOf(hub.publicKey) });
    expect(Buffer.from(cp.signature, "base64")).toHaveLength(64);
    expect(verifyCheckpoint(hub.publicKey, cp)).toBe(true);
    expect(verifyCheckpoint(hub.publicKey, { ...cp, seq: 999 })).toBe(false);
    expect(verifyCheckpoint(hub.publicKey, { ...cp, hash: chain[998]!.hash })).toBe(false);
    expect(verifyCheckpoint(hub.publicKey, { ...cp, at: "2026-11-23T10:00:00.001Z" })).toBe(false);
    expect(verifyCheckpoint(attacker.publicKey, cp)).toBe(false);
  });

  it("rejects a checkpoint signed by another key, even with the hub's key id", () => {
    const forged = signCheckpoint(attacker.privateKey, head);
    expect(verifyCheckpoint(hub.publicKey, forged)).toBe(false);
    expect(verifyCheckpoint(hub.publicKey, { ...forged, keyId: keyIdOf(hub.publicKey) })).toBe(false);
  });

  it("returns false, never throws, on a malformed checkpoint", () => {
    const cp = signCheckpoint(hub.privateKey, head);
    const last = cp.signature.at(-3)!;
    const malformed: unknown[] = [
      { ...cp, signature: "" },
      { ...cp, signature: "!!!not base64!!!" },
      { ...cp, signature: cp.signature.slice(0, -2) }, // unpadded
      { ...cp, signature: cp.signature.slice(4) }, // too short
      { ...cp, signature: cp.signature + "AAAA" }, // too long
      { ...cp, signature: `${cp.signature.slice(0, 10)}\n${cp.signature.slice(10)}` },
      { ...cp, signature: cp.signature.slice(0, -3) + (last === "A" ? "B" : "A") + "==" }, // non-canonical/other
      { ...cp, signature: Buffer.alloc(64).toString("base64") },
      { ...cp, signature: 42 },
      { ...cp, keyId: undefined },
      { ...cp, seq: "1000" },
      { ...cp, seq: -1 },
      { ...cp, hash: cp.hash.toUpperCase() },
      null,
      "checkpoint",
    ];
    for (const m of malformed) {
      expect(() => verifyCheckpoint(hub.publicKey, m as Checkpoint)).not.toThrow();
      expect(verifyCheckpoint(hub.publicKey, m as Checkpoint)).toBe(false);
    }
  });

  it("refuses keys that are not Ed25519 and malformed heads", () => {
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    expect(() => signCheckpoint(ec.privateKey, head)).toThrow(TypeError);
    expect(() => signCheckpoint(hub.publicKey, head)).toThrow(TypeError);
    expect(() => verifyCheckpoint(ec.publicKey, signCheckpoint(hub.privateKey, head))).toThrow(TypeError);
    expect(() => signCheckpoint(hub.privateKey, { ...head, seq: -1 })).toThrow(TypeError);
    expect(() => signCheckpoint(hub.privateKey, { ...head, hash: "x" })).toThrow(TypeError);
    expect(() => signCheckpoint(hub.privateKey, { ...head, at: "yesterday" })).toThrow(TypeError);
  });
});

// ------------------------------------------------------------------------------------------------------------
// Verification and tampering
// ------------------------------------------------------------------------------------------------------------

describe("ChainVerifier", () => {
  it(`verifies the intact ${N}-entry chain with all ${N / CP_EVERY} checkpoints`, () => {
    expect(verify(chain)).toEqual({
      ok: true,
      entries: N,
      lastSeq: N,
      lastHash: chain[N - 1]!.hash,
      checkpointsVerified: N / CP_EVERY,
    });
  });

  it("verifies without a key, checking no checkpoint", () => {
    expect(verifyEntries(chain, { checkpoints })).toMatchObject({
      ok: true,
      entries: N,
      checkpointsVerified: 0,
    });
    expect(verifyEntries([])).toEqual({
      ok: true,
      entries: 0,
      lastSeq: 0,
      lastHash: GENESIS_HASH,
      checkpointsVerified: 0,
    });
  });

  it.each<[string, (e: ChainEntry) => void]>([
    ["actor", (e) => (e.actor = "sh.pd.manager")],
    ["actor set to null", (e) => (e.actor = null)],
    [
      "details (one nested Chinese character)",
      (e) => ((e.details as { branch: string }).branch = "浦西支行"),
    ],
    ["result", (e) => (e.result = e.result === "ok" ? "denied" : "ok")],
    ["at (one millisecond)", (e) => (e.at = new Date(Date.parse(e.at) + 1).toISOString())],
    ["kind", (e) => (e.kind = e.kind === "tombstone" ? "audit" : "tombstone")],
    ["the stored hash", (e) => (e.hash = "0".repeat(64))],
  ])("edit of %s in entry k → HASH_MISMATCH at k", (_field, edit) => {
    const entries = copy();
    expect(entries[K - 1]!.details).not.toBeNull(); // so the details edit really edits
    edit(entries[K - 1]!);
    expect(broken(verify(entries))).toEqual({
      ok: false,
      brokenAt: K,
      reason: "HASH_MISMATCH",
      entries: K - 1,
    });
  });

  it("reports the last good entry when it breaks", () => {
    const entries = copy();
    entries[K - 1]!.actor = "x";
    const r = verify(entries);
    expect(r).toEqual({
      ok: false,
      entries: K - 1,
      brokenAt: K,
      reason: "HASH_MISMATCH",
      lastSeq: K - 1,
      lastHash: chain[K - 2]!.hash,
      checkpointsVerified: 4,
    });
  });

  it("swap of entries k and k+1 (rows exchanged, seq column kept) → LINK_BROKEN at k", () => {
    const entries = copy();
    const a = entries[K - 1]!;
    const b = entries[K]!;
    entries[K - 1] = { ...b, seq: K };
    entries[K] = { ...a, seq: K + 1 };
    expect(broken(verify(entries))).toEqual({
      ok: false,
      brokenAt: K,
      reason: "LINK_BROKEN",
      entries: K - 1,
    });
  });

  it("swap with each moved entry's own hash recomputed → still LINK_BROKEN at k", () => {
    const entries = copy();
    const a = entries[K - 1]!;
    const b = entries[K]!;
    entries[K - 1] = rehash({ ...b, seq: K });
    entries[K] = rehash({ ...a, seq: K + 1 });
    expect(broken(verify(entries))).toEqual({
      ok: false,
      brokenAt: K,
      reason: "LINK_BROKEN",
      entries: K - 1,
    });
  });

  it("entries k and k+1 delivered out of order → SEQ_GAP at k", () => {
    const entries = copy();
    [entries[K - 1], entries[K]] = [entries[K]!, entries[K - 1]!];
    expect(broken(verify(entries))).toEqual({ ok: false, brokenAt: K, reason: "SEQ_GAP", entries: K - 1 });
  });

  it("deletion of entry k → SEQ_GAP at k", () => {
    const entries = copy();
    entries.splice(K - 1, 1);
    expect(broken(verify(entries))).toEqual({ ok: false, brokenAt: K, reason: "SEQ_GAP", entries: K - 1 });
  });

  it("deletion of the first entry → SEQ_GAP at 1", () => {
    expect(broken(verify(chain.slice(1)))).toEqual({ ok: false, brokenAt: 1, reason: "SEQ_GAP", entries: 0 });
  });

  it("deletion of entry k with the later seqs renumbered → LINK_BROKEN at k", () => {
    const entries = copy();
    entries.splice(K - 1, 1);
    for (let i = K - 1; i < entries.length; i++) entries[i]!.seq = i + 1;
    expect(broken(verify(entries))).toEqual({
      ok: false,
      brokenAt: K,
      reason: "LINK_BROKEN",
      entries: K - 1,
    });
  });

  it("entry k replayed twice → SEQ_GAP at k+1", () => {
    const entries = copy();
    entries.splice(K, 0, { ...entries[K - 1]! });
    expect(broken(verify(entries))).toEqual({ ok: false, brokenAt: K + 1, reason: "SEQ_GAP", entries: K });
  });

  it("deletion of the last 3 entries covered by the checkpoint at 1000 → TRUNCATED at 998", () => {
    const r = verify(chain.slice(0, N - 3));
    expect(r).toEqual({
      ok: false,
      entries: N - 3,
      brokenAt: N - 2,
      reason: "TRUNCATED",
      lastSeq: N - 3,
      lastHash: chain[N - 4]!.hash,
      checkpointsVerified: N / CP_EVERY - 1,
    });
  });

  it("…which without the key and checkpoints goes unnoticed (why checkpoints exist)", () => {
    expect(verifyEntries(chain.slice(0, N - 3))).toMatchObject({ ok: true, entries: N - 3 });
  });

  it("insertion of a forged, correctly linked entry at k (later seqs renumbered) → LINK_BROKEN at k+1", () => {
    const entries = copy();
    const [forged] = sealEntries({ seq: K - 1, hash: entries[K - 2]!.hash }, [
      { ...draft(K), actor: "ghost", details: { note: "伪造" } },
    ]);
    entries.splice(K - 1, 0, forged!);
    for (let i = K; i < entries.length; i++) entries[i]!.seq = i + 1;
    expect(broken(verify(entries))).toEqual({
      ok: false,
      brokenAt: K + 1,
      reason: "LINK_BROKEN",
      entries: K,
    });
  });

  it("insertion of a forged entry at k without renumbering → SEQ_GAP at k+1", () => {
    const entries = copy();
    const [forged] = sealEntries({ seq: K - 1, hash: entries[K - 2]!.hash }, [
      { ...draft(K), actor: "ghost" },
    ]);
    entries.splice(K - 1, 0, forged!);
    expect(broken(verify(entries))).toEqual({ ok: false, brokenAt: K + 1, reason: "SEQ_GAP", entries: K });
  });

  it("edit at k with the whole tail re-sealed → CHECKPOINT_MISMATCH at the next checkpoint (500)", () => {
    const entries = copy();
    entries[K - 1]!.result = "denied";
    entries[K - 1]!.actor = "sh.pd.sales4";
    resealFrom(entries, K - 1);
    expect(verifyEntries(entries)).toMatchObject({ ok: true, entries: N }); // internally consistent…
    const r = verify(entries); // …but not what the hub signed
    expect(r).toEqual({
      ok: false,
      entries: 499,
      brokenAt: 500,
      reason: "CHECKPOINT_MISMATCH",
      lastSeq: 499,
      lastHash: entries[498]!.hash,
      checkpointsVerified: 4,
    });
  });

  it("a checkpoint forged with another key → CHECKPOINT_SIGNATURE at its seq", () => {
    const cps = [...checkpoints];
    cps[4] = checkpointAt(chain, 500, attacker.privateKey);
    expect(broken(verify(chain, cps))).toEqual({
      ok: false,
      brokenAt: 500,
      reason: "CHECKPOINT_SIGNATURE",
      entries: 499,
    });
    cps[4] = { ...cps[4]!, keyId: keyIdOf(hub.publicKey) }; // key id spoofed too
    expect(broken(verify(chain, cps))).toEqual({
      ok: false,
      brokenAt: 500,
      reason: "CHECKPOINT_SIGNATURE",
      entries: 499,
    });
  });

  it("a re-sealed tail with checkpoints re-signed by the attacker → CHECKPOINT_SIGNATURE at 500", () => {
    const entries = copy();
    entries[K - 1]!.actor = "ghost";
    resealFrom(entries, K - 1);
    const cps = checkpoints.map((cp) =>
      cp.seq < K ? cp : checkpointAt(entries, cp.seq, attacker.privateKey),
    );
    expect(broken(verify(entries, cps))).toEqual({
      ok: false,
      brokenAt: 500,
      reason: "CHECKPOINT_SIGNATURE",
      entries: 499,
    });
  });

  it("a checkpoint whose hash was altered after signing → CHECKPOINT_SIGNATURE", () => {
    const entries = copy();
    entries[K - 1]!.actor = "ghost";
    resealFrom(entries, K - 1);
    const cps = checkpoints.map((cp) => (cp.seq < K ? cp : { ...cp, hash: entries[cp.seq - 1]!.hash }));
    expect(broken(verify(entries, cps))).toMatchObject({ brokenAt: 500, reason: "CHECKPOINT_SIGNATURE" });
  });

  it("a forged checkpoint beyond the end cannot fake a truncation → CHECKPOINT_SIGNATURE at its seq", () => {
    const fake = signCheckpoint(attacker.privateKey, {
      seq: 1200,
      hash: "a".repeat(64),
      at: "2026-11-24T00:00:00.000Z",
    });
    expect(broken(verify(chain, [...checkpoints, fake]))).toEqual({
      ok: false,
      brokenAt: 1200,
      reason: "CHECKPOINT_SIGNATURE",
      entries: N,
    });
  });

  it("accepts checkpoints in any order and several at one seq", () => {
    const extra = checkpointAt(chain, 300);
    const r = verify(chain, [...checkpoints].reverse().concat(extra));
    expect(r).toMatchObject({ ok: true, checkpointsVerified: N / CP_EVERY + 1 });
  });

  it("verifies an excerpt after a trusted head, checking the head against its checkpoint", () => {
    const startAfter = { seq: 500, hash: chain[499]!.hash };
    const excerpt = chain.slice(500);
    const opts = { publicKey: hub.publicKey, checkpoints: checkpoints.filter((cp) => cp.seq >= 500) };
    expect(verifyEntries(excerpt, { ...opts, startAfter })).toEqual({
      ok: true,
      entries: 500,
      lastSeq: N,
      lastHash: chain[N - 1]!.hash,
      checkpointsVerified: 6,
    });
    // The whole list of checkpoints may be passed: those before the head are ignored.
    expect(verifyEntries(excerpt, { ...opts, checkpoints, startAfter })).toMatchObject({
      ok: true,
      checkpointsVerified: 6,
    });
    // A wrong head is caught by its checkpoint before any entry is read…
    const wrongHead = { seq: 500, hash: chain[498]!.hash };
    expect(broken(verifyEntries(excerpt, { ...opts, startAfter: wrongHead }))).toEqual({
      ok: false,
      brokenAt: 500,
      reason: "CHECKPOINT_MISMATCH",
      entries: 0,
    });
    // …and, without checkpoints, by the first entry's link.
    expect(broken(verifyEntries(excerpt, { startAfter: wrongHead }))).toEqual({
      ok: false,
      brokenAt: 501,
      reason: "LINK_BROKEN",
      entries: 0,
    });
    // An excerpt that does not start right after the head.
    expect(broken(verifyEntries(chain.slice(501), { startAfter }))).toEqual({
      ok: false,
      brokenAt: 501,
      reason: "SEQ_GAP",
      entries: 0,
    });
  });

  it("streams: stops at the first break, ignores later pushes, finish() is repeatable", () => {
    const entries = copy();
    entries[9]!.ip = "1.1.1.1";
    const v = new ChainVerifier({ publicKey: hub.publicKey, checkpoints });
    const answers = entries.slice(0, 20).map((e) => v.push(e));
    expect(answers.indexOf(false)).toBe(9);
    expect(answers.slice(9).every((a) => a === false)).toBe(true);
    expect(v.push(chain[10]!)).toBe(false);
    const first = v.finish();
    expect(first).toMatchObject({ ok: false, brokenAt: 10, reason: "HASH_MISMATCH", entries: 9, lastSeq: 9 });
    expect(v.finish()).toEqual(first);

    let read = 0;
    function* counting(): Generator<ChainEntry> {
      for (const e of entries) {
        read++;
        yield e;
      }
    }
    verifyEntries(counting());
    expect(read).toBe(10);
  });

  it("treats a structurally malformed entry as a hash mismatch, not a crash", () => {
    const entries = copy();
    delete (entries[K - 1] as Partial<ChainEntry>).details;
    expect(broken(verify(entries))).toEqual({
      ok: false,
      brokenAt: K,
      reason: "HASH_MISMATCH",
      entries: K - 1,
    });
    const nulls = copy() as (ChainEntry | null)[];
    nulls[K - 1] = null;
    expect(broken(verify(nulls as ChainEntry[]))).toEqual({
      ok: false,
      brokenAt: K,
      reason: "SEQ_GAP",
      entries: K - 1,
    });
  });

  it("refuses unusable options with a TypeError", () => {
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    expect(() => new ChainVerifier({ publicKey: ec.publicKey })).toThrow(TypeError);
    expect(() => new ChainVerifier({ publicKey: hub.privateKey })).toThrow(TypeError);
    expect(() => new ChainVerifier({ startAfter: { seq: -1, hash: GENESIS_HASH } })).toThrow(TypeError);
    expect(
      () => new ChainVerifier({ publicKey: hub.publicKey, checkpoints: [{ ...checkpoints[0]!, seq: NaN }] }),
    ).toThrow(TypeError);
  });
});

// ------------------------------------------------------------------------------------------------------------
// Reproducible with standard tools only (what a court does)
// ------------------------------------------------------------------------------------------------------------

describe("independent verification with openssl and sha256sum", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "audit-chain-"));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const run = (cmd: string, args: string[]): string =>
    execFileSync(cmd, args, { cwd: dir, encoding: "utf8" });

  it("sha256sum of an entry's payload file equals its hash", () => {
    for (const entry of [chain[0]!, chain[K - 1]!, chain[N - 1]!]) {
      writeFileSync(join(dir, "payload.json"), entryPayload(entry), "utf8");
      const out = run("sha256sum", ["payload.json"]);
      expect(out.split(/\s+/)[0]).toBe(entry.hash);
    }
    writeFileSync(join(dir, "sample.json"), SAMPLE_PAYLOAD, "utf8");
    expect(run("sha256sum", ["sample.json"]).split(/\s+/)[0]).toBe(SAMPLE_HASH);
  });

  it("openssl verifies a checkpoint signature with the PEM public key and -rawin", () => {
    const cp = checkpoints[N / CP_EVERY - 1]!;
    writeFileSync(join(dir, "pub.pem"), hub.publicKey.export({ type: "spki", format: "pem" }));
    writeFileSync(join(dir, "cp.txt"), checkpointPayload(cp), "utf8");
    writeFileSync(join(dir, "cp.sig"), Buffer.from(cp.signature, "base64"));
    const args = [
      "pkeyutl",
      "-verify",
      "-pubin",
      "-inkey",
      "pub.pem",
      "-rawin",
      "-in",
      "cp.txt",
      "-sigfile",
      "cp.sig",
    ];
    expect(run("openssl", args)).toContain("Signature Verified Successfully");

    // A changed payload must fail under openssl as well.
    writeFileSync(join(dir, "cp.txt"), checkpointPayload({ ...cp, seq: cp.seq - 1 }), "utf8");
    let failure: (Error & { status?: number; stdout?: string }) | undefined;
    try {
      run("openssl", args);
    } catch (e) {
      failure = e as Error & { status?: number; stdout?: string };
    }
    expect(failure).toBeDefined();
    expect(failure!.status).not.toBe(0);
    expect(String(failure!.stdout)).toContain("Signature Verification Failure");
  });

  it("openssl derives the same key id from the PEM public key", () => {
    writeFileSync(join(dir, "pub.pem"), hub.publicKey.export({ type: "spki", format: "pem" }));
    run("openssl", ["pkey", "-pubin", "-in", "pub.pem", "-outform", "DER", "-out", "pub.der"]);
    expect(run("sha256sum", ["pub.der"]).slice(0, 16)).toBe(keyIdOf(hub.publicKey));
  });

  it("a checkpoint signed by openssl verifies here (the format is not private to this code)", () => {
    run("openssl", ["genpkey", "-algorithm", "ed25519", "-out", "other.key"]);
    run("openssl", ["pkey", "-in", "other.key", "-pubout", "-out", "other.pem"]);
    const head = { seq: 1000, hash: chain[N - 1]!.hash, at: "2026-11-23T10:00:00.000Z" };
    writeFileSync(join(dir, "head.txt"), checkpointPayload(head), "utf8");
    run("openssl", [
      "pkeyutl",
      "-sign",
      "-inkey",
      "other.key",
      "-rawin",
      "-in",
      "head.txt",
      "-out",
      "head.sig",
    ]);
    const pem = run("openssl", ["pkey", "-pubin", "-in", "other.pem"]);
    const publicKey = createPublicKey(pem);
    const signature = readFileSync(join(dir, "head.sig")).toString("base64");
    const cp: Checkpoint = { ...head, keyId: keyIdOf(publicKey), signature };
    expect(verifyCheckpoint(publicKey, cp)).toBe(true);
    expect(verify(chain, [cp])).toMatchObject({ ok: false, brokenAt: 1000, reason: "CHECKPOINT_SIGNATURE" });
    expect(verifyEntries(chain, { publicKey, checkpoints: [cp] })).toMatchObject({
      ok: true,
      checkpointsVerified: 1,
    });
  });
});
