/**
 * The README and verify.sh of an evidence package (see evidence-package.ts): the steps a court or auditor follows,
 * with nothing but unzip, sha256sum, openssl and standard shell text tools, to prove that the packaged media is
 * the one whose manifest the hub sealed into its signed hash chain.
 *
 * Pure text: every value shown comes from the facts passed in. The README and verify.sh are made from the same
 * step list, so the script runs exactly the README's commands.
 *
 * Why the text extractions in the commands are exact (canonical JSON, see hub/domain/audit-chain.ts: members
 * sorted by name, no whitespace, `"` escaped inside strings, so `"name":` only ever occurs as a member name):
 * - an entry payload is {"action","actor","at","details","ip","kind","org","prevHash","result","role","seq",
 *   "target"}: only plain values come before "details" and from "ip" on, so the FIRST `"details":` and the LAST
 *   `,"ip":` and `"prevHash":` of the line are the entry's own members, whatever its details contain;
 * - in a manifest only plain values come before "media", so its first `"media":{"sha256":` is the manifest's own
 *   (evidence-package.ts refuses a manifest where that is not so).
 */

/** The README's name inside the package. */
export const EVIDENCE_README_FILE = "README.txt";

export interface ReadmeFacts {
  recordingId: string;
  /** When the package was made (ISO). */
  generatedAt: string;
  /** Path of the media inside the package, e.g. `media/original.webm`. */
  mediaPath: string;
  mediaSize: number;
  /** Seq of the manifest entry: the first file of chain/. */
  manifestSeq: number;
  /** Seq, time and key id of the checkpoint: the last file of chain/. */
  checkpointSeq: number;
  checkpointAt: string;
  keyId: string;
}

interface StepText {
  title: string;
  proves: string;
  fails: string;
}

interface Step {
  commands: string[];
  zh: StepText;
  en: StepText;
}

