/**
 * The columns of the two batch imports (products, customers) and the parsers of their cells (pure).
 *
 * A header is either the English key (exact, case-insensitive: "productCode", "PRODUCTCODE") or the Chinese name
 * (full-width brackets and spaces inside are tolerated: "期限（月）"). Each parser receives a trimmed, non-empty cell
 * and returns the typed value or a `CellProblem`; the checks that need two cells or "today" live in validate.ts.
 *
 * Cells are never evaluated: a cell starting with "=", "+", "-" or "@" is plain text here. In a typed column it
 * fails that column's format; in a free-text column (names, issuer) it is kept verbatim, and whoever writes these
 * values back into a spreadsheet (the exporter) must neutralise them there.
 */

import { PRODUCT_TYPES, type ProductType } from "../domain/recording-required";
import { CUSTOMER_LEVELS, PRODUCT_RISKS, type CustomerLevel, type ProductRisk } from "../domain/risk";
import { bilingual, type ImportErrorCode } from "./errors";
import { parseDate, describeDateProblem } from "./dates";
import { idCardProblem } from "./id-card";
import { codePointLength, foldWidth, hasControlCharacters } from "./text";

export type ImportKind = "products" | "customers";
export const IMPORT_KINDS: readonly ImportKind[] = ["products", "customers"];

// The enumerations are the domain's; the import adds only its accepted spellings (Chinese names, aliases).
export { PRODUCT_TYPES, type ProductType } from "../domain/recording-required";
export { CUSTOMER_LEVELS, PRODUCT_RISKS, type CustomerLevel, type ProductRisk } from "../domain/risk";

export const ID_TYPES = ["ID_CARD", "PASSPORT", "HK_MO_PASS", "TW_PASS", "FOREIGN_PR", "OTHER"] as const;
export type IdType = (typeof ID_TYPES)[number];

/** Chinese names of the product types; the first is the one templates use. */
export const PRODUCT_TYPE_NAMES: Readonly<Record<ProductType, readonly string[]>> = {
  WEALTH: ["理财"],
  FUND: ["基金"],
  TRUST: ["信托"],
  ASSET_MGMT: ["资管", "资产管理"],
  EQUITY: ["权益投资"],
  INSURANCE: ["保险"],
  OTHER: ["其他", "其它"],
};

/** Chinese names of the ID types; the first is the one templates use. */
export const ID_TYPE_NAMES: Readonly<Record<IdType, readonly string[]>> = {
  ID_CARD: ["身份证", "居民身份证"],
  PASSPORT: ["护照"],
  HK_MO_PASS: ["港澳居民来往内地通行证"],
  TW_PASS: ["台湾居民来往大陆通行证"],
  FOREIGN_PR: ["外国人永久居留身份证"],
  OTHER: ["其他", "其它"],
};

export interface ColumnSpec {
  /** The English header key, also the property name of the parsed row. */
  readonly key: string;
  /** The Chinese header. */
  readonly zh: string;
  readonly required: boolean;
  /** Kept as a text cell in the XLSX template, so that Excel keeps long digit strings and leading zeros. */
  readonly text?: boolean;
  /** A date column: a real date cell in the XLSX template. */
  readonly date?: boolean;
  /** The template's example row, in each header language. */
  readonly example: { readonly zh: string; readonly en: string };
}

export const PRODUCT_CODE_MAX = 32;
export const PRODUCT_NAME_MAX = 100;
export const ISSUER_MAX = 100;
export const TERM_MONTHS_MIN = 1;
export const TERM_MONTHS_MAX = 1200;
export const CUSTOMER_NO_MAX = 32;
export const CUSTOMER_NAME_MAX = 50;
export const ID_NUMBER_MAX = 32;

export const PRODUCT_COLUMNS = [
  { key: "productCode", zh: "产品代码", required: true, text: true, example: both("EXAMPLE001") },
  { key: "name", zh: "产品名称", required: true, example: both("示例稳健理财1号") },
  { key: "type", zh: "产品类型", required: true, example: { zh: "理财", en: "WEALTH" } },
  { key: "risk", zh: "风险等级", required: true, example: both("R2") },
  { key: "issuer", zh: "发行机构", required: false, example: both("示例理财有限责任公司") },
  { key: "inceptionDate", zh: "成立日期", required: false, date: true, example: both("2025-01-15") },
  { key: "maturityDate", zh: "到期日", required: false, date: true, example: both("2026-01-14") },
  { key: "termMonths", zh: "期限(月)", required: false, example: both("12") },
  { key: "recordingRequired", zh: "是否双录", required: false, example: { zh: "是", en: "yes" } },
] as const satisfies readonly ColumnSpec[];

