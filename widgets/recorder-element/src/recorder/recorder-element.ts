/**
 * `<dual-record>`: a whole compliant sale recorded inside the host's screen (docs/widget.md). The element is the
 * conductor; the parts do the work: Capture (camera → watermarked canvas → MediaRecorder), TakeStore (every
 * chunk in IndexedDB as it arrives), TakeUpload (tus from the stored chunks), session-rules (what may happen in
 * which state) and the hub's script, customer and risk endpoints.
 */
import { LitElement, html, css, nothing, type PropertyValues, type TemplateResult } from "lit";
import { emit, type RecorderState } from "../events";
import {
  HubClient,
  HubError,
  type Customer,
  type Questionnaire,
  type ScriptStep,
  type User,
} from "../hub-client";
import { formatBytes, hasMessage, langOf, t, type MessageKey } from "../i18n";
import { loginForm, storedToken, storeToken } from "../login-form";
import { theme } from "../theme";
import { Capture, CaptureError } from "./capture";
import { allowed, createsDraftAt, stepsFor, type Mode, type RecorderAction } from "./session-rules";
import { Sha256 } from "./sha256";
import { storageRoom, TakeStore, type Take } from "./take-store";
import { TakeUpload } from "./take-upload";
import type { WatermarkFacts } from "./watermark";

/** Below this much free storage the staff are warned before starting (about an hour of 720p at 1 Mbps). */
const LOW_STORAGE = 500 * 1024 * 1024;
/** While recording, checked every ROOM_CHECK_EVERY chunks: below this, about ten minutes are left. */
const RECORDING_LOW_STORAGE = 100 * 1024 * 1024;
const ROOM_CHECK_EVERY = 30;

export interface StepInput {
  customerNo?: string;
  card?: string;
  idNo?: string;
  /** Exact name: one match identifies the customer; several are listed for the staff to pick. */
  name?: string;
  answers?: Record<string, string>;
  productCode?: string;
}

export interface PendingTake {
  takeId: string;
  kind: string;
  customerNo: string | null;
  productCode: string | null;
  recordingId: string | null;
  steps: Take["steps"];
  size: number;
  phase: Take["phase"];
  startedAt: string;
  endedAt: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class DualRecordElement extends LitElement {
  static override properties = {
    hub: { type: String },
    token: { type: String },
    customerNo: { type: String, attribute: "customer-no" },
    productCode: { type: String, attribute: "product-code" },
    mode: { type: String },
    supplementId: { type: String, attribute: "supplement-id" },
    lang: { type: String },
    uploadRate: { type: Number, attribute: "upload-rate" },
    _state: { state: true },
    _stepIndex: { state: true },
    _notice: { state: true },
    _pending: { state: true },
    _progress: { state: true },
    _loginError: { state: true },
  };

  /** Base URL of the hub; "" = the page's own origin. */
  declare hub: string;
  /** Bearer token from the host's session; without it the element shows its own login. */
  declare token: string | null;
  declare customerNo: string | null;
  declare productCode: string | null;
  declare mode: Mode;
  declare supplementId: string | null;
  declare lang: string;
  /** Upload cap in KB/s (0 = none). */
  declare uploadRate: number;

  declare private _state: RecorderState;
  declare private _stepIndex: number;
  declare private _notice: { kind: "info" | "warn" | "error"; text: string } | null;
  declare private _pending: PendingTake[];
  declare private _progress: { sent: number; total: number | null } | null;
  declare private _loginError: string | null;

  private client!: HubClient;
  private store: TakeStore | null = null;
  private user: User | null = null;
  private clockOffset = 0;
  private steps: ScriptStep[] = [];
  private take: Take | null = null;
  private hasher: Sha256 | null = null;
  private capture: Capture | null = null;
  private upload: TakeUpload | null = null;
  private t0 = 0;
  private customer: Customer | null = null;
  /** Customers found by a name search, when it was more than one. */
  private candidates: Customer[] = [];
  private questionnaire: Questionnaire | null = null;
  private lastConfirmed = false;
  private previewUrl: string | null = null;
  private changedWaiters: Array<() => void> = [];
  private confirmedWaiters: Array<() => void> = [];
  private startCalledAt = 0;
  private chunksSinceRoomCheck = 0;
  /** Milliseconds from `start()` to the first watermarked frame on screen (for bench:widget). */
  firstFrameMs: number | null = null;

  constructor() {
    super();
    this.hub = "";
    this.token = null;
    this.customerNo = null;
    this.productCode = null;
    this.mode = "sale";
    this.supplementId = null;
    this.lang = "zh-CN";
    this.uploadRate = 0;
    this._state = "idle";
    this._stepIndex = 0;
    this._notice = null;
    this._pending = [];
    this._progress = null;
    this._loginError = null;
  }

  // ---- read-only public state -------------------------------------------------------------------------------

  get state(): RecorderState {
    return this._state;
  }
  /** The current step's code, or null outside a recording. */
  get step(): string | null {
    return this.take && (this._state === "consent" || this._state === "recording")
      ? (this.stepCodes[this._stepIndex] ?? null)
      : null;
  }
  get recordingId(): string | null {
    return this.take?.recordingId ?? null;
  }
  /** SHA-256 (hex) of the local take once it is stopped. */
  get takeSha256(): string | null {
    return this.take?.sha256 ?? null;
  }

  private get stepCodes(): readonly string[] {
    return stepsFor(this.mode);
  }
  private get ui() {
    return langOf(this.lang);
  }
  private get authToken(): string | null {
    return this.token || storedToken();
  }

  // ---- lifecycle ----------------------------------------------------------------------------------------------

  override connectedCallback(): void {
    super.connectedCallback();
    this.client = new HubClient(
      (this.hub ?? "").replace(/\/$/, ""),
      () => this.authToken,
      () => this.ui,
    );
    window.addEventListener("online", this.onOnline);
    void this.loadPending();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener("online", this.onOnline);
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has("hub") && this.client) {
      this.client = new HubClient(
        (this.hub ?? "").replace(/\/$/, ""),
        () => this.authToken,
        () => this.ui,
      );
    }
    if (changed.has("token") && this.token) {
      // A new token from the host after an expiry: carry on with whatever waited for it.
      this.user = null;
      this.upload?.nudge();
      void this.loadPending();
    }
  }

