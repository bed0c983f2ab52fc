import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import type { EntityManager } from "typeorm";
import { PluginHost } from "../../../plugins/sdk";
import { postgresForTests, simulate, type SimulatedSystem } from "../../../test/simulators";
import { manifestFile } from "../../../test/simulators/for-tests";
import { loadConfig } from "../../config";
import { openDatabase, type Database } from "../../db/database";
import { AuditEntryEntity, ProductEntity, RecordingEntity, RedemptionEntity } from "../../db/entities";
import type { ChainEntry, EntryDraft } from "../../domain/audit-chain";
import { openRuntime } from "../../hub";
import type { HubRuntime } from "../../runtime";
import { openEvidenceStore, type EvidenceStore } from "../../storage";
import { appendEntries } from "../audit/chain-store";
import {
  askHoldings,
  HOLDINGS_ACTOR,
  holdingsToAsk,
  recordReportedRedemption,
  redemptionId,
} from "./holdings";
import { sweepDeps } from "./retention.service";
import { sweepRetention } from "./sweep";

const TODAY = "2026-11-24";

/**
 * The daily sweep asking the simulated fund and wealth systems (real node-soap servers, through HUB_PLUGINS) about
 * holdings held until redemption, on a real SQLite file. The fund system's data (test/simulators/sql/FUNDSALE.sql):
 * C000000001 fully redeemed 稳健债券基金 FD000002 on 2026-02-27 (FR202602270031); C000000002 holds FD000003. The
 * wealth system's: C000000003 fully redeemed 天天利 WM2026003 on 2026-02-10 (WR202602100088).
 */
