/**
 * Product types and whether a sale of a product must be dual-recorded (双录) at a given outlet.
 *
 * The answer resolves outlet → sub-branch → branch → head office: an override set by the nearest org unit on
 * the outlet's path wins; without one, the product's own flag; without that, the default for its type
 * (issue 3, "What to build" 1–2). Pure functions only.
 */
import { isWithinScope } from "./permissions";

export const PRODUCT_TYPES = [
  "WEALTH",
  "FUND",
  "TRUST",
  "ASSET_MGMT",
  "EQUITY",
  "INSURANCE",
  "OTHER",
] as const;
export type ProductType = (typeof PRODUCT_TYPES)[number];

/** Names used on screens, imports (产品类型) and exports. */
export const PRODUCT_TYPE_NAMES: Readonly<Record<ProductType, string>> = {
  WEALTH: "理财",
  FUND: "基金",
  TRUST: "信托",
  ASSET_MGMT: "资管",
  EQUITY: "权益投资",
  INSURANCE: "保险",
  OTHER: "其他",
};

const TYPE_SET: ReadonlySet<unknown> = new Set<unknown>(PRODUCT_TYPES);

export function isProductType(x: unknown): x is ProductType {
  return TYPE_SET.has(x);
}

/**
 * The regulator requires 双录 for wealth-management and agency products sold to individuals, so every listed
 * type records by default; only OTHER, for products outside those categories, does not (a product flag or an
 * override can still require it).
 */
export const RECORDING_REQUIRED_BY_TYPE: Readonly<Record<ProductType, boolean>> = {
  WEALTH: true,
  FUND: true,
  TRUST: true,
  ASSET_MGMT: true,
  EQUITY: true,
  INSURANCE: true,
  OTHER: false,
};

/** A branch's (or head office's, or an outlet's) setting for one product, applying to its whole subtree. */
export interface RecordingOverride {
  orgPath: string;
  required: boolean;
}

export interface EffectiveRecordingRequired {
  required: boolean;
  source: "override" | "product" | "type-default";
  /** The org unit whose override decided; only when source is "override". */
  orgPath?: string;
}

function depth(orgPath: string): number {
  return orgPath.replace(/\/+$/, "").split("/").length;
}

/**
 * Must a sale of `product` at `outletPath` be recorded?
 *
 * Only overrides set at the outlet itself or at one of its ancestors count (compared code by code, so
 * "000000/31" is not an ancestor of "000000/310000"); overrides elsewhere in the tree, and malformed paths,
 * are ignored. Of those, the nearest (deepest) wins. Should two overrides sit at the same org unit — the store
 * keeps one per product and org, so only a caller's mistake can cause it — "required" wins: recording a sale
 * that did not need it is harmless, the reverse is not.
 */
export function effectiveRecordingRequired(
  product: { type: ProductType; recordingRequired: boolean | null },
  overrides: readonly RecordingOverride[],
  outletPath: string,
): EffectiveRecordingRequired {
  let nearest: RecordingOverride | null = null;
  let nearestDepth = -1;
  for (const o of overrides) {
    if (!isWithinScope(o.orgPath, outletPath)) continue;
    const d = depth(o.orgPath);
    if (d > nearestDepth || (d === nearestDepth && o.required)) {
      nearest = o;
      nearestDepth = d;
    }
  }
  if (nearest !== null) return { required: nearest.required, source: "override", orgPath: nearest.orgPath };
  // typeof, not !== null: an untyped caller's undefined must fall through to the type default.
  if (typeof product.recordingRequired === "boolean")
    return { required: product.recordingRequired, source: "product" };
  if (!isProductType(product.type)) throw new RangeError(`unknown product type: ${String(product.type)}`);
  return { required: RECORDING_REQUIRED_BY_TYPE[product.type], source: "type-default" };
}
