import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../../config";
import { openDatabase, type Database } from "../../db/database";
import { PluginOutboxEntity, RecordingEntity, UserEntity, type RecordingRow } from "../../db/entities";
import {
  boundActivity,
  boundActivityId,
  crmPushes,
  recordingLink,
  SUBMIT_HOLD_MS,
  submittedActivity,
  type ActivityFacts,
} from "./crm-pushes";

const HUB = "https://hub.bank.example";
const REC = "0123456789abcdef0123456789abcdef";
const facts: ActivityFacts = {
  recordingId: REC,
  kind: "sale",
  customerNo: "C000000001",
  orgCode: "310100",
  staffNo: "S1002",
  productCode: "WM2026001",
  productName: "稳享理财30天",
};

describe("CRM activities of a recording", () => {
  it("says 'submitted' with a link to the recording in the hub", () => {
    expect(submittedActivity(facts, "2026-11-23T02:00:00.000Z", HUB)).toEqual({
      activityId: `RS-${REC}`,
      kind: "RECORDING_SUBMITTED",
      customerNo: "C000000001",
      occurredAt: "2026-11-23T02:00:00.000Z",
      orgCode: "310100",
      staffNo: "S1002",
      productCode: "WM2026001",
      productName: "稳享理财30天",
      title: "双录已提交：稳享理财30天",
      recordingUrl: `${HUB}/view/recording.html?id=${REC}`,
    });
    expect(submittedActivity({ ...facts, kind: "supplement" }, "2026-11-23T02:00:00.000Z", HUB).title).toBe(
      "补录已提交：稳享理财30天",
    );
  });

  it("names the product by its code when the catalog has no name, and leaves productName out", () => {
    const activity = submittedActivity({ ...facts, productName: null }, "2026-11-23T02:00:00.000Z", HUB);
    expect(activity.title).toBe("双录已提交：WM2026001");
    expect(activity).not.toHaveProperty("productName");
  });

  it("says 'bound' with the counter's sale number", () => {
    expect(boundActivity(facts, "TXN20261123000001", "2026-11-23T03:00:00.000Z", HUB)).toMatchObject({
      activityId: `RB-${REC}-TXN20261123000001`,
      kind: "RECORDING_BOUND",
      saleNo: "TXN20261123000001",
      occurredAt: "2026-11-23T03:00:00.000Z",
      title: "双录已绑定交易TXN20261123000001：稳享理财30天",
    });
  });

  it("keeps activity ids within the CRM's 64 characters, deterministically", () => {
    const long = "T".repeat(64);
    const id = boundActivityId(REC, long);
    expect(id).toHaveLength(64);
    expect(id).toMatch(/^RB-[0-9a-f]{32}-[0-9a-f]{28}$/);
    expect(boundActivityId(REC, long)).toBe(id);
    expect(boundActivityId(REC, `${long.slice(1)}U`)).not.toBe(id);
  });

  it("keeps titles within 100 characters, counting characters beyond the BMP as one", () => {
    const name = "𠮷".repeat(120);
    const title = submittedActivity({ ...facts, productName: name }, "2026-11-23T02:00:00.000Z", HUB).title;
    expect([...title]).toHaveLength(100);
    expect(title.endsWith("…")).toBe(true);
  });

  it("links below the hub's public address, a path prefix included", () => {
    expect(recordingLink("https://www.bank.example/dual-record", REC)).toBe(
      `https://www.bank.example/dual-record/view/recording.html?id=${REC}`,
    );
  });
});