  private onOnline = () => this.upload?.nudge();

  // ---- public methods -----------------------------------------------------------------------------------------

  /** Opens camera and microphone and starts recording the first step (consent). */
  async start(): Promise<void> {
    this.guard("start");
    this.startCalledAt = performance.now();
    this._notice = null;
    this.firstFrameMs = null;
    this.customer = null;
    this.questionnaire = null;
    try {
      await this.ready();
      const productCode = this.productCode;
      if (!productCode)
        throw new HubError(
          "DR_INPUT_REQUIRED",
          t(this.ui, "err.DR_INPUT_REQUIRED", { field: "product-code" }),
        );
      if (this.mode !== "sale" && !this.customerNo) {
        throw new HubError(
          "DR_INPUT_REQUIRED",
          t(this.ui, "err.DR_INPUT_REQUIRED", { field: "customer-no" }),
        );
      }
      if (this.mode === "supplement" && !this.supplementId) {
        throw new HubError(
          "DR_INPUT_REQUIRED",
          t(this.ui, "err.DR_INPUT_REQUIRED", { field: "supplement-id" }),
        );
      }
      // Clock, script and devices at once: the staff should see themselves within a second.
      const capturing = this.openCapture();
      const [clock, script] = await Promise.all([
        this.client.clockOffset(),
        this.client.script(productCode, this.customerNo),
        this.warnIfLowStorage(),
      ]).catch((err) => {
        capturing.then(
          (c) => c.close(),
          () => undefined,
        ); // release the camera opened meanwhile
        throw err;
      });
      this.clockOffset = clock.offset;
      this.steps = script.steps;
      this.capture = await capturing;
      await this.beginTake(null);
    } catch (err) {
      this.fail(err);
      throw err;
    }
  }

  /** Confirms the current step, as the staff's click does, with that step's input. */
  async next(input: StepInput = {}): Promise<void> {
    this.guard("next");
    const code = this.step;
    try {
      switch (code) {
        case "customer-identification":
          await this.identify(input);
          break;
        case "risk-assessment":
          await this.assess(input);
          break;
        case "product-match":
          if (!(await this.matchProduct(input))) return;
          break;
      }
      if (code === "consent") this.setState("recording");
      if (this._stepIndex + 1 < this.stepCodes.length) {
        await this.enterStep(this._stepIndex + 1);
      } else if (this.lastConfirmed) {
        throw new HubError("DR_BAD_STATE", t(this.ui, "err.DR_BAD_STATE"));
      } else {
        this.lastConfirmed = true;
        this.requestUpdate();
      }
    } catch (err) {
      this.report(err);
      throw err;
    }
  }

  /** Stops recording; the take is kept and shown for preview. */
  async stop(): Promise<void> {
    this.guard("stop");
    await this.finishCapture();
    await this.showPreview();
  }

  /** Discards the take after preview and records a new one from the first step. */
  async rerecord(): Promise<void> {
    this.guard("rerecord");
    const old = this.take!;
    await this.upload?.cancel(!old.confirmed);
    this.upload = null;
    await this.store!.delete(old.takeId);
    this.dropPreview();
    try {
      this.capture = await this.openCapture();
      await this.beginTake(old);
    } catch (err) {
      this.fail(err);
      throw err;
    }
  }

  /** Keeps the take: it goes on uploading; `submit()` seals it. */
  async save(): Promise<void> {
    this.guard("save");
    const take = this.take!;
    this.setState("saving");
    try {
      if (!take.recordingId) await this.createDraft();
      take.phase = "saved";
      await this.store!.put(take);
      if (take.confirmed) await this.store!.deleteChunks(take.takeId);
      this.dropPreview();
      this.setState("uploading");
      this.startUpload();
    } catch (err) {
      this.setState("previewing");
      this.report(err);
      throw err;
    }
  }

