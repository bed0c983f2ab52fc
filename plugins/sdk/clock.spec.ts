import { sleep, withDeadline } from "./clock";
import { LegacyTimeoutError } from "./errors";
import { FakeClock } from "./harness";

describe("withDeadline", () => {
  it("resolves with the work's result and clears its timer", async () => {
    const clock = new FakeClock();
    await expect(
      withDeadline(
        clock,
        1000,
        async () => 42,
        () => new Error("late"),
      ),
    ).resolves.toBe(42);
    expect(clock.pending).toBe(0);
  });

  it("rejects at the deadline with the given error and aborts the signal, even if the work ignores it", async () => {
    const clock = new FakeClock();
    let signal: AbortSignal | null = null;
    const pending = withDeadline(
      clock,
      5000,
      (s) => {
        signal = s;
        return new Promise(() => undefined);
      },
      () => new LegacyTimeoutError("no answer within 5000 ms"),
    );
    const outcome = pending.catch((e: unknown) => e);
    await clock.advance(4999);
    expect(signal!.aborted).toBe(false);
    await clock.advance(1);
    expect(await outcome).toBeInstanceOf(LegacyTimeoutError);
    expect(signal!.aborted).toBe(true);
  });

  it("passes the work's own error through", async () => {
    const clock = new FakeClock();
    await expect(
      withDeadline(
        clock,
        1000,
        async () => Promise.reject(new Error("boom")),
        () => new Error("late"),
      ),
    ).rejects.toThrow("boom");
  });
});

describe("FakeClock", () => {
  it("fires due timers in order as time advances, and only those", async () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push("b"), 20);
    clock.setTimeout(() => fired.push("a"), 10);
    const cancelled = clock.setTimeout(() => fired.push("x"), 15);
    clock.clearTimeout(cancelled);
    await clock.advance(15);
    expect(fired).toEqual(["a"]);
    expect(clock.now()).toBe(15);
    await clock.advance(5);
    expect(fired).toEqual(["a", "b"]);
  });

  it("drives sleep()", async () => {
    const clock = new FakeClock(0);
    let woke = false;
    void sleep(clock, 200).then(() => (woke = true));
    await clock.advance(199);
    expect(woke).toBe(false);
    await clock.advance(1);
    expect(woke).toBe(true);
  });
});
