/**
 * Retention sweep benchmark: `npm run bench:retention`.
 *
 * Seeds 1 000 000 recordings (900 000 sales and 100 000 follow-up calls belonging to them) with the products,
 * redemptions and disputes of a bank's daily life, on embedded SQLite and on PostgreSQL, and runs the daily sweep
 * (hub/services/retention/sweep.ts) twice as of today. The first run has a day's work to do besides recomputing
 * every sale: 300 sales past retention go into the recycle bin, 300 that have been in it 40 days are destroyed
 * (tombstones in the chain), 300 whose product's end date changed and 200 whose holding was redeemed are
 * recomputed, and 100 under a new dispute are held — each through the evidence store's retention locks, written
 * durably on both replica roots. The second run must change nothing: the table, the audit chain and the locks are
 * hashed before and after it.
 *
 * The reference, measured in the same run on the same database, is a plain keyset scan of the same sales (the
 * columns the sweep needs, without its look-ups): the ratio says what the sweep adds to reading its input.
 * Goal: under 60 s per sweep. Exit code 1 when the second run changes anything or a run refuses anything.
 *
 * BENCH_RETENTION_ROWS changes the number of recordings; PostgreSQL is at DATABASE_URL_BENCH or
 * postgres://postgres@127.0.0.1:5432/bench_retention (created afresh).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { loadConfig } from "../hub/config";
import type { Database } from "../hub/db/database";
import { ProductEntity } from "../hub/db/entities";
import { businessDay } from "../hub/domain/business-day";
import { computeRetention, type RetentionProduct } from "../hub/domain/retention";
import { DEFAULT_RETENTION_POLICY } from "../hub/domain/retention-policy";
import { openRuntime } from "../hub/hub";
import type { HubRuntime } from "../hub/runtime";
import { openEvidenceStore } from "../hub/storage";
import { FilesystemBackend } from "../hub/storage/replica-backend";
import { addDays } from "../hub/storage/retention-lock";
import { sweepDeps } from "../hub/services/retention/retention.service";
import { lockToken, sweepRetention, type SweepResult } from "../hub/services/retention/sweep";

const ROWS = Number(process.env.BENCH_RETENTION_ROWS ?? 1_000_000);
const GOAL_SECONDS = 60;
const SALES = Math.round(ROWS * 0.9);
const CALLS = ROWS - SALES;
const TODAY = businessDay(new Date());
const EXPIRING = 300;
const TO_PURGE = 300;
const STALE = 300;
const REDEEMED = 200;
const DISPUTED = 100;
const SPECIAL = EXPIRING + TO_PURGE + STALE + REDEEMED + DISPUTED;
const PG_URL = process.env.DATABASE_URL_BENCH ?? "postgres://postgres@127.0.0.1:5432/bench_retention";

/** A small deterministic generator: the same data every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface ProductSeed extends RetentionProduct {
  code: string;
}

function products(): ProductSeed[] {
  const out: ProductSeed[] = [];
  for (let i = 0; i < 100; i++)
    out.push({
      code: `BWM${String(i).padStart(4, "0")}`,
      type: "WEALTH",
      maturityDate: `${2026 + (i % 5)}-${String(1 + (i % 12)).padStart(2, "0")}-28`,
      termMonths: null,
    });
  for (let i = 0; i < 100; i++)
    out.push({
      code: `BFD${String(i).padStart(4, "0")}`,
      type: "FUND",
      maturityDate: null,
      termMonths: null,
    });
  for (let i = 0; i < 50; i++)
    out.push({
      code: `BIN${String(i).padStart(4, "0")}`,
      type: "INSURANCE",
      maturityDate: null,
      termMonths: i % 2 ? 12 : 36,
    });
  for (let i = 0; i < 50; i++)
    out.push({
      code: `BTR${String(i).padStart(4, "0")}`,
      type: "TRUST",
      maturityDate: `${2027 + (i % 4)}-06-30`,
      termMonths: null,
    });
  out.push({ code: "BEXPIRED", type: "WEALTH", maturityDate: "2020-01-01", termMonths: null });
  out.push({ code: "BMOVED", type: "WEALTH", maturityDate: "2027-06-30", termMonths: null });
  return out;
}

const COLUMNS = [
  "id",
  "kind",
  "status",
  "customer_no",
  "product_code",
  "related_to",
  "org_code",
  "created_by",
  "created_at",
  "wrapped_key",
  "original_object",
  "media_status",
  "submitted_at",
  "purchase_date",
  "retain_until",
  "retention_rule",
  "lock_synced",
  "recycled_on",
] as const;
type Row = (string | null)[];

interface Seeded {
  rows: number;
  /** Recordings whose store locks must exist before the sweep (as if written when they were submitted). */
  locks: { id: string; retainUntil: string | null; recycledOn: string | null }[];
  redemptions: { customerNo: string; productCode: string; redeemedOn: string }[];
  disputes: { recordingId: string; customerNo: string; productCode: string }[];
}