describe("retention fed by holdings.fullRedemption", () => {
  let dir: string;
  let manifest: ReturnType<typeof manifestFile> | undefined;
  let fund: SimulatedSystem;
  let wealth: SimulatedSystem;
  let rt: HubRuntime;
  let db: Database;
  let store: EvidenceStore;
  let now = new Date(`${TODAY}T02:30:00.000Z`);
  const sales: Record<string, string> = {};

  const recordings = () => db.manager.getRepository(RecordingEntity);
  const redemptions = () => db.manager.getRepository(RedemptionEntity);
  const checks = () =>
    db.query<{
      customer_no: string;
      product_code: string;
      checked_at: string;
      outcome: string;
      provider: string | null;
    }>(
      db.manager,
      `SELECT "customer_no", "product_code", "checked_at", "outcome", "provider" FROM "holdings_checks"
        ORDER BY "customer_no", "product_code"`,
    );
  const sweep = () => sweepRetention(sweepDeps(rt, store), { asOf: TODAY });

  async function product(code: string, type: string, maturityDate: string | null = null) {
    await db.manager.getRepository(ProductEntity).insert({
      code,
      name: `产品${code}`,
      type,
      risk: "R2",
      issuer: null,
      inceptionDate: "2015-01-01",
      maturityDate,
      termMonths: null,
      recordingRequired: null,
      features: null,
      risks: null,
      customerRights: null,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    });
  }

  async function sale(customerNo: string, productCode: string, purchaseDate: string) {
    const id = crypto.randomBytes(16).toString("hex");
    await recordings().insert({
      id,
      kind: "sale",
      status: "submitted",
      customerNo,
      productCode,
      relatedTo: null,
      orgCode: "310100",
      createdBy: "sh.pd.sales1",
      createdAt: now.toISOString(),
      wrappedKey: "v1:x:y",
      mediaStatus: "done",
      submittedAt: now.toISOString(),
      purchaseDate,
    });
    sales[`${customerNo}/${productCode}`] = id;
    return id;
  }

  const retentionOf = async (holding: string) => {
    const row = (await recordings().findOneBy({ id: sales[holding] }))!;
    return { retainUntil: row.retainUntil, rule: row.retentionRule };
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "holdings-"));
    fund = await simulate("fund", "soap");
    wealth = await simulate("wealth", "soap");
    manifest = manifestFile([
      { name: "fund", transport: "soap", settings: fund.settings },
      { name: "wealth", transport: "soap", settings: wealth.settings },
    ]);
    const config = loadConfig({ HUB_DATA_DIR: dir, HUB_PLUGINS: manifest.file, LOG_LEVEL: "error" });
    rt = await openRuntime(config, () => now);
    db = rt.db;
    store = openEvidenceStore(
      config,
      () => undefined,
      () => now,
    );
    await product("FD000001", "FUND");
    await product("FD000002", "FUND");
    await product("FD000003", "FUND");
    await product("WM2026003", "WEALTH");
    await product("WM2026001", "WEALTH", "2027-01-04");
    // Bought long before the redemption: redemption + 2 years is the later date.
    await sale("C000000001", "FD000002", "2020-01-10");
    // Bought in 2025: purchase + 5 years is the later date.
    await sale("C000000003", "WM2026003", "2025-06-03");
    await sale("C000000002", "FD000003", "2026-03-02");
    await sale("C000000009", "FD000001", "2026-03-02");
    // A fixed-term product: never asked about.
    await sale("C000000001", "WM2026001", "2026-03-02");
  });
  afterAll(async () => {
    await store?.close();
    await rt?.db.close();
    await rt?.plugins.close();
    await fund?.stop();
    await wealth?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    manifest?.remove();
  });

  it("records the full redemptions the systems report and recomputes the same sweep with them", async () => {
    const result = await sweep();
    expect(result).toMatchObject({
      holdingsAsked: 4,
      holdingsRedeemed: 2,
      holdingsUnavailable: 0,
      holdingsFailed: 0,
      refused: [],
    });
    expect(await retentionOf("C000000001/FD000002")).toEqual({
      retainUntil: "2028-02-27",
      rule: "OPEN_ENDED",
    });
    expect(await retentionOf("C000000003/WM2026003")).toEqual({
      retainUntil: "2030-06-03",
      rule: "OPEN_ENDED",
    });
    expect(await retentionOf("C000000002/FD000003")).toEqual({
      retainUntil: null,
      rule: "HELD_UNTIL_REDEMPTION",
    });
    expect(await retentionOf("C000000009/FD000001")).toEqual({
      retainUntil: null,
      rule: "HELD_UNTIL_REDEMPTION",
    });

    const recorded = await redemptions().find({ order: { customerNo: "ASC" } });
    expect(recorded).toEqual([
      {
        id: redemptionId("fund", { customerNo: "C000000001", productCode: "FD000002" }, "2026-02-27"),
        customerNo: "C000000001",
        productCode: "FD000002",
        redeemedOn: "2026-02-27",
        fullRedemption: true,
        source: "fund",
        reference: "FR202602270031",
        recordedBy: HOLDINGS_ACTOR,
        recordedAt: now.toISOString(),
      },
      expect.objectContaining({ customerNo: "C000000003", source: "wealth", reference: "WR202602100088" }),
    ]);
    const audited = await db.manager
      .getRepository(AuditEntryEntity)
      .find({ where: { action: "redemption.record" }, order: { seq: "ASC" } });
    expect(audited.map((e) => [e.actor, e.target])).toEqual(
      expect.arrayContaining([
        [HOLDINGS_ACTOR, "holding:C000000001/FD000002"],
        [HOLDINGS_ACTOR, "holding:C000000003/WM2026003"],
      ]),
    );
    expect(await checks()).toEqual([
      expect.objectContaining({
        customer_no: "C000000001",
        product_code: "FD000002",
        outcome: "FULLY_REDEEMED",
        provider: "fund",
      }),
      expect.objectContaining({
        customer_no: "C000000002",
        product_code: "FD000003",
        outcome: "HELD",
        provider: "fund",
      }),
      expect.objectContaining({
        customer_no: "C000000003",
        product_code: "WM2026003",
        outcome: "FULLY_REDEEMED",
        provider: "wealth",
      }),
      expect.objectContaining({
        customer_no: "C000000009",
        product_code: "FD000001",
        outcome: "NOT_HELD",
        provider: "wealth",
      }),
    ]);
  });

  it("asks only about holdings still held the next day, and records nothing twice", async () => {
    now = new Date(now.getTime() + 60_000);
    const asked = fund.simulator.received.length;
    const result = await sweep();
    expect(result).toMatchObject({ holdingsAsked: 2, holdingsRedeemed: 0, recomputed: 0 });
    expect(fund.simulator.received.slice(asked)).toEqual(["QueryFundShare", "QueryFundShare"]);
    expect(await redemptions().count()).toBe(2);
    // The same report once more (another node's sweep): already recorded.
    expect(
      await recordReportedRedemption(
        sweepDeps(rt, store) as never,
        { customerNo: "C000000001", productCode: "FD000002" },
        {
          source: "fund",
          redeemedOn: "2026-02-27",
          reference: "FR202602270031",
        },
      ),
    ).toBe(false);
    expect(await redemptions().count()).toBe(2);
  });

  it("asks the holdings asked longest ago first when the batch is smaller than the work", async () => {
    now = new Date(now.getTime() + 60_000);
    await db.query(db.manager, `UPDATE "holdings_checks" SET "checked_at" = ? WHERE "customer_no" = ?`, [
      "2026-11-01T00:00:00.000Z",
      "C000000009",
    ]);
    const deps = { ...sweepDeps(rt, store), holdings: { plugins: rt.plugins, batch: 1 } };
    expect(await sweepRetention(deps, { asOf: TODAY })).toMatchObject({ holdingsAsked: 1 });
    const after = await checks();
    expect(after.find((c) => c.customer_no === "C000000009")!.checked_at).toBe(now.toISOString());
    expect(after.find((c) => c.customer_no === "C000000002")!.checked_at).not.toBe(now.toISOString());
  });

  it("counts a system that is down as unavailable, keeps the holding first in line, and the sweep goes on", async () => {
    const before = await checks();
    now = new Date(now.getTime() + 60_000);
    await fund.behave({ mode: "down" });
    try {
      const result = await sweep();
      // C000000002/FD000003: the fund system is down, wealth never held it — that settles nothing.
      expect(result).toMatchObject({
        holdingsAsked: 2,
        holdingsRedeemed: 0,
        holdingsUnavailable: 2,
        refused: [],
      });
      expect(await checks()).toEqual(before);
    } finally {
      await fund.behave({ mode: "up" });
    }
  });

  it("costs nothing without a provider of holdings.fullRedemption", async () => {
    const untouchable = new Proxy({} as Database, {
      get: () => {
        throw new Error("the database was read");
      },
    });
    const none = new PluginHost({ source: "none", plugins: [], capabilities: {} }, { env: {} });
    expect(
      await askHoldings({
        db: untouchable,
        plugins: none,
        batch: 1000,
        now: () => now,
        append: async () => [],
      }),
    ).toEqual({ holdingsAsked: 0, holdingsRedeemed: 0, holdingsUnavailable: 0, holdingsFailed: 0 });
    expect(
      await askHoldings({
        db: untouchable,
        plugins: rt.plugins,
        batch: 0,
        now: () => now,
        append: async () => [],
      }),
    ).toMatchObject({ holdingsAsked: 0 });
  });
});

