/**
 * `<dual-record-library>`: outlet managers and auditors search recordings (keyword, customer, product, dates, org
 * unit, kind, status), page through them and play one back with seeking. Everything it shows is what the hub's
 * permission function lets the caller see: the list is scoped by the hub, and playback asks the hub again (a
 * ticket, then a grant and an audit entry for each request the `<video>` makes).
 */
import { LitElement, css, html, nothing, type PropertyValues, type TemplateResult } from "lit";
import { emit } from "../events";
import { HubClient, HubError, type OrgUnit, type Page, type Recording, type User } from "../hub-client";
import { hasMessage, langOf, t, type Lang } from "../i18n";
import { loginForm, storedToken, storeToken } from "../login-form";
import { theme } from "../theme";
import {
  KINDS,
  NO_FILTERS,
  STATUSES,
  formatTime,
  normalizeFilters,
  pageCount,
  preferredRendition,
  recordingsQuery,
  type LibraryFilters,
} from "./query";

interface Playing {
  recording: Recording;
  rendition: "canonical" | "original";
}

/** A second try for a failing `<video>` (its ticket ran out mid-way) only this long after the last one. */
const RETRY_AFTER_MS = 30_000;

function playable(r: Recording): boolean {
  return r.renditions ? r.renditions.length > 0 : r.upload?.state === "complete";
}

export class DualRecordLibraryElement extends LitElement {
  static override properties = {
    hub: { type: String },
    token: { type: String },
    lang: { type: String },
    customerNo: { type: String, attribute: "customer-no" },
    productCode: { type: String, attribute: "product-code" },
    recordingId: { type: String, attribute: "recording-id" },
    _filters: { state: true },
    _page: { state: true },
    _orgs: { state: true },
    _user: { state: true },
    _busy: { state: true },
    _error: { state: true },
    _loginError: { state: true },
    _playing: { state: true },
  };

  /** Base URL of the hub; "" = the page's own origin. */
  declare hub: string;
  /** Bearer token from the host's session; without it the element shows its own login. */
  declare token: string | null;
  declare lang: string;
  /** Prefills the customer filter (a CRM page sets the customer it shows). */
  declare customerNo: string | null;
  declare productCode: string | null;
  /** Opens one recording: lists it and plays it once the user is signed in (a link from the CRM timeline). */
  declare recordingId: string | null;

  declare private _filters: LibraryFilters;
  declare private _page: Page<Recording> | null;
  declare private _orgs: OrgUnit[];
  declare private _user: User | null;
  declare private _busy: boolean;
  declare private _error: string | null;
  declare private _loginError: string | null;
  declare private _playing: Playing | null;

  private _client: HubClient | null = null;
  private began = false;
  private searchAgain = false;
  private searchSeq = 0;
  private playSeq = 0;
  private loadSeq = 0;
  private loading = false;
  private lastRetry = 0;
  /** The `recording-id` still to be played after the next search. */
  private toOpen: string | null = null;

  constructor() {
    super();
    this.hub = "";
    this.token = null;
    this.lang = "zh-CN";
    this.customerNo = null;
    this.productCode = null;
    this.recordingId = null;
    this._filters = NO_FILTERS;
    this._page = null;
    this._orgs = [];
    this._user = null;
    this._busy = false;
    this._error = null;
    this._loginError = null;
    this._playing = null;
  }

  // ---- public API -----------------------------------------------------------------------------------------------

  /** The recordings on the page shown. */
  get results(): readonly Recording[] {
    return this._page?.items ?? [];
  }

  /**
   * Searches with the current filters changed by `filters` (page 1 unless `filters.page` says otherwise) and
   * resolves to the page it shows. A refusal is shown, emitted as `dr-error` and rejected with the HubError.
   */
  async search(filters: Partial<LibraryFilters> = {}): Promise<Page<Recording>> {
    const next = normalizeFilters(this._filters, { page: 1, ...filters });
    this._filters = next;
    const seq = ++this.searchSeq;
    this._busy = true;
    this._error = null;
    try {
      const page = await this.client.recordings(recordingsQuery(next));
      if (seq === this.searchSeq) this._page = page;
      return page;
    } catch (err) {
      if (seq === this.searchSeq) this.report(err);
      throw err;
    } finally {
      if (seq === this.searchSeq) this._busy = false;
    }
  }

  /**
   * Plays a recording: a ticket from the hub becomes the `<video>`'s src, so seeking is plain HTTP Range. Resolves
   * once the video has its metadata; a refusal (a sales user's HUB_RECORDING_NO_REPLAY, …) is shown, emitted as
   * `dr-error` and rejected.
   */
  async play(recordingId: string): Promise<void> {
    const seq = ++this.playSeq;
    this._error = null;
    try {
      const recording =
        this.results.find((r) => r.id === recordingId) ?? (await this.client.recording(recordingId));
      const rendition = preferredRendition(recording.renditions);
      const { url } = await this.client.playTicket(recording.id, rendition);
      if (seq !== this.playSeq) return; // another one was opened meanwhile
      this._playing = { recording, rendition };
      await this.updateComplete;
      await this.load(url, 0);
    } catch (err) {
      if (seq === this.playSeq) this.report(err);
      throw err;
    }
  }