/** Generates the recordings in chunks and hands each to `write`. */
async function generate(write: (rows: Row[]) => Promise<void>): Promise<Seeded> {
  const random = prng(20261123);
  const all = products();
  const regular = all.filter((p) => p.code.startsWith("B") && p.code.length === 7);
  const seeded: Seeded = { rows: 0, locks: [], redemptions: [], disputes: [] };
  const policy = DEFAULT_RETENTION_POLICY;
  let chunk: Row[] = [];
  const push = async (row: Row) => {
    chunk.push(row);
    seeded.rows++;
    if (chunk.length >= 10_000) {
      await write(chunk);
      chunk = [];
    }
  };
  const hex = () => crypto.randomBytes(16).toString("hex");
  const key = "v1:0000000000000000:" + Buffer.alloc(60, 7).toString("base64");
  const created = "2024-01-01T02:00:00.000Z";
  let calls = 0;
  for (let i = 0; i < SALES; i++) {
    const id = hex();
    // The sales with work to do have customers of their own, so that no ordinary sale shares their holding.
    const customerNo =
      i < SPECIAL
        ? `S${String(i).padStart(9, "0")}`
        : `B${String(Math.floor(random() * 400_000)).padStart(9, "0")}`;
    const org = `3101${String(i % 50).padStart(2, "0")}`;
    let product: ProductSeed;
    let purchase: string;
    let status = "submitted";
    let retainUntil: string | null;
    let rule: string;
    let lockSynced: string | null;
    let recycledOn: string | null = null;
    if (i < EXPIRING + TO_PURGE) {
      product = all.find((p) => p.code === "BEXPIRED")!;
      purchase = "2018-05-02";
      retainUntil = "2022-01-01";
      rule = "FIXED_TERM";
      lockSynced = retainUntil;
      if (i >= EXPIRING) {
        status = "recycled";
        recycledOn = addDays(TODAY, -40);
      }
      seeded.locks.push({ id, retainUntil, recycledOn });
    } else if (i < EXPIRING + TO_PURGE + STALE) {
      // The product's maturity moved from 2026-06-30 to 2027-06-30 since the last sweep.
      product = all.find((p) => p.code === "BMOVED")!;
      purchase = "2025-07-01";
      retainUntil = "2028-06-30";
      rule = "FIXED_TERM";
      lockSynced = retainUntil;
    } else {
      product = regular[Math.floor(random() * regular.length)];
      if (i < SPECIAL)
        product = i < EXPIRING + TO_PURGE + STALE + REDEEMED ? regular[100 + (i % 100)] : product;
      purchase = `${2023 + Math.floor(random() * 3)}-${String(1 + Math.floor(random() * 12)).padStart(2, "0")}-${String(1 + Math.floor(random() * 28)).padStart(2, "0")}`;
      const r = computeRetention(
        { product, purchaseDate: purchase, fullRedemptionDate: null, disputes: [] },
        policy,
      );
      retainUntil = r.retainUntil;
      rule = r.rule;
      lockSynced = lockToken(retainUntil);
      if (i < EXPIRING + TO_PURGE + STALE + REDEEMED)
        seeded.redemptions.push({
          customerNo,
          productCode: product.code,
          redeemedOn: addDays(purchase, 200),
        });
      else if (i < SPECIAL) seeded.disputes.push({ recordingId: id, customerNo, productCode: product.code });
    }
    await push([
      id,
      "sale",
      status,
      customerNo,
      product.code,
      null,
      org,
      "bench.sales",
      created,
      key,
      hex(),
      "done",
      created,
      purchase,
      retainUntil,
      rule,
      lockSynced,
      recycledOn,
    ]);
    if (i >= SPECIAL && calls < CALLS && i % 9 === 0) {
      calls++;
      await push([
        hex(),
        "callback",
        status,
        customerNo,
        product.code,
        id,
        org,
        "bench.sales",
        created,
        key,
        hex(),
        "done",
        created,
        null,
        retainUntil,
        rule,
        lockSynced,
        null,
      ]);
    }
  }
  while (calls < CALLS) {
    // The rest of the follow-up calls belong to sales the loop above already wrote; none has work to do.
    calls++;
    await push([
      hex(),
      "callback",
      "submitted",
      "B000000000",
      "BWM0000",
      null,
      "310100",
      "bench.sales",
      created,
      key,
      hex(),
      "done",
      created,
      "2025-01-01",
      "2028-01-28",
      "FIXED_TERM",
      "2028-01-28",
      null,
    ]);
  }
  if (chunk.length) await write(chunk);
  return seeded;
}

