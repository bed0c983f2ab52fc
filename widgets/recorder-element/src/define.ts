/**
 * Registering the elements without fighting the host page. A tag the host (or another copy of this bundle)
 * already defined is left alone: `customElements.define` would throw and break the host's own scripts. Hosts
 * that need both can load the module with `?define=none` and register the exported class under a name of their
 * own, or in a scoped registry (native, or the @webcomponents/scoped-custom-element-registry polyfill):
 *
 *   import { DualRecordElement } from "/widgets/dual-record.js?define=none";
 *   const registry = new CustomElementRegistry();
 *   registry.define("dual-record", DualRecordElement);
 *   host.attachShadow({ mode: "open", customElementRegistry: registry });
 */
export function defineElement(
  tag: string,
  element: CustomElementConstructor,
  moduleUrl: string,
  registry: CustomElementRegistry = customElements,
): boolean {
  if (new URL(moduleUrl).searchParams.get("define") === "none") return false;
  const existing = registry.get(tag);
  if (existing) {
    if (existing !== element)
      console.warn(`<${tag}> is already defined by the page; this copy is not registered`);
    return false;
  }
  registry.define(tag, element);
  return true;
}
