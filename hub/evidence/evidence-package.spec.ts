/**
 * Tests of the evidence package. The main block builds a real chain, writes the zip, unzips it and runs the
 * README's own commands with bash (only unzip, sha256sum, openssl and coreutils), then tampers with the package
 * in each way a forger might and checks which step catches it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import {
  cpSync,
  createWriteStream,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

import {
  canonicalJson,
  type ChainEntry,
  checkpointPayload,
  type EntryDraft,
  entryPayload,
  GENESIS_HASH,
  type JsonValue,
  sealEntries,
  signCheckpoint,
} from "../domain/audit-chain";
import { EVIDENCE_README_FILE, evidencePackage, type EvidencePackageInput } from "./evidence-package";
import { evidenceReadme, verificationSteps, verifyScript } from "./evidence-readme";

const hub = generateKeyPairSync("ed25519");
const other = generateKeyPairSync("ed25519");
const hubPem = hub.publicKey.export({ type: "spki", format: "pem" }) as string;
const REC = "0f3c9a2e-5b7d-4c1e-9a8f-2d6b1e4c7a90";
const T0 = Date.parse("2026-11-23T09:30:00.000Z");
const at = (i: number) => new Date(T0 + i * 1_000).toISOString();

function audit(i: number, details: JsonValue | null): EntryDraft {
  return {
    at: at(i),
    kind: "audit",
    actor: `sh.pd.sales${i}`,
    role: "sales",
    org: "SH.PD",
    action: "recording.view",
    target: `recording:${REC}`,
    result: "ok",
    ip: `10.0.0.${i}`,
    details,
  };
}

function manifestOf(media: { sha256: string; size: number }): JsonValue {
  return {
    version: 1,
    recordingId: REC,
    kind: "sale",
    relatedTo: null,
    customerNo: "C000123",
    productCode: "WM-2026-017",
    orgCode: "SH.PD",
    createdBy: "sh.pd.sales1",
    createdAt: at(10),
    startedAt: at(11),
    endedAt: at(12),
    submittedAt: at(13),
    media: { type: "video/webm", size: media.size, sha256: media.sha256 },
    objects: [{ name: "original", objectId: "a".repeat(32), size: media.size + 32, sha256: "b".repeat(64) }],
    steps: [{ code: "consent", at: 0 }],
    // Members named like the entry's own (ip, details, prevHash) must not confuse the README's extractions.
    watermark: { text: '浦东支行 "张三"', ip: "10.1.1.1", details: { prevHash: "c".repeat(64) } },
    mediaFacts: null,
    mediaError: null,
  };
}

/** Entries 1-3 before the manifest (not in the package), the manifest at 4, audits 5-8, a checkpoint at 8. */
function chainFor(media: { sha256: string; size: number }) {
  const drafts: EntryDraft[] = [
    audit(1, null),
    audit(2, { note: "before" }),
    audit(3, null),
    {
      ...audit(13, manifestOf(media)),
      kind: "manifest",
      action: "recording.submit",
      actor: "sh.pd.sales1",
    },
    audit(14, { prevHash: GENESIS_HASH, result: "x", ip: "1.2.3.4", note: '审阅 "quoted"\n' }),
    audit(15, null),
    audit(16, { details: { kind: "manifest", target: REC } }),
    audit(17, { seq: 99 }),
  ];
  const all = sealEntries({ seq: 0, hash: GENESIS_HASH }, drafts);
  const entries = all.slice(3);
  const last = entries[entries.length - 1]!;
  const checkpoint = signCheckpoint(hub.privateKey, { seq: last.seq, hash: last.hash, at: at(20) });
  return { entries, checkpoint };
}

function inputFor(bytes: Buffer, overrides: Partial<EvidencePackageInput> = {}): EvidencePackageInput {
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  return {
    recordingId: REC,
    media: {
      fileName: "original.webm",
      size: bytes.length,
      async *read() {
        for (let i = 0; i < bytes.length; i += 65_536) yield bytes.subarray(i, i + 65_536);
      },
    },
    ...chainFor({ sha256, size: bytes.length }),
    publicKeyPem: hubPem,
    generatedAt: at(30),
    ...overrides,
  };
}

/** The commands of each numbered step, as the README shows them in one language section. */
function readmeCommands(readme: string, lang: "zh" | "en"): string[][] {
  const [zh, en] = readme.split("======== English ========");
  const heading = lang === "zh" ? /^第 (\d+) 步/ : /^Step (\d+)\./;
  const steps: string[][] = [];
  for (const line of (lang === "zh" ? zh! : en!).split("\n")) {
    if (heading.test(line)) steps.push([]);
    const command = /^ {4}\$ (.*)$/.exec(line);
    if (command && steps.length > 0) steps[steps.length - 1]!.push(command[1]!);
  }
  return steps;
}

