import type { TransactionOutboxRow } from "../../db/entities";
import { OutboxWorker, REPUBLISH_AFTER_MS, type OutboxDeps } from "./outbox";
import { retryDelayMs, type TransactionStore } from "./transaction-store";

const T0 = new Date("2026-11-23T02:00:00.000Z");

function row(id: string, state: "pending" | "published" = "pending"): TransactionOutboxRow {
  return {
    id,
    txnId: `T-${id}`,
    event: "notified",
    state,
    attempts: 0,
    nextAttemptAt: T0.toISOString(),
    createdAt: T0.toISOString(),
    publishedAt: null,
    lastError: null,
  };
}

/** The store's outbox in memory; processing removes a row, as the real one does in its transaction. */
function fakeStore(rows: TransactionOutboxRow[], recheck: string[] = [], failing: string[] = []) {
  const log: string[] = [];
  const sinceAsked: Date[] = [];
  let outbox = [...rows];
  const store = {
    async dueOutbox(limit: number, staleMs: number | null) {
      log.push(`due stale=${staleMs}`);
      return outbox.filter((r) => r.state === "pending" || staleMs !== null).slice(0, limit);
    },
    async processBatch(batch: TransactionOutboxRow[]) {
      const failed: Array<{ row: TransactionOutboxRow; err: unknown }> = [];
      for (const r of batch) {
        try {
          await store.processTransaction(r.txnId, r.id);
        } catch (err) {
          failed.push({ row: r, err });
        }
      }
      return failed;
    },
    async processTransaction(txnId: string, outboxId: string | null) {
      if (failing.includes(txnId)) throw new Error("database down");
      log.push(`process ${txnId} ${outboxId}`);
      outbox = outbox.filter((r) => r.id !== outboxId);
      return { txnId, bound: [], released: [], recordingStatus: null };
    },
    async markPublished(r: TransactionOutboxRow) {
      log.push(`published ${r.id}`);
      outbox = outbox.filter((x) => x.id !== r.id);
    },
    async markFailed(r: TransactionOutboxRow, err: unknown) {
      log.push(`failed ${r.id}: ${(err as Error).message}`);
      outbox = outbox.filter((x) => x.id !== r.id);
    },
    async purchasesToRecheck(since: Date) {
      sinceAsked.push(since);
      return recheck.splice(0);
    },
  };
  return { store: store as unknown as TransactionStore, log, sinceAsked };
}

function worker(store: TransactionStore, channel: OutboxDeps["channel"], now = () => T0) {
  return new OutboxWorker({ store, channel, now, log: () => undefined });
}

describe("OutboxWorker", () => {
  it("in one process: processes every due row (removing it), then re-checks purchases", async () => {
    const { store, log } = fakeStore([row("1"), row("2")], ["T-9"]);
    expect(await worker(store, null).pass()).toEqual({ processed: 2, published: 0, failed: 0, rechecked: 1 });
    expect(log).toEqual(["due stale=null", "process T-1 1", "process T-2 2", "process T-9 null"]);
  });

  it("keeps taking batches until the outbox is drained", async () => {
    const rows = Array.from({ length: 250 }, (_, i) => row(String(i)));
    const { store } = fakeStore(rows);
    expect((await worker(store, null).pass()).processed).toBe(250);
  });

  it("in a cluster: publishes each row to the channel and marks it published (stale ones again)", async () => {
    const { store, log } = fakeStore([row("1"), row("2", "published")]);
    const published: string[] = [];
    const channel = {
      ready: () => true,
      publish: async (r: TransactionOutboxRow) => void published.push(r.id),
    };
    expect(await worker(store, channel).pass()).toMatchObject({ published: 2, processed: 0 });
    expect(published).toEqual(["1", "2"]);
    expect(log).toContain(`due stale=${REPUBLISH_AFTER_MS}`);
    expect(log).toContain("published 1");
  });

  it("waits for the channel to connect before publishing, but still re-checks", async () => {
    const { store, log } = fakeStore([row("1")], ["T-9"]);
    const channel = { ready: () => false, publish: async () => undefined };
    expect(await worker(store, channel).pass()).toEqual({
      processed: 0,
      published: 0,
      failed: 0,
      rechecked: 1,
    });
    expect(log).toEqual(["process T-9 null"]);
  });

  it("marks a row that could not be handed on for a later try, and goes on with the next", async () => {
    const { store, log } = fakeStore([row("1"), row("2")], [], ["T-1"]);
    expect(await worker(store, null).pass()).toMatchObject({ processed: 1, failed: 1 });
    expect(log).toEqual(["due stale=null", "process T-2 2", "failed 1: database down"]);
    const channelDown = fakeStore([row("3")]);
    const channel = {
      ready: () => true,
      publish: async () => {
        throw new Error("no JetStream");
      },
    };
    expect(await worker(channelDown.store, channel).pass()).toMatchObject({ published: 0, failed: 1 });
    expect(channelDown.log).toContain("failed 3: no JetStream");
  });

  it("re-checks from a week back after a start, then from the previous pass", async () => {
    let now = T0;
    const { store, sinceAsked } = fakeStore([]);
    const w = worker(store, null, () => now);
    await w.pass();
    now = new Date(T0.getTime() + 1000);
    await w.pass();
    expect(sinceAsked.map((d) => d.toISOString())).toEqual(["2026-11-16T02:00:00.000Z", T0.toISOString()]);
  });

  it.each([
    [1, 1000],
    [2, 2000],
    [5, 16_000],
    [9, 256_000],
    [10, 300_000],
    [40, 300_000],
  ])("waits after %d failures: %d ms", (attempts, ms) => expect(retryDelayMs(attempts)).toBe(ms));
});