describe("CRM pushes written with what causes them (SQLite)", () => {
  const T0 = new Date("2026-11-23T02:00:00.000Z");
  let dir: string;
  let db: Database;
  let provides = true;
  const rt = () => ({
    plugins: { has: (c: string) => provides && c === "crm.pushActivity" } as never,
    config: loadConfig({ HUB_PUBLIC_URL: HUB }),
    clock: () => T0,
  });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "crm-pushes-"));
    db = await openDatabase({ type: "sqlite", file: path.join(dir, "hub.sqlite") });
    await db.migrate();
    const at = T0.toISOString();
    await db.manager.getRepository(UserEntity).insert({
      username: "sh.pd.sales1",
      displayName: "销售一",
      role: "sales",
      orgCode: "310100",
      employeeNo: "S1002",
      enabled: true,
      passwordHash: "x",
      passwordHistory: "[]",
      passwordChangedAt: at,
      mustChangePassword: false,
      failedAttempts: 0,
      lockedUntil: null,
      qualificationCertNo: null,
      qualificationValidUntil: null,
      createdAt: at,
      updatedAt: at,
    });
  });
  afterAll(async () => {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    provides = true;
    await db.manager.getRepository(PluginOutboxEntity).clear();
    await db.manager.getRepository(RecordingEntity).clear();
  });

  async function recording(id: string, kind = "sale"): Promise<RecordingRow> {
    const row = {
      id,
      kind,
      status: "submitted",
      customerNo: "C000000001",
      productCode: "WM2026001",
      relatedTo: null,
      orgCode: "310100",
      createdBy: "sh.pd.sales1",
      createdAt: T0.toISOString(),
      wrappedKey: "v1:test",
      mediaStatus: "done",
      submittedAt: T0.toISOString(),
    } as RecordingRow;
    await db.manager.getRepository(RecordingEntity).insert(row);
    return db.manager.getRepository(RecordingEntity).findOneByOrFail({ id });
  }
  const outbox = () => db.manager.getRepository(PluginOutboxEntity).find({ order: { dedupeKey: "ASC" } });

  it("holds a submit's push until the manifest is sealed; an undone submit drops it", async () => {
    const pushes = crmPushes(rt());
    await recording("a".repeat(32));
    await recording("b".repeat(32));
    await db.transaction((m) => pushes.recordingSubmitted(m, "a".repeat(32)));
    await db.transaction((m) => pushes.recordingSubmitted(m, "b".repeat(32)));
    const held = new Date(T0.getTime() + SUBMIT_HOLD_MS).toISOString();
    expect((await outbox()).map((r) => [r.dedupeKey, r.nextAttemptAt])).toEqual([
      [`RS-${"a".repeat(32)}`, held],
      [`RS-${"b".repeat(32)}`, held],
    ]);
    const [first] = await outbox();
    expect(JSON.parse(first.payload)).toMatchObject({
      kind: "RECORDING_SUBMITTED",
      staffNo: "S1002",
      orgCode: "310100",
      recordingUrl: `${HUB}/view/recording.html?id=${"a".repeat(32)}`,
    });

    await db.transaction((m) => pushes.submitSealed(m, "a".repeat(32)));
    await db.transaction((m) => pushes.submitUndone(m, "b".repeat(32)));
    expect((await outbox()).map((r) => [r.dedupeKey, r.nextAttemptAt])).toEqual([
      [`RS-${"a".repeat(32)}`, T0.toISOString()],
    ]);
  });

  it("writes a binding's push once, however often the binding is worked out", async () => {
    const pushes = crmPushes(rt());
    const rec = await recording("c".repeat(32));
    for (let i = 0; i < 2; i++)
      await db.transaction((m) =>
        pushes.recordingBound(m, { txnId: "TXN1", recording: rec, boundAt: T0.toISOString() }),
      );
    const rows = await outbox();
    expect(rows.map((r) => r.dedupeKey)).toEqual([`RB-${"c".repeat(32)}-TXN1`]);
    expect(JSON.parse(rows[0].payload)).toMatchObject({ kind: "RECORDING_BOUND", saleNo: "TXN1" });
  });

  it("writes nothing without a CRM plugin, nor for recordings that are not sales or 补录", async () => {
    const callback = await recording("d".repeat(32), "callback");
    const sale = await recording("e".repeat(32));
    const pushes = crmPushes(rt());
    await db.transaction((m) => pushes.recordingSubmitted(m, callback.id));
    await db.transaction((m) =>
      pushes.recordingBound(m, { txnId: "TXN2", recording: callback, boundAt: T0.toISOString() }),
    );
    provides = false;
    await db.transaction((m) => pushes.recordingSubmitted(m, sale.id));
    await db.transaction((m) =>
      pushes.recordingBound(m, { txnId: "TXN3", recording: sale, boundAt: T0.toISOString() }),
    );
    expect(await outbox()).toEqual([]);
  });
});
