import { createPublicKey } from "node:crypto";
import type { ServiceBroker } from "moleculer";
import { AuditEntryEntity, RecordingEntity } from "../../hub/db/entities";
import { ChainVerifier, canonicalJson, verifyCheckpoint } from "../../hub/domain/audit-chain";
import { businessDay } from "../../hub/domain/business-day";
import type { Actor } from "../../hub/services/actor";
import { scrubTargets } from "../../hub/services/recordings/scrubber";
import type { ApiResponse, Harness } from "../support/hub-harness";

const ID = /^[0-9a-f]{32}$/;
const HEX = (c: string) => c.repeat(64);

/**
 * Recordings through the HTTP face (create, read, list, submit) and, where HTTP does not reach yet, the internal
 * actions the gateway's tus, media and evidence endpoints call, through a broker of the harness (the gateway node
 * of a cluster, so that those calls cross NATS as the gateway's do). Runs inside the hub suite, on each topology.
 */
export function describeRecordings(
  harness: () => Harness,
  token: (username: string) => Promise<string>,
): void {
  const h = () => harness();
  /** The node that runs the gateway: in a cluster its calls cross the bus. */
  const broker = (): ServiceBroker => h().hubs[h().hubs.length - 1].broker;

  function expectError(res: ApiResponse, status: number, code: string) {
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  }

  const create = async (username: string, body: Record<string, unknown>) =>
    h().api("POST", "/api/v1/recordings", { token: await token(username), body });
  const get = async (username: string, id: string) =>
    h().api("GET", `/api/v1/recordings/${id}`, { token: await token(username) });
  const list = async (username: string, query: string) =>
    h().api("GET", `/api/v1/recordings?${query}`, { token: await token(username) });
  const submit = async (username: string, id: string, body: unknown) =>
    h().api("POST", `/api/v1/recordings/${id}/submit`, { token: await token(username), body });
  const count = () => h().db.manager.getRepository(RecordingEntity).count();

  const actors: Record<string, Actor> = {};
  async function actorFor(username: string): Promise<Actor> {
    if (!actors[username]) {
      const { exp: _exp, ...actor } = await broker().call<Actor & { exp: number }, { token: string }>(
        "access.authenticate",
        { token: await token(username) },
      );
      actors[username] = actor;
    }
    return actors[username];
  }

  /** An internal action as the gateway calls it: the authenticated user in meta. Errors come back as values. */
  async function call(
    username: string,
    action: string,
    params: Record<string, unknown>,
  ): Promise<{ value?: any; error?: { code: string; status: number; data: any; message: string } }> {
    try {
      const meta = { user: await actorFor(username), clientIp: "127.0.0.1" };
      return { value: await broker().call(action, params, { meta }) };
    } catch (err) {
      const e = err as { type: string; code: number; data: unknown; message: string };
      return { error: { code: e.type, status: e.code, data: e.data, message: e.message } };
    }
  }

  async function refused(username: string, action: string, params: Record<string, unknown>) {
    const res = await call(username, action, params);
    expect(res.value).toBeUndefined();
    return res.error!;
  }

  const sale = { customerNo: "C000000001", productCode: "AM2026001", kind: "sale" };
  const goodSubmit = {
    startedAt: "2026-11-23T17:30:00+08:00",
    endedAt: "2026-11-23T09:40:00.000Z",
    steps: [
      { code: "consent", at: 0 },
      { code: "staff-disclosure", at: 4_000 },
      { code: "risk-warning", at: 4_000 },
      { code: "confirmation", at: 590_000 },
    ],
    watermark: { text: "浦东支行 sh.pd.sales1", clock: "hub", position: "bottom-right" },
  };

  async function uploaded(username: string, body: Record<string, unknown> = sale, objectChar = "1") {
    const created = await create(username, body);
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const objectId = objectChar.repeat(32);
    expect(
      (
        await call(username, "recordings.uploadStarted", {
          recordingId: id,
          objectId,
          mediaType: "video/webm",
        })
      ).error,
    ).toBeUndefined();
    const facts = { size: 1_048_600, sha256: HEX("a"), storedSize: 1_048_664, storedSha256: HEX("b") };
    expect(
      (await call(username, "recordings.uploadCompleted", { recordingId: id, objectId, ...facts })).error,
    ).toBeUndefined();
    return { id, objectId, ...facts };
  }

  describe("recordings", () => {
    it("creates a draft of each kind for the caller's own outlet, many a day, never showing its key", async () => {
      const before = await count();
      const first = await create("sh.pd.sales1", sale);
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({
        id: expect.stringMatching(ID),
        status: "draft",
        kind: "sale",
        customerNo: "C000000001",
        productCode: "AM2026001",
        relatedTo: null,
        orgCode: "310100",
        createdBy: "sh.pd.sales1",
        upload: { url: "/api/v1/uploads", state: "none", uploadedAt: null },
        media: null,
        mediaStatus: "none",
        renditions: [],
        chain: null,
      });
      const again = await create("sh.pd.sales1", sale);
      expect(again.status).toBe(201);
      expect(again.body.id).not.toBe(first.body.id);

      for (const kind of ["supplement", "callback", "cctv", "scan"]) {
        const res = await create("sh.pd.sales1", { ...sale, kind, relatedTo: first.body.id });
        expect({ kind, status: res.status }).toEqual({ kind, status: 201 });
        expect(res.body).toMatchObject({ kind, relatedTo: first.body.id, status: "draft" });
      }
      const manager = await create("sh.pd.manager", { ...sale, kind: "callback" });
      expect(manager.body).toMatchObject({ orgCode: "310100", createdBy: "sh.pd.manager" });
      expect(await count()).toBe(before + 7);

      const row = await h().db.manager.getRepository(RecordingEntity).findOneByOrFail({ id: first.body.id });
      expect(row.wrappedKey).toMatch(/^v1:[0-9a-f]{16}:[A-Za-z0-9+/=]{80}$/);
      expect(first.text).not.toContain(row.wrappedKey.split(":")[2]);
      expect(first.text).not.toMatch(/wrappedKey/);
      const gotten = await get("sh.pd.sales1", first.body.id);
      expect(gotten.text).not.toMatch(/wrappedKey|v1:/);

      const trail = await h().api(
        "GET",
        `/api/v1/audit?action=recording.create&target=recording:${first.body.id}`,
        {
          token: await token("hq.auditor"),
        },
      );
      expect(trail.body.items).toEqual([
        expect.objectContaining({
          actor: "sh.pd.sales1",
          result: "ok",
          details: expect.objectContaining({ kind: "sale", riskMatch: "HUB_RISK_MATCH_OK" }),
        }),
      ]);
    });

    it("refuses a sale the customer may not buy with the risk match's code, and writes nothing", async () => {
      const before = await count();
      const refusedSale = async (customerNo: string, productCode: string, code: string) => {
        const res = await create("sh.pd.sales1", { customerNo, productCode, kind: "sale" });
        expectError(res, 409, code);
        return res;
      };
      const mismatch = await refusedSale("C000000001", "FD000001", "HUB_RISK_MISMATCH");
      expect(mismatch.body.error.details).toMatchObject({ customerLevel: "C3", productRisk: "R4" });
      await refusedSale("C000000004", "WM2026003", "HUB_RISK_ASSESSMENT_EXPIRED");
      await refusedSale("C000000005", "WM2026003", "HUB_RISK_ASSESSMENT_MISSING");
      expectError(
        await create("sh.pd.sales1", { ...sale, customerNo: "C999999999" }),
        404,
        "HUB_CUSTOMER_NOT_FOUND",
      );
      expectError(
        await create("sh.pd.sales1", { ...sale, productCode: "NOPE001" }),
        404,
        "HUB_PRODUCT_NOT_FOUND",
      );
      expectError(
        await create("sh.pd.sales1", { ...sale, kind: "callback", customerNo: "C999999999" }),
        404,
        "HUB_CUSTOMER_NOT_FOUND",
      );
      expect(await count()).toBe(before);

      // Only a sale is gated: a follow-up call or a scan of a customer without an assessment is recorded.
      const callback = await create("sh.pd.sales1", {
        customerNo: "C000000005",
        productCode: "WM2026003",
        kind: "callback",
      });
      expect(callback.status).toBe(201);

      const trail = await h().api(
        "GET",
        "/api/v1/audit?action=recording.create&actor=sh.pd.sales1&result=failed&pageSize=10",
        {
          token: await token("hq.auditor"),
        },
      );
      expect(trail.body.items.map((e: any) => e.details.error)).toEqual(
        expect.arrayContaining([
          "HUB_RISK_MISMATCH",
          "HUB_RISK_ASSESSMENT_EXPIRED",
          "HUB_RISK_ASSESSMENT_MISSING",
        ]),
      );
    });

    it("takes relatedTo only as a sale of the same customer and product in the caller's scope", async () => {
      const theSale = (await create("sh.pd.sales1", sale)).body.id;
      const callback = (await create("sh.pd.sales1", { ...sale, kind: "callback" })).body.id;
      const beijing = await create("bj.cy.sales1", sale);
      expect(beijing.status).toBe(201);
      const related = async (body: Record<string, unknown>, reason: string) => {
        const res = await create("sh.pd.sales1", body);
        expectError(res, 422, "HUB_RECORDING_RELATED_INVALID");
        expect(res.body.error.details).toEqual({ field: "body.relatedTo", reason });
      };
      await related({ ...sale, relatedTo: theSale }, "NOT_FOR_SALE");
      await related({ ...sale, kind: "callback", relatedTo: "f".repeat(32) }, "NOT_FOUND");
      await related({ ...sale, kind: "callback", relatedTo: beijing.body.id }, "NOT_FOUND");
      await related({ ...sale, kind: "scan", relatedTo: callback }, "NOT_A_SALE");
      await related(
        { ...sale, kind: "cctv", customerNo: "C000000002", relatedTo: theSale },
        "OTHER_CUSTOMER",
      );
      await related({ ...sale, kind: "cctv", productCode: "WM2026003", relatedTo: theSale }, "OTHER_PRODUCT");
      // The branch sees the outlet's sale: its own supplementary footage may name it.
      expect((await create("sh.pd.manager", { ...sale, kind: "cctv", relatedTo: theSale })).status).toBe(201);
      const malformed = await create("sh.pd.sales1", { ...sale, kind: "callback", relatedTo: "ABC" });
      expectError(malformed, 422, "HUB_VALIDATION_FAILED");
      expect(malformed.body.error.details[0].field).toBe("body.relatedTo");
    });

    it("lets only those who sell create, for their own unit, and names bad fields", async () => {
      for (const username of ["hq.auditor", "sh.admin"]) {
        const res = await create(username, { ...sale, kind: "callback" });
        expectError(res, 403, "HUB_FORBIDDEN");
        expect(res.body.error.details).toMatchObject({ action: "recording.create", reason: "ROLE" });
      }
      const badKind = await create("sh.pd.sales1", { ...sale, kind: "video" });
      expectError(badKind, 422, "HUB_VALIDATION_FAILED");
      expect(badKind.body.error.details[0].field).toBe("body.kind");
      const missing = await create("sh.pd.sales1", { productCode: "AM2026001", kind: "sale" });
      expect(missing.body.error.details).toEqual([
        expect.objectContaining({ field: "body.customerNo", code: "required" }),
      ]);
      const extra = await create("sh.pd.sales1", { ...sale, orgCode: "110100" });
      expect(extra.body.error.details).toEqual([expect.objectContaining({ field: "body.orgCode" })]);

      // A sale needs a valid sales qualification; a follow-up call does not sell.
      const admin = await token("hq.admin");
      await h().api("POST", "/api/v1/users", {
        token: admin,
        body: {
          username: "rec.unqualified",
          displayName: "未取证",
          role: "sales",
          orgCode: "310100",
          password: "Fresh-Pass-1!",
        },
      });
      const own = await h().login("rec.unqualified", "Fresh-Pass-1!");
      await h().api("POST", "/api/v1/auth/password", {
        token: own,
        body: { currentPassword: "Fresh-Pass-1!", newPassword: "Fresh-Pass-2!" },
      });
      const unqualified = await h().api("POST", "/api/v1/recordings", { token: own, body: sale });
      expectError(unqualified, 403, "HUB_STAFF_NOT_QUALIFIED");
      const call = await h().api("POST", "/api/v1/recordings", {
        token: own,
        body: { ...sale, kind: "callback" },
      });
      expect(call.status).toBe(201);
    });

    it("shows metadata within scope, and sales staff only their own", async () => {
      const mine = (await create("sh.pd.sales1", { ...sale, kind: "callback" })).body.id;
      const managers = (await create("sh.pd.manager", { ...sale, kind: "callback" })).body.id;
      const beijing = (await create("bj.cy.sales1", { ...sale, kind: "callback" })).body.id;

      const own = await get("sh.pd.sales1", mine);
      expect(own.status).toBe(200);
      expect(own.body).toMatchObject({
        id: mine,
        steps: null,
        watermark: null,
        mediaFacts: null,
        mediaError: null,
      });
      const forbidden = async (username: string, id: string, reason: string) => {
        const res = await get(username, id);
        expectError(res, 403, "HUB_FORBIDDEN");
        expect(res.body.error.details.reason).toBe(reason);
      };
      await forbidden("sh.pd.sales1", managers, "ROLE");
      await forbidden("sh.pd.sales1", beijing, "ROLE");
      await forbidden("sh.pd.manager", beijing, "SCOPE");
      await forbidden("bj.cy.manager", mine, "SCOPE");
      for (const username of ["sh.pd.manager", "sh.admin", "hq.auditor", "hq.admin"])
        expect((await get(username, mine)).status).toBe(200);
      expect((await get("bj.cy.manager", beijing)).status).toBe(200);
      expectError(await get("hq.admin", "0".repeat(32)), 404, "HUB_RECORDING_NOT_FOUND");
      const malformed = await get("hq.admin", "XYZ");
      expectError(malformed, 422, "HUB_VALIDATION_FAILED");
      expect(malformed.body.error.details[0].field).toBe("params.id");

      const trail = await h().api(
        "GET",
        `/api/v1/audit?action=recording.read&target=recording:${mine}&pageSize=50`,
        {
          token: await token("hq.auditor"),
        },
      );
      expect(trail.body.items.map((e: any) => `${e.actor}:${e.result}`)).toEqual(
        expect.arrayContaining(["sh.pd.sales1:ok", "bj.cy.manager:denied", "sh.pd.manager:ok"]),
      );
    });

    it("lists recordings in scope with filters and pages, newest first", async () => {
      // A customer of their own, so that the counts below are this test's alone.
      const base = { customerNo: "C000000150", productCode: "WM2026001" };
      const ids: Record<string, string> = {};
      for (const [name, username, kind, productCode] of [
        ["a", "sh.pd.sales1", "callback", "WM2026001"],
        ["b", "sh.pd.sales1", "scan", "WM2026001"],
        ["c", "sh.pd.sales1", "callback", "FD000002"],
        ["d", "sh.pd.manager", "cctv", "WM2026001"],
        ["e", "bj.cy.sales1", "callback", "WM2026001"],
      ]) {
        const res = await create(username, { ...base, kind, productCode });
        expect(res.status).toBe(201);
        ids[name] = res.body.id;
        // Newest first is by creation time: keep two creations out of the same millisecond.
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const idsOf = (res: ApiResponse) => res.body.items.map((r: any) => r.id);
      const q = "customerNo=C000000150";

      const sales = await list("sh.pd.sales1", q);
      expect(sales.status).toBe(200);
      expect(idsOf(sales)).toEqual([ids.c, ids.b, ids.a]);
      expect(sales.body).toMatchObject({ total: 3, page: 1, pageSize: 50 });
      expect(sales.body.items[0]).not.toHaveProperty("steps");
      expect(sales.body.items[0]).not.toHaveProperty("wrappedKey");
      expect(idsOf(await list("sh.pd.manager", q))).toEqual([ids.d, ids.c, ids.b, ids.a]);
      expect(idsOf(await list("sh.admin", q))).toEqual([ids.d, ids.c, ids.b, ids.a]);
      expect(idsOf(await list("hq.auditor", q))).toEqual([ids.e, ids.d, ids.c, ids.b, ids.a]);
      expect(idsOf(await list("hq.auditor", `${q}&orgCode=110000`))).toEqual([ids.e]);
      expect(idsOf(await list("bj.cy.manager", q))).toEqual([ids.e]);
      const outside = await list("sh.admin", `${q}&orgCode=110000`);
      expectError(outside, 403, "HUB_FORBIDDEN");
      expect(outside.body.error.details.reason).toBe("SCOPE");
      expectError(await list("sh.pd.sales1", `${q}&orgCode=110100`), 403, "HUB_FORBIDDEN");

      expect(idsOf(await list("sh.admin", `${q}&productCode=FD000002`))).toEqual([ids.c]);
      expect(idsOf(await list("sh.admin", `${q}&kind=callback`))).toEqual([ids.c, ids.a]);
      expect(idsOf(await list("sh.admin", `${q}&createdBy=sh.pd.manager`))).toEqual([ids.d]);
      expect(idsOf(await list("sh.admin", `${q}&status=submitted`))).toEqual([]);
      expect(idsOf(await list("sh.admin", `${q}&status=draft&kind=scan`))).toEqual([ids.b]);
      expect(idsOf(await list("sh.admin", `q=${ids.d.slice(0, 12)}`))).toEqual([ids.d]);
      expect(idsOf(await list("sh.admin", `q=${ids.d.slice(0, 12).toUpperCase()}`))).toEqual([ids.d]);
      expect(idsOf(await list("sh.admin", "q=C00000015&productCode=FD000002"))).toEqual([ids.c]);
      expect(idsOf(await list("sh.admin", "q=%25&customerNo=C000000150"))).toEqual([]);
      expect(idsOf(await list("sh.admin", "q=C00000015_&customerNo=C000000150"))).toEqual([]);
      expect(
        idsOf(await list("sh.admin", `q=${encodeURIComponent("'; DROP TABLE recordings; --")}`)),
      ).toEqual([]);

      const today = businessDay(h().clock.now());
      const tomorrow = businessDay(new Date(h().clock.now().getTime() + 86_400_000));
      expect((await list("sh.admin", `${q}&from=${today}&to=${today}`)).body.total).toBe(4);
      expect((await list("sh.admin", `${q}&from=${tomorrow}`)).body.total).toBe(0);
      expect((await list("sh.admin", `${q}&to=2020-01-01`)).body.total).toBe(0);
      expectError(await list("sh.admin", `${q}&from=2026-02-30`), 422, "HUB_VALIDATION_FAILED");

      const page1 = await list("sh.admin", `${q}&pageSize=3`);
      const page2 = await list("sh.admin", `${q}&pageSize=3&page=2`);
      expect(page1.body).toMatchObject({ total: 4, page: 1, pageSize: 3 });
      expect([...idsOf(page1), ...idsOf(page2)]).toEqual([ids.d, ids.c, ids.b, ids.a]);
      const bad = await list("sh.admin", "pageSize=500&status=gone");
      expectError(bad, 422, "HUB_VALIDATION_FAILED");
      expect(bad.body.error.details.map((d: any) => d.field).sort()).toEqual([
        "query.pageSize",
        "query.status",
      ]);
      for (const username of ["hq.auditor", "sh.pd.sales1"]) {
        const trail = await h().api(
          "GET",
          `/api/v1/audit?action=recording.list&actor=${username}&pageSize=1`,
          {
            token: await token("hq.admin"),
          },
        );
        expect(trail.body.total).toBeGreaterThan(0);
      }
    });

    it("refuses to submit before the upload, a body with problems naming each field, and anyone but the creator", async () => {
      const draft = (await create("sh.pd.sales1", sale)).body.id;
      expectError(await submit("sh.pd.sales1", draft, goodSubmit), 409, "HUB_RECORDING_UPLOAD_INCOMPLETE");
      expectError(await submit("sh.pd.manager", draft, goodSubmit), 403, "HUB_RECORDING_NOT_CREATOR");
      expectError(await submit("sh.pd.sales1", "0".repeat(32), goodSubmit), 404, "HUB_RECORDING_NOT_FOUND");

      const fields = async (body: unknown) => {
        const res = await submit("sh.pd.sales1", draft, body);
        expectError(res, 422, "HUB_VALIDATION_FAILED");
        return res.body.error.details.map((d: any) => d.field);
      };
      const { watermark: _w, ...noWatermark } = goodSubmit;
      expect(await fields(noWatermark)).toEqual(["body.watermark"]);
      expect(await fields({ ...goodSubmit, endedAt: "2026-11-23T09:29:59.999Z" })).toEqual(["body.endedAt"]);
      expect(await fields({ ...goodSubmit, startedAt: "2026-11-23T09:30:00" })).toEqual(["body.startedAt"]);
      expect(await fields({ ...goodSubmit, steps: [{ code: "consent", at: -1 }] })).toEqual([
        "body.steps.0.at",
      ]);
      expect(await fields({ ...goodSubmit, steps: [{ code: "", at: 0 }] })).toEqual(["body.steps.0.code"]);
      expect(
        await fields({
          ...goodSubmit,
          steps: [
            { code: "a", at: 10 },
            { code: "b", at: 9 },
          ],
        }),
      ).toEqual(["body.steps.1.at"]);
      expect(await fields({ ...goodSubmit, watermark: "浦东" })).toEqual(["body.watermark"]);
      expect(await fields({ ...goodSubmit, extra: 1 })).toEqual(["body.extra"]);
      expect((await get("sh.pd.sales1", draft)).body.status).toBe("draft");
    });

    it("uploads through the internal grants, seals the manifest into the chain at submit, and never changes after", async () => {
      const seen: string[] = [];
      h().hubs[0].broker.createService({
        name: `uploaded-probe-${Date.now()}`,
        events: {
          "recordings.uploaded"(ctx: { params: { recordingId: string } }) {
            seen.push(ctx.params.recordingId);
          },
        },
      });

      const id = (await create("sh.pd.sales1", sale)).body.id;
      const grant = await call("sh.pd.sales1", "recordings.uploadGrant", { recordingId: id });
      expect(grant.value).toEqual({
        recordingId: id,
        wrappedKey: expect.stringMatching(/^v1:[0-9a-f]{16}:/),
        originalObject: null,
      });
      expect(await refused("sh.pd.manager", "recordings.uploadGrant", { recordingId: id })).toMatchObject({
        code: "HUB_RECORDING_NOT_CREATOR",
        status: 403,
      });
      expect(await refused("bj.cy.sales1", "recordings.uploadGrant", { recordingId: id })).toMatchObject({
        code: "HUB_RECORDING_NOT_CREATOR",
      });
      expect(
        await refused("sh.pd.sales1", "recordings.uploadGrant", { recordingId: "f".repeat(32) }),
      ).toMatchObject({
        code: "HUB_RECORDING_NOT_FOUND",
        status: 404,
      });
      expect(
        await refused("sh.pd.sales1", "recordings.uploadStarted", {
          recordingId: id,
          objectId: "0".repeat(32),
          mediaType: "audio/ogg",
        }),
      ).toMatchObject({ code: "HUB_UPLOAD_TYPE_NOT_ALLOWED", status: 415 });

      // A first take, replaced by a second one before it was finished.
      const firstTake = "1".repeat(32);
      const objectId = "2".repeat(32);
      await call("sh.pd.sales1", "recordings.uploadStarted", {
        recordingId: id,
        objectId: firstTake,
        mediaType: "video/webm",
      });
      const started = await call("sh.pd.sales1", "recordings.uploadStarted", {
        recordingId: id,
        objectId,
        mediaType: 'video/webm;codecs="vp8,opus"',
      });
      expect(started.value).toEqual({
        recordingId: id,
        objectId,
        mediaType: "video/webm",
        previousObject: firstTake,
      });
      expect((await get("sh.pd.sales1", id)).body.upload.state).toBe("in-progress");
      expectError(await submit("sh.pd.sales1", id, goodSubmit), 409, "HUB_RECORDING_UPLOAD_INCOMPLETE");

      const facts = { size: 5_242_880, sha256: HEX("a"), storedSize: 5_242_992, storedSha256: HEX("b") };
      expect(
        await refused("sh.pd.sales1", "recordings.uploadCompleted", {
          recordingId: id,
          objectId: firstTake,
          ...facts,
        }),
      ).toMatchObject({ code: "HUB_UPLOAD_NOT_FOUND", status: 404 });
      expect(
        await refused("sh.pd.sales1", "recordings.uploadCompleted", {
          recordingId: id,
          objectId,
          ...facts,
          sha256: "x",
        }),
      ).toMatchObject({ code: "HUB_VALIDATION_FAILED", status: 422 });
      const completed = await call("sh.pd.sales1", "recordings.uploadCompleted", {
        recordingId: id,
        objectId,
        ...facts,
      });
      expect(completed.value).toMatchObject({ recordingId: id, objectId, mediaStatus: "pending" });
      for (let i = 0; i < 50 && !seen.includes(id); i++) await new Promise((r) => setTimeout(r, 20));
      expect(seen).toContain(id);

      const before = await get("sh.pd.sales1", id);
      expect(before.body).toMatchObject({
        status: "draft",
        upload: { state: "complete", uploadedAt: expect.any(String) },
        media: { type: "video/webm", size: 5_242_880, sha256: HEX("a") },
        mediaStatus: "pending",
        renditions: ["original"],
      });

      const sealed = await submit("sh.pd.sales1", id, goodSubmit);
      expect(sealed.status).toBe(200);
      const manifest = sealed.body.manifest;
      expect(sealed.body).toMatchObject({
        id,
        status: "submitted",
        chain: { seq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
      });
      expect(manifest).toEqual({
        version: 1,
        recordingId: id,
        kind: "sale",
        relatedTo: null,
        customerNo: "C000000001",
        productCode: "AM2026001",
        orgCode: "310100",
        createdBy: "sh.pd.sales1",
        createdAt: before.body.createdAt,
        startedAt: "2026-11-23T09:30:00.000Z",
        endedAt: "2026-11-23T09:40:00.000Z",
        submittedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        media: { type: "video/webm", size: 5_242_880, sha256: HEX("a") },
        objects: [{ name: "original", objectId, size: 5_242_992, sha256: HEX("b") }],
        steps: goodSubmit.steps,
        watermark: goodSubmit.watermark,
        mediaFacts: null,
        mediaError: null,
      });
      const { seq, hash } = sealed.body.chain;

      // The chain holds the manifest as one entry, byte for byte what the recording keeps.
      const entry = await h().db.manager.getRepository(AuditEntryEntity).findOneByOrFail({ seq });
      expect(entry).toMatchObject({
        kind: "manifest",
        action: "recording.submit",
        target: `recording:${id}`,
        actor: "sh.pd.sales1",
        role: "sales",
        org: "310100",
        result: "ok",
        hash,
      });
      const row = await h().db.manager.getRepository(RecordingEntity).findOneByOrFail({ id });
      expect(entry.details).toBe(row.manifest);
      expect(entry.details).toBe(canonicalJson(manifest));
      expect(Number(row.manifestSeq)).toBe(seq);
      const auditor = await token("hq.auditor");
      expect((await h().api("GET", "/api/v1/audit/verify", { token: auditor })).body).toMatchObject({
        ok: true,
      });
      const trail = await h().api("GET", `/api/v1/audit?target=recording:${id}&action=recording.submit`, {
        token: auditor,
      });
      expect(trail.body.items.map((e: any) => `${e.kind}:${e.result}`)).toEqual([
        "audit:ok",
        "manifest:ok",
        "audit:failed", // the submit tried before the upload was complete
      ]);
      expect(trail.body.items.find((e: any) => e.kind === "manifest").details.media.sha256).toBe(HEX("a"));

      const after = await get("sh.pd.manager", id);
      expect(after.body).toMatchObject({
        status: "submitted",
        submittedAt: manifest.submittedAt,
        startedAt: "2026-11-23T09:30:00.000Z",
        steps: goodSubmit.steps,
        watermark: goodSubmit.watermark,
        chain: { seq },
      });

      // Immutable from now on.
      expectError(await submit("sh.pd.sales1", id, goodSubmit), 409, "HUB_RECORDING_NOT_DRAFT");
      for (const [action, params] of [
        ["recordings.uploadGrant", { recordingId: id }],
        ["recordings.uploadStarted", { recordingId: id, objectId: "3".repeat(32), mediaType: "video/webm" }],
        ["recordings.uploadCompleted", { recordingId: id, objectId, ...facts }],
        ["recordings.uploadTerminated", { recordingId: id, objectId }],
      ] as const) {
        expect({ action, ...(await refused("sh.pd.sales1", action, params)) }).toMatchObject({
          action,
          code: "HUB_RECORDING_NOT_DRAFT",
          status: 409,
        });
      }
      expect((await h().db.manager.getRepository(RecordingEntity).findOneByOrFail({ id })).manifest).toBe(
        row.manifest,
      );
    });

    it("grants playback to those who may play, never to sales staff, and audits every one", async () => {
      const { id, objectId } = await uploaded("sh.pd.sales1");
      expect((await submit("sh.pd.sales1", id, goodSubmit)).status).toBe(200);

      for (const rendition of ["original", "canonical"]) {
        const noReplay = await refused("sh.pd.sales1", "recordings.playGrant", { id, rendition });
        expect(noReplay).toMatchObject({ code: "HUB_RECORDING_NO_REPLAY", status: 403 });
        expect(noReplay.message).toMatch(/preview/);
      }
      const grant = await call("sh.pd.manager", "recordings.playGrant", { id, rendition: "original" });
      expect(grant.value).toMatchObject({
        recordingId: id,
        rendition: "original",
        objectId,
        wrappedKey: expect.stringMatching(/^v1:/),
        size: 1_048_600,
        storedSize: 1_048_664,
        mediaType: "video/webm",
      });
      expect((await call("hq.auditor", "recordings.playGrant", { id })).value).toMatchObject({ objectId });
      expect(
        await refused("sh.pd.manager", "recordings.playGrant", { id, rendition: "canonical" }),
      ).toMatchObject({
        code: "HUB_RECORDING_RENDITION_NOT_FOUND",
        status: 404,
      });
      expect(await refused("bj.cy.manager", "recordings.playGrant", { id })).toMatchObject({
        code: "HUB_FORBIDDEN",
        data: { reason: "SCOPE", action: "recording.play" },
      });
      const notUploaded = (await create("sh.pd.sales1", sale)).body.id;
      expect(await refused("sh.pd.manager", "recordings.playGrant", { id: notUploaded })).toMatchObject({
        code: "HUB_RECORDING_UPLOAD_INCOMPLETE",
        status: 409,
      });

      const trail = await h().api(
        "GET",
        `/api/v1/audit?action=recording.play&target=recording:${id}&pageSize=50`,
        {
          token: await token("hq.auditor"),
        },
      );
      const plays = trail.body.items.map((e: any) => `${e.actor}:${e.result}:${e.details.rendition}`);
      expect(plays).toEqual(
        expect.arrayContaining([
          "sh.pd.sales1:denied:original",
          "sh.pd.sales1:denied:canonical",
          "sh.pd.manager:ok:original",
          "hq.auditor:ok:original",
          "sh.pd.manager:failed:canonical",
          "bj.cy.manager:denied:original",
        ]),
      );
    });

    it("grants evidence of a submitted recording: the chain from its manifest to a signed checkpoint", async () => {
      const { id, objectId } = await uploaded("sh.pd.sales1");
      expect(await refused("sh.admin", "recordings.evidenceGrant", { id })).toMatchObject({
        code: "HUB_RECORDING_NOT_SUBMITTED",
        status: 409,
      });
      const { seq } = (await submit("sh.pd.sales1", id, goodSubmit)).body.chain;
      for (const username of ["sh.pd.sales1", "sh.pd.manager"]) {
        expect(await refused(username, "recordings.evidenceGrant", { id })).toMatchObject({
          code: "HUB_FORBIDDEN",
          data: { reason: "ROLE", action: "recording.exportEvidence" },
        });
      }
      expect(await refused("bj.cy.manager", "recordings.evidenceGrant", { id })).toMatchObject({
        code: "HUB_FORBIDDEN",
      });

      const grant = (await call("sh.admin", "recordings.evidenceGrant", { id })).value;
      expect(grant).toMatchObject({
        recordingId: id,
        objectId,
        wrappedKey: expect.stringMatching(/^v1:/),
        size: 1_048_600,
        mediaType: "video/webm",
        manifestSeq: seq,
        publicKeyPem: expect.stringMatching(/^-----BEGIN PUBLIC KEY-----/),
      });
      const { entries, checkpoint } = grant;
      expect(entries[0]).toMatchObject({ seq, kind: "manifest", target: `recording:${id}` });
      expect(checkpoint.seq).toBeGreaterThanOrEqual(seq);
      expect(entries[entries.length - 1].seq).toBe(checkpoint.seq);
      expect(entries.map((e: any) => e.seq)).toEqual(entries.map((_: unknown, i: number) => seq + i));
      expect(JSON.parse(grant.manifest)).toEqual(entries[0].details);

      // What a court does with it: re-hash the slice from the manifest on, and check the checkpoint's signature.
      const publicKey = createPublicKey(grant.publicKeyPem);
      expect(verifyCheckpoint(publicKey, checkpoint)).toBe(true);
      const verifier = new ChainVerifier({
        publicKey,
        checkpoints: [checkpoint],
        startAfter: { seq: seq - 1, hash: entries[0].prevHash },
      });
      for (const e of entries) expect(verifier.push(e)).toBe(true);
      expect(verifier.finish()).toMatchObject({ ok: true, checkpointsVerified: 1, lastSeq: checkpoint.seq });

      expect((await call("hq.auditor", "recordings.evidenceGrant", { id })).value.recordingId).toBe(id);
      const trail = await h().api(
        "GET",
        `/api/v1/audit?action=recording.exportEvidence&target=recording:${id}`,
        {
          token: await token("hq.admin"),
        },
      );
      expect(trail.body.items.map((e: any) => `${e.actor}:${e.result}`)).toEqual(
        expect.arrayContaining(["sh.admin:ok", "hq.auditor:ok", "sh.pd.sales1:denied"]),
      );
    });

    it("forgets a terminated upload, and pages the scrubber through submitted recordings", async () => {
      const id = (await create("sh.pd.sales1", sale)).body.id;
      const objectId = "4".repeat(32);
      await call("sh.pd.sales1", "recordings.uploadStarted", {
        recordingId: id,
        objectId,
        mediaType: "video/mp4",
      });
      expect(
        (
          await call("sh.pd.sales1", "recordings.uploadTerminated", {
            recordingId: id,
            objectId: "5".repeat(32),
          })
        ).value,
      ).toEqual({
        recordingId: id,
        cleared: false,
      });
      expect(
        (await call("sh.pd.sales1", "recordings.uploadTerminated", { recordingId: id, objectId })).value,
      ).toEqual({
        recordingId: id,
        cleared: true,
      });
      expect((await get("sh.pd.sales1", id)).body).toMatchObject({ upload: { state: "none" }, media: null });

      const submitted = await uploaded("sh.pd.sales1", sale, "6");
      await submit("sh.pd.sales1", submitted.id, goodSubmit);
      const seenIds: string[] = [];
      let afterId: string | null = null;
      let pages = 0;
      do {
        const page = await scrubTargets(h().db, afterId ?? undefined, 2);
        expect(page.items.length).toBeLessThanOrEqual(2);
        seenIds.push(...page.items.map((i) => i.id));
        const mine = page.items.find((i) => i.id === submitted.id);
        if (mine) {
          expect(mine).toEqual({
            id: submitted.id,
            wrappedKey: expect.stringMatching(/^v1:/),
            objects: [
              {
                name: "original",
                objectId: submitted.objectId,
                size: submitted.storedSize,
                sha256: HEX("b"),
              },
            ],
          });
        }
        afterId = page.nextAfterId;
        pages++;
      } while (afterId && pages < 1000);
      expect(seenIds).toContain(submitted.id);
      expect(seenIds).not.toContain(id);
      expect([...seenIds].sort()).toEqual(seenIds);
      const submittedCount = await h()
        .db.manager.getRepository(RecordingEntity)
        .countBy({ status: "submitted" });
      expect(seenIds.length).toBe(submittedCount);
    });
  });

  describe("the hub's clock (GET /api/v1/time)", () => {
    const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

    it("answers the hub's time without a token, never cached, and audits nothing", async () => {
      const auditRepo = h().db.manager.getRepository(AuditEntryEntity);
      const lastSeq = async () =>
        Number((await auditRepo.find({ order: { seq: "DESC" }, take: 1 }))[0]?.seq ?? 0);
      const seqBefore = await lastSeq();
      const before = Date.now();
      const res = await h().api("GET", "/api/v1/time");
      const after = Date.now();
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(Object.keys(res.body).sort()).toEqual(["epochMs", "now"]);
      expect(res.body.now).toMatch(ISO_MS);
      expect(Number.isSafeInteger(res.body.epochMs)).toBe(true);
      expect(Date.parse(res.body.now)).toBe(res.body.epochMs);
      expect(res.body.epochMs).toBeGreaterThanOrEqual(before - 5_000);
      expect(res.body.epochMs).toBeLessThanOrEqual(after + 5_000);

      // A token is not needed, and one that is sent changes nothing.
      const signedIn = await h().api("GET", "/api/v1/time", { token: await token("sh.pd.sales1") });
      expect(signedIn.status).toBe(200);
      expect(Math.abs(signedIn.body.epochMs - Date.now())).toBeLessThan(5_000);

      // Polled: no audit entry of its own.
      const appended = await auditRepo
        .createQueryBuilder("e")
        .where("e.seq > :seq", { seq: seqBefore })
        .getMany();
      expect(appended.filter((e) => /time|gateway/i.test(e.action))).toEqual([]);
    });

    it("is published in OpenAPI without a security requirement, beside the abort route", async () => {
      const { paths } = (await h().api("GET", "/api/v1/openapi.json")).body;
      const time = paths["/api/v1/time"].get;
      expect(time.security).toBeUndefined();
      expect(time.responses["200"].content["application/json"].schema).toEqual({
        $ref: "#/components/schemas/time-response",
      });
      const aborts = paths["/api/v1/recordings/aborts"].post;
      expect(aborts.security).toEqual([{ bearer: [] }]);
      expect(aborts.requestBody.content["application/json"].schema).toEqual({
        $ref: "#/components/schemas/recording-abort",
      });
      expect(Object.keys(aborts.responses)).toContain("201");
    });

    it("is the hub's clock, not the caller's: moving the hub's clock moves the answer", async () => {
      h().clock.advance(3_600_000);
      const res = await h().api("GET", "/api/v1/time");
      expect(res.status).toBe(200);
      expect(Math.abs(res.body.epochMs - (Date.now() + 3_600_000))).toBeLessThan(5_000);
      expect(res.body.now).toBe(new Date(res.body.epochMs).toISOString());
    });

    it("takes no query string (strict input, as everywhere)", async () => {
      const query = await h().api("GET", "/api/v1/time?_=1");
      expectError(query, 422, "HUB_VALIDATION_FAILED");
      expect(query.body.error.details.map((d: any) => d.field)).toEqual(["query"]);
    });
  });

  describe("aborted recording sessions (POST /api/v1/recordings/aborts)", () => {
    const abort = async (username: string, body: unknown) =>
      h().api("POST", "/api/v1/recordings/aborts", { token: await token(username), body });
    const trail = async (query: string) =>
      (
        await h().api("GET", `/api/v1/audit?action=recording.abort&${query}`, {
          token: await token("hq.auditor"),
        })
      ).body;
    const mismatch = {
      kind: "sale",
      reason: { code: "HUB_RISK_MISMATCH", message: "产品风险等级高于客户风险承受能力，不得销售" },
      customerNo: "C000000001",
      productCode: "FD000001",
      step: "product-match",
      steps: [
        { code: "consent", at: 0 },
        { code: "staff-disclosure", at: 3_000 },
        { code: "product-match", at: 3_000 },
      ],
      startedAt: "2026-11-23T17:30:00+08:00",
    };

    it("records the abort and its reason in the audit trail, and creates nothing", async () => {
      const before = await count();
      const res = await abort("sh.pd.sales1", mismatch);
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ recorded: true });
      expect(await count()).toBe(before);

      const entries = await trail("target=customer:C000000001&actor=sh.pd.sales1&pageSize=1");
      expect(entries.items[0]).toMatchObject({
        kind: "audit",
        action: "recording.abort",
        target: "customer:C000000001",
        actor: "sh.pd.sales1",
        role: "sales",
        org: "310100",
        result: "ok",
      });
      expect(entries.items[0].details).toEqual({
        kind: "sale",
        reason: mismatch.reason,
        customerNo: "C000000001",
        productCode: "FD000001",
        step: "product-match",
        steps: mismatch.steps,
        startedAt: "2026-11-23T09:30:00.000Z",
      });

      // Only kind and reason are needed; without a customer there is no target.
      const bare = await abort("sh.pd.manager", {
        kind: "callback",
        reason: { code: "staff-cancelled", message: "" },
      });
      expect(bare.status).toBe(201);
      const bareEntry = (await trail("actor=sh.pd.manager&pageSize=1")).items[0];
      expect(bareEntry).toMatchObject({ target: null, result: "ok", org: "310100" });
      expect(bareEntry.details).toEqual({
        kind: "callback",
        reason: { code: "staff-cancelled", message: "" },
        customerNo: null,
        productCode: null,
        step: null,
        steps: null,
        startedAt: null,
      });
      // The branch reads its outlets' aborts; another branch does not see them.
      const branch = await h().api("GET", "/api/v1/audit?action=recording.abort&actor=sh.pd.manager", {
        token: await token("sh.admin"),
      });
      expect(branch.body.total).toBeGreaterThan(0);
      expect(
        (await h().api("GET", "/api/v1/audit/verify", { token: await token("hq.auditor") })).body,
      ).toMatchObject({
        ok: true,
      });
    });

    it("names the draft the session created: the caller's own, still a draft, which stays one", async () => {
      const draft = (await create("sh.pd.sales1", { ...sale, kind: "callback" })).body.id;
      // An upload begun and never finished is left as it is.
      await call("sh.pd.sales1", "recordings.uploadStarted", {
        recordingId: draft,
        objectId: "7".repeat(32),
        mediaType: "audio/webm",
      });
      const before = await count();
      const body = {
        kind: "callback",
        reason: { code: "consent-refused", message: "客户不同意录音" },
        customerNo: sale.customerNo,
        productCode: sale.productCode,
        step: "consent",
        recordingId: draft,
      };
      const res = await abort("sh.pd.sales1", body);
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ recorded: true });
      expect(await count()).toBe(before);
      const after = await get("sh.pd.sales1", draft);
      expect(after.body).toMatchObject({ id: draft, status: "draft", upload: { state: "in-progress" } });
      const entry = (await trail(`target=recording:${draft}`)).items[0];
      expect(entry).toMatchObject({ actor: "sh.pd.sales1", result: "ok", target: `recording:${draft}` });
      expect(entry.details).toMatchObject({ kind: "callback", reason: body.reason, step: "consent" });

      // Nobody else's draft, not even the outlet manager's or another outlet's staff.
      for (const username of ["sh.pd.manager", "bj.cy.sales1"])
        expectError(await abort(username, body), 403, "HUB_RECORDING_NOT_CREATOR");
      expectError(
        await abort("sh.pd.sales1", { ...body, recordingId: "0".repeat(32) }),
        404,
        "HUB_RECORDING_NOT_FOUND",
      );
      const { id: submitted } = await uploaded("sh.pd.sales1", sale, "8");
      expect((await submit("sh.pd.sales1", submitted, goodSubmit)).status).toBe(200);
      expectError(
        await abort("sh.pd.sales1", { ...mismatch, recordingId: submitted }),
        409,
        "HUB_RECORDING_NOT_DRAFT",
      );
      expect((await get("sh.pd.sales1", submitted)).body.status).toBe("submitted");

      // Refusals are in the trail too, as for every audited call.
      const refusals = (await trail(`target=recording:${draft}&pageSize=50`)).items.map(
        (e: any) => `${e.actor}:${e.result}:${e.details.error ?? ""}`,
      );
      expect(refusals).toEqual(
        expect.arrayContaining([
          "sh.pd.sales1:ok:",
          "sh.pd.manager:denied:HUB_RECORDING_NOT_CREATOR",
          "bj.cy.sales1:denied:HUB_RECORDING_NOT_CREATOR",
        ]),
      );
      expect((await trail(`target=recording:${submitted}`)).items[0]).toMatchObject({
        result: "failed",
        details: expect.objectContaining({ error: "HUB_RECORDING_NOT_DRAFT" }),
      });
    });

    it("lets only those who may create a recording record an abort", async () => {
      for (const username of ["hq.auditor", "sh.admin"]) {
        const res = await abort(username, mismatch);
        expectError(res, 403, "HUB_FORBIDDEN");
        expect(res.body.error.details).toMatchObject({ action: "recording.create", reason: "ROLE" });
      }
      expect(
        (await abort("hq.admin", { kind: "cctv", reason: { code: "camera-failed", message: "" } })).status,
      ).toBe(201);
      const anonymous = await h().api("POST", "/api/v1/recordings/aborts", { body: mismatch });
      expectError(anonymous, 401, "HUB_AUTH_REQUIRED");
    });

    it("refuses bad input with 422 naming each field, and records no abort", async () => {
      const okBefore = (await trail("actor=sh.pd.sales1&result=ok&pageSize=1")).total;
      const allBefore = (await trail("actor=sh.pd.sales1&pageSize=1")).total;
      const fields = async (body: unknown) => {
        const res = await abort("sh.pd.sales1", body);
        expectError(res, 422, "HUB_VALIDATION_FAILED");
        return res.body.error.details.map((d: any) => d.field).sort();
      };
      const { reason: _reason, ...noReason } = mismatch;
      expect(await fields(noReason)).toEqual(["body.reason"]);
      expect(await fields({ customerNo: "C000000001" })).toEqual(["body.kind", "body.reason"]);
      expect(await fields({ ...mismatch, kind: "video" })).toEqual(["body.kind"]);
      expect(await fields({ ...mismatch, reason: { code: "consent refused", message: "" } })).toEqual([
        "body.reason.code",
      ]);
      expect(
        await fields({ ...mismatch, reason: { code: "x".repeat(65), message: "m".repeat(501) } }),
      ).toEqual(["body.reason.code", "body.reason.message"]);
      expect(await fields({ ...mismatch, reason: { code: "x" } })).toEqual(["body.reason.message"]);
      expect(await fields({ ...mismatch, reason: { ...mismatch.reason, extra: 1 } })).toEqual([
        "body.reason.extra",
      ]);
      expect(await fields({ ...mismatch, customerNo: "C-1", productCode: "F D" })).toEqual([
        "body.customerNo",
        "body.productCode",
      ]);
      expect(await fields({ ...mismatch, step: "", startedAt: "2026-11-23T09:30:00" })).toEqual([
        "body.startedAt",
        "body.step",
      ]);
      expect(await fields({ ...mismatch, recordingId: "ABC" })).toEqual(["body.recordingId"]);
      expect(await fields({ ...mismatch, steps: [{ code: "consent", at: -1 }] })).toEqual([
        "body.steps.0.at",
      ]);
      expect(await fields({ ...mismatch, orgCode: "310100" })).toEqual(["body.orgCode"]);
      // None of these reached the service: nothing was written at all.
      expect((await trail("actor=sh.pd.sales1&pageSize=1")).total).toBe(allBefore);

      // The order of the steps is checked by the service, as at submit.
      expect(
        await fields({
          ...mismatch,
          steps: [
            { code: "consent", at: 0 },
            { code: "risk-warning", at: 5_000 },
            { code: "product-match", at: 4_999 },
          ],
        }),
      ).toEqual(["body.steps.2.at"]);
      // No abort is recorded; the refused call is in the trail as failed, like every refused audited call.
      expect((await trail("actor=sh.pd.sales1&result=ok&pageSize=1")).total).toBe(okBefore);
      const refused = (await trail("actor=sh.pd.sales1&pageSize=1")).items[0];
      expect(refused).toMatchObject({
        result: "failed",
        details: expect.objectContaining({ error: "HUB_VALIDATION_FAILED" }),
      });
    });
  });
}
