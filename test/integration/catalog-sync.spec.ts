import crypto from "node:crypto";
import { ProductEntity, RecordingEntity } from "../../hub/db/entities";
import { startHarness, type Harness } from "../support/hub-harness";
import { TusClient } from "../support/tus";
import { simulate, type SimulatedSystem } from "../simulators";
import { editSqliteBank, manifestFile } from "../simulators/for-tests";

/**
 * The catalog synced from the bank's systems over HTTP: a hub on embedded SQLite started with HUB_PLUGINS (a JSON
 * manifest pointing at the simulators: the fund system's Oracle-shaped views on SQLite, the wealth system's SOAP
 * service), POST /api/v1/products/sync, and the retention of a recording recomputed at once when the fund system
 * moves its product's end date.
 */
describe("catalog sync from products.list (embedded SQLite, HUB_PLUGINS)", () => {
  let h: Harness;
  let fund: SimulatedSystem;
  let wealth: SimulatedSystem;
  let manifest: ReturnType<typeof manifestFile>;
  const tokens = new Map<string, string>();
  const token = async (username: string) => {
    if (!tokens.has(username)) tokens.set(username, await h.login(username));
    return tokens.get(username)!;
  };
  const api = async (username: string, method: string, url: string, body?: unknown) =>
    h.api(method, url, { token: await token(username), body });
  const fundSql = (sql: string) => editSqliteBank(fund.settings, "FUNDSALE", sql);

  beforeAll(async () => {
    fund = await simulate("fund", "sql");
    wealth = await simulate("wealth", "soap");
    manifest = manifestFile([
      { name: "fund", transport: "sql", settings: fund.settings },
      { name: "wealth", transport: "soap", settings: wealth.settings },
    ]);
    h = await startHarness("embedded-sqlite", {
      HUB_PLUGINS: manifest.file,
      // Synced by the requests below only; swept by hand.
      HUB_CATALOG_SYNC_INTERVAL: "0",
      HUB_RETENTION_SWEEP_AT: "off",
    });
  });
  afterAll(async () => {
    await h?.stop();
    await fund?.stop();
    await wealth?.stop();
    manifest?.remove();
  });

  it("lets head office sync now, and nobody else", async () => {
    for (const user of ["sh.pd.sales1", "sh.admin"]) {
      const refused = await api(user, "POST", "/api/v1/products/sync");
      expect({ status: refused.status, code: refused.body?.error?.code }).toEqual({
        status: 403,
        code: "HUB_FORBIDDEN",
      });
    }
    const res = await api("hq.admin", "POST", "/api/v1/products/sync", {});
    expect(res.status).toBe(200);
    expect(res.body.providers).toEqual([
      expect.objectContaining({
        plugin: "fund",
        changedSince: "1990-01-01",
        watermark: "2026-03-01",
        applied: 4,
        rejected: [],
      }),
      expect.objectContaining({
        plugin: "wealth",
        changedSince: "1990-01-01",
        watermark: "2026-02-28",
        applied: 7,
        rejected: [],
      }),
    ]);
    expect(res.body.providers.map((p: { error?: unknown }) => p.error)).toEqual([undefined, undefined]);
    // The demo catalog's fund now carries the fund system's dates and manager; head office's texts are kept.
    const fd1 = await api("hq.admin", "GET", "/api/v1/products/FD000001");
    expect(fd1.body).toMatchObject({
      inceptionDate: "2015-04-01",
      issuer: "华夏基金管理有限公司",
      features: "跟踪沪深300指数。",
    });
    const created = await h.db.manager.getRepository(ProductEntity).findOneBy({ code: "FD000004" });
    expect(created).toMatchObject({ maturityDate: "2024-01-17", features: null });
    const trail = await api("hq.admin", "GET", "/api/v1/audit?action=product.sync&result=ok");
    expect(trail.status).toBe(200);
    const targets = trail.body.items.map((e: { target: string | null }) => e.target);
    expect(targets).toEqual(
      expect.arrayContaining([null, "plugin:fund", "plugin:wealth", "product:FD000001"]),
    );
  });

  it("recomputes a recording's retention at once when the fund system moves its product's end date", async () => {
    // A sale of 稳健债券基金 (open-ended): held until the customer redeems.
    const created = await api("sh.pd.sales1", "POST", "/api/v1/recordings", {
      customerNo: "C000000002",
      productCode: "FD000002",
      kind: "sale",
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const bytes = crypto.randomBytes(200_000);
    const tus = new TusClient(h.url, await token("sh.pd.sales1"));
    const upload = await tus.create(id, bytes.length, "video/webm");
    expect((await tus.patch(upload.uploadUrl!, 0, bytes)).status).toBe(204);
    const submitted = await api("sh.pd.sales1", "POST", `/api/v1/recordings/${id}/submit`, {
      startedAt: "2026-11-23T09:30:00.000Z",
      endedAt: "2026-11-23T09:40:00.000Z",
      steps: [{ code: "consent", at: 0 }],
      watermark: { text: "浦东支行 sh.pd.sales1" },
    });
    expect(submitted.status).toBe(200);
    await h.db.manager.getRepository(RecordingEntity).update({ id }, { purchaseDate: "2026-06-01" });
    const swept = await api("hq.admin", "POST", "/api/v1/retention/sweep", {});
    expect(swept.status).toBe(200);
    // Both systems asked whether 王芳 still holds it: neither knows the holding.
    expect(swept.body).toMatchObject({ holdingsAsked: 1, holdingsRedeemed: 0, holdingsUnavailable: 0 });
    const retention = async () => (await api("hq.admin", "GET", `/api/v1/recordings/${id}/retention`)).body;
    expect(await retention()).toMatchObject({ retainUntil: null, rule: "HELD_UNTIL_REDEMPTION" });

    fundSql(
      "UPDATE T_FUND_INFO SET END_DATE = '2031-06-30', MODIFY_DATE = '2026-11-20' WHERE FUND_CODE = 'FD000002'",
    );
    const synced = await api("hq.admin", "POST", "/api/v1/products/sync");
    expect(synced.body.providers[0]).toMatchObject({
      plugin: "fund",
      changedSince: "2026-03-01",
      updated: 1,
    });
    const deadline = Date.now() + 10_000;
    while ((await retention()).retainUntil === null && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await retention()).toMatchObject({ retainUntil: "2033-06-30", rule: "FIXED_TERM" });
  });

  it("applies what one system answers while the other is down, and says why the other failed", async () => {
    fundSql(
      "UPDATE T_FUND_INFO SET FUND_NAME = '科技成长混合基金A', MODIFY_DATE = '2026-11-21' WHERE FUND_CODE = 'FD000003'",
    );
    await wealth.behave({ mode: "down" });
    try {
      const res = await api("hq.admin", "POST", "/api/v1/products/sync");
      expect(res.status).toBe(200);
      expect(res.body.providers[0]).toMatchObject({ plugin: "fund", updated: 1, watermark: "2026-11-21" });
      expect(res.body.providers[1]).toMatchObject({
        plugin: "wealth",
        applied: 0,
        watermark: "2026-02-28",
        error: { code: "HUB_LEGACY_UNAVAILABLE", message: "外部系统暂不可用，请稍后重试" },
      });
    } finally {
      await wealth.behave({ mode: "up" });
    }
    expect((await api("hq.admin", "GET", "/api/v1/products/FD000003")).body.name).toBe("科技成长混合基金A");
  });
});
