import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { PluginHost, type LegacyProduct } from "../../../plugins/sdk";
import { postgresForTests, simulate, type SimulatedSystem } from "../../../test/simulators";
import { editSqliteBank } from "../../../test/simulators/for-tests";
import { loadConfig, type DatabaseConfig } from "../../config";
import { openDatabase, type Database } from "../../db/database";
import {
  AuditEntryEntity,
  ProductEntity,
  RecordingEntity,
  SettingEntity,
  type ProductRow,
} from "../../db/entities";
import { openEvidenceStore, type EvidenceStore } from "../../storage";
import { appendEntries } from "../audit/chain-store";
import { sweepRetention, type SweepDeps } from "../retention/sweep";
import {
  affectsRetention,
  claimScheduledSync,
  FIRST_SYNC_SINCE,
  mergeLegacyProduct,
  nextWatermark,
  planAnswer,
  syncProducts,
  watermarkSetting,
  type ProductSyncDeps,
} from "./product-sync";

const NOW = "2026-11-24T02:00:00.000Z";

const legacy = (over: Partial<LegacyProduct> = {}): LegacyProduct => ({
  code: "FD000002",
  name: "稳健债券基金",
  type: "FUND",
  risk: "R2",
  issuer: "易方达基金管理有限公司",
  inceptionDate: "2018-09-10",
  maturityDate: null,
  termMonths: null,
  status: "ON_SALE",
  updatedOn: "2025-12-20",
  ...over,
});

const stored = (over: Partial<ProductRow> = {}): ProductRow => ({
  code: "FD000002",
  name: "稳健债券基金",
  type: "FUND",
  risk: "R2",
  issuer: "易方达基金管理有限公司",
  inceptionDate: "2018-09-10",
  maturityDate: null,
  termMonths: null,
  recordingRequired: false,
  features: "主要投资于债券。",
  risks: "利率风险、信用风险。",
  customerRights: "客户享有知情权。",
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  ...over,
});

