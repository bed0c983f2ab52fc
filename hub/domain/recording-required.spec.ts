/**
 * Product types and the "recording required" resolution across the org tree. Expectations are literal.
 */
import {
  PRODUCT_TYPES,
  PRODUCT_TYPE_NAMES,
  RECORDING_REQUIRED_BY_TYPE,
  effectiveRecordingRequired,
  isProductType,
  type EffectiveRecordingRequired,
  type ProductType,
  type RecordingOverride,
} from "./recording-required";

// The tree: head office, two branches, a sub-branch under Shanghai, outlets at every level below a branch.
const HQ = "000000";
const SH = "000000/310000"; // 上海分行
const BJ = "000000/110000"; // 北京分行
const SH_SUB = "000000/310000/310500"; // 二级分行 under Shanghai
const SH_OUTLET = "000000/310000/310100"; // outlet directly under the Shanghai branch
const SH_SUB_OUTLET = "000000/310000/310500/310501"; // outlet under the sub-branch
const SH_SUB_OUTLET_2 = "000000/310000/310500/310502"; // its sibling
const BJ_OUTLET = "000000/110000/110100";

const on = (orgPath: string, required: boolean): RecordingOverride => ({ orgPath, required });
const wealth = { type: "WEALTH" as ProductType, recordingRequired: null };
const otherFlagged = (flag: boolean | null) => ({ type: "OTHER" as ProductType, recordingRequired: flag });

describe("product types", () => {
  it("lists the seven types with their Chinese names", () => {
    expect(PRODUCT_TYPES).toEqual(["WEALTH", "FUND", "TRUST", "ASSET_MGMT", "EQUITY", "INSURANCE", "OTHER"]);
    expect(PRODUCT_TYPE_NAMES).toEqual({
      WEALTH: "理财",
      FUND: "基金",
      TRUST: "信托",
      ASSET_MGMT: "资管",
      EQUITY: "权益投资",
      INSURANCE: "保险",
      OTHER: "其他",
    });
  });

  it.each([["WEALTH"], ["OTHER"]])("recognises %s", (t) => expect(isProductType(t)).toBe(true));
  it.each([["wealth"], ["DEPOSIT"], [""], [null], ["理财"]])("rejects %j", (t) => {
    expect(isProductType(t)).toBe(false);
  });
});

describe("type defaults (no override, product flag null)", () => {
  it.each([
    ["WEALTH", true],
    ["FUND", true],
    ["TRUST", true],
    ["ASSET_MGMT", true],
    ["EQUITY", true],
    ["INSURANCE", true],
    ["OTHER", false],
  ] as [ProductType, boolean][])("%s → %s", (type, required) => {
    expect(RECORDING_REQUIRED_BY_TYPE[type]).toBe(required);
    expect(effectiveRecordingRequired({ type, recordingRequired: null }, [], SH_OUTLET)).toEqual({
      required,
      source: "type-default",
    });
  });

  it("covers every type", () => {
    expect(Object.keys(RECORDING_REQUIRED_BY_TYPE).sort()).toEqual([...PRODUCT_TYPES].sort());
  });

  it("refuses an unknown type when it has to fall back on it", () => {
    expect(() =>
      effectiveRecordingRequired({ type: "DEPOSIT" as ProductType, recordingRequired: null }, [], SH_OUTLET),
    ).toThrow(RangeError);
  });
});

describe("product flag", () => {
  it.each([
    ["OTHER flagged true", otherFlagged(true), { required: true, source: "product" }],
    ["OTHER flagged false", otherFlagged(false), { required: false, source: "product" }],
    ["OTHER not flagged", otherFlagged(null), { required: false, source: "type-default" }],
    [
      "WEALTH flagged false",
      { type: "WEALTH" as ProductType, recordingRequired: false },
      { required: false, source: "product" },
    ],
    ["WEALTH not flagged", wealth, { required: true, source: "type-default" }],
  ])("%s", (_label, product, expected) => {
    expect(effectiveRecordingRequired(product, [], SH_SUB_OUTLET)).toEqual(expected);
  });

  it("treats an undefined flag from an untyped caller as not set", () => {
    const product = { type: "FUND" as ProductType, recordingRequired: undefined as unknown as null };
    expect(effectiveRecordingRequired(product, [], SH_OUTLET)).toEqual({
      required: true,
      source: "type-default",
    });
  });
});