export const CUSTOMER_COLUMNS = [
  { key: "customerNo", zh: "客户号", required: true, text: true, example: both("EXAMPLE001") },
  { key: "name", zh: "姓名", required: true, example: { zh: "张三", en: "Zhang San" } },
  { key: "idType", zh: "证件类型", required: true, example: { zh: "身份证", en: "ID_CARD" } },
  { key: "idNumber", zh: "证件号码", required: true, text: true, example: both("11010519491231002X") },
  { key: "phone", zh: "手机号", required: false, text: true, example: both("13800138000") },
  { key: "birthDate", zh: "出生日期", required: false, date: true, example: both("1949-12-31") },
  { key: "riskLevel", zh: "风险等级", required: false, example: both("C3") },
  { key: "assessedAt", zh: "评估日期", required: false, date: true, example: both("2025-06-30") },
  { key: "validUntil", zh: "有效期至", required: false, date: true, example: both("2026-06-29") },
] as const satisfies readonly ColumnSpec[];

export type ProductColumnKey = (typeof PRODUCT_COLUMNS)[number]["key"];
export type CustomerColumnKey = (typeof CUSTOMER_COLUMNS)[number]["key"];

export const COLUMNS: Readonly<Record<ImportKind, readonly ColumnSpec[]>> = {
  products: PRODUCT_COLUMNS,
  customers: CUSTOMER_COLUMNS,
};

function both(value: string): { zh: string; en: string } {
  return { zh: value, en: value };
}

/** How a header cell is compared: NFKC (full-width to ASCII), no whitespace, lower case. */
export function headerMatchKey(header: string): string {
  return foldWidth(header.replace(/^\uFEFF/, ""))
    .replace(/\s+/g, "")
    .toLowerCase();
}

export type HeaderLanguage = "zh" | "en";

export interface HeaderMatch {
  spec: ColumnSpec;
  language: HeaderLanguage;
}

const HEADER_LOOKUP: Readonly<Record<ImportKind, ReadonlyMap<string, HeaderMatch>>> = {
  products: headerLookup(PRODUCT_COLUMNS),
  customers: headerLookup(CUSTOMER_COLUMNS),
};

function headerLookup(columns: readonly ColumnSpec[]): Map<string, HeaderMatch> {
  const lookup = new Map<string, HeaderMatch>();
  for (const spec of columns) {
    lookup.set(spec.key.toLowerCase(), { spec, language: "en" });
    lookup.set(headerMatchKey(spec.zh), { spec, language: "zh" });
  }
  return lookup;
}

/** The column a header names, or undefined for an unknown header. */
export function matchHeader(kind: ImportKind, header: string): HeaderMatch | undefined {
  return HEADER_LOOKUP[kind].get(headerMatchKey(header));
}

// ---------------------------------------------------------------------------------------------------------------
// Cell parsers

/** What is wrong with one cell. */
export class CellProblem {
  constructor(
    readonly code: ImportErrorCode,
    readonly message: string,
  ) {}
}

export const REQUIRED = new CellProblem("REQUIRED", bilingual("必填项不能为空", "required"));
const CONTROL_CHARACTERS = new CellProblem(
  "INVALID_CHARACTERS",
  bilingual("不能包含换行符等控制字符", "must not contain line breaks or other control characters"),
);
const BAD_DATE_FORMAT = new CellProblem(
  "INVALID_DATE",
  bilingual("日期格式错误", "expected YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD"),
);
const NO_SUCH_DATE = new CellProblem(
  "INVALID_DATE",
  bilingual("日期不存在或早于1900年", "no such calendar date, or before 1900"),
);

const tooLong = new Map<number, CellProblem>();
function tooLongProblem(max: number): CellProblem {
  let problem = tooLong.get(max);
  if (!problem) {
    problem = new CellProblem("TOO_LONG", bilingual(`不能超过${max}个字符`, `at most ${max} characters`));
    tooLong.set(max, problem);
  }
  return problem;
}

/** Free text (names, issuer): kept verbatim, formula-like or not; only control characters and length are checked. */
export function parseText(raw: string, max: number): string | CellProblem {
  if (hasControlCharacters(raw)) return CONTROL_CHARACTERS;
  if (raw.length > max && codePointLength(raw) > max) return tooLongProblem(max);
  return raw;
}

