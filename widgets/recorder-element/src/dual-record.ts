/**
 * /widgets/dual-record.js: the `<dual-record>` element. One module, no bare imports; load it with
 * `<script type="module" src="https://hub.example/widgets/dual-record.js"></script>` (docs/widget.md).
 */
import { defineElement } from "./define";
import { DualRecordElement } from "./recorder/recorder-element";

export { DualRecordElement };
export type { DualRecordEventDetails, RecorderState } from "./events";
export type { PendingTake, StepInput } from "./recorder/recorder-element";

defineElement("dual-record", DualRecordElement, import.meta.url);

declare global {
  interface HTMLElementTagNameMap {
    "dual-record": DualRecordElement;
  }
}