interface StepRun {
  step: number;
  ok: boolean;
  output: string;
}

function runSteps(dir: string, steps: string[][]): StepRun[] {
  return steps.map((commands, i) => {
    let ok = true;
    let output = "";
    for (const command of commands) {
      const r = spawnSync("bash", ["-c", command], { cwd: dir, encoding: "utf8" });
      output += r.stdout + r.stderr;
      ok &&= r.status === 0;
    }
    return { step: i + 1, ok, output };
  });
}

const failed = (runs: StepRun[]) => runs.filter((r) => !r.ok).map((r) => r.step);

async function writePackage(input: EvidencePackageInput, file: string): Promise<void> {
  await pipeline(evidencePackage(input), createWriteStream(file));
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "evidence-package-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("the package verified with unzip, sha256sum and openssl alone", () => {
  const media = randomBytes(4 * 1024 * 1024 + 123);
  const input = inputFor(media);
  const zipFile = () => join(tmp, "evidence.zip");
  const pristine = () => join(tmp, "pristine");
  let readme: string;
  let steps: string[][];

  beforeAll(async () => {
    await writePackage(input, zipFile());
    execFileSync("unzip", ["-q", zipFile(), "-d", pristine()]);
    readme = readFileSync(join(pristine(), EVIDENCE_README_FILE), "utf8");
    steps = readmeCommands(readme, "en");
  });

  test("the layout: text deflated, media stored, verify.sh executable, files exactly as hashed and signed", () => {
    const listing = execFileSync("unzip", ["-Z", zipFile()], { encoding: "utf8" });
    const row = (name: string) => listing.split("\n").find((l) => l.endsWith(` ${name}`)) ?? "";
    const names = execFileSync("unzip", ["-Z1", zipFile()], { encoding: "utf8" }).trim().split("\n");
    expect(names).toEqual([
      "README.txt",
      "verify.sh",
      "SHA256SUMS",
      "public-key.pem",
      "checkpoint.txt",
      "checkpoint.sig",
      "manifest.json",
      ...input.entries.map((e) => `chain/${e.seq}.json`),
      "media/original.webm",
    ]);
    expect(row("media/original.webm")).toMatch(/ stor /);
    expect(row("README.txt")).toMatch(/ defN /);
    expect(row("verify.sh")).toMatch(/^-rwxr-xr-x/);

    const file = (name: string) => readFileSync(join(pristine(), name));
    expect(file("media/original.webm").equals(media)).toBe(true);
    expect(file("manifest.json").toString("utf8")).toBe(canonicalJson(input.entries[0]!.details!));
    for (const e of input.entries) expect(file(`chain/${e.seq}.json`).toString("utf8")).toBe(entryPayload(e));
    expect(file("checkpoint.txt").toString("utf8")).toBe(checkpointPayload(input.checkpoint));
    expect(file("checkpoint.sig").equals(Buffer.from(input.checkpoint.signature, "base64"))).toBe(true);
    expect(file("public-key.pem").toString("utf8")).toBe(hubPem);
  });

  test("the README: Chinese first, the same commands in both languages, and verify.sh runs exactly them", () => {
    expect(readme.indexOf("======== 中文 ========")).toBeLessThan(
      readme.indexOf("======== English ========"),
    );
    expect(steps).toHaveLength(7);
    expect(readmeCommands(readme, "zh")).toEqual(steps);
    const script = readFileSync(join(pristine(), "verify.sh"), "utf8");
    const scriptCommands = script
      .split("\n")
      .map((l) => /^(.*) \|\| fail (\d+)$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => [Number(m[2]), m[1]]);
    expect(scriptCommands).toEqual(steps.flatMap((commands, i) => commands.map((c) => [i + 1, c])));
  });

  test("every step of the README succeeds, and so does verify.sh (POSIX sh)", () => {
    const runs = runSteps(pristine(), steps);
    expect(failed(runs)).toEqual([]);
    expect(runs[1]!.output).toContain("Signature Verified Successfully");
    expect(runs[2]!.output.trim()).toBe(input.checkpoint.keyId);
    const r = spawnSync("sh", ["verify.sh"], { cwd: pristine(), encoding: "utf8" });
    expect(r.stdout).toContain("ALL 7 STEPS PASSED");
    expect(r.status).toBe(0);
  });

  // The package holds entries 4 (the manifest) to 8 (the checkpoint).
  const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
  const edit = (dir: string, name: string, change: (text: string) => string) =>
    writeFileSync(join(dir, name), change(readFileSync(join(dir, name), "utf8")));

  interface Tamper {
    name: string;
    tamper: (dir: string) => void;
    /** The README steps that must fail. */
    fails: number[];
    /** What the link check (step 5) must print, if it fails. */
    says?: RegExp;
  }
  test.each<Tamper>([
    {
      name: "a flipped byte in the media",
      tamper: (dir) => {
        const file = join(dir, "media/original.webm");
        const bytes = readFileSync(file);
        bytes[1_000_000] ^= 0x01;
        writeFileSync(file, bytes);
      },
      fails: [1, 7],
    },
    {
      name: "an edited manifest.json",
      tamper: (dir) => edit(dir, "manifest.json", (t) => t.replace("C000123", "C000124")),
      fails: [6],
    },
    {
      name: "an edited chain payload",
      tamper: (dir) => edit(dir, "chain/6.json", (t) => t.replace("sh.pd.sales", "sh.pd.salez")),
      fails: [1, 5],
      says: /link broken at chain\/7\.json/,
    },
    {
      name: "a broken prevHash link, re-hashed so that sha256sum -c passes",
      tamper: (dir) => {
        const old = sha(readFileSync(join(dir, "chain/6.json")));
        edit(dir, "chain/6.json", (t) =>
          t.replace(/"prevHash":"[0-9a-f]{64}","result"/, `"prevHash":"${"e".repeat(64)}","result"`),
        );
        const now = sha(readFileSync(join(dir, "chain/6.json")));
        edit(dir, "SHA256SUMS", (t) => t.replace(old, now));
      },
      fails: [5],
      says: /link broken at chain\/6\.json/,
    },
    {
      name: "a checkpoint signed by another key",
      tamper: (dir) => {
        const cp = signCheckpoint(other.privateKey, input.checkpoint);
        writeFileSync(join(dir, "checkpoint.sig"), Buffer.from(cp.signature, "base64"));
      },
      fails: [2],
    },
    {
      name: "a checkpoint signed by another key, shipped with that key",
      tamper: (dir) => {
        const cp = signCheckpoint(other.privateKey, input.checkpoint);
        writeFileSync(join(dir, "checkpoint.sig"), Buffer.from(cp.signature, "base64"));
        writeFileSync(join(dir, "public-key.pem"), other.publicKey.export({ type: "spki", format: "pem" }));
      },
      fails: [3],
    },
    {
      name: "a checkpoint whose hash is not the last entry's",
      tamper: (dir) => {
        const cp = signCheckpoint(hub.privateKey, { ...input.checkpoint, hash: input.entries[3]!.hash });
        writeFileSync(join(dir, "checkpoint.txt"), checkpointPayload(cp));
        writeFileSync(join(dir, "checkpoint.sig"), Buffer.from(cp.signature, "base64"));
      },
      fails: [4],
    },
  ])("$name fails steps $fails, and verify.sh", ({ name, tamper, fails, says }) => {
    const dir = join(tmp, name.replace(/\W+/g, "-"));
    cpSync(pristine(), dir, { recursive: true });
    tamper(dir);
    const runs = runSteps(dir, steps);
    expect(failed(runs)).toEqual(fails);
    if (says) expect(runs[4]!.output).toMatch(says);
    const r = spawnSync("sh", ["verify.sh"], { cwd: dir, encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain(`FAILED: step ${fails[0]} `);
  });
});

describe("input validation: nothing is produced that would not verify", () => {
  const media = randomBytes(10_000);
  const good = () => inputFor(media);

  test.each<[string, (i: EvidencePackageInput) => Partial<EvidencePackageInput>, RegExp]>([
    [
      "the first entry is not the manifest",
      (i) => ({ entries: i.entries.slice(1) }),
      /seq 5\) is not a manifest/,
    ],
    [
      "the last entry is not the checkpoint's",
      (i) => ({ entries: i.entries.slice(0, -1) }),
      /seq 7 but the checkpoint is at seq 8/,
    ],
    [
      "a seq gap",
      (i) => ({ entries: [...i.entries.slice(0, 2), ...i.entries.slice(3)] }),
      /seq gap: entries\[2\] has seq 7, expected 6/,
    ],
    [
      "an edited entry",
      (i) => ({ entries: i.entries.map((e, n): ChainEntry => (n === 2 ? { ...e, actor: "x" } : e)) }),
      /HASH_MISMATCH at seq 6/,
    ],
    [
      "a checkpoint signed by another key",
      (i) => ({ checkpoint: signCheckpoint(other.privateKey, i.checkpoint) }),
      /CHECKPOINT_SIGNATURE at seq 8/,
    ],
    [
      "a checkpoint over another hash",
      (i) => ({ checkpoint: signCheckpoint(hub.privateKey, { ...i.checkpoint, hash: "d".repeat(64) }) }),
      /CHECKPOINT_MISMATCH at seq 8/,
    ],
    ["a media size not the manifest's", (i) => ({ media: { ...i.media, size: 9_999 } }), /media.size 9999/],
    ["an unsafe media file name", (i) => ({ media: { ...i.media, fileName: "../a b.webm" } }), /fileName/],
    ["another recording", () => ({ recordingId: "another" }), /target .* is not recording another/],
    ["a key that is not Ed25519", () => ({ publicKeyPem: "nonsense" }), /publicKeyPem/],
  ])("%s", (_name, change, message) => {
    const input = good();
    const call = () => evidencePackage({ ...input, ...change(input) });
    expect(call).toThrow(TypeError);
    expect(call).toThrow(message);
  });

  test("media that does not match the manifest errors the stream", async () => {
    const input = inputFor(media);
    const wrong = Buffer.from(media);
    wrong[0] ^= 0x01;
    const bad = { ...input, media: { ...input.media, read: inputFor(wrong).media.read } };
    await expect(writePackage(bad, join(tmp, "bad.zip"))).rejects.toThrow(/is not the one in the manifest/);
  });

  test("the same input gives the same bytes", async () => {
    const input = good();
    await writePackage(input, join(tmp, "a.zip"));
    await writePackage(input, join(tmp, "b.zip"));
    expect(readFileSync(join(tmp, "a.zip")).equals(readFileSync(join(tmp, "b.zip")))).toBe(true);
  });

  test("the README shows every fact given, and the steps' commands", () => {
    const facts = {
      recordingId: "r1",
      generatedAt: "2030-01-02T03:04:05.000Z",
      mediaPath: "media/x.mp4",
      mediaSize: 42,
      manifestSeq: 11,
      checkpointSeq: 19,
      checkpointAt: "2030-01-01T00:00:00.000Z",
      keyId: "0123456789abcdef",
    };
    const readme = evidenceReadme(facts);
    for (const v of Object.values(facts)) expect(readme).toContain(String(v));
    expect(readmeCommands(readme, "en")).toEqual(verificationSteps(facts).map((s) => s.commands));
    expect(verifyScript(facts)).toContain("$(seq 12 19)");
  });
});

