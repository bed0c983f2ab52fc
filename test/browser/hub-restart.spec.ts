import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  launchBrowser,
  openTellerPage,
  requireWidgetBundle,
  sleep,
  walkSaleSteps,
  type BrowserSession,
} from "../support/browser";
import { describeBrowser } from "../support/browser-suite";
import { DEMO_PASSWORD } from "../support/hub-harness";
import { freePort, startHubProcess, type HubProcess } from "../support/hub-process";

/*
 * The hub killed (SIGKILL, like a power cut) while a take is going up, and started again on the same address a
 * little later: the element keeps retrying with backoff, resumes from the offset the restarted hub reports, and
 * the submitted recording has exactly the local take's bytes.
 */

jest.setTimeout(5 * 60_000);

const SALE = { customerNo: "C000000001", productCode: "WM2026001" };

describeBrowser("<dual-record> through a hub restart", () => {
  let dataDir: string;
  let hub: HubProcess | null = null;
  let browser: BrowserSession;
  let env: Record<string, string>;

  beforeAll(async () => {
    requireWidgetBundle();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dr-restart-"));
    env = {
      HUB_DATA_DIR: dataDir,
      HUB_DEMO_PASSWORD: DEMO_PASSWORD,
      HOST: "127.0.0.1",
      PORT: String(await freePort()),
    };
    hub = await startHubProcess(env);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("finishes the upload after the hub was killed mid-upload and restarted", async () => {
    const url = hub!.url;
    const context = await browser.newContext(url);
    const { rec } = await openTellerPage(
      context,
      url,
      { username: "sh.pd.sales1", password: DEMO_PASSWORD },
      SALE,
    );
    await rec.setAttr("upload-rate", 48); // slow, so the take is still going up when the hub dies
    const from = await rec.mark();
    await rec.call("start");
    await walkSaleSteps(rec, from, SALE, { dwellMs: 2000 }); // over 1 MiB: more than one PATCH
    await rec.call("stop");
    const local = await rec.get<string>("takeSha256");
    await rec.waitForEvent("dr-upload-progress", { from, timeoutMs: 60_000 });

    await hub!.kill();
    const cutAt = (await rec.events<{ sent: number }>("dr-upload-progress", from)).at(-1)!.detail.sent;
    await rec.call("save");
    await rec.begin("submit");
    await sleep(5000);
    expect(await rec.events("dr-submitted", from)).toEqual([]);
    expect(await rec.get("state")).toBe("uploading");

    hub = await startHubProcess(env);
    expect(hub.url).toBe(url);
    const submitted = await rec.waitForEvent<{ recordingId: string; sha256: string }>("dr-submitted", {
      from,
      timeoutMs: 180_000,
    });
    expect(submitted.detail.sha256).toBe(local);

    const login = await fetch(`${url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "sh.pd.manager", password: DEMO_PASSWORD }),
    });
    const { token } = (await login.json()) as { token: string };
    const kept = (await (
      await fetch(`${url}/api/v1/recordings/${submitted.detail.recordingId}`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as { media: { size: number; sha256: string } };
    expect(cutAt).toBeLessThan(kept.media.size);
    expect(kept.media.sha256).toBe(local);
    const media = await fetch(`${url}/api/v1/recordings/${submitted.detail.recordingId}/media`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const bytes = Buffer.from(await media.arrayBuffer());
    expect(crypto.createHash("sha256").update(bytes).digest("hex")).toBe(local);
    process.stdout.write(
      `  hub killed at ${cutAt} of ${kept.media.size} bytes uploaded; restarted; upload finished, SHA-256 equal\n`,
    );
    await context.close();
  });
});
