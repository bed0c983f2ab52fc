/**
 * The evidence package of one recording: a zip that proves, to a court or auditor years later with nothing but
 * unzip, sha256sum and openssl, that its media is exactly the file whose manifest the hub sealed into its signed
 * hash chain (hub/domain/audit-chain.ts). Its README.txt explains how (hub/evidence/evidence-readme.ts).
 *
 * Layout (flat; unzip -d into a folder of one's own):
 *
 *     README.txt        the steps, Chinese then English
 *     verify.sh         the README's commands (mode 0755)
 *     SHA256SUMS        `<hash>  <file>` of the media (media.sha256 of the manifest) and of each chain payload
 *     public-key.pem    the hub's Ed25519 key, SPKI PEM
 *     checkpoint.txt    checkpointPayload(checkpoint), no newline
 *     checkpoint.sig    the raw 64-byte signature
 *     manifest.json     canonicalJson(manifest), no newline
 *     chain/<seq>.json  entryPayload(entry), no newline, from the manifest entry to the checkpoint's entry
 *     media/<fileName>  the decrypted media, stored (not deflated), last, streamed
 *
 * Everything is checked before the first byte is produced, and the media's SHA-256 and size while it streams: the
 * hub never hands out a package that does not verify (a media mismatch errors the stream instead).
 */
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { PassThrough, pipeline, Readable, Transform } from "node:stream";
import { ZipFile } from "yazl";
import {
  canonicalJson,
  checkpointPayload,
  entryPayload,
  verifyEntries,
  type ChainEntry,
  type Checkpoint,
  type JsonValue,
} from "../domain/audit-chain";
import { EVIDENCE_README_FILE, evidenceReadme, verifyScript, type ReadmeFacts } from "./evidence-readme";

export interface EvidencePackageInput {
  recordingId: string;
  media: {
    /** e.g. original.webm */
    fileName: string;
    size: number;
    /** The decrypted plaintext, streamed: it may be GiBs, never held in memory. */
    read(): AsyncIterable<Buffer>;
  };
  /**
   * Entries from the manifest entry (first; kind "manifest", its `details` is the manifest: see
   * docs/evidence-store.md) up to and including the entry at checkpoint.seq, in seq order.
   */
  entries: ChainEntry[];
  checkpoint: Checkpoint;
  /** Ed25519 SPKI PEM. */
  publicKeyPem: string;
  /** ISO time, shown in the README. */
  generatedAt: string;
}

export { EVIDENCE_README_FILE };

// The README's commands name these files unquoted: keep them free of anything a shell or regex would interpret.
const SAFE_RECORDING_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const SAFE_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const HEX64 = /^[0-9a-f]{64}$/;
// What step 7's `grep -o … | head -n 1` finds in manifest.json.
const FIRST_MEDIA_SHA256 = /"media":\{"sha256":"([0-9a-f]*)"/;

interface Prepared {
  facts: ReadmeFacts;
  media: { sha256: string; size: number };
  manifestText: string;
  publicKeyPem: string;
}

/** The target of a recording's entries in the audit chain. */
export function manifestTarget(recordingId: string): string {
  return `recording:${recordingId}`;
}

function fail(problem: string): never {
  throw new TypeError(`evidencePackage: ${problem}`);
}

function parsePublicKey(pem: string): KeyObject {
  try {
    return createPublicKey(pem);
  } catch {
    fail("publicKeyPem is not a public key in PEM");
  }
}

function prepare(input: EvidencePackageInput): Prepared {
  const { recordingId, media, entries, checkpoint } = input;
  if (typeof recordingId !== "string" || !SAFE_RECORDING_ID.test(recordingId))
    fail(`recordingId must match ${SAFE_RECORDING_ID}`);
  if (typeof media?.fileName !== "string" || !SAFE_FILE_NAME.test(media.fileName))
    fail(`media.fileName must match ${SAFE_FILE_NAME}`);
  if (!Number.isSafeInteger(media.size) || media.size < 0) fail("media.size must be a non-negative integer");
  if (typeof input.generatedAt !== "string" || !Number.isFinite(Date.parse(input.generatedAt)))
    fail("generatedAt must be an ISO time");
  if (!Array.isArray(entries) || entries.length === 0) fail("entries must not be empty");

  const first = entries[0]!;
  if (first.kind !== "manifest") fail(`the first entry (seq ${first.seq}) is not a manifest entry`);
  // The audit chain names a recording as `recording:<id>` (recordings.submit), as everywhere in the trail.
  if (first.target !== manifestTarget(recordingId))
    fail(`the manifest entry's target ${first.target} is not recording ${recordingId}`);
  entries.forEach((e, i) => {
    if (e.seq !== first.seq + i) fail(`seq gap: entries[${i}] has seq ${e.seq}, expected ${first.seq + i}`);
  });
  const last = entries[entries.length - 1]!;
  if (last.seq !== checkpoint.seq)
    fail(`the last entry has seq ${last.seq} but the checkpoint is at seq ${checkpoint.seq}`);

  const manifest = first.details;
  if (manifest === null || typeof manifest !== "object" || Array.isArray(manifest))
    fail("the manifest entry's details is not a manifest object");
  if (manifest.recordingId !== recordingId)
    fail(`the manifest is for recording ${String(manifest.recordingId)}, not ${recordingId}`);
  const m = manifest.media as { [k: string]: JsonValue } | null | undefined;
  if (typeof m?.sha256 !== "string" || !HEX64.test(m.sha256)) fail("the manifest has no media.sha256");
  if (m.size !== media.size) fail(`media.size ${media.size} is not the manifest's media.size ${m.size}`);
  const manifestText = canonicalJson(manifest);
  if (FIRST_MEDIA_SHA256.exec(manifestText)?.[1] !== m.sha256)
    fail("the manifest's first media.sha256 member is not its own (step 7 of the README would misread it)");

  const publicKey = parsePublicKey(input.publicKeyPem);
  if (publicKey.asymmetricKeyType !== "ed25519") fail("publicKeyPem is not an Ed25519 key");

  // The chain from the manifest entry and the checkpoint over its end, as the README's steps check them.
  const verdict = verifyEntries(entries, {
    publicKey,
    checkpoints: [checkpoint],
    startAfter: { seq: first.seq - 1, hash: first.prevHash },
  });
  if (!verdict.ok) fail(`the chain does not verify: ${verdict.reason} at seq ${verdict.brokenAt}`);

  return {
    facts: {
      recordingId,
      generatedAt: input.generatedAt,
      mediaPath: `media/${media.fileName}`,
      mediaSize: media.size,
      manifestSeq: first.seq,
      checkpointSeq: checkpoint.seq,
      checkpointAt: checkpoint.at,
      keyId: checkpoint.keyId,
    },
    media: { sha256: m.sha256, size: media.size },
    manifestText,
    // Re-exported: only the public half, in SPKI form, can ever reach the package.
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }) as string,
  };
}

