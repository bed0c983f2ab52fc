/** The events both elements dispatch: `dr-*`, bubbling and composed so a host page hears them from outside. */
export type RecorderState =
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

export interface DualRecordEventDetails {
  "dr-state-change": { state: RecorderState };
  "dr-step": { code: string; at: number };
  "dr-risk-mismatch": { code: string; customerLevel: string | null; productRisk: string };
  "dr-upload-progress": { sent: number; total: number | null };
  "dr-submitted": { recordingId: string; sha256: string };
  "dr-error": { code: string; message: string };
}

export type DualRecordEventName = keyof DualRecordEventDetails;

export function emit<K extends DualRecordEventName>(
  target: EventTarget,
  name: K,
  detail: DualRecordEventDetails[K],
): void {
  target.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
}

declare global {
  interface GlobalEventHandlersEventMap {
    "dr-state-change": CustomEvent<DualRecordEventDetails["dr-state-change"]>;
    "dr-step": CustomEvent<DualRecordEventDetails["dr-step"]>;
    "dr-risk-mismatch": CustomEvent<DualRecordEventDetails["dr-risk-mismatch"]>;
    "dr-upload-progress": CustomEvent<DualRecordEventDetails["dr-upload-progress"]>;
    "dr-submitted": CustomEvent<DualRecordEventDetails["dr-submitted"]>;
    "dr-error": CustomEvent<DualRecordEventDetails["dr-error"]>;
  }
}
