import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  LegacyCircuitOpenError,
  LegacyFaultError,
  LegacyTimeoutError,
  LegacyUnavailableError,
} from "../../../plugins/sdk";
import { Client } from "pg";
import { postgresForTests } from "../../../test/simulators";
import type { DatabaseConfig } from "../../config";
import { openDatabase, type Database } from "../../db/database";
import { PluginOutboxEntity, type PluginOutboxRow } from "../../db/entities";
import { ValidationError } from "../../errors/hub-error";
import {
  afterFailure,
  DELIVERED_KEEP_DAYS,
  enqueuePluginCall,
  LEASE_MS,
  MAX_FAULTS,
  pluginOutboxStatus,
  PluginOutboxWorker,
  releasePluginCall,
  retryBackoffMs,
  withdrawPluginCall,
  type PluginOutboxDeps,
} from "./plugin-outbox";

const T0 = new Date("2026-11-23T02:00:00.000Z");
const CAP = "crm.pushActivity" as const;
const DAY = 86_400_000;

describe("plugin outbox rules", () => {
  it("backs off exponentially from 5 s, capped at 10 minutes", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map(retryBackoffMs)).toEqual([
      5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 600_000, 600_000,
    ]);
  });

  it.each([
    ["unavailable", new LegacyUnavailableError("connection refused")],
    ["timeout", new LegacyTimeoutError("no answer in 10000 ms")],
    ["open circuit", new LegacyCircuitOpenError("crm", T0.getTime() + 30_000)],
  ])("waits for an unreachable system (%s) for as long as it takes", (_what, err) => {
    const next = afterFailure({ attempts: 40, faults: MAX_FAULTS - 1 }, err, T0);
    expect(next).toMatchObject({ state: "pending", attempts: 41, faults: MAX_FAULTS - 1, unreachable: true });
    expect(next.nextAttemptAt).toBe(new Date(T0.getTime() + 600_000).toISOString());
    expect(next.lastError).toMatch(/^HUB_LEGACY_/);
  });

  it(`fails a call the system refused ${MAX_FAULTS} times, and keeps trying before that`, () => {
    const fault = new LegacyFaultError("客户C9不存在", { faultCode: "CRM404" });
    expect(afterFailure({ attempts: 0, faults: 0 }, fault, T0)).toMatchObject({
      state: "pending",
      attempts: 1,
      faults: 1,
      unreachable: false,
      nextAttemptAt: new Date(T0.getTime() + 5_000).toISOString(),
      lastError: "HUB_LEGACY_FAULT: 客户C9不存在",
    });
    expect(afterFailure({ attempts: 9, faults: MAX_FAULTS - 1 }, fault, T0)).toMatchObject({
      state: "failed",
      faults: MAX_FAULTS,
    });
    // A plugin's own bug counts as a refusal too.
    expect(afterFailure({ attempts: 0, faults: 0 }, new Error("boom"), T0)).toMatchObject({
      state: "pending",
      faults: 1,
    });
  });

  it("fails at once a request the plugin host finds invalid (it would be refused the same way again)", () => {
    const invalid = new ValidationError([{ field: "request.staffNo", code: "pattern", message: "bad" }]);
    expect(afterFailure({ attempts: 0, faults: 0 }, invalid, T0)).toMatchObject({
      state: "failed",
      faults: 1,
    });
  });
});

/** A SQLite file; PostgreSQL too when it runs (HUB_TEST_PG=up; under CI=true it must). */
const PG = postgresForTests();
const backends: Array<["sqlite" | "postgres", boolean]> = [
  ["sqlite", true],
  ["postgres", PG !== null],
];

describe.each(backends)("plugin outbox on %s", (backend, available) => {
  if (available) outboxCases(backend);
  else it.skip("needs PostgreSQL (HUB_TEST_PG=up)", () => undefined);
});