const PG = postgresForTests();
(PG ? describe : describe.skip)("holdings asked about on PostgreSQL", () => {
  const schema = `holdings_${crypto.randomBytes(4).toString("hex")}`;
  let db: Database;
  const at = "2026-11-24T02:30:00.000Z";
  const withPg = async (sql: string) => {
    const client = new Client({ connectionString: PG! });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    await withPg(`CREATE SCHEMA ${schema}`);
    db = await openDatabase({
      type: "postgres",
      url: `${PG}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    });
    await db.migrate();
  });
  afterAll(async () => {
    await db?.close();
    await withPg(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  it("picks held holdings never asked first, and records a reported redemption once", async () => {
    for (const [id, customerNo, rule, checkedAt] of [
      ["a".repeat(32), "C1", "HELD_UNTIL_REDEMPTION", "2026-11-01T00:00:00.000Z"],
      ["b".repeat(32), "C2", "HELD_UNTIL_REDEMPTION", null],
      ["c".repeat(32), "C3", "FIXED_TERM", null],
    ] as const) {
      await db.manager.getRepository(RecordingEntity).insert({
        id,
        kind: "sale",
        status: "submitted",
        customerNo,
        productCode: "FD000002",
        relatedTo: null,
        orgCode: "310100",
        createdBy: "s",
        createdAt: at,
        wrappedKey: "v1:x:y",
        mediaStatus: "done",
        submittedAt: at,
        purchaseDate: "2020-01-10",
        retentionRule: rule,
      });
      if (checkedAt)
        await db.query(
          db.manager,
          `INSERT INTO "holdings_checks" ("customer_no", "product_code", "checked_at", "outcome", "provider") VALUES (?, ?, ?, ?, ?)`,
          [customerNo, "FD000002", checkedAt, "HELD", "fund"],
        );
    }
    expect(await holdingsToAsk(db, 1)).toEqual([{ customerNo: "C2", productCode: "FD000002" }]);
    expect(await holdingsToAsk(db, 10)).toEqual([
      { customerNo: "C2", productCode: "FD000002" },
      { customerNo: "C1", productCode: "FD000002" },
    ]);
    const deps = {
      db,
      now: () => new Date(at),
      append: (
        drafts: EntryDraft[],
        alongside: (m: EntityManager, e: readonly ChainEntry[]) => Promise<void>,
      ) =>
        appendEntries(db, drafts, {
          privateKey: null,
          checkpointEvery: 1000,
          now: () => new Date(at),
          alongside,
        }),
    };
    const report = { source: "fund", redeemedOn: "2026-02-27", reference: "FR202602270031" };
    const holding = { customerNo: "C1", productCode: "FD000002" };
    expect(
      await Promise.all([
        recordReportedRedemption(deps, holding, report),
        recordReportedRedemption(deps, holding, report),
      ]),
    ).toEqual(expect.arrayContaining([true, false]));
    expect(await db.manager.getRepository(RedemptionEntity).countBy({ customerNo: "C1" })).toBe(1);
  });
});
