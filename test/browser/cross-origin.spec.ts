import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  launchBrowser,
  openTellerPage,
  requireWidgetBundle,
  walkSaleSteps,
  type BrowserSession,
} from "../support/browser";
import { describeBrowser } from "../support/browser-suite";
import { DEMO_PASSWORD } from "../support/hub-harness";
import { freePort, startHubProcess, type HubProcess } from "../support/hub-process";

/*
 * A host page served from another origin than the hub (here http://localhost:P embedding a hub addressed as
 * http://127.0.0.1:P: two origins for the browser), as when a teller system's own web server embeds the element:
 * with the page's origin in HUB_CORS_ORIGINS, a whole sale goes through — REST calls, the clock, and the tus upload.
 */

jest.setTimeout(4 * 60_000);

const SALE = { customerNo: "C000000001", productCode: "WM2026001" };

describeBrowser("<dual-record> on a page of another origin", () => {
  let dataDir: string;
  let hub: HubProcess | null = null;
  let browser: BrowserSession;
  let pageOrigin: string;

  beforeAll(async () => {
    requireWidgetBundle();
    const port = await freePort();
    pageOrigin = `http://localhost:${port}`;
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dr-cors-"));
    hub = await startHubProcess({
      HUB_DATA_DIR: dataDir,
      HUB_DEMO_PASSWORD: DEMO_PASSWORD,
      HOST: "127.0.0.1",
      PORT: String(port),
      HUB_CORS_ORIGINS: pageOrigin,
    });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("records and submits a sale across origins when the page's origin is allowed", async () => {
    const hubOrigin = hub!.url.replace(/\/$/, "");
    expect(hubOrigin).not.toBe(pageOrigin);
    const context = await browser.newContext(pageOrigin);
    const crossOrigin: string[] = [];
    context.on("request", (req) => {
      if (req.url().startsWith(hubOrigin)) crossOrigin.push(`${req.method()} ${new URL(req.url()).pathname}`);
    });
    const { page, rec } = await openTellerPage(
      context,
      pageOrigin,
      { username: "sh.pd.sales1", password: DEMO_PASSWORD },
      SALE,
    );
    expect(new URL(page.url()).origin).toBe(pageOrigin);
    await rec.setAttr("hub", hubOrigin);

    const from = await rec.mark();
    await rec.call("start");
    await walkSaleSteps(rec, from, SALE, { dwellMs: 800 });
    await rec.call("stop");
    const local = await rec.get<string>("takeSha256");
    const submitted = await rec.call<{ recordingId: string; sha256: string }>("submit");
    expect(submitted.sha256).toBe(local);

    // Everything the element did went to the other origin: the clock, the script, the draft, tus, the submit.
    for (const call of [
      "GET /api/v1/time",
      "GET /api/v1/scripts",
      "POST /api/v1/recordings",
      "POST /api/v1/uploads",
    ])
      expect(crossOrigin).toContain(call);
    expect(crossOrigin.some((c) => c.startsWith("PATCH /api/v1/uploads/"))).toBe(true);
    expect(crossOrigin).toContain(`POST /api/v1/recordings/${submitted.recordingId}/submit`);

    const res = await fetch(`${hubOrigin}/api/v1/recordings/${submitted.recordingId}`, {
      headers: { authorization: `Bearer ${await rec.get<string>("token")}` },
    });
    expect(((await res.json()) as { media: { sha256: string } }).media.sha256).toBe(local);
    await context.close();
  });
});
