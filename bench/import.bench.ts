/**
 * Batch import benchmark: `npm run bench:import`.
 *
 * Imports 100 000 customers and 100 000 products, each from a CSV and from an XLSX, through the real hub's HTTP
 * face on embedded SQLite (upload → job → done), and prints rows per second against the goal of under 30 s per
 * file. The reference, measured in the same run, is parsing and checking the same file in process without the hub
 * (`parseImport`): the ratio says what the upload, the job, encryption and the database add to that.
 *
 * Before each good file, the same file with one bad row at row 99 999 is imported: it must be refused with exactly
 * that one error and leave the database as it was. Exit code 1 when that does not hold or any import fails.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import ExcelJS from "exceljs";
import { loadConfig } from "../hub/config";
import { CustomerEntity, ProductEntity } from "../hub/db/entities";
import { startHub, type Hub } from "../hub/hub";
import { COLUMNS, parseImport, type ImportKind } from "../hub/imports";
import { idCardCheckCharacter } from "../hub/imports/id-card";

const DEMO_PASSWORD = "Bench-Pass-2026!";
const GOAL_SECONDS = 30;
const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 100_000);
const BAD_ROW = ROWS - 1; // spreadsheet row: the header is row 1, so this is the second-to-last data row
const TODAY = new Date().toISOString().slice(0, 10);

const CUSTOMER_HEADER = COLUMNS.customers.map((c) => c.zh);
const PRODUCT_HEADER = COLUMNS.products.map((c) => c.zh);
const TYPES = ["理财", "基金", "信托", "资管", "权益投资", "保险", "其他"];

function idCard(i: number): string {
  const born = new Date(Date.UTC(1950, 0, 1) + Math.floor(i / 1000) * 86_400_000).toISOString().slice(0, 10);
  const first17 = `310101${born.replace(/-/g, "")}${String(i % 1000).padStart(3, "0")}`;
  return first17 + idCardCheckCharacter(first17);
}

function customerRow(prefix: string, i: number): string[] {
  const id = idCard(i);
  const birth = `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
  const assessed = `2026-0${1 + (i % 9)}-1${i % 10}`;
  return [
    `${prefix}${String(i).padStart(9, "0")}`,
    `客户${i}`,
    "身份证",
    id,
    `138${String(i).padStart(8, "0")}`,
    birth,
    `C${1 + (i % 5)}`,
    assessed,
    "",
  ];
}

function productRow(prefix: string, i: number): string[] {
  const type = TYPES[i % TYPES.length];
  const openEnded = i % 3 === 0 && type !== "保险";
  return [
    `${prefix}${String(i).padStart(8, "0")}`,
    `${type}产品${i}号`,
    type,
    `R${1 + (i % 5)}`,
    "示例资产管理有限公司",
    "2025-01-15",
    openEnded ? "" : "2027-01-14",
    type === "保险" ? "36" : "12",
    i % 2 ? "是" : "否",
  ];
}

function rowsOf(kind: ImportKind, prefix: string, badAt: number | null): string[][] {
  const rows: string[][] = [];
  for (let i = 0; i < ROWS; i++)
    rows.push(kind === "customers" ? customerRow(prefix, i) : productRow(prefix, i));
  // Data row k is spreadsheet row k + 2.
  if (badAt !== null) rows[badAt - 2][kind === "customers" ? 6 : 3] = kind === "customers" ? "C9" : "R9";
  return rows;
}

function csv(header: string[], rows: string[][]): Buffer {
  const bom = "\uFEFF";
  return Buffer.from(bom + [header, ...rows].map((r) => r.join(",")).join("\r\n") + "\r\n", "utf8");
}

async function xlsx(header: string[], rows: string[][], file: string): Promise<Buffer> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    filename: file,
    useStyles: false,
    useSharedStrings: false,
  });
  const sheet = workbook.addWorksheet("Sheet1");
  sheet.addRow(header).commit();
  for (const row of rows) sheet.addRow(row).commit();
  await workbook.commit();
  return fs.readFileSync(file);
}

async function login(url: string, username: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: DEMO_PASSWORD }),
  });
  const body = (await res.json()) as { token: string };
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${JSON.stringify(body)}`);
  return body.token;
}

interface JobState {
  status: string;
  totalRows: number | null;
  processedRows: number;
  result?: { inserted: number; updated: number; unchanged: number };
  errors?: { row: number; column: string; code: string }[];
}

/**
 * Uploads, then follows the job to its end; returns the final state, the seconds from upload to end, and the
 * longest the event loop stalled meanwhile (the hub runs in this process: as long, it answered nobody else).
 */
