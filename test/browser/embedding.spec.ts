import type { BrowserContext, Page } from "playwright-core";
import { launchBrowser, openTellerPage, requireWidgetBundle, type BrowserSession } from "../support/browser";
import { describeBrowser } from "../support/browser-suite";
import { DEMO_PASSWORD, startHarness, type Harness } from "../support/hub-harness";

// The functions handed to page.evaluate run in Chromium; this project is typed for Node (no DOM lib), so the page's
// globals are declared loosely here, for this file only.
declare const document: any, window: any, getComputedStyle: any;

/*
 * Living inside somebody else's page: the module is self-contained, does not fight a host that already defines
 * the tag, can be registered under another name or in a scoped registry, keeps the host's CSS out, and its
 * events reach the host's own listeners.
 */

jest.setTimeout(2 * 60_000);

type Loose = Record<string, any>;

describeBrowser("<dual-record> in a host page", () => {
  let h: Harness;
  let browser: BrowserSession;
  let context: BrowserContext;
  let pageErrors: string[];
  let warnings: string[];

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
    pageErrors = [];
    warnings = [];
  });
  afterEach(async () => {
    await context?.close();
  });

  /** A blank page of the hub's origin with `html` as its body (the module URLs are the hub's). */
  async function hostPage(html: string): Promise<Page> {
    const page = await context.newPage();
    page.on("pageerror", (err) => pageErrors.push(err.message));
    page.on("console", (m) => m.type() === "warning" && warnings.push(m.text()));
    await page.goto(`${h.url}/demo/index.html`);
    await page.setContent(html);
    return page;
  }

  it("is one module with no bare imports", async () => {
    const res = await fetch(`${h.url}/widgets/dual-record.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/javascript/);
    const code = await res.text();
    expect(code).not.toMatch(/(?:^|[;\s])import\s*[^(]*?from\s*["'][^./]/m);
    expect(code).not.toMatch(/\bimport\(\s*["'][^./]/);
  });

  it("leaves a tag the host already defined alone, and registers under another name on request", async () => {
    const page = await hostPage(`
      <script>
        customElements.define("dual-record", class extends HTMLElement { hostOwn = true; });
      </script>
      <dual-record id="host"></dual-record>
      <script type="module" src="/widgets/dual-record.js"></script>`);
    await page.waitForFunction(() => (window as unknown as Loose).document.readyState === "complete");
    // A string, not a function: the test's compiler would turn import() into require().
    const result = await page.evaluate(`(async () => {
      const mod = await import("/widgets/dual-record.js?define=none");
      customElements.define("bank-dual-record", mod.DualRecordElement);
      const own = document.createElement("bank-dual-record");
      document.body.append(own);
      await own.updateComplete;
      const host = document.getElementById("host");
      return {
        hostOwn: host.hostOwn === true,
        state: own.state,
        rendered: Boolean(own.shadowRoot?.querySelector("[part=login], [part=setup]")),
      };
    })()`);
    expect(result).toEqual({ hostOwn: true, state: "idle", rendered: true });
    expect(pageErrors).toEqual([]);
    expect(warnings.some((w) => w.includes("<dual-record> is already defined"))).toBe(true);
  });

  it("?define=none registers nothing; a scoped registry gets the element inside the host's shadow root", async () => {
    const page = await hostPage(`<div id="widget-host"></div>`);
    const result = await page.evaluate(`(async () => {
      const mod = await import("/widgets/dual-record.js?define=none");
      const globallyDefined = Boolean(customElements.get("dual-record"));
      const registry = new CustomElementRegistry();
      registry.define("dual-record", mod.DualRecordElement);
      const shadow = document
        .getElementById("widget-host")
        .attachShadow({ mode: "open", customElementRegistry: registry });
      shadow.innerHTML = '<dual-record lang="en"></dual-record>';
      const el = shadow.firstElementChild;
      await el.updateComplete;
      return {
        globallyDefined,
        stillNotGlobal: !customElements.get("dual-record"),
        upgraded: el instanceof mod.DualRecordElement,
        loginText: el.shadowRoot?.querySelector("[part=login] h2")?.textContent,
      };
    })()`);
    expect(result).toEqual({
      globallyDefined: false,
      stillNotGlobal: true,
      upgraded: true,
      loginText: "Log in to the dual-record hub",
    });
    expect(pageErrors).toEqual([]);
  });

  it("keeps the teller screen's global CSS out, and its dr-* events reach the host's listeners", async () => {
    const { page, rec } = await openTellerPage(
      context,
      h.url,
      { username: "sh.pd.sales1", password: DEMO_PASSWORD },
      { customerNo: "C000000001", productCode: "WM2026001" },
    );
    const styles = await page.evaluate(() => {
      const hostButton = document.getElementById("teller-login")!;
      const inner = document.querySelector("dual-record")!.shadowRoot!.querySelector("[part=start-button]")!;
      const pick = (el: unknown) => {
        const s = getComputedStyle(el);
        return { font: s.fontFamily, bg: s.backgroundColor, border: s.borderTopStyle };
      };
      return { host: pick(hostButton), inner: pick(inner) };
    });
    // The host styles every button its way; the element's start button keeps the element's theme.
    expect(styles.inner).not.toEqual(styles.host);
    expect(styles.inner.bg).toBe("rgb(200, 16, 46)"); // --dr-accent's default

    const heard = await page.evaluate(async () => {
      const seen: Array<{ type: string; composed: boolean; bubbles: boolean }> = [];
      document.body.addEventListener("dr-state-change", (e: Loose) =>
        seen.push({ type: e.type, composed: e.composed, bubbles: e.bubbles }),
      );
      const el = document.querySelector("dual-record") as Loose;
      await el.start();
      await el.abort("embedding test");
      return seen;
    });
    expect(heard.map((e) => e.type)).toEqual(["dr-state-change", "dr-state-change"]);
    expect(heard.every((e) => e.composed && e.bubbles)).toBe(true);
    expect(await rec.get("state")).toBe("aborted");
  });
});
