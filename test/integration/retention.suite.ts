import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { AuditEntryEntity, ProductEntity, RecordingEntity } from "../../hub/db/entities";
import { businessDay } from "../../hub/domain/business-day";
import { addYears } from "../../hub/domain/retention";
import { FilesystemBackend } from "../../hub/storage/replica-backend";
import { addDays } from "../../hub/storage/retention-lock";
import type { ApiResponse, Harness } from "../support/hub-harness";
import { TusClient } from "../support/tus";

const DAY = 86_400_000;

/**
 * Retention through the HTTP face, on each topology: preview, disputes as legal holds, redemptions, the sweep,
 * the recycle bin, restore, and the purge that destroys both replicas and the data key and leaves a tombstone
 * in the chain. Time is moved with the harness clock, which is also the evidence store's clock.
 */
export function describeRetention(harness: () => Harness): void {
  const h = () => harness();
  // Tokens expire when the clock moves weeks ahead: log in afresh at each clock position.
  const tokens = new Map<string, string>();
  const token = async (username: string) => {
    const key = `${username}@${h().clock.now().toISOString().slice(0, 10)}`;
    if (!tokens.has(key)) tokens.set(key, await h().login(username));
    return tokens.get(key)!;
  };
  const api = async (username: string, method: string, url: string, body?: unknown) =>
    h().api(method, url, { token: await token(username), body });
  const today = () => businessDay(h().clock.now());

  function expectError(res: ApiResponse, status: number, code: string) {
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  }

  const products = () => h().db.manager.getRepository(ProductEntity);
  const recordings = () => h().db.manager.getRepository(RecordingEntity);

  async function product(
    code: string,
    fields: { type: string; maturityDate: string | null; termMonths?: number | null },
  ) {
    const now = new Date().toISOString();
    await products().save({
      code,
      name: `保存期限测试产品${code}`,
      type: fields.type,
      risk: "R1",
      issuer: null,
      inceptionDate: "2014-01-01",
      maturityDate: fields.maturityDate,
      termMonths: fields.termMonths ?? null,
      recordingRequired: null,
      features: null,
      risks: null,
      customerRights: null,
      createdAt: now,
      updatedAt: now,
    });
  }

  /** A sale recorded and submitted for real (tus upload into both replicas), dated `purchaseDate`. */
  async function sold(productCode: string, purchaseDate: string, customerNo = "C000000001") {
    const created = await api("sh.pd.sales1", "POST", "/api/v1/recordings", {
      customerNo,
      productCode,
      kind: "sale",
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const bytes = crypto.randomBytes(300_000);
    const tus = new TusClient(h().url, await token("sh.pd.sales1"));
    const upload = await tus.create(id, bytes.length, "video/webm");
    expect(upload.status).toBe(201);
    expect((await tus.patch(upload.uploadUrl!, 0, bytes)).status).toBe(204);
    const submitted = await api("sh.pd.sales1", "POST", `/api/v1/recordings/${id}/submit`, {
      startedAt: "2026-11-23T09:30:00.000Z",
      endedAt: "2026-11-23T09:40:00.000Z",
      steps: [{ code: "consent", at: 0 }],
      watermark: { text: "浦东支行 sh.pd.sales1" },
    });
    expect(submitted.status).toBe(200);
    // The sale happened on `purchaseDate` (as the counter system would report it).
    await recordings().update({ id }, { purchaseDate });
    const row = (await recordings().findOneBy({ id }))!;
    return { id, objectId: row.originalObject!, wrappedKey: row.wrappedKey };
  }

  const roots = () => ["primary", "backup"].map((name) => path.join(h().dataDir, "evidence", name));
  const sealedFiles = (objectId: string) =>
    roots().flatMap((root) =>
      [`${objectId}.seg`, `${objectId}.json`].map((f) => path.join(root, "sealed", objectId.slice(0, 2), f)),
    );
  const lockFile = (root: string, id: string) => path.join(root, "locks", `${id}.json`);
  const readLock = (root: string, id: string) => JSON.parse(fs.readFileSync(lockFile(root, id), "utf8"));
  const sweep = async (body: Record<string, unknown> = {}) => {
    const res = await api("hq.admin", "POST", "/api/v1/retention/sweep", body);
    expect(res.status).toBe(200);
    return res.body;
  };
  const status = async (id: string) => (await recordings().findOneBy({ id }))!.status;

  describe("retention", () => {
    afterEach(() => h().clock.reset());

    it("previews the rule for staff: exact dates, deletable only the day after, typed errors naming the field", async () => {
      const fixed = await api("sh.pd.sales1", "POST", "/api/v1/retention/preview", {
        product: { type: "WEALTH", maturityDate: "2027-03-31" },
        purchaseDate: "2026-04-01",
        asOf: "2029-03-31",
      });
      expect(fixed.status).toBe(200);
      expect(fixed.body).toMatchObject({
        retainUntil: "2029-03-31",
        rule: "FIXED_TERM",
        explanation: "产品到期日2027-03-31后保存2年，至2029-03-31",
        deletable: false,
      });
      const dayAfter = await api("sh.pd.sales1", "POST", "/api/v1/retention/preview", {
        product: { type: "WEALTH", maturityDate: "2027-03-31" },
        purchaseDate: "2026-04-01",
        asOf: "2029-04-01",
      });
      expect(dayAfter.body.deletable).toBe(true);

      // A catalog product by code: an open-ended trust, held until redeemed.
      await product("RTPREV1", { type: "TRUST", maturityDate: null });
      const trust = await api("sh.pd.sales1", "POST", "/api/v1/retention/preview", {
        productCode: "RTPREV1",
        purchaseDate: "2024-02-29",
      });
      expect(trust.status).toBe(200);
      expect(trust.body).toMatchObject({
        retainUntil: null,
        rule: "HELD_UNTIL_REDEMPTION",
        deletable: false,
      });
      const redeemed = await api("sh.pd.sales1", "POST", "/api/v1/retention/preview", {
        productCode: "RTPREV1",
        purchaseDate: "2024-02-29",
        fullRedemptionDate: "2025-01-10",
      });
      expect(redeemed.body).toMatchObject({ retainUntil: "2029-02-28", rule: "OPEN_ENDED" });

      const insurance = await api("sh.pd.sales1", "POST", "/api/v1/retention/preview", {
        product: { type: "INSURANCE", termMonths: 13 },
        purchaseDate: "2026-01-10",
        disputes: [{ openedAt: "2026-05-01", closedAt: null }],
      });
      expect(insurance.body).toMatchObject({ retainUntil: null, rule: "DISPUTE_OPEN" });

      expectError(
        await api("sh.pd.sales1", "POST", "/api/v1/retention/preview", { purchaseDate: "2026-01-10" }),
        422,
        "HUB_VALIDATION_FAILED",
      );
      const bad = await api("sh.pd.sales1", "POST", "/api/v1/retention/preview", {
        product: { type: "WEALTH", maturityDate: "2027-03-31" },
        purchaseDate: "2026-04-01",
        disputes: [{ openedAt: "2026-05-01", closedAt: "2026-04-01" }],
      });
      expectError(bad, 422, "HUB_VALIDATION_FAILED");
      expect(bad.body.error.details).toEqual([
        expect.objectContaining({ field: "body.disputes[0].closedAt" }),
      ]);
      expectError(
        await api("sh.pd.sales1", "POST", "/api/v1/retention/preview", {
          product: { type: "WEALTH" },
          purchaseDate: "2026-02-30",
        }),
        422,
        "HUB_VALIDATION_FAILED",
      );
      expectError(
        await api("sh.pd.sales1", "POST", "/api/v1/retention/preview", {
          productCode: "NOPE01",
          purchaseDate: "2026-01-10",
        }),
        404,
        "HUB_PRODUCT_NOT_FOUND",
      );
    });

    it("sweeps a recording past retention into the bin, restores it, and purges it 30 days on: replicas, key and a tombstone", async () => {
      await product("RTFIX01", { type: "WEALTH", maturityDate: "2016-12-31" });
      const sale = await sold("RTFIX01", "2015-01-05");
      const files = sealedFiles(sale.objectId);
      for (const f of files) expect(fs.existsSync(f)).toBe(true);

      // 1. Past retention (2016-12-31 + 2 years): into the bin, with the store's lock saying so on both roots.
      const first = await sweep();
      expect(first.refusedCount).toBe(0);
      expect(await status(sale.id)).toBe("recycled");
      const row = (await recordings().findOneBy({ id: sale.id }))!;
      expect(row).toMatchObject({
        retainUntil: "2018-12-31",
        retentionRule: "FIXED_TERM",
        recycledOn: today(),
      });
      for (const root of roots())
        expect(readLock(root, sale.id)).toMatchObject({
          retainUntil: "2018-12-31",
          recycledOn: today(),
          holds: [],
        });

      // A second sweep the same day changes nothing.
      expect(await sweep()).toMatchObject({ recomputed: 0, locked: 0, recycled: 0, restored: 0, purged: 0 });

      // Not playable, listed in the bin for the outlet, gone from the ordinary list.
      expectError(
        await api("sh.pd.manager", "GET", `/api/v1/recordings/${sale.id}/media`),
        410,
        "HUB_RECORDING_RECYCLED",
      );
      const bin = await api("sh.pd.manager", "GET", "/api/v1/recycle-bin");
      expect(bin.status).toBe(200);
      expect(bin.body.items).toContainEqual(
        expect.objectContaining({
          id: sale.id,
          recycledOn: today(),
          restorableUntil: addDays(today(), 30),
          purgeFrom: addDays(today(), 31),
        }),
      );
      const otherOutlet = await api("bj.cy.manager", "GET", "/api/v1/recycle-bin");
      expect(otherOutlet.body.items.map((i: { id: string }) => i.id)).not.toContain(sale.id);
      const listed = await api("sh.pd.manager", "GET", "/api/v1/recordings?productCode=RTFIX01");
      expect(listed.body.items).toEqual([]);

      // 2. Restore: branch admin and above only, audited; kept out of the bin for 30 days.
      expectError(
        await api("sh.pd.manager", "POST", `/api/v1/recycle-bin/${sale.id}/restore`, {
          reason: "误入回收站",
        }),
        403,
        "HUB_FORBIDDEN",
      );
      const restored = await api("sh.admin", "POST", `/api/v1/recycle-bin/${sale.id}/restore`, {
        reason: "产品到期日待核实",
      });
      expect(restored.status).toBe(200);
      expect(await status(sale.id)).toBe("submitted");
      for (const root of roots()) expect(readLock(root, sale.id).recycledOn).toBeNull();
      expect((await sweep()).recycled).toBe(0);

      // 3. A month later it is still past retention: back into the bin.
      h().clock.advance(31 * DAY);
      expect((await sweep()).recycled).toBe(1);
      const recycledOn = today();

      // Before 30 full days in the bin the store refuses to destroy it, whoever asks (here: the backend itself).
      h().clock.advance(30 * DAY);
      expect((await sweep()).purged).toBe(0);
      const backend = new FilesystemBackend("primary", roots()[0], { clock: h().clock.now });
      await expect(backend.destroySealed(sale.objectId, sale.id)).rejects.toMatchObject({ reason: "IN_BIN" });
      for (const f of files) expect(fs.existsSync(f)).toBe(true);

      // 4. The 31st day: purged. Both replicas gone, the data key destroyed, a tombstone in the chain.
      h().clock.advance(DAY);
      const purge = await sweep();
      expect(purge).toMatchObject({ purged: 1, refusedCount: 0 });
      for (const f of files) expect(fs.existsSync(f)).toBe(false);
      const purged = (await recordings().findOneBy({ id: sale.id }))!;
      expect(purged).toMatchObject({ status: "purged", purgedOn: today(), wrappedKey: "destroyed" });
      for (const root of roots())
        expect(readLock(root, sale.id)).toMatchObject({ purgedOn: today(), recycledOn });
      const tombstone = await h()
        .db.manager.getRepository(AuditEntryEntity)
        .findOneBy({
          kind: "tombstone",
          target: `recording:${sale.id}`,
        });
      expect(tombstone).toMatchObject({ action: "recording.purge", actor: "system:retention" });
      const details = JSON.parse(tombstone!.details!);
      expect(details).toMatchObject({
        recordingId: sale.id,
        rule: "FIXED_TERM",
        retainUntil: "2018-12-31",
        recycledOn,
        purgedOn: today(),
        manifestSha256: crypto.createHash("sha256").update(row.manifest!, "utf8").digest("hex"),
        dataKey: "destroyed",
        objects: [
          expect.objectContaining({
            name: "original",
            objectId: sale.objectId,
            storedSha256: row.storedSha256,
          }),
        ],
      });
      const verified = await api("hq.admin", "GET", "/api/v1/audit/verify");
      expect(verified.body).toMatchObject({ ok: true });
      if (h().topology === "embedded-sqlite") {
        // Nothing of the wrapped key is left in the database files (secure_delete, log checkpointed).
        const config = h().db.config;
        const file = config.type === "sqlite" ? config.file : "";
        const secret = Buffer.from(sale.wrappedKey.split(":")[2], "utf8");
        for (const f of [file, `${file}-wal`].filter((x) => fs.existsSync(x)))
          expect(fs.readFileSync(f).includes(secret)).toBe(false);
      }

      // Idempotent; nothing more can be done with it.
      expect(await sweep()).toMatchObject({ purged: 0, recycled: 0, refusedCount: 0 });
      expectError(
        await api("sh.pd.manager", "GET", `/api/v1/recordings/${sale.id}/media`),
        410,
        "HUB_RECORDING_PURGED",
      );
      expectError(
        await api("sh.admin", "POST", `/api/v1/recycle-bin/${sale.id}/restore`, { reason: "x" }),
        409,
        "HUB_RECORDING_NOT_RECYCLED",
      );
      expectError(
        await api("sh.admin", "POST", `/api/v1/recordings/${sale.id}/disputes`, {
          reason: "x",
          reference: "y",
        }),
        410,
        "HUB_RECORDING_PURGED",
      );
    });

    it("holds a recording under dispute whatever its dates; a dispute restores a recycled one; closing keeps it N more years", async () => {
      await product("RTFIX02", { type: "WEALTH", maturityDate: "2016-06-30" });
      const held = await sold("RTFIX02", "2015-02-01");
      const recycled = await sold("RTFIX02", "2015-03-01");

      // A dispute on the first, before any sweep: it never reaches the bin.
      expectError(
        await api("sh.pd.manager", "POST", `/api/v1/recordings/${held.id}/disputes`, {
          reason: "客户投诉",
          reference: "TS-1",
        }),
        403,
        "HUB_FORBIDDEN",
      );
      const opened = await api("sh.admin", "POST", `/api/v1/recordings/${held.id}/disputes`, {
        reason: "客户投诉：销售过程未充分揭示风险",
        reference: "TS-2026-001",
      });
      expect(opened.status).toBe(201);
      expect(opened.body).toMatchObject({ status: "open", openedOn: today(), recordingId: held.id });
      for (const root of roots())
        expect(readLock(root, held.id)).toMatchObject({ retainUntil: null, holds: [opened.body.id] });

      expect((await sweep()).recycled).toBe(1); // only the other one
      expect(await status(held.id)).toBe("submitted");
      expect(await status(recycled.id)).toBe("recycled");
      const view = await api("sh.pd.manager", "GET", `/api/v1/recordings/${held.id}/retention`);
      expect(view.body).toMatchObject({ rule: "DISPUTE_OPEN", retainUntil: null, deletable: false });
      expect(view.body.disputes).toHaveLength(1);

      // The store refuses a direct deletion of the held recording even long after its retention.
      const backend = new FilesystemBackend("backup", roots()[1], { clock: h().clock.now });
      await expect(backend.destroySealed(held.objectId, held.id)).rejects.toMatchObject({ reason: "HELD" });

      // A dispute on a recycled recording takes it out of the bin.
      const second = await api("sh.admin", "POST", `/api/v1/recordings/${recycled.id}/disputes`, {
        reason: "诉讼",
        reference: "(2026)沪0115民初1号",
      });
      expect(second.status).toBe(201);
      expect(second.body.restored).toBe(true);
      expect(await status(recycled.id)).toBe("submitted");

      // Closing: kept until the close + 2 years; a close before the opening or in the future is refused.
      expectError(
        await api("sh.admin", "POST", `/api/v1/disputes/${opened.body.id}/close`, { closedAt: "2020-01-01" }),
        422,
        "HUB_VALIDATION_FAILED",
      );
      expectError(
        await api("sh.admin", "POST", `/api/v1/disputes/${opened.body.id}/close`, {
          closedAt: addDays(today(), 1),
        }),
        422,
        "HUB_VALIDATION_FAILED",
      );
      const closed = await api("sh.admin", "POST", `/api/v1/disputes/${opened.body.id}/close`, {
        closedAt: today(),
      });
      expect(closed.status).toBe(200);
      expectError(
        await api("sh.admin", "POST", `/api/v1/disputes/${opened.body.id}/close`, { closedAt: today() }),
        409,
        "HUB_DISPUTE_CLOSED",
      );
      const after = (await recordings().findOneBy({ id: held.id }))!;
      expect(after).toMatchObject({ retainUntil: addYears(today(), 2), retentionRule: "DISPUTE_CLOSED" });
      for (const root of roots())
        expect(readLock(root, held.id)).toMatchObject({ retainUntil: addYears(today(), 2), holds: [] });
      expect((await sweep()).recycled).toBe(0);

      // Audited.
      const audit = await h().db.manager.getRepository(AuditEntryEntity).findBy({ action: "dispute.close" });
      expect(audit.some((e) => e.target === `dispute:${opened.body.id}` && e.result === "ok")).toBe(true);
    });

    it("holds every recording of a customer and product; a late redemption recomputes an open-ended sale", async () => {
      await product("RTOPEN1", { type: "TRUST", maturityDate: null });
      const open = await sold("RTOPEN1", "2015-01-05", "C000000002");
      await sweep();
      expect((await recordings().findOneBy({ id: open.id }))!).toMatchObject({
        status: "submitted",
        retainUntil: null,
        retentionRule: "HELD_UNTIL_REDEMPTION",
      });

      expectError(
        await api("sh.pd.manager", "POST", "/api/v1/redemptions", {
          customerNo: "C000000002",
          productCode: "RTOPEN1",
          redeemedOn: "2016-03-01",
        }),
        403,
        "HUB_FORBIDDEN",
      );
      expectError(
        await api("sh.admin", "POST", "/api/v1/redemptions", {
          customerNo: "C000000002",
          productCode: "RTOPEN1",
          redeemedOn: addDays(today(), 1),
        }),
        422,
        "HUB_VALIDATION_FAILED",
      );
      const redemption = await api("sh.admin", "POST", "/api/v1/redemptions", {
        customerNo: "C000000002",
        productCode: "RTOPEN1",
        redeemedOn: "2016-03-01",
      });
      expect(redemption.status).toBe(201);
      expect(redemption.body.recomputed).toBe(1);
      // The later of purchase + 5 years and redemption + 2 years.
      expect((await recordings().findOneBy({ id: open.id }))!).toMatchObject({
        retainUntil: "2020-01-05",
        retentionRule: "OPEN_ENDED",
      });

      // A dispute on the customer's whole holding of the product holds it before the sweep can recycle it.
      const hold = await api("sh.admin", "POST", "/api/v1/disputes", {
        customerNo: "C000000002",
        productCode: "RTOPEN1",
        reason: "客户对该基金全部销售记录提出异议",
        reference: "TS-2026-002",
      });
      expect(hold.status).toBe(201);
      expect(hold.body).toMatchObject({ scope: "holding", sales: 1 });
      expect((await sweep()).recycled).toBe(0);
      expect(await status(open.id)).toBe("submitted");
      const listed = await api("sh.admin", "GET", "/api/v1/disputes?customerNo=C000000002&status=open");
      expect(listed.body.items.map((d: { id: string }) => d.id)).toContain(hold.body.id);
    });

    it("recomputes at once when head office changes a policy or a product's end date changes", async () => {
      await product("RTPOL01", { type: "ASSET_MGMT", maturityDate: "2025-06-30" });
      const sale = await sold("RTPOL01", "2024-06-30");
      await sweep();
      const retainUntil = async () => (await recordings().findOneBy({ id: sale.id }))!.retainUntil;
      expect(await retainUntil()).toBe("2027-06-30");
      // The recompute runs on the catalog's event, after the answer: wait for the row and both store locks.
      const settled = async (expected: string) =>
        (await retainUntil()) === expected &&
        roots().every((root) => readLock(root, sale.id).retainUntil === expected);
      const eventually = async (expected: string) => {
        for (let i = 0; i < 100 && !(await settled(expected)); i++)
          await new Promise((resolve) => setTimeout(resolve, 50));
        expect(await retainUntil()).toBe(expected);
        for (const root of roots()) expect(readLock(root, sale.id).retainUntil).toBe(expected);
      };
      try {
        const patched = await api("hq.admin", "PATCH", "/api/v1/retention-policies/ASSET_MGMT", {
          yearsAfterProductEnd: 3,
        });
        expect(patched.status).toBe(200);
        await eventually("2028-06-30");
        const moved = await api("hq.admin", "PATCH", "/api/v1/products/RTPOL01", {
          maturityDate: "2026-06-30",
        });
        expect(moved.status).toBe(200);
        await eventually("2029-06-30");
      } finally {
        await api("hq.admin", "PATCH", "/api/v1/retention-policies/ASSET_MGMT", { yearsAfterProductEnd: 2 });
      }
      await eventually("2028-06-30");
    });

    it("reports recordings expiring in the next 30 and 90 days per outlet", async () => {
      // Ends 10 and 60 days from now: maturity two years before that.
      const in10 = addDays(today(), 10);
      const in60 = addDays(today(), 60);
      await product("RTEXP10", { type: "WEALTH", maturityDate: addYears(in10, -2) });
      await product("RTEXP60", { type: "WEALTH", maturityDate: addYears(in60, -2) });
      await sold("RTEXP10", addYears(in10, -3));
      await sold("RTEXP60", addYears(in60, -3));
      await sweep();
      const report = await api("sh.pd.manager", "GET", "/api/v1/retention/expiring");
      expect(report.status).toBe(200);
      const outlet = report.body.outlets.find((o: { orgCode: string }) => o.orgCode === "310100");
      expect(outlet.within30).toBeGreaterThanOrEqual(1);
      expect(outlet.within90 - outlet.within30).toBeGreaterThanOrEqual(1);
      expect(report.body.windows).toEqual({ within30: addDays(today(), 30), within90: addDays(today(), 90) });
      expectError(await api("sh.pd.sales1", "GET", "/api/v1/retention/expiring"), 403, "HUB_FORBIDDEN");
    });

    it("lets only head office run the sweep, never ahead of its day", async () => {
      expectError(await api("sh.admin", "POST", "/api/v1/retention/sweep", {}), 403, "HUB_FORBIDDEN");
      expectError(
        await api("hq.admin", "POST", "/api/v1/retention/sweep", { asOf: addDays(today(), 1) }),
        422,
        "HUB_VALIDATION_FAILED",
      );
    });
  });
}