  // ---- lifecycle ------------------------------------------------------------------------------------------------

  private get ui(): Lang {
    return langOf(this.lang);
  }
  private get authToken(): string | null {
    return this.token || storedToken();
  }
  private get client(): HubClient {
    const base = (this.hub ?? "").replace(/\/$/, "");
    if (this._client?.base !== base) {
      this._client = new HubClient(
        base,
        () => this.authToken,
        () => this.ui,
      );
    }
    return this._client;
  }
  private get video(): HTMLVideoElement | null {
    return this.renderRoot.querySelector("video");
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has("customerNo") || changed.has("productCode")) {
      this._filters = normalizeFilters(this._filters, {
        customerNo: this.customerNo,
        productCode: this.productCode,
        page: 1,
      });
      this.searchAgain = this.began;
    }
    if (changed.has("recordingId") && this.recordingId) {
      this._filters = normalizeFilters(this._filters, { q: this.recordingId, page: 1 });
      this.toOpen = this.recordingId;
      this.searchAgain = this.began;
    }
    if ((changed.has("token") && changed.get("token") !== undefined) || changed.has("hub")) {
      // Another session or hub: who the user is and what they may see is asked again.
      this.began = false;
      this._user = null;
      this._orgs = [];
    }
  }

  protected override updated(): void {
    if (!this.authToken) return;
    if (!this.began) {
      this.began = true;
      this.searchAgain = false;
      void this.loadScope();
      void this.searchAndOpen();
    } else if (this.searchAgain) {
      this.searchAgain = false;
      void this.searchAndOpen();
    }
  }

  /** Searches; then plays the `recording-id` asked for, if any (a refusal is shown by `play`). */
  private async searchAndOpen(): Promise<void> {
    try {
      await this.search();
      const id = this.toOpen;
      this.toOpen = null;
      if (id) await this.play(id);
    } catch {
      // shown and emitted as dr-error already
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stopVideo();
  }

  /** Who the user is (their unit is the default scope) and the units they may search, for the org select. */
  private async loadScope(): Promise<void> {
    const [user, orgs] = await Promise.allSettled([this.client.me(), this.client.orgs("all")]);
    if (user.status === "fulfilled") this._user = user.value;
    if (orgs.status === "fulfilled") this._orgs = orgs.value.items;
  }

  // ---- playback -------------------------------------------------------------------------------------------------

  /** Sets the video's src; resolves on its metadata, rejects with what went wrong. */
  private load(url: string, at: number): Promise<void> {
    const video = this.video;
    if (!video) return Promise.reject(new HubError("DR_INTERNAL", "no video element"));
    const mine = ++this.loadSeq;
    this.loading = true;
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        video.removeEventListener("loadedmetadata", ok);
        video.removeEventListener("error", fail);
        if (mine === this.loadSeq) this.loading = false;
      };
      const ok = () => {
        done();
        if (at && mine === this.loadSeq) video.currentTime = at;
        resolve();
      };
      const fail = () => {
        done();
        void this.explain(url, video.error).then(reject);
      };
      video.addEventListener("loadedmetadata", ok);
      video.addEventListener("error", fail);
      video.src = url;
    });
  }

  /**
   * A `<video>` says only that loading failed, not why. One ranged request of the same URL gets the hub's own
   * answer (an expired ticket, a refused grant); when that succeeds the browser cannot decode the file.
   */
  private async explain(url: string, error: MediaError | null): Promise<HubError> {
    try {
      const res = await fetch(url, { headers: { Range: "bytes=0-0" }, cache: "no-store" });
      if (!res.ok) {
        const body = (await res.json().catch(() => null)) as {
          error?: { code?: string; message?: string };
        } | null;
        return new HubError(
          body?.error?.code ?? `HTTP_${res.status}`,
          body?.error?.message ?? "",
          res.status,
        );
      }
    } catch {
      return new HubError("HUB_UNREACHABLE", "the media request failed");
    }
    const detail = error ? ` (${error.code}${error.message ? `: ${error.message}` : ""})` : "";
    return new HubError("DR_MEDIA_ERROR", t(this.ui, "lib.mediaError") + detail);
  }

  /** Mid-way (a seek after the ticket ran out, a dropped link): a new ticket, back to the same second. */
  private onVideoError = async () => {
    const video = this.video;
    const playing = this._playing;
    if (this.loading || !video || !playing) return;
    const seq = this.playSeq;
    const at = video.currentTime;
    const wasPlaying = !video.paused;
    if (Date.now() - this.lastRetry < RETRY_AFTER_MS) {
      this.report(await this.explain(video.currentSrc, video.error));
      return;
    }
    this.lastRetry = Date.now();
    try {
      const { url } = await this.client.playTicket(playing.recording.id, playing.rendition);
      if (seq !== this.playSeq) return;
      await this.load(url, at);
      if (wasPlaying) await video.play().catch(() => undefined);
    } catch (err) {
      if (seq === this.playSeq) this.report(err);
    }
  };

  private stopVideo(): void {
    const video = this.video;
    if (!video) return;
    video.pause();
    video.removeAttribute("src");
    video.load(); // ends the pending Range request
  }

  private close = () => {
    this.playSeq++;
    this.stopVideo();
    this._playing = null;
  };

  // ---- errors ---------------------------------------------------------------------------------------------------

  private messageOf(e: HubError): string {
    if (e.code === "HUB_RECORDING_NO_REPLAY") return t(this.ui, "lib.noReplay");
    const key = `err.${e.code}`;
    return hasMessage(key) ? t(this.ui, key) : e.message || e.code;
  }

  /** Shows a failure in the user's language where the code is known, and tells the host. */
  private report(err: unknown): void {
    const e = err instanceof HubError ? err : new HubError("DR_INTERNAL", String(err));
    const message = this.messageOf(e);
    this._error = message;
    emit(this, "dr-error", { code: e.code, message });
    if (e.isAuth && !this.token) {
      // Our own login ran out: log in again (a host's token is the host's to renew, on dr-error).
      storeToken(null);
      this.began = false;
      this._loginError = message;
      this.close();
    }
  }

  // ---- rendering ------------------------------------------------------------------------------------------------

  static override styles = [
    theme,
    css`
      form .row {
        align-items: flex-end;
      }
      input[name="q"] {
        width: 12em;
      }
      input[name="customerNo"],
      input[name="productCode"] {
        width: 9em;
      }
      .list {
        overflow-x: auto;
      }
      table {
        width: 100%;
        border-collapse: collapse;
        margin: 8px 0;
      }
      th,
      td {
        text-align: left;
        padding: 4px 8px;
        border-bottom: 1px solid var(--_border);
        white-space: nowrap;
      }
      th {
        color: var(--_muted);
        font-weight: 600;
      }
      tr.current td {
        background: color-mix(in srgb, var(--_accent) 8%, transparent);
      }
      td.empty {
        color: var(--_muted);
        text-align: center;
        padding: 16px;
      }
      .status-draft {
        color: var(--_muted);
      }
      .status-submitted {
        color: var(--_ok);
      }
      .player {
        margin: 8px 0;
      }
      video {
        display: block;
        width: 100%;
        max-height: 60vh;
        background: #111;
        border-radius: var(--_radius);
      }
      [part="pager"] {
        justify-content: flex-end;
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
          this._error = null;
          this.requestUpdate();
        },
        this._loginError,
        (message) => (this._loginError = message),
      );
    }
    return html`<h2>${t(lang, "lib.title")}</h2>
      ${this.renderForm(lang)}
      ${this._error ? html`<p class="error" role="alert">${this._error}</p>` : nothing}
      ${this.renderPlayer(lang)} ${this.renderList(lang)} ${this.renderPager(lang)}`;
  }

  private label(prefix: "kind" | "status", value: string): string {
    const key = `${prefix}.${value}`;
    return hasMessage(key) ? t(this.ui, key) : value;
  }

  private onSubmit = (e: SubmitEvent) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(e.target as HTMLFormElement));
    void this.search({ ...data, page: 1 }).catch(() => undefined);
  };

  private renderForm(lang: Lang): TemplateResult {
    const f = this._filters;
    const any = html`<option value="">${t(lang, "lib.any")}</option>`;
    const choice = (field: "kind" | "status", values: readonly string[]) =>
      html`<select name=${field}>
        ${any}${values.map(
          (v) => html`<option value=${v} ?selected=${f[field] === v}>${this.label(field, v)}</option>`,
        )}
      </select>`;
    return html`<form part="form" @submit=${this.onSubmit}>
      <div class="row">
        <label>${t(lang, "lib.keyword")} <input name="q" type="search" maxlength="64" .value=${f.q} /></label>
        <label>${t(lang, "lib.customer")} <input name="customerNo" .value=${f.customerNo} /></label>
        <label>${t(lang, "lib.product")} <input name="productCode" .value=${f.productCode} /></label>
        <label>${t(lang, "lib.from")} <input name="from" type="date" .value=${f.from} /></label>
        <label>${t(lang, "lib.to")} <input name="to" type="date" .value=${f.to} /></label>
        <label>${t(lang, "lib.outlet")} ${this.renderOrg()}</label>
        <label>${t(lang, "lib.kind")} ${choice("kind", KINDS)}</label>
        <label>${t(lang, "lib.status")} ${choice("status", STATUSES)}</label>
        <button class="primary" type="submit" ?disabled=${this._busy}>${t(lang, "lib.search")}</button>
      </div>
    </form>`;
  }

  /** The units in the caller's scope, indented by depth; a plain input until (or unless) they are known. */
  private renderOrg(): TemplateResult {
    const selected = this._filters.orgCode || this._user?.orgCode || "";
    if (!this._orgs.length) {
      return html`<input name="orgCode" size="8" .value=${this._filters.orgCode} placeholder=${selected} />`;
    }
    const top = this._orgs[0].path.split("/").length;
    // No-break spaces: an option's label keeps them, where it would strip ordinary spaces.
    const label = (o: OrgUnit) =>
      `${"\u00a0\u00a0".repeat(o.path.split("/").length - top)}${o.name} ${o.code}`;
    return html`<select name="orgCode">
      ${this._orgs.map((o) => html`<option value=${o.code} ?selected=${o.code === selected}>${label(o)}</option>`)}
    </select>`;
  }

  private orgName(code: string): string {
    const org = this._orgs.find((o) => o.code === code);
    return org ? `${org.name} ${code}` : code;
  }

  private renderList(lang: Lang): TemplateResult {
    const items = this.results;
    const current = this._playing?.recording.id;
    const rows = items.length
      ? items.map(
          (r) =>
            html`<tr
              part=${r.id === current ? "row current" : "row"}
              class=${r.id === current ? "current" : ""}
            >
              <td>${formatTime(r.createdAt, lang)}</td>
              <td>${this.label("kind", r.kind)}</td>
              <td>${r.customerNo}</td>
              <td>${r.productCode}</td>
              <td>${this.orgName(r.orgCode)}</td>
              <td>${r.createdBy}</td>
              <td class="status-${r.status}">${this.label("status", r.status)}</td>
              <td>
                <button
                  type="button"
                  ?disabled=${!playable(r)}
                  title=${playable(r) ? nothing : t(lang, "lib.notUploaded")}
                  @click=${() => this.play(r.id).catch(() => undefined)}
                >
                  ${t(lang, "lib.play")}
                </button>
              </td>
            </tr>`,
        )
      : html`<tr>
          <td class="empty" colspan="8">${t(lang, this._page ? "lib.empty" : "lib.searching")}</td>
        </tr>`;
    return html`<div class="list">
      <table part="list" aria-busy=${this._busy ? "true" : "false"}>
        <thead>
          <tr>
            <th>${t(lang, "lib.col.time")}</th>
            <th>${t(lang, "lib.col.kind")}</th>
            <th>${t(lang, "lib.col.customer")}</th>
            <th>${t(lang, "lib.col.product")}</th>
            <th>${t(lang, "lib.col.outlet")}</th>
            <th>${t(lang, "lib.col.staff")}</th>
            <th>${t(lang, "lib.col.status")}</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          ${rows}
        </tbody>
      </table>
    </div>`;
  }

  private renderPager(lang: Lang): TemplateResult | typeof nothing {
    const page = this._page;
    if (!page) return nothing;
    const pages = pageCount(page.total, page.pageSize);
    return html`<div part="pager" class="row">
      <span class="muted">${t(lang, "lib.total", { n: page.total })}</span>
      <button
        type="button"
        ?disabled=${this._busy || page.page <= 1}
        @click=${() => this.search({ page: page.page - 1 }).catch(() => undefined)}
      >
        ${t(lang, "lib.prev")}
      </button>
      <span>${t(lang, "lib.page", { page: page.page, pages })}</span>
      <button
        type="button"
        ?disabled=${this._busy || page.page >= pages}
        @click=${() => this.search({ page: page.page + 1 }).catch(() => undefined)}
      >
        ${t(lang, "lib.next")}
      </button>
    </div>`;
  }

  private renderPlayer(lang: Lang): TemplateResult | typeof nothing {
    const playing = this._playing;
    if (!playing) return nothing;
    const r = playing.recording;
    // No download button or "Save video as": keeping a copy is the evidence export, a permission of its own.
    return html`<div class="player">
      <div class="row">
        <strong
          >${t(lang, "lib.nowPlaying", {
            customerNo: r.customerNo,
            productCode: r.productCode,
            time: formatTime(r.createdAt, lang),
          })}</strong
        >
        <button type="button" @click=${this.close}>${t(lang, "lib.close")}</button>
      </div>
      <video
        part="player"
        controls
        preload="metadata"
        playsinline
        controlslist="nodownload"
        @contextmenu=${(e: Event) => e.preventDefault()}
        @error=${this.onVideoError}
      ></video>
    </div>`;
  }
}
