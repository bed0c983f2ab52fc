import fs from "node:fs";
import path from "node:path";
import type { BrowserContext } from "playwright-core";
import {
  launchBrowser,
  openTellerPage,
  requireWidgetBundle,
  sleep,
  SALE_STEPS,
  type BrowserSession,
  type RecorderPage,
} from "../support/browser";
import { describeBrowser } from "../support/browser-suite";
import { DEMO_PASSWORD, startHarness, type Harness } from "../support/hub-harness";
import { streamsOf } from "../support/media-probe";

/*
 * The other two modes of <dual-record>: a follow-up call (回访, audio only, three steps) and a supplementary
 * recording (补录) of an earlier sale, each submitted and checked at the hub.
 */

jest.setTimeout(4 * 60_000);

const SELLER = "sh.pd.sales1";
const SALE = { customerNo: "C000000001", productCode: "WM2026001" };

describeBrowser("<dual-record> modes", () => {
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
  });
  afterEach(async () => {
    await context?.close();
  });

  /** Confirms every step of the mode with next(), the customer's number at identification. */
  async function walk(rec: RecorderPage, from: number, codes: readonly string[]) {
    for (const code of codes) {
      await rec.waitForEvent("dr-step", { from, match: { code } });
      await sleep(700);
      if (code === "customer-identification") await rec.call("next", { customerNo: SALE.customerNo });
      else if (code === "product-match") await rec.call("next", { productCode: SALE.productCode });
      else await rec.call("next");
    }
  }

  async function kept(id: string) {
    const res = await h.api("GET", `/api/v1/recordings/${id}`, { token: await h.login(SELLER) });
    expect(res.status).toBe(200);
    return res.body;
  }

  it("a follow-up call records audio only, through consent, identification and confirmation", async () => {
    const { rec } = await openTellerPage(context, h.url, { username: SELLER, password: DEMO_PASSWORD }, SALE);
    await rec.setAttr("mode", "callback");
    const from = await rec.mark();
    await rec.call("start");
    await walk(rec, from, ["consent", "customer-identification", "confirmation"]);
    await rec.call("stop");
    const submitted = await rec.call<{ recordingId: string; sha256: string }>("submit");
    const steps = (await rec.events<{ code: string }>("dr-step", from)).map((e) => e.detail.code);
    expect(steps).toEqual(["consent", "customer-identification", "confirmation"]);

    const recording = await kept(submitted.recordingId);
    expect(recording).toMatchObject({
      kind: "callback",
      status: "submitted",
      media: { sha256: submitted.sha256 },
    });
    expect(recording.media.type).toMatch(/^audio\/webm/);
    const media = await fetch(`${h.url}/api/v1/recordings/${submitted.recordingId}/media`, {
      headers: { authorization: `Bearer ${await h.login("sh.pd.manager")}` },
    });
    const file = path.join(browser.dir, "callback.webm");
    fs.writeFileSync(file, Buffer.from(await media.arrayBuffer()));
    expect(streamsOf(file).map((s) => s.codec_type)).toEqual(["audio"]);
  });

  it("a supplementary recording names the sale it belongs to and walks the whole script", async () => {
    // The sale it supplements: recorded first, with the same element.
    const { rec } = await openTellerPage(context, h.url, { username: SELLER, password: DEMO_PASSWORD }, SALE);
    let from = await rec.mark();
    await rec.call("start");
    await walk(rec, from, SALE_STEPS);
    await rec.call("stop");
    const sale = await rec.call<{ recordingId: string }>("submit");

    await rec.setAttr("mode", "supplement");
    await rec.setAttr("supplement-id", sale.recordingId);
    from = await rec.mark();
    await rec.call("start");
    // A supplement's draft is made at once (its sale already passed the match).
    expect(await rec.get("recordingId")).toMatch(/^[0-9a-f]{32}$/);
    await walk(rec, from, SALE_STEPS);
    await rec.call("stop");
    const submitted = await rec.call<{ recordingId: string; sha256: string }>("submit");
    const recording = await kept(submitted.recordingId);
    expect(recording).toMatchObject({
      kind: "supplement",
      relatedTo: sale.recordingId,
      status: "submitted",
      media: { sha256: submitted.sha256 },
    });
    expect(recording.steps.map((s: { code: string }) => s.code)).toEqual([...SALE_STEPS]);
  });

  it("a supplement without the sale it belongs to is refused before the camera opens", async () => {
    const { rec } = await openTellerPage(context, h.url, { username: SELLER, password: DEMO_PASSWORD }, SALE);
    await rec.setAttr("mode", "supplement");
    const outcome = await rec.tryCall("start");
    expect(outcome).toMatchObject({ ok: false, error: { code: "DR_INPUT_REQUIRED" } });
    expect((outcome as { error: { message: string } }).error.message).toContain("supplement-id");
    expect(await rec.get("state")).toBe("error");
  });
});
