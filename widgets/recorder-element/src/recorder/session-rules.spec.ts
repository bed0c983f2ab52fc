import type { RecorderState } from "../events";
import { allowed, createsDraftAt, SALE_STEPS, stepsFor, type RecorderAction } from "./session-rules";

const STATES: RecorderState[] = [
  "idle",
  "consent",
  "recording",
  "stopped",
  "previewing",
  "saving",
  "uploading",
  "submitted",
  "aborted",
  "error",
];

// The whole table, written out: a change to what the recorder allows must change this test too.
const EXPECTED: Record<RecorderAction, RecorderState[]> = {
  start: ["idle", "aborted", "submitted", "error"],
  next: ["consent", "recording"],
  stop: ["consent", "recording"],
  rerecord: ["stopped", "previewing"],
  save: ["stopped", "previewing"],
  submit: ["stopped", "previewing", "saving", "uploading"],
  abort: ["consent", "recording", "stopped", "previewing", "saving", "uploading", "error"],
};

describe("recorder session rules", () => {
  for (const [action, states] of Object.entries(EXPECTED) as Array<[RecorderAction, RecorderState[]]>) {
    it.each(STATES)(`${action} in state %s`, (state) => {
      expect(allowed(state, action)).toBe(states.includes(state));
    });
  }

  it("never lets a submitted take be aborted or re-recorded", () => {
    expect(allowed("submitted", "abort")).toBe(false);
    expect(allowed("submitted", "rerecord")).toBe(false);
  });

  it("walks the eight sale steps for a sale and a supplement, three for a follow-up call", () => {
    expect(stepsFor("sale")).toEqual(SALE_STEPS);
    expect(stepsFor("supplement")).toEqual(SALE_STEPS);
    expect(stepsFor("callback")).toEqual(["consent", "customer-identification", "confirmation"]);
    expect(SALE_STEPS.indexOf("product-match")).toBeGreaterThan(
      SALE_STEPS.indexOf("customer-identification"),
    );
  });

  it("creates a sale's draft only at the product match (a mismatched sale must not become a recording)", () => {
    expect(createsDraftAt("sale")).toBe("product-match");
    expect(createsDraftAt("supplement")).toBe("consent");
    expect(createsDraftAt("callback")).toBe("consent");
  });
});
