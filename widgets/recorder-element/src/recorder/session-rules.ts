/**
 * What the recorder may do in each state, and which script steps each mode walks through (pure, exhaustively
 * tested). The element asks these before acting, so a host calling methods out of order gets DR_BAD_STATE and
 * nothing changes.
 */
import type { RecorderState } from "../events";

export type Mode = "sale" | "supplement" | "callback";
export type RecorderAction = "start" | "next" | "stop" | "rerecord" | "save" | "submit" | "abort";

/** The eight steps of a sale (GET /api/v1/scripts answers them in this order). */
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

/**
 * A supplementary recording (补录) records the whole sale after the fact; a follow-up call (回访) is a phone call:
 * consent, who the customer is, and their confirmation.
 */
export function stepsFor(mode: Mode): readonly string[] {
  return mode === "callback" ? ["consent", "customer-identification", "confirmation"] : SALE_STEPS;
}

const ALLOWED: Record<RecorderAction, readonly RecorderState[]> = {
  start: ["idle", "aborted", "submitted", "error"],
  next: ["consent", "recording"],
  stop: ["consent", "recording"],
  rerecord: ["stopped", "previewing"],
  save: ["stopped", "previewing"],
  submit: ["stopped", "previewing", "saving", "uploading"],
  abort: ["consent", "recording", "stopped", "previewing", "saving", "uploading", "error"],
};

export function allowed(state: RecorderState, action: RecorderAction): boolean {
  return ALLOWED[action].includes(state);
}

/** The draft recording is created once customer and product are settled: at the match for a sale, else at once. */
export function createsDraftAt(mode: Mode): string {
  return mode === "sale" ? "product-match" : "consent";
}
