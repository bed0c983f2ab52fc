/**
 * /widgets/dual-record-library.js: the `<dual-record-library>` element, for outlet managers and auditors to search
 * recordings and play them back. One module, no bare imports, a bundle of its own (a CRM page that only shows
 * recordings does not load the recorder); load it with
 * `<script type="module" src="https://hub.example/widgets/dual-record-library.js"></script>`.
 */
import { defineElement } from "./define";
import { DualRecordLibraryElement } from "./library/library-element";

export { DualRecordLibraryElement };
export type { DualRecordEventDetails } from "./events";
export type { LibraryFilters } from "./library/query";

defineElement("dual-record-library", DualRecordLibraryElement, import.meta.url);

declare global {
  interface HTMLElementTagNameMap {
    "dual-record-library": DualRecordLibraryElement;
  }
}