export function verificationSteps(f: ReadmeFacts): Step[] {
  const F = f.manifestSeq;
  const S = f.checkpointSeq;
  const sha = (file: string) => `sha256sum ${file} | cut -c1-64`;
  const prevHash = `sed 's/.*"prevHash":"\\([0-9a-f]*\\)".*/\\1/' chain/$n.json`;
  const ownTail = `sed 's/.*,"ip":/,"ip":/' chain/${F}.json`;
  return [
    {
      commands: ["sha256sum -c SHA256SUMS"],
      zh: {
        title: "所有文件完好",
        proves:
          "录像文件和每条链原文的 SHA-256 与 SHA256SUMS 所列一致（每个文件打印 OK）。" +
          "所列值即哈希链记录的值；第 4–7 步不依赖 SHA256SUMS，独立证明这些值受签名保护。",
        fails: "标为 FAILED 的文件在证据包生成后被改动或损坏。",
      },
      en: {
        title: "Every file is intact",
        proves:
          "the media and every chain payload have the SHA-256 listed in SHA256SUMS (OK for each file). " +
          "These are the values the hash chain records; steps 4-7 prove, without SHA256SUMS, that the " +
          "signature covers them.",
        fails: "the file marked FAILED was changed or damaged after the package was made.",
      },
    },
    {
      commands: [
        "openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin -in checkpoint.txt -sigfile checkpoint.sig",
      ],
      zh: {
        title: "检查点签名有效",
        proves:
          `checkpoint.txt（“哈希链第 ${S} 条的哈希为……，签名时间 ${f.checkpointAt}”）未被改动，` +
          "且确由 public-key.pem 对应的私钥签名（打印 Signature Verified Successfully）。",
        fails:
          "checkpoint.txt 或 checkpoint.sig 被改动，或签名出自其他密钥（打印 Signature Verification " +
          "Failure）；此后各步都不能证明任何事。",
      },
      en: {
        title: "The checkpoint's signature is valid",
        proves:
          `checkpoint.txt ("entry ${S} of the hash chain has hash ..., signed at ${f.checkpointAt}") is ` +
          'unchanged and was signed with the private key of public-key.pem (prints "Signature Verified ' +
          'Successfully").',
        fails:
          "checkpoint.txt or checkpoint.sig was changed, or signed with another key (prints " +
          '"Signature Verification Failure"); the later steps then prove nothing.',
      },
    },
    {
      commands: [
        `openssl pkey -pubin -in public-key.pem -outform DER | sha256sum | cut -c1-16 | grep -x ${f.keyId}`,
      ],
      zh: {
        title: "公钥是中心的签名密钥",
        proves:
          `public-key.pem 是编号为 ${f.keyId} 的密钥（打印该编号）。` +
          "请将此编号与银行登记或公布的双录中心签名密钥编号核对（须从本证据包以外的渠道取得）；" +
          "两者一致，第 2 步才证明签名出自双录中心。",
        fails: `public-key.pem 不是中心所用的密钥 ${f.keyId}（无输出），公钥和签名可能被一并替换。`,
      },
      en: {
        title: "The key is the hub's signing key",
        proves:
          `public-key.pem is the key with id ${f.keyId} (prints it). Compare that id with the id of ` +
          "the hub's signing key as registered or published by the bank (obtained apart from this package): " +
          "only if they are equal does step 2 prove that the hub signed.",
        fails:
          `public-key.pem is not the key ${f.keyId} the hub used (prints nothing); key and signature may ` +
          "both have been replaced.",
      },
    },
    {
      commands: [
        `test "$(cut -d: -f3 checkpoint.txt)" = ${S} && ` +
          `test "$(${sha(`chain/${S}.json`)})" = "$(cut -d: -f4 checkpoint.txt)" && echo OK`,
      ],
      zh: {
        title: `检查点签的正是第 ${S} 条`,
        proves: `checkpoint.txt 的序号为 ${S}，其哈希等于 chain/${S}.json 的 SHA-256：签名覆盖了该条原文。`,
        fails: `chain/${S}.json 被改动，或该检查点签的是其他条目。`,
      },
      en: {
        title: `The checkpoint covers entry ${S}`,
        proves:
          `checkpoint.txt is for seq ${S} and its hash is the SHA-256 of chain/${S}.json: the signature ` +
          "covers that payload.",
        fails: `chain/${S}.json was changed, or the checkpoint is for another entry.`,
      },
    },
    {
      commands: [
        `( h=$(${sha(`chain/${F}.json`)}); for n in $(seq ${F + 1} ${S}); do ` +
          `test "$(${prevHash})" = "$h" || { echo "link broken at chain/$n.json"; exit 1; }; ` +
          `h=$(${sha("chain/$n.json")}); done ) && echo OK`,
      ],
      zh: {
        title: `从清单条目（第 ${F} 条）到第 ${S} 条的哈希链完整`,
        proves:
          `第 ${F + 1} 至 ${S} 条每一条的 "prevHash" 都等于前一条原文的 SHA-256。结合第 4 步，` +
          `签名覆盖第 ${F} 至 ${S} 条的每一条，包括清单条目：任何一条被改动、删除、插入或调换都会使链断开。` +
          '（sed 取该行最后一个 "prevHash"：规范 JSON 的成员按名称排序，条目自身的 prevHash 在 details 之后，' +
          "其后只有简单值。）其间可能有其他业务的审计条目，它们是链的一部分。",
        fails:
          "链在 chain/<n>.json 处断开（打印 link broken at chain/<n>.json）：该条或其前一条被改动，" +
          "或有条目被删除、插入。",
      },
      en: {
        title: `The chain is unbroken from the manifest entry (${F}) to entry ${S}`,
        proves:
          `the "prevHash" of each entry ${F + 1} to ${S} is the SHA-256 of the entry before it. With step 4, ` +
          `the signature covers every entry from ${F} to ${S}, the manifest entry included: changing, ` +
          'removing, inserting or swapping any of them breaks the chain. (sed takes the last "prevHash" of ' +
          "the line: canonical JSON sorts members by name, so the entry's own prevHash comes after its " +
          "details, followed only by plain values.) Audit entries of other business in between are part of " +
          "the chain.",
        fails:
          "the chain breaks at chain/<n>.json (prints link broken at chain/<n>.json): that entry or the one " +
          "before was changed, or entries were removed or inserted.",
      },
    },
    {
      commands: [
        `${ownTail} | grep -q ',"kind":"manifest",.*,"target":"recording:${f.recordingId}"}$' && echo OK`,
        `test "$(sed 's/"details":.*/"details":/' chain/${F}.json)$(cat manifest.json)$(${ownTail})" = ` +
          `"$(cat chain/${F}.json)" && echo OK`,
      ],
      zh: {
        title: `第 ${F} 条是本录制的清单条目，其内容正是 manifest.json`,
        proves:
          `第一条命令确认第 ${F} 条的 kind 为 manifest、target 为录制 recording:${f.recordingId}；第二条命令把第 ${F} 条中` +
          '第一个 "details": 及之前的文字、manifest.json、最后一个 ,"ip": 起的文字拼接起来，与第 ' +
          `${F} 条原文比较：相同即证明第 ${F} 条封存的 details 正是 manifest.json。` +
          '（规范 JSON 中条目自身的 details 之前只有 action、actor、at，从 ip 起只有简单值，所以第一个 "details": ' +
          '和最后一个 ,"ip": 都属于条目本身。）',
        fails: `manifest.json 被改动，或不是第 ${F} 条封存的清单。`,
      },
      en: {
        title: `Entry ${F} is this recording's manifest entry and holds manifest.json`,
        proves:
          `the first command shows that entry ${F} has kind "manifest" and target recording:${f.recordingId}; the ` +
          `second rebuilds entry ${F} from its text up to its first "details":, then manifest.json, then its ` +
          `text from its last ,"ip": on, and compares it with the entry: equal means the details sealed in ` +
          `entry ${F} are exactly manifest.json. (In canonical JSON only action, actor and at come before ` +
          'the entry\'s own details, and only plain values from ip on, so the first "details": and the last ' +
          ',"ip": are the entry\'s own.)',
        fails: `manifest.json was changed, or is not the manifest sealed in entry ${F}.`,
      },
    },
    {
      commands: [
        `test "$(${sha(f.mediaPath)})" = ` +
          `"$(grep -o '"media":{"sha256":"[0-9a-f]*"' manifest.json | head -n 1 | cut -d'"' -f6)" && echo OK`,
      ],
      zh: {
        title: "录像文件正是清单所描述的文件",
        proves:
          `${f.mediaPath} 的 SHA-256 等于 manifest.json 中的 media.sha256（清单还载明其大小为 ${f.mediaSize} 字节）。` +
          '（grep 取第一个 "media" 成员，即清单自身的：规范 JSON 中它之前只有简单值。）',
        fails: "录像文件被改动、截断或替换，不是中心封存的那一个。",
      },
      en: {
        title: "The media is the file the manifest describes",
        proves:
          `the SHA-256 of ${f.mediaPath} is the manifest's media.sha256 (the manifest also states its size, ` +
          `${f.mediaSize} bytes). (grep takes the first "media" member, which is the manifest's own: ` +
          "canonical JSON puts only plain values before it.)",
        fails: "the media was changed, truncated or replaced: it is not the file the hub sealed.",
      },
    },
  ];
}

