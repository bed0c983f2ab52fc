import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { launchBrowser, requireWidgetBundle, LIBRARY_BUNDLE, type BrowserSession } from "../support/browser";
import { describeBrowser } from "../support/browser-suite";
import { DEMO_PASSWORD, startHarness, type Harness } from "../support/hub-harness";
import { TusClient } from "../support/tus";

// The functions handed to page.evaluate run in Chromium; this project is typed for Node (no DOM lib), so the page's
// globals are declared loosely here, for this file only.
declare const document: any;

/*
 * <dual-record-library> on the CRM demo page (/demo/crm.html): a manager finds a customer's recordings and plays
 * one back, seeking with HTTP Range through a playback ticket; a salesperson may not replay; another outlet's
 * manager sees nothing of this outlet. Recordings are made through the API with a real 30 s WebM.
 */

jest.setTimeout(3 * 60_000);

const SELLER = "sh.pd.sales1";
const CUSTOMER = "C000000001";
const SECONDS = 30;

type Loose = Record<string, any>;

describeBrowser("<dual-record-library> on the CRM demo page", () => {
  let h: Harness;
  let browser: BrowserSession;
  let context: BrowserContext;
  const ids: string[] = [];

  beforeAll(async () => {
    requireWidgetBundle(LIBRARY_BUNDLE);
    h = await startHarness("embedded-sqlite");
    browser = await launchBrowser();
    const file = path.join(browser.dir, "sale.webm");
    const made = spawnSync(
      "ffmpeg",
      [
        ...["-v", "error", "-f", "lavfi", "-i", `testsrc2=duration=${SECONDS}:size=640x360:rate=15`],
        ...["-f", "lavfi", "-i", `sine=duration=${SECONDS}`, "-c:v", "libvpx", "-b:v", "800k"],
        ...["-c:a", "libopus", "-y", file],
      ],
      { encoding: "utf8" },
    );
    if (made.status !== 0) throw new Error(`ffmpeg: ${made.stderr}`);
    const bytes = fs.readFileSync(file);
    const token = await h.login(SELLER);
    for (let i = 0; i < 2; i++) {
      const draft = await h.api("POST", "/api/v1/recordings", {
        token,
        body: { customerNo: CUSTOMER, productCode: "WM2026001", kind: "sale" },
      });
      expect(draft.status).toBe(201);
      const tus = new TusClient(h.url, token);
      const created = await tus.create(draft.body.id, bytes.length);
      expect((await tus.patch(created.uploadUrl!, 0, bytes)).status).toBe(204);
      const submitted = await h.api("POST", `/api/v1/recordings/${draft.body.id}/submit`, {
        token,
        body: {
          startedAt: "2026-11-23T09:30:00.000Z",
          endedAt: "2026-11-23T09:30:30.000Z",
          steps: [{ code: "consent", at: 0 }],
          watermark: { clock: "hub" },
        },
      });
      expect(submitted.status).toBe(200);
      ids.push(draft.body.id);
    }
  });
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });
  beforeEach(async () => {
    context = await browser.newContext(h.url);
  });
  afterEach(async () => {
    await context?.close();
  });

  /** The CRM page, logged in through its own login box as `username`, with the customer's view open. */
  async function crmAs(username: string): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${h.url}/demo/crm.html`);
    await page.fill("#login-user", username);
    await page.fill("#login-password", DEMO_PASSWORD);
    await page.click("#login-form button[type=submit]");
    await page.waitForFunction(() =>
      Boolean((document.getElementById("library") as unknown as Loose)?.token),
    );
    return page;
  }

  it("a manager finds the customer's recordings and plays one, seeking with Range requests", async () => {
    const page = await crmAs("sh.pd.manager");
    const media: Array<{ range: string | undefined; status: number; url: string }> = [];
    page.on("response", (res) => {
      if (res.url().includes("/media?"))
        media.push({ range: res.request().headers()["range"], status: res.status(), url: res.url() });
    });

    const found = await page.evaluate(async (customerNo) => {
      const lib = document.getElementById("library") as unknown as Loose;
      const result = await lib.search({ customerNo });
      return { total: result.total, customers: result.items.map((r: Loose) => r.customerNo) };
    }, CUSTOMER);
    expect(found.total).toBeGreaterThanOrEqual(2);
    expect(new Set(found.customers)).toEqual(new Set([CUSTOMER]));

    const played = await page.evaluate(async (id) => {
      const lib = document.getElementById("library") as unknown as Loose;
      await lib.play(id);
      const video = lib.shadowRoot.querySelector("video[part~=player]") as Loose;
      video.muted = true;
      const seeked = new Promise((resolve) => video.addEventListener("seeked", resolve, { once: true }));
      video.currentTime = 25;
      await seeked;
      return { duration: video.duration, at: video.currentTime, src: video.currentSrc };
    }, ids[0]);
    expect(played.src).toContain("ticket=");
    expect(played.src).not.toMatch(/Bearer|token=/);
    expect(Math.abs(played.at - 25)).toBeLessThan(1.5);

    const ranged = media.filter((m) => m.status === 206 && /^bytes=[1-9]\d*-/.test(m.range ?? ""));
    expect(ranged.length).toBeGreaterThanOrEqual(1); // a seek far into the file asked for bytes from the middle
    expect(media.every((m) => m.status === 200 || m.status === 206)).toBe(true);
  });

  it("a salesperson may not replay: a clear message and dr-error, no video", async () => {
    const page = await crmAs(SELLER);
    const outcome = await page.evaluate(async (id) => {
      const lib = document.getElementById("library") as unknown as Loose;
      const errors: string[] = [];
      lib.addEventListener("dr-error", (e: Loose) => errors.push(e.detail.code));
      const code = await lib.play(id).then(
        () => null,
        (err: Loose) => err.code,
      );
      await lib.updateComplete;
      return {
        code,
        errors,
        video: Boolean(lib.shadowRoot.querySelector("video")),
        text: lib.shadowRoot.textContent as string,
      };
    }, ids[0]);
    expect(outcome.code).toBe("HUB_RECORDING_NO_REPLAY");
    expect(outcome.errors).toContain("HUB_RECORDING_NO_REPLAY");
    expect(outcome.video).toBe(false);
    expect(outcome.text).toContain("您的角色不能回放录音录像");
  });

  it("another outlet's manager finds none of them: the list is the hub's scope, not the element's", async () => {
    const page = await crmAs("bj.cy.manager");
    const found = await page.evaluate(async (customerNo) => {
      const lib = document.getElementById("library") as unknown as Loose;
      const result = await lib.search({ customerNo });
      return result.items.map((r: Loose) => r.id);
    }, CUSTOMER);
    for (const id of ids) expect(found).not.toContain(id);
  });

  it("the page a CRM timeline entry links to lists and plays that recording once the manager signs in", async () => {
    const page = await context.newPage();
    await page.goto(`${h.url}/view/recording.html?id=${ids[1]}`);
    // The element's own login (no host session): Playwright's selectors reach into its shadow root.
    await page.fill("dual-record-library input[name=username]", "sh.pd.manager");
    await page.fill("dual-record-library input[name=password]", DEMO_PASSWORD);
    await page.click("dual-record-library form[part~=login] button[type=submit]");
    await page.waitForFunction(
      () => {
        const lib = document.getElementById("library") as unknown as Loose;
        const video = lib?.shadowRoot?.querySelector("video[part~=player]") as Loose;
        return Boolean(video && video.readyState >= 1);
      },
      undefined,
      { timeout: 30_000 },
    );
    const shown = await page.evaluate(() => {
      const lib = document.getElementById("library") as unknown as Loose;
      const video = lib.shadowRoot.querySelector("video[part~=player]") as Loose;
      return { listed: lib.results.map((r: Loose) => r.id), duration: video.duration as number };
    });
    expect(shown.listed).toEqual([ids[1]]);
    expect(shown.duration).toBeGreaterThan(SECONDS - 2);
  });

  it("the same link opened by a salesperson shows the refusal, no video", async () => {
    const page = await context.newPage();
    await page.goto(`${h.url}/view/recording.html?id=${ids[1]}`);
    await page.fill("dual-record-library input[name=username]", SELLER);
    await page.fill("dual-record-library input[name=password]", DEMO_PASSWORD);
    await page.click("dual-record-library form[part~=login] button[type=submit]");
    await page.waitForFunction(
      () => {
        const lib = document.getElementById("library") as unknown as Loose;
        return (lib?.shadowRoot?.textContent ?? "").includes("您的角色不能回放录音录像");
      },
      undefined,
      { timeout: 30_000 },
    );
    expect(
      await page.evaluate(() =>
        Boolean((document.getElementById("library") as unknown as Loose).shadowRoot.querySelector("video")),
      ),
    ).toBe(false);
  });
});