async function importFile(url: string, token: string, kind: ImportKind, file: Buffer, name: string) {
  let stall = 0;
  let tick = Date.now();
  const watch = setInterval(() => {
    const now = Date.now();
    stall = Math.max(stall, now - tick - 10);
    tick = now;
  }, 10);
  const started = process.hrtime.bigint();
  const form = new FormData();
  form.append("file", new Blob([file]), name);
  const res = await fetch(`${url}/api/v1/imports/${kind}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  const body = (await res.json()) as JobState & {
    jobId: string;
    inserted: number;
    updated: number;
    unchanged: number;
    error?: { code: string; details: { jobId: string; errors: JobState["errors"] } };
  };
  // A file small enough to be imported while the request waits answers 200 or 422 instead of a job (BENCH_IMPORT_ROWS).
  let state: JobState & { jobId: string } =
    res.status === 422 && body.error?.code === "HUB_IMPORT_INVALID"
      ? {
          jobId: body.error.details.jobId,
          status: "invalid",
          totalRows: null,
          processedRows: 0,
          errors: body.error.details.errors,
        }
      : res.status === 200
        ? { ...body, result: { inserted: body.inserted, updated: body.updated, unchanged: body.unchanged } }
        : body;
  if (res.status !== 202 && res.status !== 200 && state.status !== "invalid")
    throw new Error(`upload ${name}: ${res.status} ${JSON.stringify(body)}`);
  const jobId = state.jobId;
  let lastShown = "";
  while (["queued", "reading", "writing"].includes(state.status)) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const poll = await getWithRetry(`${url}/api/v1/imports/${jobId}`, token);
    state = (await poll.json()) as JobState & { jobId: string };
    const shown = `  … ${name}: ${state.status} ${state.processedRows}/${state.totalRows ?? "?"}`;
    if (shown !== lastShown) process.stderr.write(`${shown}\n`);
    lastShown = shown;
  }
  clearInterval(watch);
  return { state, seconds: Number(process.hrtime.bigint() - started) / 1e9, stallMs: stall };
}

/** A GET, once more on a connection reset (an idle keep-alive socket closed by the server as it was reused). */
async function getWithRetry(url: string, token: string): Promise<Response> {
  try {
    return await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  } catch {
    return fetch(url, { headers: { authorization: `Bearer ${token}` } });
  }
}

async function parseSeconds(kind: ImportKind, file: Buffer, name: string): Promise<number> {
  const started = process.hrtime.bigint();
  const parsed = await parseImport(kind, file, { filename: name, today: TODAY });
  if (parsed.errors.length)
    throw new Error(`reference parse of ${name}: ${JSON.stringify(parsed.errors.slice(0, 3))}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function main() {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-import-"));
  let hub: Hub | null = null;
  const problems: string[] = [];
  try {
    // Every file is built before the hub starts: building blocks this process, which the hub shares.
    const plans: { kind: ImportKind; format: "csv" | "xlsx"; prefix: string }[] = [
      { kind: "customers", format: "csv", prefix: "BC" },
      { kind: "customers", format: "xlsx", prefix: "BX" },
      { kind: "products", format: "csv", prefix: "BPC" },
      { kind: "products", format: "xlsx", prefix: "BPX" },
    ];
    const files = [];
    for (const plan of plans) {
      const header = plan.kind === "customers" ? CUSTOMER_HEADER : PRODUCT_HEADER;
      const name = `${plan.kind}-${ROWS}.${plan.format}`;
      process.stderr.write(`building ${name} and bad-${name} …\n`);
      const build = (bad: boolean) => {
        const rows = rowsOf(plan.kind, plan.prefix, bad ? BAD_ROW : null);
        return plan.format === "csv"
          ? Promise.resolve(csv(header, rows))
          : xlsx(header, rows, path.join(tmpDir, `${bad}-${name}`));
      };
      files.push({ ...plan, name, good: await build(false), bad: await build(true) });
    }
    const again = csv(CUSTOMER_HEADER, rowsOf("customers", "BC", null));

    hub = await startHub(
      loadConfig({
        HUB_DATA_DIR: path.join(tmpDir, "data"),
        PORT: "0",
        LOG_LEVEL: "warn",
        HUB_DEMO_PASSWORD: DEMO_PASSWORD,
      }),
    );
    const token = await login(hub.url!, "hq.admin");
    const count = (kind: ImportKind) =>
      hub!.db!.manager.getRepository(kind === "customers" ? CustomerEntity : ProductEntity).count();

    const lines: string[][] = [];
    for (const { kind, name, good, bad } of files) {
      const before = await count(kind);
      const refused = await importFile(hub.url!, token, kind, bad, `bad-${name}`);
      const errors = refused.state.errors ?? [];
      const refusedOk =
        refused.state.status === "invalid" &&
        errors.length === 1 &&
        errors[0].row === BAD_ROW &&
        (await count(kind)) === before;
      if (!refusedOk)
        problems.push(`${name} with a bad row at ${BAD_ROW}: ${JSON.stringify(refused.state).slice(0, 300)}`);

      const done = await importFile(hub.url!, token, kind, good, name);
      if (done.state.status !== "done" || done.state.result?.inserted !== ROWS) {
        problems.push(`${name}: ${JSON.stringify(done.state).slice(0, 300)}`);
      }
      const reference = await parseSeconds(kind, good, name);
      lines.push([
        name,
        (good.length / 1024 / 1024).toFixed(1),
        done.seconds.toFixed(2),
        Math.round(ROWS / done.seconds).toLocaleString("en"),
        done.seconds < GOAL_SECONDS ? "yes" : "NO",
        reference.toFixed(2),
        (done.seconds / reference).toFixed(2),
        String(done.stallMs),
        refusedOk ? `refused in ${refused.seconds.toFixed(2)} s, nothing imported` : "FAILED",
      ]);
    }

    // The daily case: the same customers again, every row unchanged.
    const reimport = await importFile(hub.url!, token, "customers", again, "again.csv");
    if (reimport.state.result?.unchanged !== ROWS)
      problems.push(`re-import: ${JSON.stringify(reimport.state).slice(0, 300)}`);

    const head = [
      "file",
      "MiB",
      "import s",
      "rows/s",
      `< ${GOAL_SECONDS} s`,
      "parse-only s",
      "import/parse",
      "max stall ms",
      `bad row at ${BAD_ROW}`,
    ];
    const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
    const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ");
    console.log("");
    console.log(fmt(head));
    console.log(fmt(widths.map((w) => "-".repeat(w))));
    for (const line of lines) console.log(fmt(line));
    console.log("");
    console.log(
      `re-import of customers-${ROWS}.csv: ${reimport.seconds.toFixed(2)} s, ${reimport.state.result?.unchanged ?? 0} unchanged ` +
        `(${Math.round(ROWS / reimport.seconds).toLocaleString("en")} rows/s)`,
    );
    console.log(`embedded SQLite, ${os.cpus().length} cores, Node ${process.version}`);
    if (problems.length) {
      console.log("\nFAILED:");
      for (const p of problems) console.log(`  ${p}`);
      process.exitCode = 1;
    }
  } finally {
    await hub?.stop();
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
