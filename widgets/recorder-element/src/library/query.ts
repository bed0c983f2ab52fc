/**
 * What `<dual-record-library>` asks the hub and how it shows the answer, without the DOM: the search filters as
 * the query of `GET /api/v1/recordings`, the rendition to play, and times in the user's locale.
 */
import type { Lang } from "../i18n";

export const PAGE_SIZE = 20;

export const KINDS = ["sale", "supplement", "callback", "cctv", "scan"] as const;
export const STATUSES = ["draft", "submitted"] as const;

/** The search form; empty strings are "any". */
export interface LibraryFilters {
  /** Start of a customer number, a product code or a recording id. */
  q: string;
  customerNo: string;
  productCode: string;
  /** Business days, `YYYY-MM-DD` (Beijing time on the hub), both included. */
  from: string;
  to: string;
  /** The unit whose subtree is searched; "" = the caller's own. */
  orgCode: string;
  kind: string;
  status: string;
  page: number;
}

export const NO_FILTERS: LibraryFilters = {
  q: "",
  customerNo: "",
  productCode: "",
  from: "",
  to: "",
  orgCode: "",
  kind: "",
  status: "",
  page: 1,
};

const TEXT_FIELDS = ["q", "customerNo", "productCode", "from", "to", "orgCode", "kind", "status"] as const;

/** Filters as given by a host or read from the form: text trimmed, unknown keys dropped, page at least 1. */
export function normalizeFilters(
  base: LibraryFilters,
  changes: Partial<Record<keyof LibraryFilters, unknown>>,
) {
  const next: LibraryFilters = { ...base };
  for (const field of TEXT_FIELDS) {
    const value = changes[field];
    if (value !== undefined) next[field] = value === null ? "" : String(value).trim();
  }
  const page = changes.page === undefined ? next.page : Number(changes.page);
  next.page = Number.isInteger(page) && page >= 1 ? page : 1;
  return next;
}

/** The query of `GET /api/v1/recordings` (docs/api.md): empty filters are left out, so the hub's defaults hold. */
export function recordingsQuery(f: LibraryFilters): Record<string, string | number> {
  const query: Record<string, string | number> = { page: f.page, pageSize: PAGE_SIZE };
  for (const field of TEXT_FIELDS) if (f[field]) query[field] = f[field];
  return query;
}

export function pageCount(total: number, pageSize = PAGE_SIZE): number {
  return Math.max(1, Math.ceil(total / pageSize));
}

/** The seekable copy the media worker made when there is one (the recorder's WebM may lack cues), else the original. */
export function preferredRendition(renditions: readonly string[] | undefined): "canonical" | "original" {
  return renditions?.includes("canonical") ? "canonical" : "original";
}

const formats = new Map<Lang, Intl.DateTimeFormat>();

/** `2026/11/23 17:30:05` in zh-CN, `23/11/2026, 17:30:05` in English: the PC's local time. */
export function formatTime(iso: string, lang: Lang): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  let format = formats.get(lang);
  if (!format) {
    format = new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "zh-CN", {
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hour12: false,
    });
    formats.set(lang, format);
  }
  return format.format(date);
}