const PRODUCT_CODE = /^[0-9A-Za-z_-]{1,32}$/;
const BAD_PRODUCT_CODE = new CellProblem(
  "INVALID_FORMAT",
  bilingual(
    "产品代码只能由字母、数字、下划线和连字符组成，最长32位",
    "letters, digits, '_' and '-' only, at most 32 characters",
  ),
);

export function parseProductCode(raw: string): string | CellProblem {
  const value = foldWidth(raw);
  return PRODUCT_CODE.test(value) ? value : BAD_PRODUCT_CODE;
}

const CUSTOMER_NO = /^[0-9A-Za-z]{1,32}$/;
const BAD_CUSTOMER_NO = new CellProblem(
  "INVALID_FORMAT",
  bilingual("客户号只能由字母和数字组成，最长32位", "letters and digits only, at most 32 characters"),
);

export function parseCustomerNo(raw: string): string | CellProblem {
  const value = foldWidth(raw);
  return CUSTOMER_NO.test(value) ? value : BAD_CUSTOMER_NO;
}

function enumLookup<T extends string>(
  codes: readonly T[],
  names: Readonly<Record<T, readonly string[]>>,
): Map<string, T> {
  const lookup = new Map<string, T>();
  for (const code of codes) {
    lookup.set(code, code);
    for (const name of names[code]) lookup.set(name, code);
  }
  return lookup;
}

function allowedList<T extends string>(
  codes: readonly T[],
  names: Readonly<Record<T, readonly string[]>>,
): string {
  return codes.map((code) => `${code}/${names[code][0]}`).join(", ");
}

const PRODUCT_TYPE_LOOKUP = enumLookup(PRODUCT_TYPES, PRODUCT_TYPE_NAMES);
const BAD_PRODUCT_TYPE = new CellProblem(
  "UNKNOWN_VALUE",
  bilingual("未知的产品类型", `one of ${allowedList(PRODUCT_TYPES, PRODUCT_TYPE_NAMES)}`),
);

/** English code in any case, or its Chinese name (理财, 基金, 信托, 资管, 权益投资, 保险, 其他). */
export function parseProductType(raw: string): ProductType | CellProblem {
  return PRODUCT_TYPE_LOOKUP.get(foldWidth(raw).toUpperCase()) ?? BAD_PRODUCT_TYPE;
}

/**
 * "R3" in any case; "R3级" and "PR3" (the spelling some banks print) are accepted and stored as "R3". Chinese
 * descriptions such as 中风险 are not: their mapping to levels is not uniform across banks.
 */
const PRODUCT_RISK = /^P?R([1-5])级?$/i;
const BAD_PRODUCT_RISK = new CellProblem(
  "UNKNOWN_VALUE",
  bilingual("未知的风险等级", "one of R1, R2, R3, R4, R5"),
);

export function parseProductRisk(raw: string): ProductRisk | CellProblem {
  const match = PRODUCT_RISK.exec(foldWidth(raw));
  return match ? PRODUCT_RISKS[Number(match[1]) - 1] : BAD_PRODUCT_RISK;
}

/** "C3" in any case, "C3级" accepted. */
const CUSTOMER_LEVEL = /^C([1-5])级?$/i;
const BAD_CUSTOMER_LEVEL = new CellProblem(
  "UNKNOWN_VALUE",
  bilingual("未知的客户风险等级", "one of C1, C2, C3, C4, C5"),
);

export function parseCustomerLevel(raw: string): CustomerLevel | CellProblem {
  const match = CUSTOMER_LEVEL.exec(foldWidth(raw));
  return match ? CUSTOMER_LEVELS[Number(match[1]) - 1] : BAD_CUSTOMER_LEVEL;
}

/** A date cell as YYYY-MM-DD (see dates.ts for the accepted spellings). */
export function parseDateCell(raw: string): string | CellProblem {
  const date = parseDate(raw);
  if (date !== null) return date;
  return describeDateProblem(raw) === "no-such-date" ? NO_SUCH_DATE : BAD_DATE_FORMAT;
}

const DIGITS = /^\d{1,9}$/;
const BAD_TERM_FORMAT = new CellProblem(
  "INVALID_FORMAT",
  bilingual("期限须为整数月数", "a whole number of months"),
);
const BAD_TERM_RANGE = new CellProblem(
  "OUT_OF_RANGE",
  bilingual(
    `期限须在${TERM_MONTHS_MIN}到${TERM_MONTHS_MAX}个月之间`,
    `between ${TERM_MONTHS_MIN} and ${TERM_MONTHS_MAX} months`,
  ),
);

