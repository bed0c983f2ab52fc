import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { postgresForTests } from "../../../test/simulators";
import type { DatabaseConfig } from "../../config";
import { openDatabase, type Database } from "../../db/database";
import { AuditEntryEntity, TransactionEntity, TransactionOutboxEntity } from "../../db/entities";
import type { EntryDraft } from "../../domain/audit-chain";
import {
  normalizeNotice,
  type NormalizedNotice,
  type TransactionNotice,
} from "../../domain/transaction-binding";
import type { AuditWriter } from "../audit/audit.service";
import { appendEntriesIn, verifyStoredChain } from "../audit/chain-store";
import { createTransactionStore, type StoredNotice } from "./transaction-store";

const NOW = new Date("2026-11-24T02:00:00.000Z");

function notice(txnId: string, over: Partial<TransactionNotice> = {}): NormalizedNotice {
  const checked = normalizeNotice({
    txnId,
    sourceSystem: "COUNTER",
    customerNo: "C000000001",
    productCode: "WM2026003",
    amount: "50000.00",
    branchCode: "310100",
    tellerId: "T0001",
    tradeTime: "2026-11-24T10:15:00+08:00",
    status: "SUCCESS",
    ...over,
  });
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  return checked.value;
}

/** The entry the audit middleware would draft for a NotifyTransaction call, with the stored answer. */
const draftOf =
  (txnId: string) =>
  ({ answer, outcome }: StoredNotice): EntryDraft => ({
    at: NOW.toISOString(),
    kind: "audit",
    actor: "sys.counter",
    role: "system",
    org: "000000",
    action: "transaction.notify",
    target: `txn:${txnId}`,
    result: "ok",
    ip: "127.0.0.1",
    details: { outcome, recordingStatus: answer.recordingStatus },
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

describe.each(backends)("notifications and their audit entries, one commit, on %s", (backend, available) => {
  const describeIf = available ? describe : describe.skip;
  describeIf("", () => storeCases(backend));
});

function storeCases(backend: "sqlite" | "postgres"): void {
  let dir: string;
  let db: Database;
  const keys = crypto.generateKeyPairSync("ed25519");
  const schema = `txn_store_${crypto.randomBytes(4).toString("hex")}`;
  const config = (): DatabaseConfig =>
    backend === "sqlite"
      ? { type: "sqlite", file: path.join(dir, "hub.sqlite") }
      : { type: "postgres", url: `${PG}?options=${encodeURIComponent(`-c search_path=${schema}`)}` };

  /** The real chain writer, which can be made to fail, counting what it reports as committed. */
  let failAudit = false;
  let committed = 0;
  const writer: AuditWriter = {
    async append(manager, drafts) {
      if (failAudit) throw new Error("audit table unavailable");
      return appendEntriesIn(db, manager, drafts, {
        privateKey: keys.privateKey,
        checkpointEvery: 1000,
        now: () => NOW,
      });
    },
    committed(entries) {
      committed += entries;
    },
  };

  const entries = () => db.manager.getRepository(AuditEntryEntity).find({ order: { seq: "ASC" } });
  const stored = (txnId: string) => db.manager.getRepository(TransactionEntity).findOneBy({ txnId });
  const outboxOf = (txnId: string) => db.manager.getRepository(TransactionOutboxEntity).findBy({ txnId });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "txn-store-"));
    if (backend === "postgres") await withPg((c) => c.query(`CREATE SCHEMA ${schema}`));
    db = await openDatabase(config());
    await db.migrate();
  });
  afterAll(async () => {
    await db?.close();
    if (backend === "postgres") await withPg((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    failAudit = false;
    committed = 0;
  });

  it("commits notifications arriving together with their audit entries, in call order, in one transaction", async () => {
    const store = createTransactionStore(db, () => NOW, writer);
    const before = (await entries()).length;
    const commits: string[] = [];
    const original = db.transaction.bind(db);
    const spy = jest.spyOn(db, "transaction").mockImplementation((work) => {
      commits.push("tx");
      return original(work);
    });
    try {
      const answers = await Promise.all(
        ["A-1", "A-2", "A-3"].map((id) => store.recordNotice(notice(id), true, "sys.counter", draftOf(id))),
      );
      expect(answers.map((a) => [a.outcome, a.audited, a.answer.recordingStatus])).toEqual([
        ["new", true, "MISSING"],
        ["new", true, "MISSING"],
        ["new", true, "MISSING"],
      ]);
    } finally {
      spy.mockRestore();
    }
    expect(commits).toHaveLength(1);
    const added = (await entries()).slice(before);
    expect(added.map((e) => [e.target, JSON.parse(e.details!)])).toEqual([
      ["txn:A-1", { outcome: "new", recordingStatus: "MISSING" }],
      ["txn:A-2", { outcome: "new", recordingStatus: "MISSING" }],
      ["txn:A-3", { outcome: "new", recordingStatus: "MISSING" }],
    ]);
    expect(committed).toBe(3);
    expect(await outboxOf("A-2")).toHaveLength(1);
    expect(await verifyStoredChain(db, keys.publicKey)).toMatchObject({ ok: true });
  });

  it("audits a repeat, and leaves a refused notification to the caller (no entry, nothing written)", async () => {
    const store = createTransactionStore(db, () => NOW, writer);
    await store.recordNotice(notice("B-1"), true, "sys.counter", draftOf("B-1"));
    const before = (await entries()).length;
    const [repeat, conflict, fresh] = await Promise.allSettled([
      store.recordNotice(notice("B-1"), true, "sys.counter", draftOf("B-1")),
      store.recordNotice(notice("B-1", { amount: "1.00" }), true, "sys.counter", draftOf("B-1")),
      store.recordNotice(notice("B-2"), false, "sys.counter", draftOf("B-2")),
    ]);
    expect(repeat).toMatchObject({ status: "fulfilled", value: { outcome: "repeat", audited: true } });
    expect(conflict).toMatchObject({
      status: "rejected",
      reason: { type: "HUB_TXN_CONFLICT", data: { reason: "CONTENT_DIFFERS" } },
    });
    expect(fresh).toMatchObject({
      status: "fulfilled",
      value: { outcome: "new", audited: true, answer: { recordingStatus: "NOT_REQUIRED" } },
    });
    const added = (await entries()).slice(before);
    expect(added.map((e) => [e.target, JSON.parse(e.details!).outcome])).toEqual([
      ["txn:B-1", "repeat"],
      ["txn:B-2", "new"],
    ]);
    expect((await stored("B-1"))?.amount).toMatch(/^50000(\.00)?$/);
  });

  it("stores nothing when the audit entry cannot be written: the call fails, the caller may repeat it", async () => {
    const store = createTransactionStore(db, () => NOW, writer);
    const before = (await entries()).length;
    failAudit = true;
    await expect(store.recordNotice(notice("C-1"), true, "sys.counter", draftOf("C-1"))).rejects.toThrow(
      "audit table unavailable",
    );
    expect(await stored("C-1")).toBeNull();
    expect(await outboxOf("C-1")).toHaveLength(0);
    expect(await entries()).toHaveLength(before);
    expect(committed).toBe(0);

    failAudit = false;
    await expect(
      store.recordNotice(notice("C-1"), true, "sys.counter", draftOf("C-1")),
    ).resolves.toMatchObject({ outcome: "new", audited: true });
    expect(await stored("C-1")).not.toBeNull();
    expect((await entries()).slice(before).map((e) => e.target)).toEqual(["txn:C-1"]);
  });

  it("writes no entry for a notification without a draft (a pulled sale), nor without a writer", async () => {
    const before = (await entries()).length;
    const withWriter = createTransactionStore(db, () => NOW, writer);
    await expect(withWriter.recordNotice(notice("D-1"), true, "plugin:counter")).resolves.toMatchObject({
      outcome: "new",
      audited: false,
    });
    const withoutWriter = createTransactionStore(db, () => NOW);
    await expect(
      withoutWriter.recordNotice(notice("D-2"), true, "sys.counter", draftOf("D-2")),
    ).resolves.toMatchObject({ outcome: "new", audited: false });
    expect(await entries()).toHaveLength(before);
    expect(await stored("D-1")).not.toBeNull();
    expect(await stored("D-2")).not.toBeNull();
  });
}
