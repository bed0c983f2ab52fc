import { chromium, type BrowserContext, type Page } from "playwright-core";
import {
  CHROMIUM_PATH,
  launchBrowser,
  openTellerPage,
  requireWidgetBundle,
  sleep,
  walkSaleSteps,
  type BrowserSession,
  type RecorderPage,
} from "../support/browser";
import { describeBrowser } from "../support/browser-suite";
import { DEMO_PASSWORD, startHarness, type Harness } from "../support/hub-harness";

// The functions handed to page.evaluate run in Chromium; this project is typed for Node (no DOM lib), so the page's
// globals are declared loosely here, for this file only.
declare const document: any, window: any, customElements: any;
type Loose = Record<string, any>;

/*
 * The "bad input and faults" for <dual-record>, in Chromium against a real hub: no camera, permission
 * denied, the camera unplugged mid-recording, storage running out, the token expiring mid-upload, the hub
 * unreachable at start. Each ends in a clear dr-error and a state the staff can go on from, and loses nothing that
 * was captured. Where Chromium cannot produce the fault itself (its fake camera cannot be unplugged or be absent),
 * the page's getUserMedia is wrapped to answer as a real browser does: with the same DOMException, or a track that
 * ends.
 */

jest.setTimeout(4 * 60_000);

const SELLER = "sh.pd.sales1";
const SALE = { customerNo: "C000000001", productCode: "WM2026001" };
const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Keeps every stream getUserMedia hands out (to end its tracks), or makes it fail with `__gumFailWith`; and
 * reports `__storageRoom` bytes free when set (Chromium enforces a quota override from CDP, but its
 * navigator.storage.estimate() does not reflect it).
 */
const GUM_WRAPPER = `(() => {
  const estimate = navigator.storage.estimate.bind(navigator.storage);
  navigator.storage.estimate = async () =>
    window.__storageRoom ? { quota: window.__storageRoom, usage: 0 } : estimate();
  const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  window.__streams = [];
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    if (window.__gumFailWith) throw new DOMException("simulated", window.__gumFailWith);
    const stream = await real(constraints);
    window.__streams.push(stream);
    return stream;
  };
})();`;

