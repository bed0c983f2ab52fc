import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { main as cli } from "../../hub/cli";
import { loadConfig } from "../../hub/config";
import { startHub } from "../../hub/hub";
import { openDatabase } from "../../hub/db/database";
import { ImportJobEntity, ProductEntity, RecordingEntity } from "../../hub/db/entities";

/** Operator paths on the embedded defaults: a bank's first start without demo data, and key custody. */
describe("operations", () => {
  let dataDir: string;
  const saved = { ...process.env };

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "hub-ops-"));
    Object.assign(process.env, { HUB_DATA_DIR: dataDir, HUB_DEMO: "off", LOG_LEVEL: "error", PORT: "0" });
    delete process.env.DATABASE_URL;
  });
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  function capture() {
    const lines: string[] = [];
    return { lines, out: { log: (s: string) => lines.push(s), error: (s: string) => lines.push(s) } };
  }

  it("bootstraps the head office and its first hq_admin on an empty database, once", async () => {
    const bad = capture();
    expect(
      await cli(["bootstrap", "--org-code", "00 00", "--org-name", "总行", "--admin", "HQ"], bad.out),
    ).toBe(1);
    expect(bad.lines.join("\n")).toMatch(/--org-code[\s\S]*--admin/);

    const first = capture();
    expect(
      await cli(
        ["bootstrap", "--org-code", "100000", "--org-name", "总行", "--admin", "first.admin"],
        first.out,
      ),
    ).toBe(0);
    const password = /one-time password \(change it at first login\): (\S+)/.exec(first.lines.join("\n"))![1];
    expect(
      await cli(
        ["bootstrap", "--org-code", "100000", "--org-name", "总行", "--admin", "other.admin"],
        capture().out,
      ),
    ).toBe(1);

    const hub = await startHub(loadConfig());
    try {
      const login = await fetch(`${hub.url}/api/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "first.admin", password }),
      });
      const body = (await login.json()) as any;
      expect(login.status).toBe(200);
      expect(body.user).toEqual({
        username: "first.admin",
        role: "hq_admin",
        orgCode: "100000",
        mustChangePassword: true,
      });
      const orgs = await fetch(`${hub.url}/api/v1/orgs`, {
        headers: { authorization: `Bearer ${body.token}` },
      });
      expect(orgs.status).toBe(403);
    } finally {
      await hub.stop();
    }
    const verify = capture();
    expect(await cli(["audit", "verify"], verify.out)).toBe(0);
    expect(JSON.parse(verify.lines.find((l) => l.startsWith("{"))!)).toMatchObject({ ok: true, entries: 2 });
  });

  it("refuses to start with a signing key other than the one that signed the chain", async () => {
    process.env.HUB_DEMO = "on";
    process.env.HUB_DEMO_PASSWORD = "Demo-Pass-2026!";
    const hub = await startHub(loadConfig());
    await hub.broker.call("audit.checkpoint");
    await hub.stop();
    fs.rmSync(path.join(dataDir, "keys", "audit-signing-key.pem"));
    fs.rmSync(path.join(dataDir, "keys", "audit-signing-key.pub.pem"));
    await expect(startHub(loadConfig())).rejects.toThrow(
      /HUB_AUDIT_SIGNING_KEY: the audit chain is signed by key [0-9a-f]{16} but this node holds key/,
    );
  });

  it("sweeps retention from the command line: as of a day, never ahead of today, idempotent", async () => {
    const usage = capture();
    expect(await cli(["retention", "sweep", "--as-of", "2026-02-30"], usage.out)).toBe(2);
    expect(usage.lines.join("\n")).toMatch(/--as-of needs a day/);
    const ahead = capture();
    expect(await cli(["retention", "sweep", "--as-of", "2999-01-01"], ahead.out)).toBe(2);
    expect(ahead.lines.join("\n")).toMatch(/after today/);
    expect(await cli(["retention", "frobnicate"], capture().out)).toBe(2);

    // A sale of a product that matured in 2016, recorded in 2015: past its retention (2018-12-31).
    expect(await cli(["migrate"], capture().out)).toBe(0);
    const db = await openDatabase(loadConfig().database);
    const now = new Date().toISOString();
    try {
      await db.manager.getRepository(ProductEntity).save({
        code: "OLD2015",
        name: "到期理财",
        type: "WEALTH",
        risk: "R1",
        issuer: null,
        inceptionDate: "2015-01-01",
        maturityDate: "2016-12-31",
        termMonths: null,
        recordingRequired: null,
        features: null,
        risks: null,
        customerRights: null,
        createdAt: now,
        updatedAt: now,
      });
      await db.manager.getRepository(RecordingEntity).insert({
        id: "a".repeat(32),
        kind: "sale",
        status: "submitted",
        customerNo: "C1",
        productCode: "OLD2015",
        relatedTo: null,
        orgCode: "310100",
        createdBy: "s",
        createdAt: now,
        wrappedKey: "v1:x:y",
        mediaStatus: "done",
        submittedAt: now,
        purchaseDate: "2015-01-05",
      });
    } finally {
      await db.close();
    }
    const first = capture();
    expect(await cli(["retention", "sweep", "--as-of", "2026-01-01"], first.out)).toBe(0);
    expect(first.lines.some((l) => /examined 1 sales/.test(l))).toBe(true);
    expect(JSON.parse(first.lines.find((l) => l.startsWith("{"))!)).toMatchObject({
      asOf: "2026-01-01",
      examined: 1,
      recomputed: 1,
      locked: 1,
      recycled: 1,
      purged: 0,
      refusedCount: 0,
    });
    const lock = JSON.parse(
      fs.readFileSync(path.join(dataDir, "evidence", "backup", "locks", `${"a".repeat(32)}.json`), "utf8"),
    );
    expect(lock).toMatchObject({ retainUntil: "2018-12-31", holds: [] });
    const again = capture();
    expect(await cli(["retention", "sweep", "--as-of", "2026-01-01"], again.out)).toBe(0);
    expect(JSON.parse(again.lines.find((l) => l.startsWith("{"))!)).toMatchObject({
      examined: 1,
      recomputed: 0,
      locked: 0,
      recycled: 0,
      restored: 0,
      purged: 0,
    });
  });

  it("names the variable at fault when the configuration is wrong", async () => {
    process.env.PORT = "eighty";
    expect(await cli(["migrate"], capture().out)).toBe(1);
    expect(() => loadConfig()).toThrow("PORT: must be a whole number");
  });

  it("runs an import job cut short by a crash again at the next start, from its kept upload", async () => {
    Object.assign(process.env, { HUB_DEMO: "on", HUB_DEMO_PASSWORD: "Demo-Pass-2026!" });
    const first = await startHub(loadConfig());
    await first.stop();

    // What a crash in the middle of writing leaves: the job row says "writing", the upload is on disk, and the
    // transaction that was writing the rows never committed.
    const jobId = "6c1f0b8e-3b0a-4e1c-9a53-2f7c1d9e0a11";
    const csv =
      "产品代码,产品名称,产品类型,风险等级\r\nCRASH-001,断电前导入,理财,R2\r\nCRASH-002,断电前导入,基金,R3\r\n";
    fs.mkdirSync(path.join(dataDir, "imports"), { recursive: true });
    fs.writeFileSync(path.join(dataDir, "imports", `${jobId}.upload`), csv);
    const offline = await openDatabase(loadConfig().database);
    await offline.manager.getRepository(ImportJobEntity).insert({
      id: jobId,
      kind: "products",
      status: "writing",
      fileName: "products.csv",
      contentType: "text/csv",
      sizeBytes: Buffer.byteLength(csv),
      orgCode: "000000",
      totalRows: 2,
      processedRows: 1,
      result: null,
      createdBy: "hq.admin",
      createdAt: new Date().toISOString(),
      finishedAt: null,
    });
    await offline.close();

    const hub = await startHub(loadConfig());
    try {
      const jobs = hub.db!.manager.getRepository(ImportJobEntity);
      let job = await jobs.findOneByOrFail({ id: jobId });
      for (let i = 0; i < 100 && job.status !== "done"; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        job = await jobs.findOneByOrFail({ id: jobId });
      }
      expect(job).toMatchObject({ status: "done", processedRows: 2 });
      expect(JSON.parse(job.result!)).toEqual({ result: { inserted: 2, updated: 0, unchanged: 0 } });
      expect(await hub.db!.manager.getRepository(ProductEntity).countBy({ name: "断电前导入" })).toBe(2);
      expect(fs.existsSync(path.join(dataDir, "imports", `${jobId}.upload`))).toBe(false);
    } finally {
      await hub.stop();
    }
  });
});
