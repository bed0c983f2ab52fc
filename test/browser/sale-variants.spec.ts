import type { BrowserContext } from "playwright-core";
import {
  launchBrowser,
  openTellerPage,
  requireWidgetBundle,
  sleep,
  type BrowserSession,
  type RecorderPage,
} from "../support/browser";
import { describeBrowser } from "../support/browser-suite";
import { DEMO_PASSWORD, startHarness, type Harness } from "../support/hub-harness";

/*
 * The other paths through a sale: a customer identified by a card swipe whose risk assessment has expired, so the
 * questionnaire is answered inline during the recording and the new level is used for the match; and a page that
 * passes no token, where the element's own login is used.
 */

declare const document: any;

jest.setTimeout(3 * 60_000);

const SELLER = "sh.pd.sales1";
/** 刘洋: assessed C4 long ago (expired), card 6222020000000004. */
const EXPIRED = { customerNo: "C000000004", card: "6222020000000004", productCode: "WM2026001" };

describeBrowser("<dual-record>: other paths through a sale", () => {
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

  async function step(rec: RecorderPage, from: number, code: string) {
    await rec.waitForEvent("dr-step", { from, match: { code } });
    await sleep(500);
  }

  it("identifies by card swipe; an expired assessment gets the questionnaire inline, and its level is matched", async () => {
    const seller = await h.login(SELLER);
    const before = await h.api("GET", `/api/v1/customers/${EXPIRED.customerNo}`, { token: seller });
    expect(before.body.assessment?.valid ?? false).toBe(false);
    const questionnaire = (await h.api("GET", "/api/v1/questionnaires/current", { token: seller })).body;
    // The most adventurous answer to every question: the customer comes out C5.
    const answers = Object.fromEntries(
      questionnaire.questions.map((q: { code: string; options: Array<{ code: string; score: number }> }) => [
        q.code,
        q.options.reduce((a, b) => (b.score > a.score ? b : a)).code,
      ]),
    );

    const { page, rec } = await openTellerPage(
      context,
      h.url,
      { username: SELLER, password: DEMO_PASSWORD },
      { customerNo: "", productCode: EXPIRED.productCode },
    );
    const from = await rec.mark();
    await rec.call("start");
    for (const code of ["consent", "staff-disclosure", "risk-warning"]) {
      await step(rec, from, code);
      await rec.call("next");
    }
    await step(rec, from, "customer-identification");
    await rec.call("next", { card: EXPIRED.card });

    await step(rec, from, "risk-assessment");
    // Without answers the step cannot be confirmed; the questionnaire is on screen.
    expect(await rec.tryCall("next")).toMatchObject({ ok: false, error: { code: "DR_INPUT_REQUIRED" } });
    const shown = await page.evaluate(
      () =>
        document.querySelector("dual-record").shadowRoot.querySelectorAll("[part=questionnaire] fieldset")
          .length,
    );
    expect(shown).toBe(questionnaire.questions.length);
    await rec.call("next", { answers });

    await step(rec, from, "product-match");
    await rec.call("next", { productCode: EXPIRED.productCode });
    for (const code of ["product-introduction", "confirmation"]) {
      await step(rec, from, code);
      await rec.call("next");
    }
    expect(await rec.events("dr-risk-mismatch", from)).toEqual([]);
    await rec.call("stop");
    const submitted = await rec.call<{ recordingId: string }>("submit");

    const after = await h.api("GET", `/api/v1/customers/${EXPIRED.customerNo}`, { token: seller });
    expect(after.body.assessment).toMatchObject({ level: "C5", valid: true, source: "questionnaire" });
    const recording = await h.api("GET", `/api/v1/recordings/${submitted.recordingId}`, { token: seller });
    expect(recording.body).toMatchObject({ customerNo: EXPIRED.customerNo, status: "submitted" });
    expect(recording.body.watermark.customerNo).toBe(EXPIRED.customerNo);
  });

  it("identifies by name: one match is the customer, several are listed to pick from", async () => {
    const seller = await h.login(SELLER);
    const byName = await h.api("GET", `/api/v1/customers/lookup?name=${encodeURIComponent("张伟")}`, {
      token: seller,
    });
    const matches: Array<{ customerNo: string }> = byName.body.items;
    expect(matches.map((c) => c.customerNo)).toContain("C000000001");

    const { page, rec } = await openTellerPage(
      context,
      h.url,
      { username: SELLER, password: DEMO_PASSWORD },
      { customerNo: "", productCode: "WM2026001" },
    );
    const from = await rec.mark();
    await rec.call("start");
    for (const code of ["consent", "staff-disclosure", "risk-warning"]) {
      await step(rec, from, code);
      await rec.call("next");
    }
    await step(rec, from, "customer-identification");
    if (matches.length > 1) {
      expect(await rec.tryCall("next", { name: "张伟" })).toMatchObject({
        ok: false,
        error: { code: "DR_INPUT_REQUIRED" },
      });
      const listed = await page.evaluate(
        () => document.querySelector("dual-record").shadowRoot.querySelectorAll("[part=candidate]").length,
      );
      expect(listed).toBe(matches.length);
      await rec.call("next", { customerNo: "C000000001" });
    } else {
      await rec.call("next", { name: "张伟" });
    }
    await step(rec, from, "risk-assessment");
    await rec.call("abort", "name search test");
    const abort = await h.api("GET", "/api/v1/audit?action=recording.abort", {
      token: await h.login("sh.admin"),
    });
    expect(abort.body.items[0].details).toMatchObject({ customerNo: "C000000001", step: "risk-assessment" });
  });

  it("logs in through its own form when the page passes no token", async () => {
    const page = await context.newPage();
    await page.goto(`${h.url}/demo/index.html`);
    await page.setContent(`<dual-record product-code="WM2026001" customer-no="C000000001"></dual-record>
      <script type="module" src="/widgets/dual-record.js"></script>`);
    await page.waitForSelector("dual-record >> [part=login]");
    await page.fill("dual-record >> input[name=username]", SELLER);
    await page.fill("dual-record >> input[name=password]", "wrong-password-1");
    await page.click("dual-record >> [part=login] button[type=submit]");
    await page.waitForSelector("dual-record >> [part=login] .error");
    expect(await page.textContent("dual-record >> [part=login] .error")).toBeTruthy();

    await page.fill("dual-record >> input[name=password]", DEMO_PASSWORD);
    await page.click("dual-record >> [part=login] button[type=submit]");
    await page.waitForSelector("dual-record >> [part=setup]");
    const state = await page.evaluate(async () => {
      const el = document.querySelector("dual-record");
      await el.start();
      const during = el.state;
      await el.abort("login test");
      return { during, after: el.state };
    });
    expect(state).toEqual({ during: "consent", after: "aborted" });
  });
});
