import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { BrowserContext, Page, Request } from "playwright-core";
import { PROJECT_ROOT } from "../../hub/paths";
import {
  launchBrowser,
  openTellerPage,
  requireWidgetBundle,
  SALE_STEPS,
  sleep,
  walkSaleSteps,
  type BrowserSession,
  type RecorderPage,
} from "../support/browser";
import { describeBrowser } from "../support/browser-suite";
import { DEMO_PASSWORD, startHarness, type Harness } from "../support/hub-harness";
import { containerSeconds, decodeTrack, extractFrame, streamsOf } from "../support/media-probe";

/*
 * The "must show" for <dual-record>, in Chromium with a fake 1280×720 camera, on the teller demo page
 * (/demo/teller.html) served by a real hub (embedded SQLite): the element is driven only through its public
 * methods, properties and dr-* events, as a host page would.
 */

jest.setTimeout(5 * 60_000);

/** Frames and recordings a human may want to look at; printed as they are written. */
const ARTIFACTS = path.join(PROJECT_ROOT, "test", "browser", "artifacts");
const SELLER = "sh.pd.sales1";
const MANAGER = "sh.pd.manager";
/** Reads the audit trail of the seller's outlet (outlet managers may not). */
const AUDIT_READER = "sh.admin";

/** 张伟, C3 assessed and valid; 稳享理财30天, R2: a sale that may go ahead. */
const SALE = { customerNo: "C000000001", productCode: "WM2026001" };
/** 李娜, C1 assessed and valid; the same R2 product: too risky for her. */
const MISMATCH = { customerNo: "C000000003", productCode: "WM2026001" };

type Sale = typeof SALE;

interface PendingTake {
  takeId: string;
  customerNo: string | null;
  productCode: string | null;
  recordingId?: string | null;
  steps: Array<{ code: string; at: number } | string>;
  size: number;
}

const HEX64 = /^[0-9a-f]{64}$/;
const sha256 = (bytes: Buffer) => crypto.createHash("sha256").update(bytes).digest("hex");
const note = (line: string) => process.stdout.write(`  ${line}\n`);

