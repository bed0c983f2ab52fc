import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from "playwright-core";
import { PROJECT_ROOT } from "../../hub/paths";

/*
 * A real Chromium (Debian's, driven by playwright-core) with a fake camera and microphone, for the browser tests
 * and bench:widget. No Jest globals here: the bench imports it too.
 */

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const WIDGET_DIST = path.join(PROJECT_ROOT, "widgets", "recorder-element", "dist");
export const RECORDER_BUNDLE = path.join(WIDGET_DIST, "dual-record.js");
export const LIBRARY_BUNDLE = path.join(WIDGET_DIST, "dual-record-library.js");
const DRIVER_SCRIPT = path.join(PROJECT_ROOT, "test", "support", "page-driver.browser.js");

/** The script steps of a sale, in order (GET /api/v1/scripts). */
export const SALE_STEPS = [
  "consent",
  "staff-disclosure",
  "risk-warning",
  "customer-identification",
  "risk-assessment",
  "product-match",
  "product-introduction",
  "confirmation",
] as const;

export type RecorderStateName =
  | "idle"
  | "consent"
  | "recording"
  | "stopped"
  | "previewing"
  | "saving"
  | "uploading"
  | "submitted"
  | "aborted"
  | "error";

function onPath(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** What this machine lacks for the browser tests (Chromium, ffmpeg, ffprobe), or null when nothing. */
export function browserProblem(): string | null {
  const missing: string[] = [];
  if (!executable(CHROMIUM_PATH)) {
    missing.push(`Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`);
  }
  for (const tool of ["ffmpeg", "ffprobe"])
    if (!onPath(tool)) missing.push(`${tool} (apt-get install ffmpeg)`);
  return missing.length ? `missing ${missing.join(", ")}` : null;
}

/** Throws unless the widget bundle is built: the hub serves it from dist/ at /widgets/dual-record.js. */
export function requireWidgetBundle(file = RECORDER_BUNDLE): void {
  if (!fs.existsSync(file)) {
    throw new Error(
      `${path.relative(PROJECT_ROOT, file)} does not exist: build the element with \`npm run build:widget\``,
    );
  }
}

export interface FakeCamera {
  width: number;
  height: number;
  fps: number;
}

export const TELLER_CAMERA: FakeCamera = { width: 1280, height: 720, fps: 15 };

export interface BrowserSession {
  browser: Browser;
  camera: FakeCamera;
  /** A temp dir of this session (the fake camera's video), removed by close(). */
  dir: string;
  /** A fresh context (own storage) where `origin` may use the camera and microphone, with the page driver. */
  newContext(origin: string): Promise<BrowserContext>;
  close(): Promise<void>;
}

/**
 * Launches Chromium with a fake camera playing a test card (ffmpeg's testsrc2, a few seconds looped) of exactly
 * the given size and rate, so recorded frames are real pictures; the fake microphone plays Chromium's beeps.
 */
export async function launchBrowser(camera: FakeCamera = TELLER_CAMERA): Promise<BrowserSession> {
  const problem = browserProblem();
  if (problem) throw new Error(`cannot run Chromium here: ${problem}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dr-browser-"));
  const y4m = path.join(dir, "camera.y4m");
  const made = spawnSync(
    "ffmpeg",
    [
      ...["-v", "error", "-f", "lavfi"],
      ...["-i", `testsrc2=size=${camera.width}x${camera.height}:rate=${camera.fps}`],
      ...["-t", "4", "-pix_fmt", "yuv420p", "-y", y4m],
    ],
    { encoding: "utf8" },
  );
  if (made.status !== 0) throw new Error(`ffmpeg could not make the fake camera's video: ${made.stderr}`);
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        `--use-file-for-fake-video-capture=${y4m}`,
        // A recording must go on while the teller looks at another window.
        "--disable-background-timer-throttling",
        "--disable-renderer-backgrounding",
      ],
    });
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const driver = fs.readFileSync(DRIVER_SCRIPT, "utf8");
  return {
    browser,
    camera,
    dir,
    async newContext(origin: string) {
      const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: "zh-CN" });
      await context.grantPermissions(["camera", "microphone"], { origin });
      await context.addInitScript({ content: driver });
      return context;
    },
    async close() {
      await browser.close().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The page driver (page-driver.browser.js) as Node sees it. Functions passed to page.evaluate run in the page and
// may use nothing from this module but types, so each reaches the driver through `globalThis`.

export interface DrEvent<T = any> {
  index: number;
  name: string;
  detail: T;
  /** performance.now() in the page when it was dispatched */
  at: number;
  wall: number;
}

export type CallOutcome<T = unknown> =
  { ok: true; value: T } | { ok: false; error: { name: string; message: string; code: string | null } };

export interface PageDriver {
  events(from?: number): Omit<DrEvent, "index">[];
  count(): number;
  now(): number;
  longTasks(since?: number): Array<{ start: number; duration: number }>;
  find(name: string, from?: number, match?: Record<string, unknown> | null): DrEvent | null;
  call(method: string, args?: unknown[], tag?: string): Promise<CallOutcome>;
  begin(method: string, args?: unknown[], tag?: string): number;
  result(id: number): CallOutcome | null;
  get(prop: string, tag?: string): unknown;
  setAttr(name: string, value: string | number | null, tag?: string): void;
  idbTakeSha256(takeId: string): Promise<{ sha256: string; size: number; chunks: number }>;
  startToFirstPreviewFrame(
    tag?: string,
    timeoutMs?: number,
  ): Promise<{ firstFrameMs: number | null; start: CallOutcome }>;
  referenceCamera(
    width: number,
    height: number,
    seconds: number,
  ): Promise<{ firstFrameMs: number; fps: number; width: number; height: number }>;
  referenceRecorder(width: number, height: number, fps: number, seconds: number): Promise<string>;
}

export type DriverGlobal = { drTest: PageDriver };

/** The `<dual-record>` of a page, through its public methods, properties and events only. */
export class RecorderPage {
  constructor(
    readonly page: Page,
    readonly tag = "dual-record",
  ) {}

  /** Calls a method and waits for it; throws with the element's error code and message if it rejects. */
  async call<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    const outcome = await this.tryCall<T>(method, ...args);
    if (!outcome.ok) {
      const { name, code, message } = outcome.error;
      throw new Error(`<${this.tag}>.${method}() failed: ${code ?? name}: ${message}`);
    }
    return outcome.value;
  }

  tryCall<T = unknown>(method: string, ...args: unknown[]): Promise<CallOutcome<T>> {
    return this.page.evaluate(
      ({ method, args, tag }) => (globalThis as unknown as DriverGlobal).drTest.call(method, args, tag),
      { method, args, tag: this.tag },
    ) as Promise<CallOutcome<T>>;
  }

  /** Calls without waiting for it to settle (a save that uploads for a while); see `outcome`. */
  begin(method: string, ...args: unknown[]): Promise<number> {
    return this.page.evaluate(
      ({ method, args, tag }) => (globalThis as unknown as DriverGlobal).drTest.begin(method, args, tag),
      { method, args, tag: this.tag },
    );
  }

  outcome(id: number): Promise<CallOutcome | null> {
    return this.page.evaluate((id) => (globalThis as unknown as DriverGlobal).drTest.result(id), id);
  }

  get<T = unknown>(prop: string): Promise<T> {
    return this.page.evaluate(
      ({ prop, tag }) => (globalThis as unknown as DriverGlobal).drTest.get(prop, tag),
      { prop, tag: this.tag },
    ) as Promise<T>;
  }

  setAttr(name: string, value: string | number | null): Promise<void> {
    return this.page.evaluate(
      ({ name, value, tag }) => (globalThis as unknown as DriverGlobal).drTest.setAttr(name, value, tag),
      { name, value, tag: this.tag },
    );
  }

  /** Waits until the page has registered the element (its module loaded and ran). */
  async whenDefined(timeoutMs = 20_000): Promise<void> {
    type Registry = { customElements: { get(tag: string): unknown } };
    await this.page
      .waitForFunction(
        (tag) => Boolean((globalThis as unknown as Registry).customElements.get(tag)),
        this.tag,
        {
          timeout: timeoutMs,
        },
      )
      .catch((err: Error) => {
        throw new Error(
          `<${this.tag}> is not defined on ${this.page.url()} after ${timeoutMs} ms: ${err.message}`,
        );
      });
  }

  /** Index the next event will get: pass it as `from` to wait only for what happens after now. */
  mark(): Promise<number> {
    return this.page.evaluate(() => (globalThis as unknown as DriverGlobal).drTest.count());
  }

  async events<T = any>(name?: string, from = 0): Promise<DrEvent<T>[]> {
    const all = await this.page.evaluate(
      (from) => (globalThis as unknown as DriverGlobal).drTest.events(from),
      from,
    );
    return all.map((e, i) => ({ ...e, index: from + i })).filter((e) => !name || e.name === name);
  }

  /** Waits for the first `name` event from index `from` whose detail holds the fields of `match`. */
  async waitForEvent<T = any>(
    name: string,
    options: { from?: number; match?: Record<string, unknown>; timeoutMs?: number } = {},
  ): Promise<DrEvent<T>> {
    const { from = 0, match = null, timeoutMs = 30_000 } = options;
    try {
      const handle = await this.page.waitForFunction(
        ({ name, from, match }) => (globalThis as unknown as DriverGlobal).drTest.find(name, from, match),
        { name, from, match },
        { timeout: timeoutMs, polling: 100 },
      );
      return (await handle.jsonValue()) as DrEvent<T>;
    } catch (err) {
      const seen = (await this.events(undefined, from).catch(() => []))
        .map((e) => `${e.name} ${JSON.stringify(e.detail)}`)
        .slice(-15);
      throw new Error(
        `no ${name}${match ? ` ${JSON.stringify(match)}` : ""} within ${timeoutMs} ms (${(err as Error).message.split("\n")[0]}); ` +
          `events since: ${seen.length ? `\n  ${seen.join("\n  ")}` : "none"}`,
      );
    }
  }

  waitForState(
    state: RecorderStateName,
    options: { from?: number; timeoutMs?: number } = {},
  ): Promise<DrEvent> {
    return this.waitForEvent("dr-state-change", { ...options, match: { state } });
  }

  idbTakeSha256(takeId: string): Promise<{ sha256: string; size: number; chunks: number }> {
    return this.page.evaluate(
      (id) => (globalThis as unknown as DriverGlobal).drTest.idbTakeSha256(id),
      takeId,
    );
  }
}

