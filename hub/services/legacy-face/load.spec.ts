import type { ActionHandler, Context } from "moleculer";
import { LoadProbe } from "./load";

type Wrapper = { localAction(handler: ActionHandler): ActionHandler };

describe("LoadProbe", () => {
  let probe: LoadProbe;
  afterEach(() => probe.stop());

  it("counts the action calls running, also when they fail", async () => {
    probe = new LoadProbe({ lagMs: 1000, inFlight: 1 });
    const wrap = (probe.middleware() as unknown as Wrapper).localAction;
    const release: Array<() => void> = [];
    const slow = wrap(() => new Promise((resolve) => release.push(() => resolve("ok"))));
    const failing = wrap(async () => {
      throw new Error("no");
    });
    const ctx = {} as Context;

    const a = slow(ctx);
    const b = slow(ctx);
    expect(probe.inFlight).toBe(2);
    expect(probe.read()).toMatchObject({ busy: true, inFlight: 2 });
    release.shift()!();
    await a;
    expect(probe.read()).toMatchObject({ busy: false, inFlight: 1 });
    await expect(failing(ctx)).rejects.toThrow("no");
    expect(probe.inFlight).toBe(1);
    release.shift()!();
    await b;
    expect(probe.inFlight).toBe(0);
  });

  it("is busy when the event loop lagged beyond the limit since the last reading", async () => {
    probe = new LoadProbe({ lagMs: 20, inFlight: 100 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    probe.read();
    await new Promise((resolve) =>
      setTimeout(() => {
        // Block the loop, as a burst of work would.
        const until = Date.now() + 120;
        while (Date.now() < until);
        resolve(null);
      }, 20),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const reading = probe.read();
    expect(reading.busy).toBe(true);
    expect(reading.lagMs).toBeGreaterThan(20);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(probe.read().busy).toBe(false);
  });
});
