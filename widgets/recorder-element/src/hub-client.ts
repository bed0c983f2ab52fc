/**
 * The hub's REST API as the elements use it: one `fetch` wrapper that sends the bearer token and the language,
 * and turns every failure into a `HubError` with the hub's code (docs/errors.md) — or `HUB_UNREACHABLE` when no
 * answer came at all, so the UI can say "check the network" instead of showing a stack.
 */
import type { Lang } from "./i18n";

export class HubError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 0,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "HubError";
  }
  /** The token is missing, invalid or expired: the user (or the host) must log in again. */
  get isAuth(): boolean {
    return this.status === 401;
  }
}

export interface User {
  username: string;
  displayName: string;
  role: string;
  orgCode: string;
  employeeNo: string | null;
  qualificationCertNo: string | null;
}

export interface Assessment {
  level: string;
  levelName: string;
  assessedAt: string;
  validUntil: string;
  valid: boolean;
}

export interface Customer {
  customerNo: string;
  name: string;
  assessment: Assessment | null;
}

export interface ScriptStep {
  code: string;
  title: string;
  text: string;
  requiresConfirmation: boolean;
}

export interface RiskMatch {
  ok: boolean;
  code: string;
  customerLevel: string | null;
  productRisk: string;
  validUntil: string | null;
  reason: string;
}

export interface Questionnaire {
  version: string;
  title: string;
  questions: Array<{ code: string; text: string; options: Array<{ code: string; text: string }> }>;
}

export interface Recording {
  id: string;
  kind: string;
  status: string;
  customerNo: string;
  productCode: string;
  orgCode: string;
  createdBy: string;
  createdAt: string;
  upload: { url: string; state: string };
  media: { type: string; size: number; sha256: string } | null;
  renditions?: string[];
}

export interface OrgUnit {
  code: string;
  name: string;
  kind: string;
  parentCode: string | null;
  path: string;
  status: "open" | "closed";
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

type Query = Record<string, string | number | undefined | null>;

export class HubClient {
  constructor(
    /** Base URL of the hub, without a trailing slash ("" = same origin). */
    readonly base: string,
    private readonly token: () => string | null,
    private readonly lang: () => Lang,
  ) {}

  url(path: string, query?: Query): string {
    const q = query
      ? Object.entries(query)
          .filter(([, v]) => v !== undefined && v !== null && v !== "")
          .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
          .join("&")
      : "";
    return `${this.base}/api/v1${path}${q ? `?${q}` : ""}`;
  }

  headers(): Record<string, string> {
    const token = this.token();
    return {
      "Accept-Language": this.lang() === "en" ? "en" : "zh-CN",
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    };
  }

  async request<T>(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown } = {},
  ): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.url(path, options.query), {
        method,
        headers: {
          ...this.headers(),
          ...(options.body !== undefined ? { "Content-Type": "application/json" } : {}),
        },
        body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
        cache: "no-store",
      });
    } catch (err) {
      throw new HubError("HUB_UNREACHABLE", (err as Error).message);
    }
    const text = await res.text();
    const json = text ? safeJson(text) : null;
    if (!res.ok) {
      const e = (json as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
      throw new HubError(
        e?.code ?? `HTTP_${res.status}`,
        e?.message ?? res.statusText,
        res.status,
        e?.details,
      );
    }
    return json as T;
  }

  login(username: string, password: string): Promise<{ token: string; user: User }> {
    return this.request("POST", "/auth/login", { body: { username, password } });
  }
  me(): Promise<User> {
    return this.request("GET", "/auth/me");
  }

  /**
   * The hub clock's offset from this PC's, in ms (hub = Date.now() + offset), from the best of a few round
   * trips: the sample with the shortest round trip bounds the error by half of it.
   */
  async clockOffset(samples = 3): Promise<{ offset: number; rtt: number }> {
    let best = { offset: 0, rtt: Infinity };
    for (let i = 0; i < samples; i++) {
      const sent = Date.now();
      const { epochMs } = await this.request<{ epochMs: number }>("GET", "/time");
      const received = Date.now();
      const rtt = received - sent;
      if (rtt < best.rtt) best = { offset: epochMs - (sent + rtt / 2), rtt };
    }
    return best;
  }

  script(productCode: string, customerNo?: string | null): Promise<{ steps: ScriptStep[] }> {
    return this.request("GET", "/scripts", { query: { productCode, customerNo } });
  }
  lookupCustomer(by: "card" | "idNo" | "customerNo" | "name", value: string): Promise<{ items: Customer[] }> {
    return this.request("GET", "/customers/lookup", { query: { [by]: value } });
  }
  riskMatch(customerNo: string, productCode: string): Promise<RiskMatch> {
    return this.request("GET", "/risk/match", { query: { customerNo, productCode } });
  }
  questionnaire(): Promise<Questionnaire> {
    return this.request("GET", "/questionnaires/current");
  }
  assess(
    customerNo: string,
    questionnaireVersion: string,
    answers: Record<string, string>,
  ): Promise<Assessment> {
    return this.request("POST", "/risk-assessments", { body: { customerNo, questionnaireVersion, answers } });
  }
  createRecording(body: {
    customerNo: string;
    productCode: string;
    kind: string;
    relatedTo?: string;
  }): Promise<Recording> {
    return this.request("POST", "/recordings", { body });
  }
  recording(id: string): Promise<Recording> {
    return this.request("GET", `/recordings/${id}`);
  }
  recordings(query: Query): Promise<Page<Recording>> {
    return this.request("GET", "/recordings", { query });
  }
  submit(
    id: string,
    body: { startedAt: string; endedAt: string; steps: Step[]; watermark: object },
  ): Promise<{ id: string; manifest: { sha256?: string } }> {
    return this.request("POST", `/recordings/${id}/submit`, { body });
  }
  recordAbort(body: object): Promise<unknown> {
    return this.request("POST", "/recordings/aborts", { body });
  }
  mediaUrl(id: string, rendition: "original" | "canonical" = "original"): string {
    return this.url(`/recordings/${id}/media`, { rendition });
  }
  /**
   * A media URL a `<video src>` can play and seek (HTTP Range) without the Authorization header: the hub seals
   * this session's token into a ticket good for one recording and rendition, for a few minutes. Absolute when
   * the hub is on another origin.
   */
  async playTicket(
    id: string,
    rendition: "original" | "canonical" = "original",
  ): Promise<{ url: string; expiresAt: string }> {
    const ticket = await this.request<{ url: string; expiresAt: string }>(
      "POST",
      `/recordings/${id}/media/ticket`,
      { query: { rendition } },
    );
    return { url: `${this.base}${ticket.url}`, expiresAt: ticket.expiresAt };
  }
  /** The caller's unit and every unit below it, ordered by path; `status=all` keeps closed ones (old recordings). */
  orgs(status: "open" | "closed" | "all" = "open"): Promise<{ items: OrgUnit[] }> {
    return this.request("GET", "/orgs", { query: { status } });
  }
}

export interface Step {
  code: string;
  /** Milliseconds from the start of the take. */
  at: number;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