  /** Submits: waits until the hub has confirmed every byte, then seals the recording with its steps. */
  async submit(): Promise<{ recordingId: string; sha256: string }> {
    this.guard("submit");
    if (this._state === "stopped" || this._state === "previewing") await this.save();
    const take = this.take!;
    take.phase = "submitting";
    await this.store!.put(take);
    await this.confirmed();
    const body = {
      startedAt: take.startedAt,
      endedAt: take.endedAt,
      steps: take.steps,
      watermark: take.watermark,
    };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.submit(take.recordingId!, body);
        break;
      } catch (err) {
        const e = err as HubError;
        // Submitted already (a retry after a lost answer) counts as done; the network or the hub failing is retried.
        if (e.code === "HUB_RECORDING_NOT_DRAFT") break;
        if (e.code !== "HUB_UNREACHABLE" && !(e.status >= 500)) {
          this.report(err);
          throw err;
        }
        this.notice("warn", t(this.ui, "upload.waiting"));
        await sleep(Math.min(30_000, 1000 * 2 ** attempt));
      }
    }
    await this.store!.delete(take.takeId);
    this.upload = null;
    const result = { recordingId: take.recordingId!, sha256: take.sha256! };
    this.notice("info", t(this.ui, "submitted", { id: result.recordingId }));
    this.setState("submitted");
    emit(this, "dr-submitted", result);
    void this.loadPending();
    return result;
  }

  /** Ends the session without a sale (consent refused, the customer left…); the hub records why. */
  async abort(reason: string | { code: string; message: string } = "staff-cancelled"): Promise<void> {
    this.guard("abort");
    const why = typeof reason === "string" ? { code: "staff-cancelled", message: reason } : reason;
    await this.endSession(why);
  }

  /** The unfinished takes on this PC of the logged-in user (a crashed tab, a closed window, a failed upload). */
  async recoverPending(): Promise<PendingTake[]> {
    await this.ready();
    return this.loadPending();
  }

  /** Takes up an unfinished take: a stopped one is previewed, a saved one goes on uploading (and submitting). */
  async resume(takeId: string): Promise<void> {
    this.guard("start");
    await this.ready();
    const take = await this.store!.get(takeId);
    if (!take || take.owner !== this.user!.username) {
      throw new HubError("DR_TAKE_NOT_FOUND", `take ${takeId} is not on this PC`);
    }
    this.take = take;
    this.upload = null;
    this.mode = (
      take.kind === "callback" ? "callback" : take.kind === "supplement" ? "supplement" : "sale"
    ) as Mode;
    if (take.phase === "recording" || !take.sha256) {
      // The tab died while recording: what was stored is the take; hash it from the stored chunks.
      take.phase = take.phase === "recording" ? "stopped" : take.phase;
      take.sha256 = await this.hashStored(take);
      await this.store!.put(take);
    }
    if (take.recordingId) this.startUpload();
    if (take.phase === "stopped") {
      await this.showPreview();
    } else {
      this.setState("uploading");
      if (take.phase === "submitting") void this.submit().catch(() => undefined);
    }
  }

  // ---- the take -----------------------------------------------------------------------------------------------

  private async beginTake(previous: Take | null): Promise<void> {
    const user = this.user!;
    this.upload = null; // the last take's upload is finished (submitted) or was cancelled
    this._progress = null;
    this.hasher = new Sha256();
    this.lastConfirmed = false;
    const now = this.hubNow();
    const take: Take = {
      takeId: crypto.randomUUID(),
      owner: user.username,
      kind: this.mode,
      customerNo: previous?.customerNo ?? this.customerNo ?? null,
      productCode: previous?.productCode ?? this.productCode ?? null,
      relatedTo: this.mode === "supplement" ? this.supplementId : null,
      recordingId: previous?.recordingId ?? null,
      uploadUrl: null,
      mimeType: "",
      size: 0,
      phase: "recording",
      steps: [],
      startedAt: new Date(now).toISOString(),
      endedAt: new Date(now).toISOString(),
      watermark: {
        clock: "hub",
        clockOffsetMs: Math.round(this.clockOffset),
        timeZone: "Asia/Shanghai (UTC+8)",
        outlet: user.orgCode,
        staff: user.employeeNo ?? user.username,
        customerNo: this.customerNo ?? null,
        productCode: this.productCode ?? null,
      },
      sha256: null,
      confirmed: false,
      createdAt: Date.now(),
    };
    this.take = take;
    take.mimeType = this.capture!.start();
    this.t0 = performance.now();
    await this.store!.put(take);
    this.setState("consent");
    await this.enterStep(0);
    if (take.recordingId) this.startUpload();
    else if (createsDraftAt(this.mode) === "consent") {
      await this.createDraft();
      this.startUpload();
    }
  }

  private async openCapture(): Promise<Capture> {
    const facts = (): WatermarkFacts => ({
      hubTime: this.hubNow(),
      outlet: this.user?.orgCode ?? "—",
      staff: this.user?.employeeNo ?? this.user?.username ?? "—",
      customerNo: this.take?.customerNo ?? this.customerNo ?? null,
      productCode: this.take?.productCode ?? this.productCode ?? null,
    });
    const capture = await Capture.open(this.mode === "callback", facts, {
      chunk: (data) => this.persist(data),
      deviceLost: () => void this.onDeviceLost(),
      firstFrame: () => {
        this.firstFrameMs = performance.now() - this.startCalledAt;
      },
    });
    this.requestUpdate();
    return capture;
  }

  /** Every chunk: stored first, then hashed; a full disk stops the recording but keeps what was stored. */
  private async persist(data: Blob): Promise<void> {
    const take = this.take;
    if (!take || take.phase !== "recording") return;
    try {
      take.endedAt = new Date(this.hubNow()).toISOString();
      await this.store!.append(take, data);
      this.hasher!.update(new Uint8Array(await data.arrayBuffer()));
      this.changed();
      // Warn while there is still room: a full disk would stop the recording.
      if (take.steps.length > 0 && ++this.chunksSinceRoomCheck >= ROOM_CHECK_EVERY) {
        this.chunksSinceRoomCheck = 0;
        void this.warnIfLowStorage(RECORDING_LOW_STORAGE);
      }
    } catch (err) {
      if ((err as DOMException).name === "QuotaExceededError") {
        this.report(new HubError("DR_QUOTA_EXCEEDED", t(this.ui, "err.DR_QUOTA_EXCEEDED")));
        void this.finishCapture().then(() => this.showPreview());
      } else {
        this.report(err);
      }
      throw err;
    }
  }

  private async onDeviceLost(): Promise<void> {
    if (this._state !== "consent" && this._state !== "recording") return;
    this.report(new HubError("DR_DEVICE_LOST", t(this.ui, "err.DR_DEVICE_LOST")));
    await this.finishCapture();
    await this.showPreview();
  }

  private async finishCapture(): Promise<void> {
    const capture = this.capture;
    this.capture = null;
    if (capture) {
      await capture.stop().catch(() => undefined);
      capture.close();
    }
    const take = this.take!;
    if (take.phase === "recording") {
      take.endedAt = new Date(this.hubNow()).toISOString();
      take.sha256 = this.hasher!.hex();
      take.phase = "stopped";
      // On a full disk even this small write may fail: the stored record then still says "recording", and a
      // reload treats the take as cut off, hashing it from its stored chunks — the same bytes.
      await this.store!.put(take).catch(() => undefined);
      this.changed();
    }
    this.setState("stopped");
  }

  private async showPreview(): Promise<void> {
    const take = this.take!;
    this.dropPreview();
    this.previewUrl = URL.createObjectURL(await this.store!.assemble(take.takeId, take.mimeType));
    this.setState("previewing");
  }

  private dropPreview(): void {
    if (this.previewUrl) URL.revokeObjectURL(this.previewUrl);
    this.previewUrl = null;
  }

  private async hashStored(take: Take): Promise<string> {
    const hasher = new Sha256();
    const piece = 4 * 1024 * 1024;
    for (let at = 0; at < take.size; at += piece) {
      const blob = await this.store!.read(take.takeId, at, Math.min(take.size, at + piece));
      hasher.update(new Uint8Array(await blob.arrayBuffer()));
    }
    return hasher.hex();
  }

  // ---- steps --------------------------------------------------------------------------------------------------

  private async enterStep(index: number): Promise<void> {
    const take = this.take!;
    this._stepIndex = index;
    const code = this.stepCodes[index];
    const at = Math.max(Math.round(performance.now() - this.t0), take.steps.at(-1)?.at ?? 0);
    take.steps.push({ code, at });
    await this.store!.put(take);
    emit(this, "dr-step", { code, at });
    if (code === "risk-warning") this.speak(this.stepText(code));
  }

  private async identify(input: StepInput): Promise<void> {
    const [by, value] = input.card
      ? (["card", input.card] as const)
      : input.idNo
        ? (["idNo", input.idNo] as const)
        : input.name
          ? (["name", input.name] as const)
          : (["customerNo", input.customerNo ?? this.take!.customerNo ?? ""] as const);
    if (!value)
      throw new HubError("DR_INPUT_REQUIRED", t(this.ui, "err.DR_INPUT_REQUIRED", { field: "customerNo" }));
    const { items } = await this.client.lookupCustomer(by, value);
    if (items.length > 1) {
      // Several customers of that name: the staff pick one (by number) from the list shown.
      this.candidates = items;
      this.requestUpdate();
      throw new HubError("DR_INPUT_REQUIRED", t(this.ui, "err.DR_INPUT_REQUIRED", { field: "customerNo" }));
    }
    this.candidates = [];
    this.customer = items[0];
    const take = this.take!;
    take.customerNo = this.customer.customerNo;
    take.watermark.customerNo = take.customerNo;
    this.steps = (await this.client.script(take.productCode!, take.customerNo)).steps;
    if (!this.customer.assessment?.valid) this.questionnaire = await this.client.questionnaire();
  }

  private async assess(input: StepInput): Promise<void> {
    const customer = this.customer;
    if (!customer) throw new HubError("DR_BAD_STATE", t(this.ui, "err.DR_BAD_STATE"));
    if (customer.assessment?.valid) return;
    this.questionnaire ??= await this.client.questionnaire();
    if (!input.answers)
      throw new HubError("DR_INPUT_REQUIRED", t(this.ui, "err.DR_INPUT_REQUIRED", { field: "answers" }));
    customer.assessment = {
      ...(await this.client.assess(customer.customerNo, this.questionnaire.version, input.answers)),
      valid: true,
    };
    this.questionnaire = null;
  }

  /** False when the product does not suit the customer: the session is then aborted with the match's reason. */
  private async matchProduct(input: StepInput): Promise<boolean> {
    const take = this.take!;
    const productCode = input.productCode ?? take.productCode;
    if (!productCode)
      throw new HubError("DR_INPUT_REQUIRED", t(this.ui, "err.DR_INPUT_REQUIRED", { field: "productCode" }));
    if (!take.customerNo) throw new HubError("DR_BAD_STATE", t(this.ui, "err.DR_BAD_STATE"));
    const match = await this.client.riskMatch(take.customerNo, productCode);
    if (productCode !== take.productCode) {
      take.productCode = productCode;
      take.watermark.productCode = productCode;
      this.steps = (await this.client.script(productCode, take.customerNo)).steps;
    }
    if (!match.ok && this.mode === "sale") {
      emit(this, "dr-risk-mismatch", {
        code: match.code,
        customerLevel: match.customerLevel,
        productRisk: match.productRisk,
      });
      await this.endSession({ code: match.code, message: match.reason });
      return false;
    }
    if (!take.recordingId) {
      await this.createDraft();
      this.startUpload();
    }
    return true;
  }

  private async createDraft(): Promise<void> {
    const take = this.take!;
    if (!take.customerNo)
      throw new HubError("DR_INPUT_REQUIRED", t(this.ui, "err.DR_INPUT_REQUIRED", { field: "customerNo" }));
    if (!take.productCode)
      throw new HubError("DR_INPUT_REQUIRED", t(this.ui, "err.DR_INPUT_REQUIRED", { field: "productCode" }));
    const recording = await this.client.createRecording({
      customerNo: take.customerNo,
      productCode: take.productCode,
      kind: take.kind,
      ...(take.relatedTo ? { relatedTo: take.relatedTo } : {}),
    });
    take.recordingId = recording.id;
    await this.store!.put(take);
  }

  private async endSession(reason: { code: string; message: string }): Promise<void> {
    const take = this.take;
    if (this.capture) {
      await this.capture.stop().catch(() => undefined);
      this.capture.close();
      this.capture = null;
    }
    await this.upload?.cancel(true);
    this.upload = null;
    this.dropPreview();
    try {
      await this.client.recordAbort({
        kind: this.mode,
        reason,
        ...(take?.customerNo ? { customerNo: take.customerNo } : {}),
        ...(take?.productCode ? { productCode: take.productCode } : {}),
        ...(this.step ? { step: this.step } : {}),
        ...(take ? { steps: take.steps, startedAt: take.startedAt } : {}),
        ...(take?.recordingId ? { recordingId: take.recordingId } : {}),
      });
    } catch (err) {
      this.report(err);
    }
    if (take) await this.store!.delete(take.takeId);
    this.notice("warn", t(this.ui, "aborted.reason", { reason: reason.message || reason.code }));
    this.setState("aborted");
  }

  // ---- upload -------------------------------------------------------------------------------------------------

  private startUpload(): void {
    if (this.upload) return;
    const upload = new TakeUpload({
      // Absolute: tus resolves the Location header against it (hub "" = this page's origin).
      endpoint: new URL(this.client.url("/uploads"), location.href).href,
      token: () => this.authToken,
      store: this.store!,
      take: () => this.take!,
      changed: () => new Promise<void>((resolve) => this.changedWaiters.push(resolve)),
      capBytesPerSecond: Math.max(0, Number(this.uploadRate) || 0) * 1024,
      events: {
        progress: (sent, total) => {
          this._progress = { sent, total };
          emit(this, "dr-upload-progress", { sent, total });
        },
        complete: () => void this.verifyUpload(),
        blocked: (error) => {
          if (error.isAuth) {
            storeToken(null);
            this.notice("error", t(this.ui, "login.expired"));
            this.user = null;
          }
          this.report(error);
        },
        // The code helps whoever supports the branch tell a dead link from a hub that refuses.
        waiting: (error) => this.notice("warn", `${t(this.ui, "upload.waiting")} (${error.code})`),
        idle: () => this.notice("info", t(this.ui, "upload.idle")),
      },
    });
    this.upload = upload;
    void upload.start();
  }

  /** The hub has every byte: compare its SHA-256 with ours before anything local may go. */
  private async verifyUpload(): Promise<void> {
    const take = this.take!;
    for (;;) {
      try {
        const recording = await this.client.recording(take.recordingId!);
        if (recording.media?.sha256 !== take.sha256) {
          this.report(
            new HubError("DR_HASH_MISMATCH", `hub ${recording.media?.sha256} ≠ local ${take.sha256}`),
          );
          take.uploadUrl = null; // a fresh upload replaces the hub's copy
          await this.store!.put(take);
          this.upload = null;
          this.startUpload();
          return;
        }
        break;
      } catch (err) {
        if ((err as HubError).code !== "HUB_UNREACHABLE") return this.report(err);
        await sleep(3000);
      }
    }
    take.confirmed = true;
    await this.store!.put(take);
    if (take.phase !== "stopped") await this.store!.deleteChunks(take.takeId);
    this._progress = { sent: take.size, total: take.size };
    this.notice("info", t(this.ui, "upload.done"));
    for (const resolve of this.confirmedWaiters.splice(0)) resolve();
  }

  private confirmed(): Promise<void> {
    return this.take!.confirmed ? Promise.resolve() : new Promise((r) => this.confirmedWaiters.push(r));
  }

  private changed(): void {
    for (const resolve of this.changedWaiters.splice(0)) resolve();
  }

  // ---- plumbing -----------------------------------------------------------------------------------------------

  private async ready(): Promise<void> {
    if (!this.authToken) throw new HubError("HUB_AUTH_REQUIRED", t(this.ui, "login.title"), 401);
    this.user ??= await this.client.me();
    this.store ??= await TakeStore.open();
  }

  private async loadPending(): Promise<PendingTake[]> {
    if (!this.authToken) return [];
    try {
      await this.ready();
    } catch {
      return [];
    }
    const takes = await this.store!.list(this.user!.username);
    this._pending = takes
      .filter((take) => take.takeId !== this.take?.takeId)
      .map(
        ({ takeId, kind, customerNo, productCode, recordingId, steps, size, phase, startedAt, endedAt }) => ({
          takeId,
          kind,
          customerNo,
          productCode,
          recordingId,
          steps,
          size,
          phase,
          startedAt,
          endedAt,
        }),
      );
    return this._pending;
  }

  private async warnIfLowStorage(threshold = LOW_STORAGE): Promise<void> {
    const room = await storageRoom().catch(() => null);
    if (room !== null && room < threshold) {
      const text = t(this.ui, "quota.low", { free: formatBytes(room) });
      this.notice("warn", text);
      emit(this, "dr-error", { code: "DR_STORAGE_LOW", message: text });
    }
  }

  private hubNow(): number {
    return Date.now() + this.clockOffset;
  }

  private guard(action: RecorderAction): void {
    if (!allowed(this._state, action)) {
      throw new HubError("DR_BAD_STATE", `${t(this.ui, "err.DR_BAD_STATE")}: ${action} (${this._state})`);
    }
  }

  private setState(state: RecorderState): void {
    if (this._state === state) return;
    this._state = state;
    emit(this, "dr-state-change", { state });
  }

  private notice(kind: "info" | "warn" | "error", text: string): void {
    this._notice = { kind, text };
  }

  /** Tells the host and the user about a failure, in the user's language where the code is known. */
  private report(err: unknown): void {
    const e =
      err instanceof HubError
        ? err
        : err instanceof CaptureError
          ? err
          : new HubError("DR_INTERNAL", String(err));
    // Our own DR_* errors are worded already; the hub's come in the language asked for; a few get friendlier text.
    const key = `err.${e.code}`;
    const ours = e instanceof HubError && e.code.startsWith("DR_");
    const message = !ours && hasMessage(key) ? t(this.ui, key as MessageKey) : e.message;
    this.notice("error", message);
    emit(this, "dr-error", { code: e.code, message });
  }

  /** A failure that leaves no session: release the devices, report, and offer a retry. */
  private fail(err: unknown): void {
    this.capture?.close();
    this.capture = null;
    this.report(err);
    if ((err as HubError).status === 401) {
      storeToken(null);
      this.user = null;
      this.setState("idle");
    } else {
      this.setState("error");
    }
  }

  private speak(text: string): void {
    const synth = window.speechSynthesis;
    if (!synth) return;
    const voice = synth
      .getVoices()
      .find((v) => v.lang.toLowerCase().startsWith(this.ui === "en" ? "en" : "zh"));
    if (!voice) return; // no voice on this PC: the text on screen is read aloud by the staff
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.voice = voice;
    utterance.lang = voice.lang;
    synth.cancel();
    synth.speak(utterance);
  }

  private stepText(code: string): string {
    return this.steps.find((s) => s.code === code)?.text ?? "";
  }

  // ---- rendering ----------------------------------------------------------------------------------------------

  static override styles = [
    theme,
    css`
      .stage {
        display: grid;
        grid-template-columns: minmax(240px, 3fr) minmax(220px, 2fr);
        gap: 12px;
      }
      @media (max-width: 640px) {
        .stage {
          grid-template-columns: 1fr;
        }
      }
      canvas,
      video {
        width: 100%;
        background: #111;
        border-radius: var(--_radius);
        display: block;
      }
      ol {
        margin: 0;
        padding-left: 1.4em;
      }
      li {
        color: var(--_muted);
      }
      li.current {
        color: var(--_fg);
        font-weight: 600;
      }
      li.done {
        color: var(--_ok);
      }
      .script {
        white-space: pre-wrap;
        background: #f7f7f7;
        border-left: 3px solid var(--_accent);
        padding: 6px 10px;
        margin: 8px 0;
      }
      .rec {
        color: var(--_danger);
        font-weight: 600;
      }
      progress {
        width: 100%;
      }
      .notice.warn {
        color: #8a5a00;
      }
      .notice.error {
        color: var(--_danger);
      }
      fieldset {
        border: 1px solid var(--_border);
        margin: 6px 0;
      }
    `,
  ];

  protected override render(): TemplateResult {
    return html`<div class="base" part="base">${this.renderContent()}</div>`;
  }

  private renderContent(): TemplateResult {
    const lang = this.ui;
    if (!this.authToken) {
      return loginForm(
        lang,
        this.client,
        () => {
          this._loginError = null;
          this.user = null;
          this.upload?.nudge();
          void this.loadPending();
          this.requestUpdate();
        },
        this._loginError,
        (message) => (this._loginError = message),
      );
    }
    return html`
      <div part="status" class="row" role="status" aria-live="polite">
        <strong>${t(lang, `state.${this._state}` as MessageKey)}</strong>
        ${this._state === "consent" || this._state === "recording" ? html`<span class="rec">● REC</span>` : nothing}
        ${this._notice ? html`<span class="notice ${this._notice.kind}">${this._notice.text}</span>` : nothing}
      </div>
      ${this.renderBody()}
    `;
  }

  private renderBody(): TemplateResult {
    const lang = this.ui;
    switch (this._state) {
      case "idle":
      case "aborted":
      case "submitted":
      case "error":
        return html`${this.renderPending()}
          <form part="setup" class="row" @submit=${this.onStartClick}>
            <label
              >${t(lang, "setup.customer")} <input name="customerNo" .value=${this.customerNo ?? ""}
            /></label>
            <label
              >${t(lang, "setup.product")} <input name="productCode" .value=${this.productCode ?? ""}
            /></label>
            <button class="primary" part="start-button" type="submit">
              ${this._state === "error" ? t(lang, "btn.retry") : t(lang, "setup.start")}
            </button>
          </form>`;
      case "consent":
      case "recording":
        return html`<div class="stage">
          <div part="preview">${this.capture?.canvas ?? nothing}</div>
          <div part="steps">${this.renderSteps()}</div>
        </div>`;
      case "stopped":
      case "previewing":
        return html`<div class="stage">
          <div part="preview">
            ${this.previewUrl ? html`<video part="preview-video" controls src=${this.previewUrl}></video>` : nothing}
          </div>
          <div class="row" part="actions">
            <button @click=${() => this.rerecord().catch(() => undefined)}>${t(lang, "btn.rerecord")}</button>
            <button @click=${() => this.save().catch(() => undefined)}>${t(lang, "btn.save")}</button>
            <button class="primary" @click=${() => this.submit().catch(() => undefined)}>
              ${t(lang, "btn.submit")}
            </button>
            <button class="danger" @click=${() => this.abort().catch(() => undefined)}>
              ${t(lang, "btn.abort")}
            </button>
          </div>
        </div>`;
      case "saving":
      case "uploading": {
        const p = this._progress;
        const total = p?.total ?? this.take?.size ?? 0;
        return html`<div part="upload">
          <progress part="progress" max=${total || 1} .value=${p?.sent ?? 0}></progress>
          <div class="row">
            ${t(lang, "upload.progress", { sent: formatBytes(p?.sent ?? 0), total: formatBytes(total) })}
            ${
              this.take?.phase === "submitting"
                ? nothing
                : html`<button class="primary" @click=${() => this.submit().catch(() => undefined)}>
                    ${t(lang, "btn.submit")}
                  </button>`
            }
          </div>
        </div>`;
      }
    }
  }

  private renderPending(): TemplateResult | typeof nothing {
    if (this._pending.length === 0) return nothing;
    const lang = this.ui;
    return html`<fieldset part="recover">
      <legend>${t(lang, "recover.title", { n: this._pending.length })}</legend>
      ${this._pending.map(
        (p) =>
          html`<div class="row">
            ${t(lang, "recover.item", {
              customerNo: p.customerNo ?? "—",
              productCode: p.productCode ?? "—",
              at: new Date(p.startedAt).toLocaleString(lang),
              size: formatBytes(p.size),
            })}
            <button @click=${() => this.resume(p.takeId).catch((e) => this.report(e))}>
              ${t(lang, "btn.recover")}
            </button>
          </div>`,
      )}
    </fieldset>`;
  }

  private renderSteps(): TemplateResult {
    const lang = this.ui;
    const code = this.step;
    const current = this.steps.find((s) => s.code === code);
    const click = (input?: StepInput) => () => void this.next(input).catch(() => undefined);
    const field = (name: string) =>
      (this.renderRoot.querySelector(`[name="${name}"]`) as HTMLInputElement | null)?.value.trim() ?? "";
    let controls: TemplateResult;
    switch (code) {
      case "consent":
        controls = html`<button class="primary" @click=${click()}>${t(lang, "step.consent.yes")}</button>
          <button
            class="danger"
            @click=${() => void this.abort({ code: "consent-refused", message: t(lang, "step.consent.no") })}
          >
            ${t(lang, "step.consent.no")}
          </button>`;
        break;
      case "customer-identification":
        controls = html`<input name="card" placeholder=${t(lang, "step.customer.card")} />
          <input
            name="customer"
            placeholder=${t(lang, "step.customer.manual")}
            .value=${this.take?.customerNo ?? ""}
          />
          <input name="customer-name" placeholder=${t(lang, "step.customer.name")} />
          <button
            class="primary"
            @click=${() => {
              const card = field("card");
              const name = field("customer-name");
              const input = card ? { card } : name ? { name } : { customerNo: field("customer") };
              void this.next(input).catch(() => undefined);
            }}
          >
            ${t(lang, "step.customer.search")}
          </button>
          ${this.candidates.map(
            (c) =>
              html`<button part="candidate" @click=${click({ customerNo: c.customerNo })}>
                ${c.name} ${c.customerNo}
              </button>`,
          )}`;
        break;
      case "risk-assessment":
        controls = this.renderAssessment();
        break;
      case "product-match":
        controls = html`<input name="product" .value=${this.take?.productCode ?? ""} />
          <button
            class="primary"
            @click=${() => void this.next({ productCode: field("product") }).catch(() => undefined)}
          >
            ${t(lang, "step.product.check")}
          </button>`;
        break;
      default:
        controls = html`<button class="primary" ?disabled=${this.lastConfirmed} @click=${click()}>
          ${t(lang, "step.confirm")}
        </button>`;
    }
    return html`<ol>
        ${this.stepCodes.map(
          (c, i) =>
            html`<li class=${i < this._stepIndex ? "done" : i === this._stepIndex ? "current" : ""}>
              ${this.steps.find((s) => s.code === c)?.title ?? c}
            </li>`,
        )}
      </ol>
      <div class="script" part="script">${current?.text ?? ""}</div>
      <div class="row">${controls}</div>
      <div class="row">
        <button @click=${() => this.stop().catch(() => undefined)}>${t(lang, "btn.stop")}</button>
        <button class="danger" @click=${() => this.abort().catch(() => undefined)}>
          ${t(lang, "btn.abort")}
        </button>
      </div>`;
  }

  private renderAssessment(): TemplateResult {
    const lang = this.ui;
    const a = this.customer?.assessment;
    if (a?.valid) {
      return html`<span
          >${t(lang, "step.customer.level", { level: a.level, name: a.levelName, assessedAt: a.assessedAt, validUntil: a.validUntil })}</span
        >
        <button class="primary" @click=${() => void this.next().catch(() => undefined)}>
          ${t(lang, "step.next")}
        </button>`;
    }
    const q = this.questionnaire;
    const submit = (e: Event) => {
      e.preventDefault();
      const data = new FormData(e.target as HTMLFormElement);
      const answers: Record<string, string> = {};
      data.forEach((v, k) => (answers[k] = String(v)));
      void this.next({ answers }).catch(() => undefined);
    };
    return html`<form part="questionnaire" @submit=${submit}>
      <p>${t(lang, "step.customer.none")}</p>
      ${q?.questions.map(
        (question) =>
          html`<fieldset>
            <legend>${question.text}</legend>
            ${question.options.map(
              (o) =>
                html`<label
                  ><input type="radio" name=${question.code} value=${o.code} required /> ${o.text}</label
                >`,
            )}
          </fieldset>`,
      )}
      <button class="primary" type="submit">${t(lang, "step.questionnaire.submit")}</button>
    </form>`;
  }

  private onStartClick = (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    this.customerNo = String(data.get("customerNo") ?? "").trim() || null;
    this.productCode = String(data.get("productCode") ?? "").trim() || null;
    void this.start().catch(() => undefined);
  };
}