describe("mapping a product of the system of record onto the catalog", () => {
  it("creates a new product with the hub's own fields empty (the type's 是否双录 default applies)", () => {
    const merge = mergeLegacyProduct(legacy(), null, NOW);
    expect(merge).toEqual({
      outcome: "created",
      changed: ["name", "type", "risk", "issuer", "inceptionDate", "maturityDate", "termMonths"],
      row: {
        ...stored({ recordingRequired: null, features: null, risks: null, customerRights: null }),
        createdAt: NOW,
        updatedAt: NOW,
      },
    });
  });

  it.each<[string, Partial<LegacyProduct>, string[]]>([
    ["a new name", { name: "稳健债券基金A" }, ["name"]],
    ["a higher risk", { risk: "R3" }, ["risk"]],
    ["a maturity date (no longer open-ended)", { maturityDate: "2030-12-31" }, ["maturityDate"]],
    ["an issuer removed", { issuer: null }, ["issuer"]],
    ["a type and term", { type: "INSURANCE", termMonths: 60 }, ["type", "termMonths"]],
  ])(
    "takes %s from the system of record and keeps the hub's 是否双录 and script texts",
    (_what, over, changed) => {
      const merge = mergeLegacyProduct(legacy(over), stored(), NOW);
      expect(merge.outcome).toBe("updated");
      if (merge.outcome !== "updated") return;
      expect(merge.changed).toEqual(changed);
      expect(merge.row).toMatchObject({
        recordingRequired: false,
        features: "主要投资于债券。",
        risks: "利率风险、信用风险。",
        customerRights: "客户享有知情权。",
        createdAt: "2026-01-01T00:00:00.000Z",
        updatedAt: NOW,
      });
    },
  );

  it("leaves a product the source has not changed as it is (sale status and updatedOn are not catalog fields)", () => {
    const merge = mergeLegacyProduct(legacy({ status: "SUSPENDED", updatedOn: "2026-11-01" }), stored(), NOW);
    expect(merge).toEqual({ outcome: "unchanged", row: stored(), changed: [] });
  });

  it.each<[string, Partial<LegacyProduct>, ProductRow | null, { field: string; reason: string }[]]>([
    [
      "a maturity before the inception",
      { maturityDate: "2017-01-01" },
      null,
      [{ field: "maturityDate", reason: "beforeInception" }],
    ],
    [
      "insurance without a term",
      { type: "INSURANCE" },
      stored(),
      [{ field: "termMonths", reason: "required" }],
    ],
    ["an unknown type", { type: "FUTURES" as never }, null, [{ field: "type", reason: "productType" }]],
    ["an unknown risk", { risk: "R9" as never }, null, [{ field: "risk", reason: "productRisk" }]],
    ["an empty name", { name: "" }, null, [{ field: "name", reason: "length" }]],
    ["an issuer too long", { issuer: "行".repeat(101) }, null, [{ field: "issuer", reason: "length" }]],
  ])("rejects %s, naming the product and the field", (_what, over, before, problems) => {
    const merge = mergeLegacyProduct(legacy(over), before, NOW);
    expect(merge.outcome).toBe("rejected");
    if (merge.outcome !== "rejected") return;
    expect(merge.problems).toEqual(
      problems.map((p) => ({ code: "FD000002", ...p, message: expect.any(String) })),
    );
  });

  it("recomputes retention for a new product and for a moved end date, term or type, not for a new name", () => {
    const affects = (over: Partial<LegacyProduct>, before: ProductRow | null = stored()) =>
      affectsRetention(mergeLegacyProduct(legacy(over), before, NOW));
    expect(affects({}, null)).toBe(true);
    expect(affects({ maturityDate: "2030-12-31" })).toBe(true);
    expect(affects({ type: "WEALTH" })).toBe(true);
    expect(affects({ type: "INSURANCE", termMonths: 12 })).toBe(true);
    expect(affects({ name: "新名称", risk: "R3", issuer: null, inceptionDate: "2018-09-11" })).toBe(false);
    expect(affects({})).toBe(false);
    expect(affects({ maturityDate: "2017-01-01" })).toBe(false);
  });

  it.each<[string, string, string[], string, string]>([
    [
      "the latest updatedOn of the answer",
      "1990-01-01",
      ["2025-12-20", "2026-03-01", "2026-02-15"],
      "2026-11-24",
      "2026-03-01",
    ],
    ["the same when nothing came back", "2026-03-01", [], "2026-11-24", "2026-03-01"],
    ["never backwards", "2026-03-01", ["2026-02-01"], "2026-11-24", "2026-03-01"],
    [
      "never beyond today (a product dated in the future)",
      "2026-03-01",
      ["2031-01-01"],
      "2026-11-24",
      "2026-11-24",
    ],
    [
      "never backwards, even behind a clock set back",
      "2026-11-30",
      ["2031-01-01"],
      "2026-11-24",
      "2026-11-30",
    ],
  ])("moves the watermark to %s", (_what, current, days, today, next) => {
    expect(
      nextWatermark(
        current,
        days.map((updatedOn) => ({ updatedOn })),
        today,
      ),
    ).toBe(next);
  });

  it("rejects a code given twice in one answer (the first one counts)", () => {
    const merges = planAnswer([legacy(), legacy({ name: "重复" })], new Map(), NOW);
    expect(merges.map((m) => m.merge.outcome)).toEqual(["created", "rejected"]);
    expect(merges[1].merge).toMatchObject({
      problems: [{ code: "FD000002", field: "code", reason: "duplicate" }],
    });
  });
});

/** A SQLite file; PostgreSQL too when it runs (HUB_TEST_PG=up; under CI=true it must). */
const PG = postgresForTests();
const backends: Array<["sqlite" | "postgres", boolean]> = [
  ["sqlite", true],
  ["postgres", PG !== null],
];

async function withPg<T>(work: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: PG! });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe.each(backends)(
  "catalog sync from the simulated fund and wealth systems, on %s",
  (backend, available) => {
    const describeIf = available ? describe : describe.skip;
    describeIf("", () => syncCases(backend));
  },
);

