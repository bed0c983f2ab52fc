import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DEMO_USERS } from "../../hub/demo/seed";
import { PROJECT_ROOT } from "../../hub/paths";

/** `npm start` exactly as a new user runs it: embedded defaults, generated demo password, then a restart. */
describe("npm start on embedded defaults", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "hub-npm-start-"));
  let child: ChildProcess | null = null;

  function start(): Promise<{ url: string; output: () => string; startedAt: number }> {
    const env: NodeJS.ProcessEnv = { ...process.env, HUB_DATA_DIR: dataDir, PORT: "0" };
    delete env.HUB_DEMO_PASSWORD;
    delete env.DATABASE_URL;
    delete env.TRANSPORTER;
    const startedAt = Date.now();
    child = spawn("npm", ["start"], {
      cwd: PROJECT_ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed within 60 s:\n${output}`)), 60_000);
      child!.stdout!.on("data", () => {
        const match = /URL:\s+(http:\/\/\S+?)\/?\s/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve({ url: match[1], output: () => output, startedAt });
        }
      });
      child!.once("exit", (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
    });
  }

  let output = "";

  /** SIGTERM to the process group, as a service manager does; resolves once npm and the hub have exited. */
  async function stop(): Promise<void> {
    if (!child) return;
    const exited = new Promise<void>((resolve) => child!.once("close", () => resolve()));
    process.kill(-child.pid!, "SIGTERM");
    await exited;
    child = null;
  }

  async function readyWithin(url: string, startedAt: number, limitMs: number): Promise<number> {
    for (;;) {
      const res = await fetch(`${url}/health/ready`).catch(() => null);
      if (res?.status === 200) return Date.now() - startedAt;
      if (Date.now() - startedAt > limitMs) throw new Error(`not ready within ${limitMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  afterAll(async () => {
    await stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("is ready within 60 s and every demo user logs in with the printed password", async () => {
    const { url, output, startedAt } = await start();
    const elapsed = await readyWithin(url, startedAt, 60_000);
    expect(elapsed).toBeLessThan(60_000);

    const printed = /Demo password \(generated now, also saved to (\S+)\): (\S+)/.exec(output());
    expect(printed).not.toBeNull();
    const [, file, password] = printed!;
    expect(file).toBe(path.join(dataDir, "demo-credentials.txt"));
    expect(fs.readFileSync(file, "utf8")).toContain(`password: ${password}`);
    for (const user of DEMO_USERS) expect(output()).toContain(user.username);
    for (const user of DEMO_USERS) {
      const res = await fetch(`${url}/api/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: user.username, password }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).user.mustChangePassword).toBe(false);
    }
    expect(fs.existsSync(path.join(dataDir, "hub.sqlite"))).toBe(true);
    await stop();
    // The hub itself shut down in order (npm, killed by the same signal, reports none of this).
    expect(output()).toMatch(/SIGTERM received, stopping[\s\S]*ServiceBroker is stopped/);
  }, 120_000);

  it("keeps its data across a restart and does not generate a new password", async () => {
    const password = /password: (\S+)/.exec(
      fs.readFileSync(path.join(dataDir, "demo-credentials.txt"), "utf8"),
    )![1];
    const { url, output, startedAt } = await start();
    await readyWithin(url, startedAt, 60_000);
    expect(output()).toContain("see " + path.join(dataDir, "demo-credentials.txt"));
    expect(output()).not.toContain("generated now");
    const res = await fetch(`${url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "hq.admin", password }),
    });
    expect(res.status).toBe(200);
    const token = ((await res.json()) as any).token;
    const verify = await fetch(`${url}/api/v1/audit/verify`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await verify.json()).toMatchObject({ ok: true });
    await stop();
    expect(output()).toMatch(/ServiceBroker is stopped/);
  }, 120_000);
});