function outboxCases(backend: "sqlite" | "postgres"): void {
  let dir: string;
  let db: Database;
  let now: Date;
  const schema = `plugin_outbox_${crypto.randomBytes(4).toString("hex")}`;
  const config = (): DatabaseConfig =>
    backend === "sqlite"
      ? { type: "sqlite", file: path.join(dir, "hub.sqlite") }
      : { type: "postgres", url: `${PG}?options=${encodeURIComponent(`-c search_path=${schema}`)}` };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "plugin-outbox-"));
    if (backend === "postgres") await withPg((c) => c.query(`CREATE SCHEMA ${schema}`));
    db = await openDatabase(config());
    await db.migrate();
  });
  afterAll(async () => {
    await db?.close();
    if (backend === "postgres") await withPg((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    now = T0;
    await db.manager.getRepository(PluginOutboxEntity).clear();
  });

  const rows = () =>
    db.manager.getRepository(PluginOutboxEntity).find({ order: { createdAt: "ASC", dedupeKey: "ASC" } });
  const row = async (key: string) =>
    (await db.manager
      .getRepository(PluginOutboxEntity)
      .findOneByOrFail({ dedupeKey: key })) as PluginOutboxRow;
  const enqueue = (key: string, notBefore?: Date) =>
    db.transaction((m) =>
      enqueuePluginCall(m, { capability: CAP, dedupeKey: key, payload: { activityId: key }, notBefore }, now),
    );

  /** The CRM as the worker sees it: answers, or throws what `next` says for each call. */
  function crm(provides = true) {
    const calls: string[] = [];
    let behaviour: (key: string) => Promise<unknown> = async (key) => ({
      activityNo: `ACT-${key}`,
      duplicate: false,
      timelineUrl: null,
    });
    const plugins: PluginOutboxDeps["plugins"] = {
      has: (c) => provides && c === CAP,
      call: (async (_c: string, request: { activityId: string }) => {
        calls.push(request.activityId);
        return behaviour(request.activityId);
      }) as PluginOutboxDeps["plugins"]["call"],
    };
    return {
      plugins,
      calls,
      behave(b: (key: string) => Promise<unknown>) {
        behaviour = b;
      },
    };
  }

  const worker = (plugins: PluginOutboxDeps["plugins"], database = db) =>
    new PluginOutboxWorker({ db: database, plugins, now: () => now, log: () => undefined });

  it("writes a call once per dedupe key, and nothing when the caller's transaction rolls back", async () => {
    expect(await enqueue("RS-1")).toBe(true);
    expect(await enqueue("RS-1")).toBe(false);
    await expect(
      db.transaction(async (m) => {
        await enqueuePluginCall(m, { capability: CAP, dedupeKey: "RS-2", payload: {} }, now);
        throw new Error("the submit failed");
      }),
    ).rejects.toThrow("the submit failed");
    expect((await rows()).map((r) => r.dedupeKey)).toEqual(["RS-1"]);
    expect(await row("RS-1")).toMatchObject({
      state: "pending",
      attempts: 0,
      faults: 0,
      nextAttemptAt: T0.toISOString(),
      payload: '{"activityId":"RS-1"}',
    });
  });

  it("delivers due calls, keeps them as delivered with the answer, and leaves held ones until released", async () => {
    await enqueue("RS-1");
    await enqueue("RS-2", new Date(T0.getTime() + 300_000));
    const system = crm();
    expect(await worker(system.plugins).pass()).toMatchObject({ delivered: 1, retried: 0, failed: 0 });
    expect(system.calls).toEqual(["RS-1"]);
    expect(await row("RS-1")).toMatchObject({
      state: "delivered",
      attempts: 1,
      deliveredAt: T0.toISOString(),
      claimedUntil: null,
      claimedBy: null,
      result: JSON.stringify({ activityNo: "ACT-RS-1", duplicate: false, timelineUrl: null }),
    });
    expect((await row("RS-2")).state).toBe("pending");

    now = new Date(T0.getTime() + 1000);
    await db.transaction((m) => releasePluginCall(m, CAP, "RS-2", now));
    expect(await worker(system.plugins).pass()).toMatchObject({ delivered: 1 });
    expect(system.calls).toEqual(["RS-1", "RS-2"]);
  });

  it("drops a call whose cause was undone before it went out", async () => {
    await enqueue("RS-1", new Date(T0.getTime() + 300_000));
    await db.transaction((m) => withdrawPluginCall(m, CAP, "RS-1"));
    expect(await rows()).toEqual([]);
  });

  it("waits for a system that is down: backs off, stops the pass, delivers once it is back", async () => {
    for (const key of ["RB-1", "RB-2", "RB-3"]) await enqueue(key);
    const system = crm();
    system.behave(async () => {
      throw new LegacyUnavailableError("connect ECONNREFUSED 127.0.0.1:18086");
    });
    const w = worker(system.plugins);
    expect(await w.pass()).toMatchObject({ delivered: 0, retried: 1 });
    // The first refusal to connect ends the pass: the others are not hammered against a closed port.
    expect(system.calls).toEqual(["RB-1"]);
    expect(await row("RB-1")).toMatchObject({
      state: "pending",
      attempts: 1,
      faults: 0,
      nextAttemptAt: new Date(T0.getTime() + 5_000).toISOString(),
      claimedUntil: null,
    });
    expect((await row("RB-1")).lastError).toMatch(/HUB_LEGACY_UNAVAILABLE: connect ECONNREFUSED/);

    // Down for an hour: the calls keep waiting, none is given up.
    for (let i = 0; i < 60; i++) {
      now = new Date(now.getTime() + 60_000);
      await w.pass();
    }
    expect((await rows()).every((r) => r.state === "pending" && r.faults === 0)).toBe(true);

    system.behave(async (key) => ({ activityNo: `ACT-${key}`, duplicate: false, timelineUrl: null }));
    now = new Date(now.getTime() + 600_000);
    system.calls.length = 0;
    expect(await w.pass()).toMatchObject({ delivered: 3 });
    expect(system.calls.sort()).toEqual(["RB-1", "RB-2", "RB-3"]);
    expect(await w.pass()).toMatchObject({ delivered: 0 });
  });

  it(`keeps a call the system refused ${MAX_FAULTS} times as failed, with the last error`, async () => {
    await enqueue("RS-9");
    const system = crm();
    system.behave(async () => {
      throw new LegacyFaultError("客户C9不存在", { faultCode: "CRM404" });
    });
    const w = worker(system.plugins);
    for (let i = 1; i <= MAX_FAULTS; i++) {
      expect(await w.pass()).toMatchObject(i < MAX_FAULTS ? { retried: 1 } : { failed: 1 });
      now = new Date(now.getTime() + retryBackoffMs(i));
    }
    expect(await row("RS-9")).toMatchObject({
      state: "failed",
      attempts: MAX_FAULTS,
      faults: MAX_FAULTS,
      lastError: "HUB_LEGACY_FAULT: 客户C9不存在",
    });
    now = new Date(now.getTime() + DAY);
    expect(await w.pass()).toMatchObject({ delivered: 0, retried: 0, failed: 0 });
    expect(system.calls).toHaveLength(MAX_FAULTS);
  });

  it("leases a row: another node leaves it alone until the lease runs out, and a late answer changes nothing", async () => {
    await enqueue("RS-1");
    const other = await openDatabase(config());
    try {
      const slow = crm();
      let answer!: () => void;
      slow.behave(
        () =>
          new Promise((resolve) => {
            answer = () => resolve({ activityNo: "ACT-slow", duplicate: false, timelineUrl: null });
          }),
      );
      const first = worker(slow.plugins).pass();
      await waitFor(async () => (await row("RS-1")).claimedBy !== null);
      expect((await row("RS-1")).claimedUntil).toBe(new Date(T0.getTime() + LEASE_MS).toISOString());

      const fast = crm();
      const second = worker(fast.plugins, other);
      expect(await second.pass()).toMatchObject({ delivered: 0, skipped: 0 });
      expect(fast.calls).toEqual([]);

      // The first node went quiet past its lease: the second takes the row over and delivers it.
      now = new Date(T0.getTime() + LEASE_MS);
      expect(await second.pass()).toMatchObject({ delivered: 1 });
      expect(await row("RS-1")).toMatchObject({
        state: "delivered",
        result: expect.stringContaining("ACT-RS-1"),
      });

      answer();
      expect(await first).toMatchObject({ delivered: 0, skipped: 1 });
      // The first node's write found its lease gone: the row keeps the second node's delivery.
      expect(await row("RS-1")).toMatchObject({
        state: "delivered",
        result: expect.stringContaining("ACT-RS-1"),
      });
    } finally {
      await other.close();
    }
  });

  it("touches nothing of a capability no plugin of this node provides", async () => {
    await enqueue("RS-1");
    const none = crm(false);
    expect(await worker(none.plugins).pass()).toMatchObject({ delivered: 0, retried: 0, failed: 0 });
    expect(none.calls).toEqual([]);
    expect((await row("RS-1")).state).toBe("pending");
  });

  it(`deletes delivered calls after ${DELIVERED_KEEP_DAYS} days, never failed or pending ones`, async () => {
    for (const key of ["old", "recent", "refused", "waiting"]) await enqueue(key);
    const repo = db.manager.getRepository(PluginOutboxEntity);
    const ago = (days: number) => new Date(T0.getTime() - days * DAY).toISOString();
    await repo.update(
      { dedupeKey: "old" },
      { state: "delivered", deliveredAt: ago(DELIVERED_KEEP_DAYS + 1) },
    );
    await repo.update(
      { dedupeKey: "recent" },
      { state: "delivered", deliveredAt: ago(DELIVERED_KEEP_DAYS - 1) },
    );
    await repo.update({ dedupeKey: "refused" }, { state: "failed", createdAt: ago(400) });
    await repo.update({ dedupeKey: "waiting" }, { nextAttemptAt: ago(-1) });
    const w = worker(crm().plugins);
    expect(await w.pass()).toMatchObject({ purged: 1 });
    expect((await rows()).map((r) => r.dedupeKey).sort()).toEqual(["recent", "refused", "waiting"]);
  });

  it("tells operators what waits, what failed and how old the oldest wait is", async () => {
    expect(await pluginOutboxStatus(db, T0)).toEqual({
      pending: 0,
      failed: 0,
      delivered: 0,
      oldestPendingAt: null,
      oldestPendingAgeSeconds: null,
    });
    await enqueue("a");
    now = new Date(T0.getTime() + 60_000);
    await enqueue("b");
    await enqueue("c");
    const repo = db.manager.getRepository(PluginOutboxEntity);
    await repo.update({ dedupeKey: "b" }, { state: "failed" });
    await repo.update({ dedupeKey: "c" }, { state: "delivered", deliveredAt: now.toISOString() });
    expect(await pluginOutboxStatus(db, new Date(T0.getTime() + 90_000))).toEqual({
      pending: 1,
      failed: 1,
      delivered: 1,
      oldestPendingAt: T0.toISOString(),
      oldestPendingAgeSeconds: 90,
    });
  });
}

async function withPg(work: (client: Client) => Promise<unknown>): Promise<void> {
  const client = new Client({ connectionString: PG! });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

async function waitFor(probe: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > until) throw new Error("condition not reached");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
