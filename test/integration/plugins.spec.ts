/**
 * The hub wired to the bank's systems through its plugins (issue 7): a real core-banking SOAP simulator answers
 * customers.lookup and risk.latestAssessment behind the hub's own catalog, a real counter SOAP simulator lists the
 * day's sales for reconciliation; each system down gives typed errors and an open circuit while the hub stays ready.
 */
import { simulate, type SimulatedSystem } from "../simulators";
import { manifestFile } from "../simulators/for-tests";
import { startHarness, type Harness } from "../support/hub-harness";
import { eventually, operationXml, postSoap, readAnswer, soapEnvelope } from "./soap-support";

jest.setTimeout(120_000);

const CORE_ONLY_ID = "11010819750930153X"; // 赵磊: known to core banking, not to the hub's catalog
const COUNTER = { username: "sys.counter", password: "Demo-Pass-2026!" };
const SALES_DAY = "2026-03-02";

describe("plugins wired into the hub (embedded SQLite, SOAP simulators)", () => {
  let core: SimulatedSystem;
  let counter: SimulatedSystem;
  let h: Harness;
  let hq: string;
  let sales: string;
  let manifest: ReturnType<typeof manifestFile>;

  beforeAll(async () => {
    core = await simulate("core-banking", "soap");
    counter = await simulate("counter", "soap");
    manifest = manifestFile([
      // One failure opens the circuit, and it stays open for the test's duration.
      { name: "core-banking", transport: "soap", settings: core.settings, breaker: { failureThreshold: 1 } },
      { name: "counter", transport: "soap", settings: counter.settings },
    ]);
    h = await startHarness("embedded-sqlite", { HUB_PLUGINS: manifest.file, HUB_SALES_PULL_INTERVAL: "0" });
    hq = await h.login("hq.admin");
    sales = await h.login("sh.pd.sales1");
    // The only assessments of C000000006 and C000000009 are those core banking holds (the demo catalog generated
    // some for the same numbers: the newest of all sources would win).
    await h.db.query(h.db.manager, 'DELETE FROM "risk_assessments" WHERE "customer_no" IN (?, ?)', [
      "C000000006",
      "C000000009",
    ]);
  });

  afterAll(async () => {
    await h?.stop();
    await core?.stop();
    await counter?.stop();
    manifest?.remove();
  });

  it("lists the plugins, their health and the capability order, for head office only", async () => {
    const res = await h.api("GET", "/api/v1/plugins", { token: hq });
    expect(res.status).toBe(200);
    expect(res.body.manifest).toBe("file");
    expect(res.body.plugins.map((p: { name: string }) => p.name)).toEqual(["core-banking", "counter"]);
    for (const p of res.body.plugins)
      expect(p.health).toMatchObject({ status: "up", breaker: { state: "closed" } });
    expect(res.body.capabilities["customers.lookup"]).toEqual(["core-banking"]);
    expect(res.body.capabilities["sales.listByDay"]).toEqual(["counter"]);
    expect(res.body.capabilities["crm.pushActivity"]).toEqual([]);
    expect(res.body.outbox).toMatchObject({ pending: 0, failed: 0 });
    expect((await h.api("GET", "/api/v1/plugins", { token: sales })).status).toBe(403);
  });

  it("finds a customer only core banking knows, masked like any other", async () => {
    const res = await h.api("GET", `/api/v1/customers/lookup?idNo=${CORE_ONLY_ID}`, { token: sales });
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(1);
    const [c] = res.body.items;
    expect(c).toMatchObject({ customerNo: "C000000006", name: "赵磊", idNumber: "1101**********153X" });
    expect(c.assessment).toMatchObject({
      level: "C4",
      assessedAt: "2025-08-18",
      validUntil: "2026-08-17",
      source: "system",
      provider: "core-banking",
    });
  });

  it("matches a sale against the assessment core banking holds when the hub has none", async () => {
    const ok = await h.api(
      "GET",
      "/api/v1/risk/match?customerNo=C000000009&productCode=WM2026001&onDay=2026-11-20",
      {
        token: sales,
      },
    );
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ customerNo: "C000000009" });
    const customer = await h.api("GET", "/api/v1/customers/C000000009", { token: sales });
    expect(customer.body.assessment).toMatchObject({
      level: "C3",
      assessedAt: "2026-03-03",
      validUntil: "2027-03-02",
      provider: "core-banking",
    });
  });

  it("pulls the counter's sales of a day into reconciliation, each counted once", async () => {
    const first = await h.api("GET", `/api/v1/reconciliation?orgCode=000000&date=${SALES_DAY}`, {
      token: hq,
    });
    expect(first.status).toBe(200);
    expect(first.body.counter).toMatchObject({ status: "ok", provider: "counter", listed: 6, rejected: [] });
    // Six sales listed, one of them reversed (CT20260302310100003).
    expect(first.body).toMatchObject({ salesCount: 5, reversedCount: 1 });
    const outlets = Object.fromEntries(
      first.body.outlets.map((o: { branchCode: string; salesCount: number }) => [o.branchCode, o.salesCount]),
    );
    expect(outlets).toEqual({ "110100": 2, "310100": 3 });

    // The counter notifies one of them afterwards, with the same facts: the same purchase, not a new one.
    const fields = {
      txnId: "CT20260302310100001",
      sourceSystem: "COUNTER",
      customerNo: "C000000001",
      productCode: "WM2026001",
      amount: "50000.00",
      branchCode: "310100",
      tellerId: "S1002",
      tradeTime: "2026-03-02T09:15:22+08:00",
      status: "SUCCESS",
    };
    const answer = await postSoap(h.url, soapEnvelope(operationXml("NotifyTransaction", fields), COUNTER));
    expect(answer.status).toBe(200);
    expect((await readAnswer(answer.text)).NotifyTransactionResponse.accepted).toBe("true");

    const soap = await postSoap(
      h.url,
      soapEnvelope(
        operationXml("GetDailyReconciliation", { branchCode: "310100", date: SALES_DAY }),
        COUNTER,
      ),
    );
    const counts = (await readAnswer(soap.text)).GetDailyReconciliationResponse;
    expect(counts.salesCount).toBe("3");
    const again = await h.api("GET", `/api/v1/reconciliation?orgCode=000000&date=${SALES_DAY}`, {
      token: hq,
    });
    expect(again.body).toMatchObject({ salesCount: 5, reversedCount: 1 });
    const stored = await h.db.query<{ n: number }>(
      h.db.manager,
      'SELECT COUNT(*) AS "n" FROM "transactions" WHERE "trade_date" = ?',
      [SALES_DAY],
    );
    expect(Number(stored[0].n)).toBe(6);
  });

  it("with core banking down: typed errors, an open circuit, local customers still served, the hub ready", async () => {
    await core.behave({ mode: "down" });
    const unknown = await h.api("GET", `/api/v1/customers/lookup?idNo=${CORE_ONLY_ID}`, { token: sales });
    expect(unknown.status).toBe(503);
    expect(unknown.body.error.code).toMatch(/^HUB_LEGACY_(UNAVAILABLE|CIRCUIT_OPEN)$/);

    // The hub's own customer with an assessment in force is still served; the answer says who could not be asked.
    const local = await h.api("GET", "/api/v1/customers/C000000001", { token: sales });
    expect(local.status).toBe(200);
    expect(local.body.assessment).toMatchObject({ level: "C3", valid: true });
    expect(local.body.unavailableSources).toEqual(["core-banking"]);

    // Without an assessment in force elsewhere, the match is refused rather than made on a possibly stale level.
    const match = await h.api("GET", "/api/v1/risk/match?customerNo=C000000009&productCode=WM2026001", {
      token: sales,
    });
    expect(match.status).toBe(503);

    const plugins = await h.api("GET", "/api/v1/plugins", { token: hq });
    const coreHealth = plugins.body.plugins.find((p: { name: string }) => p.name === "core-banking").health;
    expect(coreHealth.status).toBe("down");
    expect(coreHealth.breaker.state).toBe("open");
    expect((await h.api("GET", "/health/ready")).status).toBe(200);
    await core.behave({ mode: "up" });
  });

  it("with the counter down: reconciliation answers from the notifications and says the counter could not", async () => {
    await counter.behave({ mode: "down" });
    try {
      const res = await h.api("GET", "/api/v1/reconciliation?orgCode=000000&date=2026-03-03", { token: hq });
      expect(res.status).toBe(200);
      expect(res.body.counter).toMatchObject({ status: "unavailable" });
      expect(res.body.counter.code).toMatch(/^HUB_LEGACY_/);
      expect(res.body.salesCount).toBe(0);
    } finally {
      await counter.behave({ mode: "up" });
    }
  });
});