async function seedSqlite(db: Database): Promise<Seeded> {
  interface Sqlite {
    prepare(sql: string): { run(params: Row): unknown };
    transaction(work: (rows: Row[]) => void): (rows: Row[]) => void;
  }
  const sqlite = (db.dataSource.driver as unknown as { databaseConnection: Sqlite }).databaseConnection;
  const insert = sqlite.prepare(
    `INSERT INTO recordings (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map(() => "?").join(", ")})`,
  );
  const many = sqlite.transaction((rows: Row[]) => {
    for (const row of rows) insert.run(row);
  });
  return generate(async (rows) => many(rows));
}

async function seedPostgres(): Promise<Seeded> {
  const client = new Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const casts = COLUMNS.map((_, i) => `$${i + 1}::text[]`).join(", ");
    const sql = `INSERT INTO recordings (${COLUMNS.join(", ")}) SELECT * FROM unnest(${casts})`;
    return await generate(async (rows) => {
      await client.query(
        sql,
        COLUMNS.map((_, c) => rows.map((r) => r[c])),
      );
    });
  } finally {
    await client.end();
  }
}

async function seedFacts(rt: HubRuntime, seeded: Seeded): Promise<void> {
  const now = new Date().toISOString();
  await rt.db.transaction(async (m) => {
    await m.getRepository(ProductEntity).save(
      products().map((p) => ({
        code: p.code,
        name: `基准产品${p.code}`,
        type: p.type,
        risk: "R2",
        issuer: null,
        inceptionDate: "2015-01-01",
        maturityDate: p.maturityDate,
        termMonths: p.termMonths,
        recordingRequired: null,
        features: null,
        risks: null,
        customerRights: null,
        createdAt: now,
        updatedAt: now,
      })),
      { chunk: 100 },
    );
    for (const r of seeded.redemptions)
      await rt.db.query(
        m,
        `INSERT INTO "redemptions" ("id", "customer_no", "product_code", "redeemed_on", "full_redemption", "source", "reference", "recorded_by", "recorded_at") VALUES (?, ?, ?, ?, ?, 'bench', NULL, 'bench', ?)`,
        [
          crypto.randomBytes(16).toString("hex"),
          r.customerNo,
          r.productCode,
          r.redeemedOn,
          rt.db.type === "postgres" ? true : 1,
          now,
        ],
      );
    for (const d of seeded.disputes)
      await rt.db.query(
        m,
        `INSERT INTO "disputes" ("id", "scope", "recording_id", "customer_no", "product_code", "org_code", "reason", "reference", "status", "opened_on", "opened_at", "opened_by") VALUES (?, 'recording', ?, ?, ?, '310100', '客户投诉', 'BENCH', 'open', ?, ?, 'bench')`,
        [crypto.randomBytes(16).toString("hex"), d.recordingId, d.customerNo, d.productCode, TODAY, now],
      );
  });
}