function syncCases(backend: "sqlite" | "postgres"): void {
  let dir: string;
  let db: Database;
  let fund: SimulatedSystem;
  let wealth: SimulatedSystem;
  let host: PluginHost;
  let store: EvidenceStore;
  let changed: string[];
  const clock = { now: new Date(NOW) };
  const schema = `catalog_sync_${crypto.randomBytes(4).toString("hex")}`;
  const config = (): DatabaseConfig =>
    backend === "sqlite"
      ? { type: "sqlite", file: path.join(dir, "hub.sqlite") }
      : { type: "postgres", url: `${PG}?options=${encodeURIComponent(`-c search_path=${schema}`)}` };

  const depsOf = (database: Database): ProductSyncDeps => ({
    db: database,
    plugins: host,
    now: () => clock.now,
    append: (drafts, alongside) =>
      appendEntries(database, drafts, {
        privateKey: null,
        checkpointEvery: 1000,
        now: () => clock.now,
        alongside,
      }),
    productChanged: (code) => changed.push(code),
  });

  /** The fund system's Oracle-shaped schema (a SQLite file behind the sql transport), changed as its staff would. */
  const fundSql = (sql: string) => editSqliteBank(fund.settings, "FUNDSALE", sql);
  const products = () => db.manager.getRepository(ProductEntity);
  const watermark = async (plugin: string) => {
    const row = await db.manager.getRepository(SettingEntity).findOneBy({ name: watermarkSetting(plugin) });
    return row ? (JSON.parse(row.value) as { since: string }).since : null;
  };
  const syncEntries = () =>
    db.manager
      .getRepository(AuditEntryEntity)
      .find({ where: { action: "product.sync" }, order: { seq: "ASC" } });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "catalog-sync-"));
    if (backend === "postgres") await withPg((c) => c.query(`CREATE SCHEMA ${schema}`));
    db = await openDatabase(config());
    await db.migrate();
    fund = await simulate("fund", "sql");
    wealth = await simulate("wealth", "soap");
    host = new PluginHost(
      {
        source: "list",
        plugins: [
          { name: "fund", transport: "sql", settings: fund.settings },
          { name: "wealth", transport: "soap", settings: wealth.settings },
        ],
        capabilities: {},
      },
      { env: {}, retry: { attempts: 0, delayMs: 0 } },
    );
    store = openEvidenceStore(loadConfig({ HUB_DATA_DIR: dir }), () => undefined);
    // The demo catalog's fund as head office keyed it in: wrong inception day and manager, its own texts.
    const at = "2026-01-01T00:00:00.000Z";
    await products().insert({
      code: "FD000001",
      name: "沪深300指数基金",
      type: "FUND",
      risk: "R4",
      issuer: null,
      inceptionDate: "2019-04-10",
      maturityDate: null,
      termMonths: null,
      recordingRequired: true,
      features: "跟踪沪深300指数。",
      risks: "股票市场波动可能造成较大亏损。",
      customerRights: "客户享有知情权。",
      createdAt: at,
      updatedAt: at,
    });
  });
  afterAll(async () => {
    await host?.close();
    await store?.close();
    await fund?.stop();
    await wealth?.stop();
    await db?.close();
    if (backend === "postgres") await withPg((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    changed = [];
  });

  it("creates and updates the products of every provider, keeping the hub's own fields, and audits each", async () => {
    const result = await syncProducts(depsOf(db));
    expect(result.providers).toEqual([
      {
        plugin: "fund",
        changedSince: FIRST_SYNC_SINCE,
        watermark: "2026-03-01",
        applied: 4,
        created: 3,
        updated: 1,
        unchanged: 0,
        rejected: [],
      },
      {
        plugin: "wealth",
        changedSince: FIRST_SYNC_SINCE,
        watermark: "2026-02-28",
        applied: 7,
        created: 7,
        updated: 0,
        unchanged: 0,
        rejected: [],
      },
    ]);
    expect(await products().count()).toBe(11);
    expect(await products().findOneBy({ code: "FD000001" })).toMatchObject({
      issuer: "华夏基金管理有限公司",
      inceptionDate: "2015-04-01",
      recordingRequired: true,
      features: "跟踪沪深300指数。",
      updatedAt: NOW,
    });
    expect(await products().findOneBy({ code: "FD000004" })).toMatchObject({
      type: "FUND",
      maturityDate: "2024-01-17",
      recordingRequired: null,
      features: null,
      createdAt: NOW,
    });
    expect(await products().findOneBy({ code: "TR2026001" })).toMatchObject({
      type: "TRUST",
      risk: "R4",
      maturityDate: "2028-01-31",
    });
    expect(await watermark("fund")).toBe("2026-03-01");
    expect(await watermark("wealth")).toBe("2026-02-28");
    // New products: their recordings (if any were made before) are recomputed; FD000001's dates did not move.
    expect(changed.sort()).toEqual([
      "AM2026001",
      "EQ2026001",
      "FD000002",
      "FD000003",
      "FD000004",
      "OT2026001",
      "TR2026001",
      "WM2026001",
      "WM2026002",
      "WM2026003",
    ]);
    const entries = await syncEntries();
    const edit = entries.find((e) => e.target === "product:FD000001")!;
    expect(edit).toMatchObject({ actor: "system:catalog", role: "system", result: "ok" });
    expect(JSON.parse(edit.details!)).toMatchObject({
      plugin: "fund",
      before: { inceptionDate: "2019-04-10", issuer: null },
      after: { inceptionDate: "2015-04-01", issuer: "华夏基金管理有限公司", features: "跟踪沪深300指数。" },
    });
    expect(entries.filter((e) => e.target?.startsWith("product:"))).toHaveLength(11);
    expect(
      entries
        .filter((e) => e.target?.startsWith("plugin:"))
        .map((e) => e.target)
        .sort(),
    ).toEqual(["plugin:fund", "plugin:wealth"]);
  });

  it("asks each provider again from its watermark (inclusively) and changes nothing the second time", async () => {
    const before = (await syncEntries()).length;
    const wealthAsked = wealth.simulator.received.length;
    const result = await syncProducts(depsOf(db));
    expect(
      result.providers.map((p) => [p.plugin, p.changedSince, p.applied, p.unchanged, p.created + p.updated]),
    ).toEqual([
      ["fund", "2026-03-01", 1, 1, 0],
      ["wealth", "2026-02-28", 1, 1, 0],
    ]);
    expect(wealth.simulator.received.slice(wealthAsked)).toEqual(["QueryProductList"]);
    expect((await syncEntries()).length).toBe(before);
    expect(changed).toEqual([]);
  });

  it("recomputes the retention of a product's recordings when the fund system moves its end date", async () => {
    const saleId = crypto.randomBytes(16).toString("hex");
    await db.manager.getRepository(RecordingEntity).insert({
      id: saleId,
      kind: "sale",
      status: "submitted",
      customerNo: "C000000001",
      productCode: "FD000002",
      relatedTo: null,
      orgCode: "310100",
      createdBy: "sh.pd.sales1",
      createdAt: NOW,
      wrappedKey: "v1:x:y",
      mediaStatus: "done",
      submittedAt: NOW,
      purchaseDate: "2026-06-01",
    });
    const sweepDeps: SweepDeps = {
      db,
      store,
      now: () => clock.now,
      append: (drafts, alongside) =>
        appendEntries(db, drafts, {
          privateKey: null,
          checkpointEvery: 1000,
          now: () => clock.now,
          alongside,
        }),
    };
    // What the retention service does on catalog.productChanged.
    const recompute = (code: string) =>
      sweepRetention(sweepDeps, { asOf: "2026-11-24", mode: "recompute", scope: { productCode: code } });
    await recompute("FD000002");
    expect(await db.manager.getRepository(RecordingEntity).findOneBy({ id: saleId })).toMatchObject({
      retainUntil: null,
      retentionRule: "HELD_UNTIL_REDEMPTION",
    });

    // 稳健债券基金 becomes a fund with a fixed end: the fund system records it on 2026-11-20.
    fundSql(
      "UPDATE T_FUND_INFO SET END_DATE = '2031-06-30', MODIFY_DATE = '2026-11-20' WHERE FUND_CODE = 'FD000002'",
    );
    const result = await syncProducts(depsOf(db));
    expect(result.providers[0]).toMatchObject({ plugin: "fund", updated: 1, watermark: "2026-11-20" });
    expect(changed).toEqual(["FD000002"]);
    for (const code of changed) await recompute(code);
    expect(await db.manager.getRepository(RecordingEntity).findOneBy({ id: saleId })).toMatchObject({
      retainUntil: "2033-06-30",
      retentionRule: "FIXED_TERM",
    });
  });

  it("rejects an invalid product with its code and field and applies the others", async () => {
    fundSql(`INSERT INTO T_FUND_INFO VALUES ('FD000009', '错期基金', 'R3', '某基金管理有限公司', '2026-05-01', '2026-01-01', '0', '2026-11-21');
             UPDATE T_FUND_INFO SET FUND_NAME = '沪深300指数增强基金', MODIFY_DATE = '2026-11-21' WHERE FUND_CODE = 'FD000001'`);
    const result = await syncProducts(depsOf(db));
    expect(result.providers[0]).toEqual({
      plugin: "fund",
      changedSince: "2026-11-20",
      watermark: "2026-11-21",
      // FD000002 again (changed on the watermark's day: asked inclusively), unchanged.
      applied: 2,
      created: 0,
      updated: 1,
      unchanged: 1,
      rejected: [
        {
          code: "FD000009",
          field: "maturityDate",
          reason: "beforeInception",
          message: "must not precede the inception date",
        },
      ],
    });
    expect(await products().findOneBy({ code: "FD000009" })).toBeNull();
    expect((await products().findOneBy({ code: "FD000001" }))!.name).toBe("沪深300指数增强基金");
    const batch = (await syncEntries()).filter((e) => e.target === "plugin:fund").pop()!;
    expect(JSON.parse(batch.details!)).toMatchObject({
      updated: 1,
      rejectedCount: 1,
      rejected: [{ code: "FD000009", field: "maturityDate" }],
    });
  });

  it("applies the fund system's changes while the wealth system is down, and keeps wealth's watermark", async () => {
    fundSql(
      "UPDATE T_FUND_INFO SET RISK_GRADE = 'R4', MODIFY_DATE = '2026-11-22' WHERE FUND_CODE = 'FD000003'",
    );
    await wealth.behave({ mode: "down" });
    try {
      const result = await syncProducts(depsOf(db));
      expect(result.providers[0]).toMatchObject({ plugin: "fund", updated: 1, watermark: "2026-11-22" });
      expect(result.providers[1]).toEqual({
        plugin: "wealth",
        changedSince: "2026-02-28",
        watermark: "2026-02-28",
        applied: 0,
        created: 0,
        updated: 0,
        unchanged: 0,
        rejected: [],
        error: {
          code: "HUB_LEGACY_UNAVAILABLE",
          message: "外部系统暂不可用，请稍后重试",
          detail: expect.any(String),
        },
      });
      expect((await products().findOneBy({ code: "FD000003" }))!.risk).toBe("R4");
      expect(await watermark("wealth")).toBe("2026-02-28");
    } finally {
      await wealth.behave({ mode: "up" });
    }
    const again = await syncProducts(depsOf(db));
    expect(again.providers[1]).toMatchObject({ plugin: "wealth", changedSince: "2026-02-28", applied: 1 });
    expect(again.providers[1].error).toBeUndefined();
  });

  it("applies a change once when two syncs run at the same time, and never moves a watermark back", async () => {
    // On PostgreSQL a second node with its own connections; SQLite runs one node (two runs: schedule and request).
    const other = backend === "postgres" ? await openDatabase(config()) : db;
    try {
      fundSql(
        "UPDATE T_FUND_INFO SET FUND_NAME = '安享三年定开债券基金（已到期）', MODIFY_DATE = '2026-11-23' WHERE FUND_CODE = 'FD000004'",
      );
      const before = (await syncEntries()).filter((e) => e.target === "product:FD000004").length;
      const results = await Promise.all([syncProducts(depsOf(db)), syncProducts(depsOf(other))]);
      const fundResults = results.map((r) => r.providers[0]);
      expect(fundResults.map((r) => r.error)).toEqual([undefined, undefined]);
      expect(fundResults.map((r) => r.updated).sort()).toEqual([0, 1]);
      expect((await syncEntries()).filter((e) => e.target === "product:FD000004").length).toBe(before + 1);
      expect(await watermark("fund")).toBe("2026-11-23");
    } finally {
      if (other !== db) await other.close();
    }
    // A run that read the watermark before another moved it cannot commit: it asks again from the new one.
    const seen = (await db.manager
      .getRepository(SettingEntity)
      .findOneBy({ name: watermarkSetting("fund") }))!;
    await db.manager
      .getRepository(SettingEntity)
      .update(
        { name: watermarkSetting("fund") },
        { value: JSON.stringify({ since: "2026-11-24", run: "another-node" }) },
      );
    const result = await syncProducts(depsOf(db));
    expect(result.providers[0]).toMatchObject({
      changedSince: "2026-11-24",
      watermark: "2026-11-24",
      applied: 0,
    });
    expect(await watermark("fund")).toBe("2026-11-24");
    await db.manager
      .getRepository(SettingEntity)
      .update({ name: watermarkSetting("fund") }, { value: seen.value });
  });

  it("claims the scheduled run on one node per interval", async () => {
    const t0 = new Date("2026-11-24T03:00:00.000Z");
    expect(await claimScheduledSync(db, t0, 3600)).toBe(true);
    expect(await claimScheduledSync(db, t0, 3600)).toBe(false);
    expect(await claimScheduledSync(db, new Date(t0.getTime() + 1_800_000), 3600)).toBe(false);
    const later = new Date(t0.getTime() + 3_600_000);
    expect(
      (await Promise.all([claimScheduledSync(db, later, 3600), claimScheduledSync(db, later, 3600)])).sort(),
    ).toEqual([false, true]);
  });

  it("asks nobody when no plugin provides products.list", async () => {
    const none = new PluginHost({ source: "none", plugins: [], capabilities: {} }, { env: {} });
    expect(await syncProducts({ ...depsOf(db), plugins: none })).toEqual({ providers: [] });
  });
}
