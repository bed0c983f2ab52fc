import {
  CellProblem,
  matchHeader,
  parseCustomerLevel,
  parseCustomerNo,
  parseDateCell,
  parseIdNumber,
  parseIdType,
  parsePhone,
  parseProductCode,
  parseProductRisk,
  parseProductType,
  parseTermMonths,
  parseText,
  parseYesNo,
} from "./columns";

const TODAY = "2026-03-01";

function codeOf(value: unknown): string | undefined {
  return value instanceof CellProblem ? value.code : undefined;
}

describe("headers", () => {
  it("match English keys case-insensitively and Chinese names, ignoring spaces, BOM and full-width brackets", () => {
    expect(matchHeader("products", "productCode")?.spec.key).toBe("productCode");
    expect(matchHeader("products", "PRODUCTCODE")?.language).toBe("en");
    expect(matchHeader("products", "\uFEFF产品代码")?.spec.key).toBe("productCode");
    expect(matchHeader("products", " 期限(月) ")?.spec.key).toBe("termMonths");
    expect(matchHeader("products", "期限（月）")?.spec.key).toBe("termMonths");
    expect(matchHeader("customers", "风险等级")?.spec.key).toBe("riskLevel");
    expect(matchHeader("products", "风险等级")?.spec.key).toBe("risk");
  });

  it("do not match other spellings", () => {
    expect(matchHeader("products", "product_code")).toBeUndefined();
    expect(matchHeader("products", "客户号")).toBeUndefined();
    expect(matchHeader("customers", "riskLevel ")?.spec.key).toBe("riskLevel");
  });
});