/** The store locks written when those recordings were submitted (and recycled), on both roots. */
async function seedLocks(rt: HubRuntime, seeded: Seeded): Promise<void> {
  for (const name of ["primary", "backup"] as const) {
    const root = name === "primary" ? rt.config.storePrimary : rt.config.storeBackup;
    const written = new FilesystemBackend(name, root, {
      clock: () => new Date(Date.now() - 400 * 86_400_000),
    });
    const binned = new FilesystemBackend(name, root, { clock: () => new Date(Date.now() - 40 * 86_400_000) });
    for (const lock of seeded.locks) {
      await written.updateLock(lock.id, { kind: "retain", retainUntil: lock.retainUntil });
      if (lock.recycledOn) await binned.updateLock(lock.id, { kind: "recycle" });
    }
  }
}

/** SHA-256 over what a sweep may change: every recording's state, the chain's length and head, every lock. */
async function digest(rt: HubRuntime): Promise<string> {
  const hash = crypto.createHash("sha256");
  let after = "";
  for (;;) {
    const rows = await rt.db.query<Record<string, unknown>>(
      rt.db.manager,
      `SELECT "id", "status", "retain_until", "retention_rule", "lock_synced", "recycled_on", "purged_on", "wrapped_key" FROM "recordings" WHERE "id" > ? ORDER BY "id" LIMIT 20000`,
      [after],
    );
    if (!rows.length) break;
    for (const r of rows) hash.update(JSON.stringify(Object.values(r)));
    after = rows[rows.length - 1].id as string;
  }
  const head = await rt.db.query(rt.db.manager, `SELECT "seq", "hash" FROM "audit_head"`);
  hash.update(JSON.stringify(head));
  for (const root of [rt.config.storePrimary, rt.config.storeBackup]) {
    const dir = path.join(root, "locks");
    for (const file of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [])
      hash.update(file).update(fs.readFileSync(path.join(dir, file)));
  }
  return hash.digest("hex");
}

/** The reference: the same sales read in the same batches, without the sweep's look-ups, rules and writes. */
async function plainScan(db: Database): Promise<{ ms: number; rows: number }> {
  const started = performance.now();
  let after = "";
  let rows = 0;
  for (;;) {
    const batch = await db.query<{ id: string }>(
      db.manager,
      `SELECT r."id", r."status", r."customer_no", r."product_code", r."purchase_date", r."retain_until", r."retention_rule", r."lock_synced", r."recycled_on"
         FROM "recordings" r WHERE r."related_to" IS NULL AND r."status" IN ('submitted', 'recycled') AND r."id" > ? ORDER BY r."id" LIMIT 5000`,
      [after],
    );
    if (!batch.length) break;
    rows += batch.length;
    after = batch[batch.length - 1].id;
  }
  return { ms: performance.now() - started, rows };
}

async function resetPostgres(): Promise<void> {
  const url = new URL(PG_URL);
  const name = url.pathname.slice(1);
  url.pathname = "/postgres";
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);
const rate = (n: number, ms: number) => Math.round(n / (ms / 1000)).toLocaleString("en-US");

function line(label: string, r: SweepResult): string {
  return (
    `${label}: ${seconds(r.ms)} s, ${rate(ROWS, r.ms)} recordings/s (${r.examined.toLocaleString("en-US")} sales): ` +
    `recomputed ${r.recomputed}, locked ${r.locked}, recycled ${r.recycled}, restored ${r.restored}, purged ${r.purged}, refused ${r.refused.length}`
  );
}