export function parseTermMonths(raw: string): number | CellProblem {
  const value = foldWidth(raw);
  if (!DIGITS.test(value)) return BAD_TERM_FORMAT;
  const months = Number(value);
  return months >= TERM_MONTHS_MIN && months <= TERM_MONTHS_MAX ? months : BAD_TERM_RANGE;
}

const YES_NO = new Map<string, boolean>([
  ["是", true],
  ["否", false],
  ["Y", true],
  ["N", false],
  ["YES", true],
  ["NO", false],
  ["TRUE", true],
  ["FALSE", false],
  ["1", true],
  ["0", false],
]);
const BAD_YES_NO = new CellProblem(
  "UNKNOWN_VALUE",
  bilingual("请填写“是”或“否”", "one of 是/否, Y/N, yes/no, true/false, 1/0"),
);

/** 是/否, Y/N, yes/no, true/false, 1/0 in any case. */
export function parseYesNo(raw: string): boolean | CellProblem {
  const value = YES_NO.get(foldWidth(raw).toUpperCase());
  return value === undefined ? BAD_YES_NO : value;
}

const ID_TYPE_LOOKUP = enumLookup(ID_TYPES, ID_TYPE_NAMES);
const BAD_ID_TYPE = new CellProblem(
  "UNKNOWN_VALUE",
  bilingual("未知的证件类型", `one of ${allowedList(ID_TYPES, ID_TYPE_NAMES)}`),
);

export function parseIdType(raw: string): IdType | CellProblem {
  return ID_TYPE_LOOKUP.get(foldWidth(raw).toUpperCase()) ?? BAD_ID_TYPE;
}

const OTHER_ID_NUMBER = /^[0-9A-Z][0-9A-Z()-]{0,31}$/;
const ID_CARD_SHAPE = new CellProblem(
  "INVALID_ID_NUMBER",
  bilingual("身份证号码须为18位（前17位为数字，末位为数字或X）", "18 characters: 17 digits and a digit or X"),
);
const ID_CARD_BIRTH = new CellProblem(
  "INVALID_ID_NUMBER",
  bilingual(
    "身份证号码中的出生日期无效",
    "the birth date inside the ID card number is not a valid past date",
  ),
);
const ID_CARD_CHECK = new CellProblem(
  "ID_CHECK_DIGIT",
  bilingual("身份证号码校验位错误", "the check digit does not match (GB 11643)"),
);
const OTHER_ID_SHAPE = new CellProblem(
  "INVALID_ID_NUMBER",
  bilingual(
    "证件号码只能由字母、数字、括号和连字符组成，最长32位",
    "letters, digits, brackets and '-', at most 32 characters",
  ),
);

/**
 * An ID number, upper-cased. For an ID card (`idType` ID_CARD) it must be the 18-character number with a valid
 * GB 11643 check digit and a birth date not after `today`; for the other types (or an unknown type) it must be
 * 1–32 letters, digits, brackets or '-', starting with a letter or digit.
 */
export function parseIdNumber(raw: string, idType: IdType | null, today: string): string | CellProblem {
  const value = foldWidth(raw).toUpperCase();
  if (idType === "ID_CARD") {
    switch (idCardProblem(value, today)) {
      case null:
        return value;
      case "SHAPE":
        return ID_CARD_SHAPE;
      case "BIRTH_DATE":
        return ID_CARD_BIRTH;
      case "CHECK_DIGIT":
        return ID_CARD_CHECK;
    }
  }
  return OTHER_ID_NUMBER.test(value) ? value : OTHER_ID_SHAPE;
}

const PHONE_TYPED = /^1[\d -]+$/;
const SEPARATORS = /[ -]/g;
const MOBILE = /^1[3-9]\d{9}$/;
const BAD_PHONE = new CellProblem(
  "INVALID_FORMAT",
  bilingual("手机号须为11位中国大陆手机号码", "an 11-digit mainland mobile number 1[3-9]XXXXXXXXX"),
);

/** A mainland mobile number; spaces and hyphens between the digits ("138-0013-8000") are dropped. */
export function parsePhone(raw: string): string | CellProblem {
  const value = foldWidth(raw);
  if (!PHONE_TYPED.test(value)) return BAD_PHONE;
  const digits = value.replace(SEPARATORS, "");
  return MOBILE.test(digits) ? digits : BAD_PHONE;
}