describe("streaming", () => {
  const CHUNK = 1024 * 1024;
  const CHUNKS = 300;
  const base = randomBytes(CHUNK);
  let opened = 0;
  let closed = 0;

  /** 300 MB made chunk by chunk: only ever a few of them exist at once. */
  async function* bigMedia(): AsyncGenerator<Buffer> {
    opened++;
    try {
      for (let i = 0; i < CHUNKS; i++) {
        const chunk = Buffer.allocUnsafeSlow(CHUNK);
        base.copy(chunk);
        chunk.writeUInt32BE(i, 0);
        yield chunk;
      }
    } finally {
      closed++;
    }
  }

  async function bigInput(): Promise<EvidencePackageInput> {
    const hash = createHash("sha256");
    for await (const chunk of bigMedia()) hash.update(chunk);
    const size = CHUNK * CHUNKS;
    return {
      recordingId: REC,
      media: { fileName: "original.webm", size, read: bigMedia },
      ...chainFor({ sha256: hash.digest("hex"), size }),
      publicKeyPem: hubPem,
      generatedAt: at(30),
    };
  }

  test("a 300 MB media is packaged with RSS growing by less than 60 MB", async () => {
    const input = await bigInput();
    // The hashing pass above left 300 MB of garbage chunks: collect them so that the baseline is honest.
    setFlagsFromString("--expose-gc");
    (runInNewContext("gc") as () => void)();
    const before = process.memoryUsage.rss();
    let peak = before;
    const sample = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        peak = Math.max(peak, process.memoryUsage.rss());
        done(null, chunk);
      },
    });
    const file = join(tmp, "big.zip");
    await pipeline(evidencePackage(input), sample, createWriteStream(file));
    const growth = (peak - before) / 1024 / 1024;
    console.log(
      `evidence package of ${(CHUNK * CHUNKS) / 1024 / 1024} MB: RSS grew by ${growth.toFixed(1)} MB`,
    );
    expect(growth).toBeLessThan(60);
    expect(statSync(file).size).toBeGreaterThan(CHUNK * CHUNKS);
    execFileSync("unzip", ["-tqq", file]);
    rmSync(file);
  });

  test("a consumer that goes away closes the media source", async () => {
    const input = await bigInput();
    const [o, c] = [opened, closed];
    const stream = evidencePackage(input) as NodeJS.ReadableStream & { destroy(): void };
    let bytes = 0;
    await new Promise<void>((resolve) => {
      stream.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > 10 * CHUNK) {
          stream.destroy();
          resolve();
        }
      });
    });
    await new Promise((r) => setTimeout(r, 50));
    expect([opened - o, closed - c]).toEqual([1, 1]);
  });
});