async function bench(kind: "sqlite" | "postgres"): Promise<boolean> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-retention-${kind}-`));
  if (kind === "postgres") await resetPostgres();
  const config = loadConfig({
    HUB_DATA_DIR: dataDir,
    DATABASE_URL: kind === "sqlite" ? `sqlite:${path.join(dataDir, "hub.sqlite")}` : PG_URL,
    HUB_DEMO: "off",
    LOG_LEVEL: "warn",
  });
  const rt = await openRuntime(config, () => new Date());
  rt.metrics.stop();
  const store = openEvidenceStore(config, (alarm) => console.error("alarm", alarm));
  let ok = true;
  try {
    const seedStart = performance.now();
    const seeded = kind === "sqlite" ? await seedSqlite(rt.db) : await seedPostgres();
    await seedFacts(rt, seeded);
    await seedLocks(rt, seeded);
    if (kind === "postgres") await rt.db.manager.query("ANALYZE");
    console.log(
      `\n${kind}: seeded ${seeded.rows.toLocaleString("en-US")} recordings in ${seconds(performance.now() - seedStart)} s`,
    );

    const reference = await plainScan(rt.db);
    console.log(
      `  reference (plain keyset scan of the ${reference.rows.toLocaleString("en-US")} sales): ${seconds(reference.ms)} s, ${rate(ROWS, reference.ms)} recordings/s`,
    );

    const deps = sweepDeps(rt, store);
    const progress = (p: { examined: number }) => {
      if (p.examined % 100_000 === 0)
        process.stderr.write(`  … ${p.examined.toLocaleString("en-US")} sales\n`);
    };
    const first = await sweepRetention(deps, { asOf: TODAY, onProgress: progress });
    console.log(`  ${line("first sweep ", first)}  — ${(first.ms / reference.ms).toFixed(2)}× the scan`);
    const expected = { recycled: EXPIRING, purged: TO_PURGE, recomputed: STALE + REDEEMED + DISPUTED };
    for (const [k, v] of Object.entries(expected)) {
      if ((first as unknown as Record<string, number>)[k] !== v) {
        console.error(
          `  FAIL: first sweep ${k} = ${(first as unknown as Record<string, number>)[k]}, expected ${v}`,
        );
        ok = false;
      }
    }
    if (first.refused.length) {
      console.error(`  FAIL: refused ${JSON.stringify(first.refused.slice(0, 3))}`);
      ok = false;
    }

    const before = await digest(rt);
    const second = await sweepRetention(deps, { asOf: TODAY, onProgress: progress });
    const after = await digest(rt);
    console.log(`  ${line("second sweep", second)}  — ${(second.ms / reference.ms).toFixed(2)}× the scan`);
    const changed =
      second.recomputed +
      second.locked +
      second.recycled +
      second.restored +
      second.purged +
      second.refused.length;
    console.log(
      `  second sweep changed nothing: ${changed === 0 && before === after ? "yes" : "NO"} (state digest ${before.slice(0, 16)} → ${after.slice(0, 16)})`,
    );
    if (changed !== 0 || before !== after) ok = false;
    for (const [label, r] of [
      ["first", first],
      ["second", second],
    ] as const) {
      const within = r.ms / 1000 < GOAL_SECONDS;
      console.log(
        `  goal < ${GOAL_SECONDS} s, ${label} sweep: ${within ? "met" : "NOT met"} (${(r.ms / 1000 / GOAL_SECONDS).toFixed(2)}× the goal)`,
      );
      if (!within) ok = false;
    }
  } finally {
    await store.close();
    await rt.db.close();
    await rt.plugins.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return ok;
}

async function main(): Promise<void> {
  console.log(
    `retention sweep benchmark: ${ROWS.toLocaleString("en-US")} recordings (${SALES.toLocaleString("en-US")} sales), as of ${TODAY}; ${os.cpus().length} cores, Node ${process.version}`,
  );
  let ok = await bench("sqlite");
  ok = (await bench("postgres")) && ok;
  console.log(ok ? "\nall checks held" : "\nSOME CHECKS FAILED");
  process.exit(ok ? 0 : 1);
}

void main();