describe("overrides across the org tree", () => {
  // The product's own flag is set opposite to the expected override, so an override that failed to apply shows.
  const RECORDED = { type: "WEALTH" as ProductType, recordingRequired: true };
  const NOT_RECORDED = { type: "OTHER" as ProductType, recordingRequired: false };
  const CASES: [string, typeof RECORDED, RecordingOverride[], string, EffectiveRecordingRequired][] = [
    ["no override", NOT_RECORDED, [], SH_SUB_OUTLET, { required: false, source: "product" }],
    [
      "hq override reaches an outlet under a sub-branch",
      NOT_RECORDED,
      [on(HQ, true)],
      SH_SUB_OUTLET,
      { required: true, source: "override", orgPath: HQ },
    ],
    [
      "hq override reaches an outlet in another branch",
      NOT_RECORDED,
      [on(HQ, true)],
      BJ_OUTLET,
      { required: true, source: "override", orgPath: HQ },
    ],
    [
      "branch override applies to its outlet",
      NOT_RECORDED,
      [on(SH, true)],
      SH_OUTLET,
      { required: true, source: "override", orgPath: SH },
    ],
    [
      "branch override applies below its sub-branch",
      NOT_RECORDED,
      [on(SH, true)],
      SH_SUB_OUTLET,
      { required: true, source: "override", orgPath: SH },
    ],
    [
      "branch beats hq",
      NOT_RECORDED,
      [on(HQ, false), on(SH, true)],
      SH_OUTLET,
      { required: true, source: "override", orgPath: SH },
    ],
    [
      "branch beats hq, listed first",
      NOT_RECORDED,
      [on(SH, true), on(HQ, false)],
      SH_OUTLET,
      { required: true, source: "override", orgPath: SH },
    ],
    [
      "sub-branch beats branch",
      NOT_RECORDED,
      [on(SH, false), on(SH_SUB, true)],
      SH_SUB_OUTLET,
      { required: true, source: "override", orgPath: SH_SUB },
    ],
    [
      "sub-branch beats branch and hq",
      RECORDED,
      [on(SH_SUB, false), on(HQ, true), on(SH, true)],
      SH_SUB_OUTLET,
      { required: false, source: "override", orgPath: SH_SUB },
    ],
    [
      "sub-branch override does not reach an outlet directly under the branch",
      RECORDED,
      [on(SH, false), on(SH_SUB, true)],
      SH_OUTLET,
      { required: false, source: "override", orgPath: SH },
    ],
    [
      "outlet-level beats all",
      NOT_RECORDED,
      [on(HQ, false), on(SH, false), on(SH_SUB, false), on(SH_SUB_OUTLET, true)],
      SH_SUB_OUTLET,
      { required: true, source: "override", orgPath: SH_SUB_OUTLET },
    ],
    [
      "outlet-level does not reach its sibling",
      RECORDED,
      [on(SH_SUB, false), on(SH_SUB_OUTLET, true)],
      SH_SUB_OUTLET_2,
      { required: false, source: "override", orgPath: SH_SUB },
    ],
    [
      "sibling branch ignored",
      NOT_RECORDED,
      [on(BJ, true)],
      SH_OUTLET,
      { required: false, source: "product" },
    ],
    [
      "sibling branch ignored beside hq",
      RECORDED,
      [on(BJ, true), on(HQ, false)],
      SH_OUTLET,
      { required: false, source: "override", orgPath: HQ },
    ],
    [
      "another branch's outlet ignored",
      NOT_RECORDED,
      [on(BJ_OUTLET, true)],
      SH_SUB_OUTLET,
      { required: false, source: "product" },
    ],
    [
      "override below the outlet ignored",
      NOT_RECORDED,
      [on(SH_SUB_OUTLET + "/01", true)],
      SH_SUB_OUTLET,
      { required: false, source: "product" },
    ],
    [
      "string prefix is not an ancestor",
      NOT_RECORDED,
      [on("000000/31", true), on("000000/310000/3105", true)],
      SH_SUB_OUTLET,
      { required: false, source: "product" },
    ],
    [
      "malformed override path ignored",
      NOT_RECORDED,
      [on("", true), on("000000//310000", true), on("../000000", true)],
      SH_OUTLET,
      { required: false, source: "product" },
    ],
    [
      "trailing slash tolerated",
      NOT_RECORDED,
      [on("000000/310000/", true)],
      SH_OUTLET,
      { required: true, source: "override", orgPath: "000000/310000/" },
    ],
    [
      "an override of false beats the product's true",
      RECORDED,
      [on(SH, false)],
      SH_OUTLET,
      { required: false, source: "override", orgPath: SH },
    ],
    [
      "two overrides at the same unit: required wins",
      NOT_RECORDED,
      [on(SH, false), on(SH, true), on(SH, false)],
      SH_OUTLET,
      { required: true, source: "override", orgPath: SH },
    ],
  ];

  it.each(CASES)("%s", (_label, product, overrides, outlet, expected) => {
    expect(effectiveRecordingRequired(product, overrides, outlet)).toEqual(expected);
  });

  it("ignores every override when the outlet path is malformed", () => {
    expect(effectiveRecordingRequired(wealth, [on(HQ, false)], "000000//310100")).toEqual({
      required: true,
      source: "type-default",
    });
  });

  it("resolves the override ahead of both the product flag and the type default", () => {
    expect(effectiveRecordingRequired(otherFlagged(null), [on(SH_SUB, true)], SH_SUB_OUTLET)).toEqual({
      required: true,
      source: "override",
      orgPath: SH_SUB,
    });
    expect(effectiveRecordingRequired(otherFlagged(false), [on(HQ, true)], BJ_OUTLET)).toEqual({
      required: true,
      source: "override",
      orgPath: HQ,
    });
  });
});