export interface SaleInput {
  customerNo: string;
  productCode: string;
}

/**
 * /demo/teller.html in a new page of `context`, the teller logged in through the page's own login box and the
 * transaction form filled with `sale`; resolves once the page has handed its token to the element.
 */
export async function openTellerPage(
  context: BrowserContext,
  hubUrl: string,
  login: { username: string; password: string },
  sale: SaleInput,
): Promise<{ page: Page; rec: RecorderPage }> {
  const page = await context.newPage();
  await page.goto(`${hubUrl}/demo/teller.html`);
  const rec = new RecorderPage(page);
  await rec.whenDefined();
  await page.fill("#teller-user", login.username);
  await page.fill("#teller-password", login.password);
  await page.click("#teller-login");
  await page.waitForSelector("#session-box:not([hidden])", { timeout: 10_000 });
  await page.fill("#customer-no", sale.customerNo);
  await page.fill("#product-code", sale.productCode);
  await page.waitForFunction(
    (tag) => Boolean((globalThis as unknown as DriverGlobal).drTest.get("token", tag)),
    rec.tag,
    { timeout: 10_000 },
  );
  return { page, rec };
}

/**
 * Confirms each step of a sale with next() as the staff would (the customer and product as inputs of their
 * steps), holding each for `dwellMs`, from the first step to the last, or until `until` is current (and not
 * confirmed). `from`: the event index the take started at.
 */
export async function walkSaleSteps(
  rec: RecorderPage,
  from: number,
  sale: SaleInput,
  options: { dwellMs?: number; until?: (typeof SALE_STEPS)[number] } = {},
): Promise<void> {
  const { dwellMs = 1000, until } = options;
  for (const code of SALE_STEPS) {
    await rec.waitForEvent("dr-step", { from, match: { code } });
    const current = await rec.get<string | null>("step");
    if (current !== code) throw new Error(`dr-step said ${code} but step is ${current}`);
    if (code === until) return;
    await sleep(dwellMs);
    if (code === "customer-identification") await rec.call("next", { customerNo: sale.customerNo });
    else if (code === "product-match") await rec.call("next", { productCode: sale.productCode });
    else await rec.call("next");
  }
}

/** A CDP session on the page, for metrics, heap and crashes. */
export function cdp(context: BrowserContext, page: Page): Promise<CDPSession> {
  return context.newCDPSession(page);
}

/** Performance.getMetrics as a name → value map (Performance.enable must have been sent). */
export async function metrics(session: CDPSession): Promise<Record<string, number>> {
  const { metrics: list } = await session.send("Performance.getMetrics");
  return Object.fromEntries(list.map((m) => [m.name, m.value]));
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