function stepsText(steps: Step[], lang: "zh" | "en"): string {
  const [heading, proves, fails] =
    lang === "zh"
      ? [(n: number) => `第 ${n} 步  `, "证明：", "失败："]
      : [(n: number) => `Step ${n}. `, "Proves: ", "If it fails: "];
  return steps
    .map((s, i) =>
      [
        heading(i + 1) + s[lang].title,
        "",
        ...s.commands.map((c) => `    $ ${c}`),
        "",
        proves + s[lang].proves,
        fails + s[lang].fails,
      ].join("\n"),
    )
    .join("\n\n");
}

/** One row per file; the names padded to one column. */
function fileTable(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([name]) => name.length)) + 2;
  return rows.map(([name, what]) => `  ${name.padEnd(width)}${what}`).join("\n");
}

/**
 * README.txt of the package: Chinese, then English. Paragraphs are single lines (editors and terminals wrap
 * them); the commands are the lines that start with "    $ ".
 */
export function evidenceReadme(f: ReadmeFacts): string {
  const F = f.manifestSeq;
  const S = f.checkpointSeq;
  const steps = verificationSteps(f);
  const n = steps.length;

  const zh = `======== 中文 ========

一、本证据包是什么

本证据包由双录中心（hub）生成，供在不使用本系统任何软件的情况下独立核验：${f.mediaPath} 正是录制 ${f.recordingId} 提交时中心封存的清单（manifest.json）所描述的录音录像文件；该清单是中心审计哈希链的第 ${F} 条；中心已于 ${f.checkpointAt} 用其 Ed25519 签名密钥（编号 ${f.keyId}）对直到第 ${S} 条的哈希链签名（检查点）。

核验只需要 unzip、sha256sum、openssl（3.0 或以上版本）和标准 shell 文本工具（sed、grep、cut、head、seq、test），例如在 Linux 或 Windows 的 WSL 中。

二、文件

${fileTable([
  [EVIDENCE_README_FILE, "本说明（UTF-8，中文在前，英文在后）"],
  ["verify.sh", `依次执行下文第 1–${n} 步的命令（仅为方便；本说明可独立使用）`],
  [f.mediaPath, `录音录像文件（解密后的原文件，${f.mediaSize} 字节）`],
  ["manifest.json", "中心封存的清单（规范 JSON，无结尾换行）；其中 media.sha256 是录像文件的 SHA-256"],
  [
    "chain/<n>.json",
    `哈希链第 n 条（n = ${F}…${S}）被哈希的原文（规范 JSON，无结尾换行），其 SHA-256 即该条的哈希；每条的 "prevHash" 是前一条的哈希；第 ${F} 条是本录制的清单条目`,
  ],
  ["SHA256SUMS", "录像文件和每条链原文应有的 SHA-256（sha256sum -c 格式）"],
  ["checkpoint.txt", "检查点原文 dual-record-checkpoint:v1:<序号>:<哈希>:<签名时间>（ASCII，无换行）"],
  ["checkpoint.sig", "中心对 checkpoint.txt 的 Ed25519 签名（64 字节二进制）"],
  ["public-key.pem", "中心签名密钥的公钥（Ed25519，SPKI PEM）"],
])}

三、核验步骤

先解压并进入解压目录（<证据包>.zip 是本证据包的文件名）：

    $ unzip <证据包>.zip -d evidence && cd evidence

再依次执行下列命令（sh verify.sh 执行完全相同的命令）。每条命令在检查通过时打印 OK 或所述内容，退出码为 0；任何一步失败，本证据包即不能证明上述结论，请记录失败的步骤。

${stepsText(steps, "zh")}

结论：${n} 步全部成功，即证明 ${f.mediaPath} 正是中心封存于哈希链第 ${F} 条的清单所描述的文件，且中心已于 ${f.checkpointAt} 用密钥 ${f.keyId} 对该链（至第 ${S} 条）签名。`;

  const en = `======== English ========

1. What this package is

The dual-recording hub made this package so that anyone can check, without any of its software, that ${f.mediaPath} is exactly the media described by the manifest (manifest.json) the hub sealed when recording ${f.recordingId} was submitted; that this manifest is entry ${F} of the hub's audit hash chain; and that the hub signed the chain up to entry ${S} (a checkpoint) at ${f.checkpointAt} with its Ed25519 signing key (id ${f.keyId}).

Checking needs only unzip, sha256sum, openssl (3.0 or later) and standard shell text tools (sed, grep, cut, head, seq, test), e.g. on Linux or in WSL on Windows.

2. Files

${fileTable([
  [EVIDENCE_README_FILE, "this text (UTF-8, Chinese first, then English)"],
  ["verify.sh", `runs the commands of steps 1-${n} below (a convenience; this text stands alone)`],
  [f.mediaPath, `the recording (the original file, decrypted, ${f.mediaSize} bytes)`],
  [
    "manifest.json",
    "the manifest the hub sealed (canonical JSON, no trailing newline); its media.sha256 is the SHA-256 of the media",
  ],
  [
    "chain/<n>.json",
    `the exact hashed payload of hash chain entry n (n = ${F}..${S}; canonical JSON, no trailing newline), whose SHA-256 is the entry's hash; each entry's "prevHash" is the hash of the one before; entry ${F} is this recording's manifest entry`,
  ],
  ["SHA256SUMS", "the SHA-256 the media and each chain payload must have (sha256sum -c format)"],
  [
    "checkpoint.txt",
    "the checkpoint text dual-record-checkpoint:v1:<seq>:<hash>:<signed at> (ASCII, no newline)",
  ],
  ["checkpoint.sig", "the hub's Ed25519 signature of checkpoint.txt (64 bytes, binary)"],
  ["public-key.pem", "the public half of the hub's signing key (Ed25519, SPKI PEM)"],
])}

