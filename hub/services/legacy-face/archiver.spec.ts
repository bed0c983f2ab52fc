import type { RecordingArchiveRow } from "../../db/entities";
import { archiveBackoffMs, Archiver, type ArchiveQueue, type VerifyOutcome } from "./archiver";
import type { LoadReading } from "./load";

const T0 = new Date("2026-11-23T02:00:00.000Z");
const idle: LoadReading = { busy: false, lagMs: 1, inFlight: 0 };
const busy: LoadReading = { busy: true, lagMs: 120, inFlight: 9 };

function item(recordingId: string, attempts = 0): RecordingArchiveRow {
  return {
    recordingId,
    state: "pending",
    attempts,
    nextAttemptAt: T0.toISOString(),
    requestedAt: T0.toISOString(),
    archivedAt: null,
    lastError: null,
  };
}

/** The queue in memory, with what happened to each item. */
function memoryQueue(items: RecordingArchiveRow[], lostClaims: string[] = []) {
  const log: string[] = [];
  const queue: ArchiveQueue = {
    async due(now, limit) {
      return items
        .filter((i) => i.state === "pending" && i.nextAttemptAt <= now.toISOString())
        .slice(0, limit);
    },
    async claim(i) {
      log.push(`claim ${i.recordingId}`);
      return !lostClaims.includes(i.recordingId);
    },
    async archived(i) {
      i.state = "archived";
      log.push(`archived ${i.recordingId}`);
    },
    async retry(i, next, error) {
      i.attempts++;
      i.nextAttemptAt = next.toISOString();
      log.push(`retry ${i.recordingId} at ${next.toISOString()}: ${error}`);
    },
    async skip(i, error) {
      i.state = "skipped";
      log.push(`skip ${i.recordingId}: ${error}`);
    },
  };
  return { queue, log };
}

function archiver(
  queue: ArchiveQueue,
  loads: LoadReading[],
  verify: (id: string) => Promise<VerifyOutcome> = async () => ({ ok: true }),
) {
  const readings = [...loads];
  return new Archiver({
    queue,
    verify,
    load: () => readings.shift() ?? idle,
    now: () => T0,
    log: () => undefined,
  });
}

describe("Archiver", () => {
  it("archives due recordings one by one while the node is idle", async () => {
    const { queue, log } = memoryQueue([item("a"), item("b")]);
    expect(await archiver(queue, []).pass()).toEqual({
      archived: 2,
      retried: 0,
      skipped: 0,
      deferred: false,
    });
    expect(log).toEqual(["claim a", "archived a", "claim b", "archived b"]);
  });

  it("defers everything while the node is busy, and takes it up once idle", async () => {
    const { queue, log } = memoryQueue([item("a")]);
    expect(await archiver(queue, [busy]).pass()).toMatchObject({ archived: 0, deferred: true });
    expect(log).toEqual([]);
    expect(await archiver(queue, [idle]).pass()).toMatchObject({ archived: 1, deferred: false });
  });

  it("runs an item waiting longer than maxDeferMs even on a busy node (a node that is never idle)", async () => {
    const { queue, log } = memoryQueue([item("a")]);
    const make = (now: Date) =>
      new Archiver({
        queue,
        verify: async () => ({ ok: true }),
        load: () => busy,
        now: () => now,
        log: () => undefined,
        maxDeferMs: 60_000,
      });
    expect(await make(new Date(T0.getTime() + 59_999)).pass()).toMatchObject({ archived: 0, deferred: true });
    expect(log).toEqual([]);
    expect(await make(new Date(T0.getTime() + 60_000)).pass()).toMatchObject({
      archived: 1,
      deferred: false,
    });
  });

  it("stops in the middle of a pass when the node becomes busy", async () => {
    const { queue, log } = memoryQueue([item("a"), item("b"), item("c")]);
    expect(await archiver(queue, [idle, busy]).pass()).toMatchObject({ archived: 1, deferred: true });
    expect(log).toEqual(["claim a", "archived a"]);
  });

  it("retries a failed verification with backoff, and an error the same way", async () => {
    const { queue, log } = memoryQueue([item("a", 2), item("b")]);
    const verify = async (id: string): Promise<VerifyOutcome> => {
      if (id === "b") throw new Error("disk gone");
      return { ok: false, retry: true, error: "1 stored object(s) have no good copy" };
    };
    expect(await archiver(queue, [], verify).pass()).toMatchObject({ retried: 2 });
    expect(log).toEqual([
      "claim a",
      `retry a at ${new Date(T0.getTime() + archiveBackoffMs(3)).toISOString()}: 1 stored object(s) have no good copy`,
      "claim b",
      `retry b at ${new Date(T0.getTime() + archiveBackoffMs(1)).toISOString()}: disk gone`,
    ]);
  });

  it("skips a recording that can no longer be archived (recycled or destroyed)", async () => {
    const { queue, log } = memoryQueue([item("a")]);
    const verify = async (): Promise<VerifyOutcome> => ({
      ok: false,
      retry: false,
      error: "no submitted recording a",
    });
    expect(await archiver(queue, [], verify).pass()).toMatchObject({ skipped: 1 });
    expect(log).toEqual(["claim a", "skip a: no submitted recording a"]);
  });

  it("leaves an item another node claimed", async () => {
    const { queue, log } = memoryQueue([item("a"), item("b")], ["a"]);
    const verified: string[] = [];
    await archiver(queue, [], async (id) => (verified.push(id), { ok: true })).pass();
    expect(verified).toEqual(["b"]);
    expect(log).toEqual(["claim a", "claim b", "archived b"]);
  });

  it.each([
    [1, 10_000],
    [2, 20_000],
    [3, 40_000],
    [9, 2_560_000],
    [10, 3_600_000],
    [50, 3_600_000],
  ])("waits %d tries → %d ms", (attempts, ms) => expect(archiveBackoffMs(attempts)).toBe(ms));
});
