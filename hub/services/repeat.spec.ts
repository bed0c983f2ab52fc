import { repeat } from "./repeat";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("repeat", () => {
  it("runs a pass now and then every interval", async () => {
    let passes = 0;
    const r = repeat(20, async () => {
      passes += 1;
    });
    expect(passes).toBe(1);
    await sleep(150);
    await r.stop();
    expect(passes).toBeGreaterThanOrEqual(3);
  });

  it("never runs two passes at once: a tick during a long pass is skipped", async () => {
    let running = 0;
    let most = 0;
    let passes = 0;
    const r = repeat(5, async () => {
      running += 1;
      most = Math.max(most, running);
      passes += 1;
      await sleep(40);
      running -= 1;
    });
    await sleep(130);
    await r.stop();
    expect(most).toBe(1);
    expect(passes).toBeGreaterThanOrEqual(2);
    expect(passes).toBeLessThanOrEqual(4);
  });

  it("waits with the first pass when asked to", async () => {
    let passes = 0;
    const r = repeat(
      1000,
      async () => {
        passes += 1;
      },
      { firstAfterMs: 30 },
    );
    expect(passes).toBe(0);
    await sleep(60);
    expect(passes).toBe(1);
    await r.stop();
  });

  it("stop waits for the pass under way and starts none after it", async () => {
    let finished = false;
    let passes = 0;
    const r = repeat(5, async () => {
      passes += 1;
      await sleep(30);
      finished = true;
    });
    await r.stop();
    expect(finished).toBe(true);
    const after = passes;
    await sleep(30);
    expect(passes).toBe(after);
  });

  it("keeps going after a pass that throws", async () => {
    let passes = 0;
    const r = repeat(10, async () => {
      passes += 1;
      throw new Error("boom");
    });
    await sleep(80);
    await r.stop();
    expect(passes).toBeGreaterThanOrEqual(3);
  });
});