describe("cell parsers", () => {
  it("product codes and customer numbers", () => {
    expect(parseProductCode("WM-2026_01")).toBe("WM-2026_01");
    expect(parseProductCode("ＷＭ００１")).toBe("WM001");
    expect(codeOf(parseProductCode("WM 01"))).toBe("INVALID_FORMAT");
    expect(codeOf(parseProductCode("x".repeat(33)))).toBe("INVALID_FORMAT");
    expect(parseCustomerNo("C000123")).toBe("C000123");
    expect(codeOf(parseCustomerNo("C-1"))).toBe("INVALID_FORMAT");
  });

  it("free text is kept verbatim, formula-like or not", () => {
    for (const text of ["=1+1", "+SUM(A1)", "-2", "@cmd", '=HYPERLINK("http://x")']) {
      expect(parseText(text, 50)).toBe(text);
    }
    expect(parseText("张".repeat(50), 50)).toBe("张".repeat(50));
    expect(codeOf(parseText("张".repeat(51), 50))).toBe("TOO_LONG");
    expect(parseText("𠀀".repeat(50), 50)).toBe("𠀀".repeat(50)); // 100 UTF-16 units, 50 characters
    expect(codeOf(parseText("a\nb", 50))).toBe("INVALID_CHARACTERS");
  });

  it("product types by code or Chinese name", () => {
    expect(parseProductType("WEALTH")).toBe("WEALTH");
    expect(parseProductType("asset_mgmt")).toBe("ASSET_MGMT");
    expect(parseProductType("理财")).toBe("WEALTH");
    expect(parseProductType("基金")).toBe("FUND");
    expect(parseProductType("信托")).toBe("TRUST");
    expect(parseProductType("资管")).toBe("ASSET_MGMT");
    expect(parseProductType("权益投资")).toBe("EQUITY");
    expect(parseProductType("保险")).toBe("INSURANCE");
    expect(parseProductType("其他")).toBe("OTHER");
    expect(codeOf(parseProductType("股票"))).toBe("UNKNOWN_VALUE");
  });

  it("risks and levels", () => {
    expect(parseProductRisk("R3")).toBe("R3");
    expect(parseProductRisk("r5")).toBe("R5");
    expect(parseProductRisk("R3级")).toBe("R3");
    expect(parseProductRisk("PR2")).toBe("R2");
    expect(parseProductRisk("Ｒ１")).toBe("R1");
    expect(codeOf(parseProductRisk("R6"))).toBe("UNKNOWN_VALUE");
    expect(codeOf(parseProductRisk("中风险"))).toBe("UNKNOWN_VALUE");
    expect(codeOf(parseProductRisk("C3"))).toBe("UNKNOWN_VALUE");
    expect(parseCustomerLevel("C1")).toBe("C1");
    expect(parseCustomerLevel("c5级")).toBe("C5");
    expect(codeOf(parseCustomerLevel("C0"))).toBe("UNKNOWN_VALUE");
    expect(codeOf(parseCustomerLevel("R3"))).toBe("UNKNOWN_VALUE");
  });

  it("dates", () => {
    expect(parseDateCell("2026/1/5")).toBe("2026-01-05");
    expect(codeOf(parseDateCell("2026-02-30"))).toBe("INVALID_DATE");
    expect(codeOf(parseDateCell("-2026-01-05"))).toBe("INVALID_DATE");
  });

  it("term in months", () => {
    expect(parseTermMonths("1")).toBe(1);
    expect(parseTermMonths("1200")).toBe(1200);
    expect(codeOf(parseTermMonths("0"))).toBe("OUT_OF_RANGE");
    expect(codeOf(parseTermMonths("1201"))).toBe("OUT_OF_RANGE");
    expect(codeOf(parseTermMonths("12.5"))).toBe("INVALID_FORMAT");
    expect(codeOf(parseTermMonths("-1"))).toBe("INVALID_FORMAT");
    expect(codeOf(parseTermMonths("+12"))).toBe("INVALID_FORMAT");
  });

  it("yes/no", () => {
    for (const yes of ["是", "Y", "y", "yes", "YES", "true", "TRUE", "1"]) expect(parseYesNo(yes)).toBe(true);
    for (const no of ["否", "N", "no", "false", "FALSE", "0"]) expect(parseYesNo(no)).toBe(false);
    expect(codeOf(parseYesNo("maybe"))).toBe("UNKNOWN_VALUE");
  });

  it("ID types by code or Chinese name", () => {
    expect(parseIdType("ID_CARD")).toBe("ID_CARD");
    expect(parseIdType("身份证")).toBe("ID_CARD");
    expect(parseIdType("居民身份证")).toBe("ID_CARD");
    expect(parseIdType("护照")).toBe("PASSPORT");
    expect(parseIdType("港澳居民来往内地通行证")).toBe("HK_MO_PASS");
    expect(parseIdType("台湾居民来往大陆通行证")).toBe("TW_PASS");
    expect(parseIdType("外国人永久居留身份证")).toBe("FOREIGN_PR");
    expect(parseIdType("其他")).toBe("OTHER");
    expect(parseIdType("passport")).toBe("PASSPORT");
    expect(codeOf(parseIdType("驾驶证"))).toBe("UNKNOWN_VALUE");
  });

  it("ID numbers", () => {
    expect(parseIdNumber("11010519491231002x", "ID_CARD", TODAY)).toBe("11010519491231002X");
    expect(codeOf(parseIdNumber("110105194912310021", "ID_CARD", TODAY))).toBe("ID_CHECK_DIGIT");
    expect(codeOf(parseIdNumber("1.10105194912310E+17", "ID_CARD", TODAY))).toBe("INVALID_ID_NUMBER");
    expect(parseIdNumber("e12345678", "PASSPORT", TODAY)).toBe("E12345678");
    expect(parseIdNumber("H1234567801", "HK_MO_PASS", TODAY)).toBe("H1234567801");
    expect(codeOf(parseIdNumber("-E123", "PASSPORT", TODAY))).toBe("INVALID_ID_NUMBER");
    expect(codeOf(parseIdNumber("E 123", "PASSPORT", TODAY))).toBe("INVALID_ID_NUMBER");
  });

  it("mobile numbers", () => {
    expect(parsePhone("13800138000")).toBe("13800138000");
    expect(parsePhone("138-0013-8000")).toBe("13800138000");
    expect(parsePhone("138 0013 8000")).toBe("13800138000");
    expect(codeOf(parsePhone("12800138000"))).toBe("INVALID_FORMAT");
    expect(codeOf(parsePhone("1380013800"))).toBe("INVALID_FORMAT");
    expect(codeOf(parsePhone("+8613800138000"))).toBe("INVALID_FORMAT");
    expect(codeOf(parsePhone("-13800138000"))).toBe("INVALID_FORMAT");
    expect(codeOf(parsePhone("010-12345678"))).toBe("INVALID_FORMAT");
  });
});
