import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { main as cli } from "../../hub/cli";
import { loadConfig } from "../../hub/config";
import { startHub } from "../../hub/hub";

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

  it("names the variable at fault when the configuration is wrong", async () => {
    process.env.PORT = "eighty";
    expect(await cli(["migrate"], capture().out)).toBe(1);
    expect(() => loadConfig()).toThrow("PORT: must be a whole number");
  });
});