describeBrowser("<dual-record> on the teller demo page", () => {
  let h: Harness;
  let browser: BrowserSession;
  let context: BrowserContext;
  const tokens: Record<string, string> = {};
  const token = async (username: string) => (tokens[username] ??= await h.login(username));
  const pageErrors: string[] = [];

  beforeAll(async () => {
    requireWidgetBundle();
    h = await startHarness("embedded-sqlite");
    browser = await launchBrowser();
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    if (h) await mediaSettled().catch(() => undefined);
    await h?.stop();
  });
  beforeEach(async () => {
    pageErrors.length = 0;
    context = await browser.newContext(h.url);
    context.on("page", (page) => page.on("pageerror", (err) => pageErrors.push(err.message)));
  });
  afterEach(async () => {
    await context?.close();
    // Not a failure by itself, but the first thing to read when a test above failed.
    if (pageErrors.length) note(`page errors:\n    ${pageErrors.join("\n    ")}`);
  });

  /** The teller page, the teller logged in through its own login box, the form filled with `sale`. */
  async function openTeller(sale: Sale): Promise<{ page: Page; rec: RecorderPage }> {
    const opened = await openTellerPage(context, h.url, { username: SELLER, password: DEMO_PASSWORD }, sale);
    // The host page handed its session token and the form's fields to the element (teller.html, steps 2 and 3).
    expect(await opened.rec.get("customerNo")).toBe(sale.customerNo);
    expect(await opened.rec.get("productCode")).toBe(sale.productCode);
    expect(await opened.rec.get("state")).toBe("idle");
    return opened;
  }

  /** start(), every step, stop(): a previewed take. Returns the event index it started from. */
  async function recordTake(rec: RecorderPage, sale: Sale, dwellMs = 1200): Promise<number> {
    const from = await rec.mark();
    await rec.call("start");
    await rec.waitForState("consent", { from });
    await walkSaleSteps(rec, from, sale, { dwellMs });
    await rec.call("stop");
    await rec.waitForState("previewing", { from });
    return from;
  }

  async function download(recordingId: string, username: string): Promise<{ status: number; bytes: Buffer }> {
    const res = await fetch(`${h.url}/api/v1/recordings/${recordingId}/media`, {
      headers: { authorization: `Bearer ${await token(username)}` },
    });
    return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
  }

  /** Waits until the hub's media worker has finished with every recording (stopping it mid-job logs errors). */
  async function mediaSettled(timeoutMs = 60_000): Promise<void> {
    for (const until = Date.now() + timeoutMs; Date.now() < until; await sleep(500)) {
      const res = await h.api("GET", "/api/v1/recordings?pageSize=200", { token: await token(MANAGER) });
      if (!res.body.items.some((r: { mediaStatus: string }) => r.mediaStatus === "pending")) return;
    }
  }

  async function recording(recordingId: string) {
    const res = await h.api("GET", `/api/v1/recordings/${recordingId}`, { token: await token(SELLER) });
    expect(res.status).toBe(200);
    return res.body;
  }

  it("records a whole sale through the public methods; the outlet manager's download plays", async () => {
    const { page, rec } = await openTeller(SALE);
    const from = await recordTake(rec, SALE);

    const steps = await rec.events<{ code: string; at: number }>("dr-step", from);
    expect(steps.map((e) => e.detail.code)).toEqual([...SALE_STEPS]);
    const stepTimes = steps.map((e) => e.detail.at);
    expect(stepTimes).toEqual([...stepTimes].sort((a, b) => a - b));
    const takeSha256 = await rec.get<string>("takeSha256");
    expect(takeSha256).toMatch(HEX64);

    await rec.call("save");
    const submitting = await rec.begin("submit");
    const submitted = await rec.waitForEvent<{ recordingId: string; sha256: string }>("dr-submitted", {
      from,
      timeoutMs: 120_000,
    });
    const { recordingId } = submitted.detail;
    expect(submitted.detail.sha256).toBe(takeSha256);
    expect(await rec.outcome(submitting)).toEqual({ ok: true, value: { recordingId, sha256: takeSha256 } });
    expect(await rec.get("state")).toBe("submitted");
    expect(await rec.get("recordingId")).toBe(recordingId);
    const states = (await rec.events<{ state: string }>("dr-state-change", from)).map((e) => e.detail.state);
    expect(states).toEqual([
      "consent",
      "recording",
      "stopped",
      "previewing",
      "saving",
      "uploading",
      "submitted",
    ]);
    // The host page heard dr-submitted and filled its 录像编号 field (teller.html, step 4).
    expect(await page.inputValue("#recording-no")).toBe(recordingId);

    const kept = await recording(recordingId);
    expect(kept).toMatchObject({
      status: "submitted",
      kind: "sale",
      customerNo: SALE.customerNo,
      productCode: SALE.productCode,
      media: { sha256: takeSha256 },
    });
    expect(kept.steps.map((s: { code: string }) => s.code)).toEqual([...SALE_STEPS]);

    // Sales staff never replay; the outlet manager does, and gets exactly the bytes recorded.
    expect((await download(recordingId, SELLER)).status).toBe(403);
    const media = await download(recordingId, MANAGER);
    expect(media.status).toBe(200);
    expect(sha256(media.bytes)).toBe(takeSha256);
    const file = path.join(ARTIFACTS, "teller-sale.webm");
    fs.writeFileSync(file, media.bytes);

    const streams = streamsOf(file);
    expect(streams.map((s) => s.codec_type).sort()).toEqual(["audio", "video"]);
    const video = decodeTrack(file, "v")!;
    const audio = decodeTrack(file, "a")!;
    const recordedSeconds = (Date.parse(kept.endedAt) - Date.parse(kept.startedAt)) / 1000;
    note(
      `recorded ${recordedSeconds.toFixed(2)} s (startedAt → endedAt); decoded video ${video.seconds.toFixed(2)} s ` +
        `in ${video.frames} frames, audio ${audio.seconds.toFixed(2)} s; ${file}`,
    );
    expect(Math.abs(video.seconds - recordedSeconds) / recordedSeconds).toBeLessThanOrEqual(0.1);
    expect(Math.abs(audio.seconds - recordedSeconds) / recordedSeconds).toBeLessThanOrEqual(0.1);

    const png = path.join(ARTIFACTS, "teller-sale-frame-2s.png");
    const frame = extractFrame(file, 2, png);
    note(
      `frame at 2 s: ${png} (${frame.width}×${frame.height}, luma mean ${frame.mean.toFixed(1)}, ` +
        `stddev ${frame.stddev.toFixed(1)}, ${frame.levels} levels)`,
    );
    expect(frame.width).toBeGreaterThanOrEqual(640);
    expect(frame.stddev).toBeGreaterThan(20);
    expect(frame.levels).toBeGreaterThan(64);

    // The hub's media worker makes a seekable copy of what the browser recorded; it has the same length.
    await mediaSettled();
    const worked = await recording(recordingId);
    expect(worked).toMatchObject({ mediaStatus: "done", renditions: expect.arrayContaining(["canonical"]) });
    const canonical = path.join(ARTIFACTS, "teller-sale.canonical.webm");
    const res = await fetch(`${h.url}/api/v1/recordings/${recordingId}/media?rendition=canonical`, {
      headers: { authorization: `Bearer ${await token(MANAGER)}` },
    });
    expect(res.status).toBe(200);
    fs.writeFileSync(canonical, Buffer.from(await res.arrayBuffer()));
    const declared = containerSeconds(canonical)!;
    note(`canonical rendition declares ${declared.toFixed(2)} s; ${canonical}`);
    expect(Math.abs(declared - recordedSeconds) / recordedSeconds).toBeLessThanOrEqual(0.1);
  });

  it("aborts the session on a risk mismatch and records why in the audit trail", async () => {
    const { page, rec } = await openTeller(MISMATCH);
    const from = await rec.mark();
    await rec.call("start");
    await walkSaleSteps(rec, from, MISMATCH, { dwellMs: 300, until: "product-match" });
    // Whether next() resolves or rejects here is the element's choice; what must follow is below.
    await rec.tryCall("next", { productCode: MISMATCH.productCode });

    const mismatch = await rec.waitForEvent("dr-risk-mismatch", { from });
    expect(mismatch.detail).toEqual({ code: "HUB_RISK_MISMATCH", customerLevel: "C1", productRisk: "R2" });
    await rec.waitForState("aborted", { from });
    expect(await rec.get("state")).toBe("aborted");
    expect(await rec.events("dr-step", from)).toHaveLength(SALE_STEPS.indexOf("product-match") + 1);
    expect(await page.textContent("#status")).toContain("风险不匹配");

    // The audit entry is appended by a group commit: give it a moment.
    let entry: any;
    for (let i = 0; i < 50 && !entry; i++) {
      const res = await h.api("GET", `/api/v1/audit?action=recording.abort&actor=${SELLER}`, {
        token: await token(AUDIT_READER),
      });
      expect(res.status).toBe(200);
      entry = res.body.items.find((e: any) => e.details?.customerNo === MISMATCH.customerNo);
      if (!entry) await sleep(200);
    }
    expect(entry).toMatchObject({
      action: "recording.abort",
      actor: SELLER,
      result: "ok",
      details: {
        kind: "sale",
        reason: { code: "HUB_RISK_MISMATCH" },
        customerNo: MISMATCH.customerNo,
        productCode: MISMATCH.productCode,
        step: "product-match",
      },
    });
    expect(entry.details.reason.message).toEqual(expect.any(String));
    expect(entry.details.steps.map((s: { code: string }) => s.code)).toEqual(
      SALE_STEPS.slice(0, SALE_STEPS.indexOf("product-match") + 1),
    );
    // The hub refuses such a sale itself; no recording was made of it.
    const listed = await h.api("GET", `/api/v1/recordings?customerNo=${MISMATCH.customerNo}`, {
      token: await token(SELLER),
    });
    expect(listed.body.total).toBe(0);
  });

  it("re-records after preview: a new take from the first step, and only the new take is kept", async () => {
    const { rec } = await openTeller(SALE);
    const from = await recordTake(rec, SALE, 400);
    const first = await rec.get<string>("takeSha256");
    expect(first).toMatch(HEX64);

    const again = await rec.mark();
    await rec.call("rerecord");
    const consent = await rec.waitForEvent("dr-step", { from: again, match: { code: "consent" } });
    expect(consent.detail.at).toBeLessThan(2000); // timed from the new take's start
    await rec.waitForState("consent", { from: again });
    expect(await rec.get("takeSha256")).toBeNull();
    await walkSaleSteps(rec, again, SALE, { dwellMs: 400 });
    await rec.call("stop");
    await rec.waitForState("previewing", { from: again });
    const second = await rec.get<string>("takeSha256");
    expect(second).toMatch(HEX64);
    expect(second).not.toBe(first);
    expect((await rec.events("dr-step", from)).filter((e) => e.detail.code === "consent")).toHaveLength(2);

    await rec.call("save");
    await rec.begin("submit");
    const submitted = await rec.waitForEvent("dr-submitted", { from: again, timeoutMs: 120_000 });
    expect(submitted.detail.sha256).toBe(second);
    expect((await recording(submitted.detail.recordingId)).media.sha256).toBe(second);
  });

  it("recovers a take after the tab crashed mid-recording; the hub's copy has the local SHA-256", async () => {
    const first = await openTeller(SALE);
    const from = await first.rec.mark();
    await first.rec.call("start");
    await walkSaleSteps(first.rec, from, SALE, { dwellMs: 600, until: "product-introduction" });
    await sleep(3000); // a few more chunks of product introduction
    const reached = (await first.rec.events("dr-step", from)).map((e) => e.detail.code);
    const recordingId = await first.rec.get<string | null>("recordingId");
    expect(recordingId).toMatch(/^[0-9a-f]{32}$/); // the draft exists once the product matched

    // Killed like a crashed renderer: no stop(), no unload handler, nothing flushed.
    const crashed = new Promise((resolve) => first.page.once("crash", resolve));
    const cdp = await context.newCDPSession(first.page);
    void cdp.send("Page.crash").catch(() => undefined);
    await crashed;
    await first.page.close();

    const { rec } = await openTeller(SALE);
    const pending = await rec.call<PendingTake[]>("recoverPending");
    const take = pending.find((p) => p.recordingId === recordingId) ?? pending[0];
    expect(pending).toHaveLength(1);
    expect(take).toMatchObject({ customerNo: SALE.customerNo, productCode: SALE.productCode });
    expect(take.takeId).toEqual(expect.any(String));
    expect(take.size).toBeGreaterThan(0);
    expect(take.steps.map((s) => (typeof s === "string" ? s : s.code))).toEqual(reached);
    const stored = await rec.idbTakeSha256(take.takeId);
    expect(stored.size).toBe(take.size);

    const from2 = await rec.mark();
    await rec.call("resume", take.takeId);
    const local = await rec.get<string>("takeSha256");
    expect(local).toBe(stored.sha256);
    expect(await rec.get("state")).toBe("previewing"); // it crashed while recording: staff preview it first
    await rec.call("save");
    await rec.begin("submit");
    const submitted = await rec.waitForEvent("dr-submitted", { from: from2, timeoutMs: 120_000 });
    expect(submitted.detail).toEqual({ recordingId, sha256: local });
    const kept = await recording(recordingId!);
    expect(kept).toMatchObject({ status: "submitted", media: { sha256: local, size: stored.size } });
    expect(kept.steps.map((s: { code: string }) => s.code)).toEqual(reached);
    expect(await rec.call<PendingTake[]>("recoverPending")).toEqual([]);
  });

  it("finishes an upload cut by a network outage: no byte missing or duplicated", async () => {
    const { page, rec } = await openTeller(SALE);
    // Slow enough that the take is still going up when it is stopped.
    await rec.setAttr("upload-rate", 48);
    const failedUploads: string[] = [];
    page.on("requestfailed", (req: Request) => {
      if (req.url().includes("/api/v1/uploads"))
        failedUploads.push(`${req.method()} ${req.failure()?.errorText}`);
    });
    const from = await recordTake(rec, SALE, 2000);
    const local = await rec.get<string>("takeSha256");
    expect(local).toMatch(HEX64);
    const progress = await rec.waitForEvent<{ sent: number }>("dr-upload-progress", {
      from,
      timeoutMs: 60_000,
    });
    expect(progress.detail.sent).toBeGreaterThan(0);

    await context.setOffline(true);
    const cutAt = (await rec.events<{ sent: number }>("dr-upload-progress", from)).at(-1)!.detail.sent;
    await rec.call("save");
    await rec.begin("submit");
    for (let i = 0; i < 600 && failedUploads.length === 0; i++) await sleep(100);
    expect(failedUploads.length).toBeGreaterThan(0); // else the upload was over before the network went
    await sleep(3000);
    expect(await rec.events("dr-submitted", from)).toEqual([]);
    await context.setOffline(false);

    const submitted = await rec.waitForEvent("dr-submitted", { from, timeoutMs: 180_000 });
    expect(submitted.detail.sha256).toBe(local);
    const kept = await recording(submitted.detail.recordingId);
    const last = (await rec.events<{ sent: number; total: number | null }>("dr-upload-progress", from)).at(
      -1,
    )!;
    note(
      `upload cut at ${cutAt} of ${kept.media.size} bytes (${failedUploads.length} failed requests: ` +
        `${[...new Set(failedUploads)].join(", ")}), then finished`,
    );
    expect(cutAt).toBeLessThan(kept.media.size);
    expect(kept.media.sha256).toBe(local);
    expect(last.detail).toEqual({ sent: kept.media.size, total: kept.media.size });
    expect(sha256((await download(submitted.detail.recordingId, MANAGER)).bytes)).toBe(local);
  });
});
