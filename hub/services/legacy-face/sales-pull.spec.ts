/**
 * The counter's list of sales as the legacy-face service pulls it, against the real counter SOAP simulator and a
 * migrated SQLite file: a day's pull shared for a minute, a failure never kept, rejected sales named.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseManifest, PluginHost } from "../../../plugins/sdk";
import { simulate, type SimulatedSystem } from "../../../test/simulators";
import { openDatabase, type Database } from "../../db/database";
import type { NormalizedNotice } from "../../domain/transaction-binding";
import { HubError } from "../../errors/hub-error";
import { SalesPuller, PULL_FRESH_MS } from "./sales-pull";

const DAY = "2026-03-02";

describe("SalesPuller (counter over SOAP)", () => {
  let counter: SimulatedSystem;
  let host: PluginHost;
  let db: Database;
  let dir: string;
  let now: number;
  let recorded: NormalizedNotice[];
  let refuse: (n: NormalizedNotice) => HubError | null;

  const puller = () =>
    new SalesPuller({
      host,
      db,
      now: () => new Date(now),
      today: () => "2026-03-03",
      log: () => undefined,
      async record(notice) {
        const refusal = refuse(notice);
        if (refusal) throw refusal;
        recorded.push(notice);
      },
    });

  beforeAll(async () => {
    counter = await simulate("counter", "soap");
    host = new PluginHost(
      {
        source: "list",
        plugins: [{ name: "counter", transport: "soap", settings: counter.settings }],
        capabilities: {},
      },
      { env: {}, retry: { attempts: 0, delayMs: 0 }, breaker: { failureThreshold: 100 } },
    );
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "sales-pull-"));
    db = await openDatabase({ type: "sqlite", file: path.join(dir, "hub.sqlite") });
    await db.migrate();
  });
  afterAll(async () => {
    await host?.close();
    await counter?.stop();
    await db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    now = Date.parse("2026-03-03T02:00:00Z");
    recorded = [];
    refuse = () => null;
  });

  it("stores the day's six sales as COUNTER notifications, with Beijing trade days", async () => {
    const result = await puller().pull(DAY);
    expect(result).toMatchObject({
      day: DAY,
      provider: "counter",
      listed: 6,
      stored: 6,
      known: 0,
      rejected: [],
    });
    expect(recorded.map((n) => [n.txnId, n.status, n.tradeDay, n.sourceSystem])).toContainEqual([
      "CT20260302310100003",
      "REVERSED",
      DAY,
      "COUNTER",
    ]);
    expect(new Set(recorded.map((n) => n.tradeDay))).toEqual(new Set([DAY]));
  });

  it("shares a day's pull for a minute, and pulls again when asked fresh or after it", async () => {
    const p = puller();
    const [a, b] = await Promise.all([p.pull(DAY), p.pull(DAY)]);
    expect(a).toBe(b);
    now += PULL_FRESH_MS - 1;
    expect(await p.pull(DAY)).toBe(a);
    expect(recorded).toHaveLength(6);
    await p.pull(DAY, true);
    expect(recorded).toHaveLength(12);
    now += PULL_FRESH_MS;
    await p.pull(DAY);
    expect(recorded).toHaveLength(18);
  });

  it("names each sale it could not store, with the code and field, and stores the others", async () => {
    refuse = (n) =>
      n.branchCode === "110100"
        ? new HubError("HUB_ORG_NOT_FOUND", `no org unit ${n.branchCode}`, { field: "code" })
        : null;
    const result = await puller().pull(DAY);
    expect(result.stored).toBe(4);
    expect(result.rejected.map((r) => [r.saleNo, r.code, r.field]).sort()).toEqual([
      ["CT20260302110100001", "HUB_ORG_NOT_FOUND", "code"],
      ["CT20260302110100002", "HUB_ORG_NOT_FOUND", "code"],
    ]);
  });

  it("reports a counter that cannot answer, keeps no failed pull, and reads it again once it is back", async () => {
    const p = puller();
    await counter.behave({ mode: "down" });
    try {
      const down = await p.status(DAY);
      expect(down).toMatchObject({ status: "unavailable" });
      expect((down as { code: string }).code).toMatch(/^HUB_LEGACY_/);
    } finally {
      await counter.behave({ mode: "up" });
    }
    expect(await p.status(DAY)).toMatchObject({ status: "ok", listed: 6, stored: 6 });
  });

  it("says not-configured without a counter plugin, and schedules nothing", async () => {
    const none = new PluginHost(parseManifest(""), { env: {} });
    const p = new SalesPuller({
      host: none,
      db,
      now: () => new Date(now),
      today: () => "2026-03-03",
      log: () => undefined,
      record: async () => undefined,
    });
    p.start(1000);
    expect(await p.status(DAY)).toEqual({ status: "not-configured" });
    await p.stop();
  });
});