describe("the counter's sales pulled on schedule (HUB_SALES_PULL_INTERVAL)", () => {
  let counter: SimulatedSystem;
  let h: Harness;
  let manifest: ReturnType<typeof manifestFile>;

  beforeAll(async () => {
    counter = await simulate("counter", "soap");
    manifest = manifestFile([{ name: "counter", transport: "soap", settings: counter.settings }]);
    h = await startHarness("embedded-sqlite", { HUB_PLUGINS: manifest.file, HUB_SALES_PULL_INTERVAL: "1" });
    // The hub's today becomes 2026-03-03: each pass pulls yesterday (six sales) and today (two).
    h.clock.advance(Date.parse("2026-03-03T04:00:00Z") - h.clock.now().getTime());
  });

  afterAll(async () => {
    await h?.stop();
    await counter?.stop();
    manifest?.remove();
  });

  it("stores yesterday's and today's sales without anyone asking, each once", async () => {
    const countOf = async () =>
      (
        await h.db.query<{ day: string; n: number }>(
          h.db.manager,
          'SELECT "trade_date" AS "day", COUNT(*) AS "n" FROM "transactions" GROUP BY "trade_date" ORDER BY 1',
        )
      ).map((r) => [r.day, Number(r.n)]);
    await eventually(
      async () => ((await countOf()).length === 2 ? true : undefined),
      20_000,
      "both days pulled",
    );
    // A few more passes change nothing: the sales are known.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await countOf()).toEqual([
      ["2026-03-02", 6],
      ["2026-03-03", 2],
    ]);
    const notifiedBy = await h.db.query<{ notified_by: string }>(
      h.db.manager,
      'SELECT DISTINCT "notified_by" FROM "transactions"',
    );
    expect(notifiedBy.map((r) => r.notified_by)).toEqual(["plugin:counter"]);
  });
});