describeBrowser("<dual-record> faults", () => {
  let h: Harness;
  let browser: BrowserSession;
  let context: BrowserContext;

  beforeAll(async () => {
    requireWidgetBundle();
    h = await startHarness("embedded-sqlite");
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });
  beforeEach(async () => {
    context = await browser.newContext(h.url);
    await context.addInitScript({ content: GUM_WRAPPER });
  });
  afterEach(async () => {
    await context?.close();
  });

  const open = () => openTellerPage(context, h.url, { username: SELLER, password: DEMO_PASSWORD }, SALE);

  async function statusText(page: Page): Promise<string> {
    return page.evaluate(
      () =>
        document.querySelector("dual-record")!.shadowRoot!.querySelector("[part=status]")!.textContent ?? "",
    );
  }

  async function expectError(rec: RecorderPage, from: number, code: string) {
    const event = await rec.waitForEvent<{ code: string; message: string }>("dr-error", {
      from,
      match: { code },
    });
    expect(event.detail.message.length).toBeGreaterThan(3);
    return event.detail;
  }

  it("hub unreachable at start: a clear message, state error, and a retry that works", async () => {
    const { page, rec } = await open();
    await rec.setAttr("hub", "http://127.0.0.1:9");
    const from = await rec.mark();
    const outcome = await rec.tryCall("start");
    expect(outcome).toMatchObject({ ok: false, error: { code: "HUB_UNREACHABLE" } });
    const error = await expectError(rec, from, "HUB_UNREACHABLE");
    expect(error.message).toContain("无法连接双录服务器");
    expect(await rec.get("state")).toBe("error");
    expect(await statusText(page)).toContain("无法连接双录服务器");

    await rec.setAttr("hub", h.url);
    const retry = await rec.mark();
    await rec.call("start");
    await rec.waitForState("consent", { from: retry });
    await rec.call("abort", "test over");
    expect(await rec.get("state")).toBe("aborted");
  });

  it.each([
    ["NotAllowedError", "DR_PERMISSION_DENIED", "权限被拒绝"],
    ["NotFoundError", "DR_NO_DEVICE", "未检测到摄像头"],
  ])("getUserMedia answering %s: %s, state error, nothing recorded", async (name, code, text) => {
    const { page, rec } = await open();
    await page.evaluate(
      (name) => ((window as unknown as { __gumFailWith: string }).__gumFailWith = name),
      name,
    );
    const from = await rec.mark();
    expect(await rec.tryCall("start")).toMatchObject({ ok: false, error: { code } });
    expect((await expectError(rec, from, code)).message).toContain(text);
    expect(await rec.get("state")).toBe("error");
    expect(await rec.call("recoverPending")).toEqual([]);
  });

  it("permission denied by the browser itself: its own prompt, answered no", async () => {
    // A Chromium of its own, without the flag that says yes to every prompt: headless, nobody answers, and the
    // browser refuses the camera exactly as when a teller clicks "block".
    const strict = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--use-fake-device-for-media-stream"],
    });
    try {
      const page = await (await strict.newContext()).newPage();
      await page.goto(`${h.url}/demo/teller.html`);
      const token = await h.login(SELLER);
      const result = await page.evaluate(
        async ({ token, sale }) => {
          await customElements.whenDefined("dual-record");
          const el = document.querySelector("dual-record") as Record<string, any>;
          const errors: string[] = [];
          el.addEventListener("dr-error", (e: Loose) => errors.push(e.detail.code));
          el.token = token;
          el.productCode = sale.productCode;
          el.customerNo = sale.customerNo;
          const code = await el.start().then(
            () => null,
            (err: { code: string }) => err.code,
          );
          return { code, errors, state: el.state };
        },
        { token, sale: SALE },
      );
      expect(result).toEqual({
        code: "DR_PERMISSION_DENIED",
        errors: ["DR_PERMISSION_DENIED"],
        state: "error",
      });
    } finally {
      await strict.close();
    }
  });

  it("camera unplugged mid-recording: stops safely, keeps what was captured, and it can still be submitted", async () => {
    const { page, rec } = await open();
    const from = await rec.mark();
    await rec.call("start");
    await walkSaleSteps(rec, from, SALE, { dwellMs: 600, until: "product-introduction" });
    await sleep(1500);
    await page.evaluate(() => {
      for (const stream of (window as unknown as { __streams: Loose[] }).__streams)
        for (const track of stream.getVideoTracks()) {
          track.stop();
          track.dispatchEvent(new Event("ended")); // what the browser fires when the device goes away
        }
    });
    await expectError(rec, from, "DR_DEVICE_LOST");
    await rec.waitForState("previewing", { from });
    const sha = await rec.get<string>("takeSha256");
    expect(sha).toMatch(HEX64);
    const steps = (await rec.events<{ code: string }>("dr-step", from)).map((e) => e.detail.code);
    expect(steps.at(-1)).toBe("product-introduction");

    const submitted = await rec.call<{ recordingId: string; sha256: string }>("submit");
    expect(submitted.sha256).toBe(sha);
    const kept = await h.api("GET", `/api/v1/recordings/${submitted.recordingId}`, {
      token: await h.login(SELLER),
    });
    expect(kept.body).toMatchObject({ status: "submitted", media: { sha256: sha } });
    expect(kept.body.media.size).toBeGreaterThan(50_000);
  });

  it("storage: warns before a recording when little room is left, and records all the same", async () => {
    const { page, rec } = await open();
    // 300 MB left: less than the hour a recording may take.
    await page.evaluate(
      () => ((window as unknown as { __storageRoom: number }).__storageRoom = 300 * 1024 * 1024),
    );
    const from = await rec.mark();
    await rec.call("start");
    expect((await expectError(rec, from, "DR_STORAGE_LOW")).message).toContain("存储空间不足");
    expect(await rec.get("state")).toBe("consent"); // a warning, not a refusal
    await rec.call("abort", "quota test");
  });

  it("storage: a full disk stops the recording safely; what was stored is kept and can be submitted", async () => {
    const { page, rec } = await open();
    const session = await context.newCDPSession(page);
    // Room for a few seconds of video only, enforced by Chromium itself.
    const { usage } = (await session.send("Storage.getUsageAndQuota", { origin: h.url })) as {
      usage: number;
    };
    await session.send("Storage.overrideQuotaForOrigin", { origin: h.url, quotaSize: usage + 600_000 });
    const from = await rec.mark();
    await rec.call("start");
    await expectError(rec, from, "DR_QUOTA_EXCEEDED");
    await rec.waitForState("previewing", { from, timeoutMs: 60_000 });
    const sha = await rec.get<string>("takeSha256");
    expect(sha).toMatch(HEX64);

    // Space freed: the take that was kept goes to the hub byte for byte.
    await session.send("Storage.overrideQuotaForOrigin", { origin: h.url });
    const submitted = await rec.call<{ recordingId: string; sha256: string }>("submit");
    expect(submitted.sha256).toBe(sha);
    const kept = await h.api("GET", `/api/v1/recordings/${submitted.recordingId}`, {
      token: await h.login(SELLER),
    });
    expect(kept.body.media).toMatchObject({ sha256: sha });
    expect(kept.body.media.size).toBeGreaterThan(50_000);
    expect(kept.body.media.size).toBeLessThanOrEqual(600_000);
  });

  it("token expired mid-upload: the upload waits for a new token, then completes with every byte", async () => {
    const { rec } = await open();
    const from = await rec.mark();
    await rec.call("start");
    await walkSaleSteps(rec, from, SALE, { dwellMs: 600 });
    await sleep(2500); // the draft exists since the product match: the upload is running
    const oldToken = await rec.get<string>("token");
    expect((await h.api("POST", "/api/v1/auth/logout", { token: oldToken })).status).toBe(200);
    await rec.call("stop");
    await rec.call("save");
    const authError = await rec.waitForEvent<{ code: string }>("dr-error", { from, timeoutMs: 60_000 });
    expect(authError.detail.code).toMatch(/^HUB_AUTH_/);
    expect(await rec.get("state")).toBe("uploading");

    await rec.setAttr("token", await h.login(SELLER)); // the host logs in again
    const submitted = await rec.call<{ recordingId: string; sha256: string }>("submit");
    const sha = await rec.get<string>("takeSha256");
    expect(submitted.sha256).toBe(sha);
    const kept = await h.api("GET", `/api/v1/recordings/${submitted.recordingId}`, {
      token: await h.login(SELLER),
    });
    expect(kept.body.media.sha256).toBe(sha);
  });
});