3. How to verify

Unzip and enter the folder (<package>.zip is this package's file name):

    $ unzip <package>.zip -d evidence && cd evidence

Then run the commands below in order (sh verify.sh runs exactly the same commands). Each prints OK or what is described, and exits with status 0, when its check holds; if any step fails, the package does not prove the statement above: note which step failed.

${stepsText(steps, "en")}

Conclusion: when all ${n} steps succeed, ${f.mediaPath} is exactly the file described by the manifest the hub sealed as entry ${F} of its hash chain, and the hub signed that chain (up to entry ${S}) at ${f.checkpointAt} with key ${f.keyId}.`;

  return `双录证据包 / Dual-recording evidence package
录制 / Recording: ${f.recordingId}
生成时间 / Generated: ${f.generatedAt}

${zh}

${en}
`;
}

/** verify.sh: the README's commands, step by step, stopping at the first failure. */
export function verifyScript(f: ReadmeFacts): string {
  const steps = verificationSteps(f);
  const body = steps
    .map((s, i) =>
      [`echo "== Step ${i + 1}. ${s.en.title}"`, ...s.commands.map((c) => `${c} || fail ${i + 1}`)].join(
        "\n",
      ),
    )
    .join("\n");
  return `#!/bin/sh
# Runs the commands of README.txt, steps 1-${steps.length}, in this folder; stops at the first that fails.
cd "$(dirname "$0")" || exit 1
fail() { echo "FAILED: step $1 (see README.txt)"; exit 1; }
${body}
echo "ALL ${steps.length} STEPS PASSED: ${f.mediaPath} is the media of the manifest sealed in entry ${f.manifestSeq}, signed at entry ${f.checkpointSeq}."
`;
}
