import { ServiceBroker } from "moleculer";
import { HubMetrics } from "../../metrics/metrics";
import { auditMiddleware } from "./audit.middleware";
import "./audit-spec";

/** The middleware against a real (local) broker, with an audit service that can be made to fail. */
describe("audit middleware", () => {
  let broker: ServiceBroker;
  let metrics: HubMetrics;
  let failuresLeft = 0;
  const appended: any[] = [];
  const ownCommits: any[] = [];

  beforeEach(async () => {
    failuresLeft = 0;
    appended.length = 0;
    ownCommits.length = 0;
    metrics = new HubMetrics();
    broker = new ServiceBroker({
      logger: false,
      middlewares: [auditMiddleware(() => new Date("2026-11-23T10:00:00.000Z"), metrics)],
    });
    broker.createService({
      name: "audit",
      actions: {
        append(ctx) {
          if (failuresLeft-- > 0) throw new Error("disk busy");
          appended.push(ctx.params);
          return { seq: appended.length };
        },
      },
    });
    broker.createService({
      name: "things",
      actions: {
        read: {
          audit: { action: "thing.read", target: (p: any) => `thing:${p.id}` },
          handler: (ctx: any) => ({ id: ctx.params.id }),
        },
        enable: {
          audit: { action: (p: any) => (p.on ? "thing.enable" : "thing.disable") },
          handler: () => "done",
        },
        plain: { handler: () => "not audited" },
        // Commits its entry itself, with what it audits (as the SOAP face's NotifyTransaction does).
        store: {
          audit: { action: "thing.store", target: (p: any) => `thing:${p.id}` },
          handler: (ctx: any) => {
            const result = { id: ctx.params.id, stored: true };
            ownCommits.push(ctx.locals.auditDraft(result, { outcome: "new" }));
            if (ctx.params.fail) throw new Error("disk full");
            ctx.locals.auditCommitted = true;
            return result;
          },
        },
      },
    });
    await broker.start();
  });
  afterEach(async () => {
    await broker.stop();
    metrics.stop();
  });

  it("appends one entry per audited call, with who, what, result and when", async () => {
    const meta = {
      user: { username: "sh.admin", role: "branch_admin", orgCode: "310000" },
      clientIp: "10.1.2.3",
    };
    await broker.call("things.read", { id: "7" }, { meta });
    await broker.call("things.plain", {}, { meta });
    expect(appended).toEqual([
      {
        at: "2026-11-23T10:00:00.000Z",
        kind: "audit",
        actor: "sh.admin",
        role: "branch_admin",
        org: "310000",
        action: "thing.read",
        target: "thing:7",
        result: "ok",
        ip: "10.1.2.3",
        details: null,
      },
    ]);
  });

  it("names the action from the call when one action does two things", async () => {
    await broker.call("things.enable", { on: true });
    await broker.call("things.enable", { on: false });
    expect(appended.map((e) => e.action)).toEqual(["thing.enable", "thing.disable"]);
  });

  it("retries a failed append and then serves the call", async () => {
    failuresLeft = 2;
    await expect(broker.call("things.read", { id: "1" })).resolves.toEqual({ id: "1" });
    expect(appended).toHaveLength(1);
  });

  it("refuses the call with 503 when the entry cannot be written after 3 attempts", async () => {
    failuresLeft = 3;
    await expect(broker.call("things.read", { id: "1" })).rejects.toMatchObject({
      code: 503,
      type: "HUB_SERVICE_UNAVAILABLE",
    });
    expect(appended).toHaveLength(0);
    expect(metrics.auditFailures.family().samples[0].value).toBe(1);
  });

  it("writes nothing for a handler that committed its own entry, drafted exactly as the middleware would", async () => {
    const meta = {
      user: { username: "sys.counter", role: "system", orgCode: "000000" },
      clientIp: "10.1.2.4",
    };
    await expect(broker.call("things.store", { id: "9" }, { meta })).resolves.toEqual({
      id: "9",
      stored: true,
    });
    expect(appended).toEqual([]);
    expect(ownCommits).toEqual([
      {
        at: "2026-11-23T10:00:00.000Z",
        kind: "audit",
        actor: "sys.counter",
        role: "system",
        org: "000000",
        action: "thing.store",
        target: "thing:9",
        result: "ok",
        ip: "10.1.2.4",
        details: { outcome: "new" },
      },
    ]);
  });

  it("still audits the failure of a handler that drafted its entry but did not commit it", async () => {
    await expect(broker.call("things.store", { id: "9", fail: true })).rejects.toThrow("disk full");
    expect(appended).toEqual([
      expect.objectContaining({
        action: "thing.store",
        result: "failed",
        details: { error: "HUB_INTERNAL" },
      }),
    ]);
  });
});