/** Passes the media through, and fails at its end unless its size and SHA-256 are the manifest's. */
function mediaCheck(expected: { sha256: string; size: number }): Transform {
  const hash = createHash("sha256");
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
    flush(done) {
      const sha256 = hash.digest("hex");
      if (size === expected.size && sha256 === expected.sha256) return done();
      done(new Error(`the media (${size} bytes, sha256 ${sha256}) is not the one in the manifest`));
    },
  });
}

/**
 * The evidence zip, streamed (zip64 when needed). Throws a TypeError naming the problem when the input is
 * inconsistent; a media stream that fails or does not match the manifest errors the returned stream.
 */
export function evidencePackage(input: EvidencePackageInput): NodeJS.ReadableStream {
  const p = prepare(input);
  const zip = new ZipFile();
  const output = zip.outputStream as PassThrough;
  let media: Transform | undefined;
  zip.on("error", (err: Error) => output.destroy(err));
  // A consumer that goes away must not leave the media source open.
  output.on("close", () => media?.destroy());

  // A fixed mtime: the same input gives the same bytes.
  const mtime = new Date(input.generatedAt);
  const text = (content: string, name: string, mode = 0o100644) =>
    zip.addBuffer(Buffer.from(content, "utf8"), name, { mtime, mode });
  const payloads = input.entries.map((e) => ({
    name: `chain/${e.seq}.json`,
    text: entryPayload(e),
    hash: e.hash,
  }));
  const sums = [`${p.media.sha256}  ${p.facts.mediaPath}`, ...payloads.map((c) => `${c.hash}  ${c.name}`)];

  text(evidenceReadme(p.facts), EVIDENCE_README_FILE);
  text(verifyScript(p.facts), "verify.sh", 0o100755);
  text(`${sums.join("\n")}\n`, "SHA256SUMS");
  text(p.publicKeyPem, "public-key.pem");
  text(checkpointPayload(input.checkpoint), "checkpoint.txt");
  zip.addBuffer(Buffer.from(input.checkpoint.signature, "base64"), "checkpoint.sig", {
    mtime,
    compress: false,
  });
  text(p.manifestText, "manifest.json");
  for (const c of payloads) text(c.text, c.name);
  // Read only when the zip reaches it, so nothing is opened for a package that is never consumed.
  zip.addReadStreamLazy(
    p.facts.mediaPath,
    { size: p.media.size, mtime, compress: false, mode: 0o100644 },
    (cb) => {
      media = mediaCheck(p.media);
      pipeline(Readable.from(input.media.read(), { objectMode: false }), media, (err) => {
        if (err) output.destroy(err);
      });
      cb(null, media);
    },
  );
  zip.end();
  return output;
}
