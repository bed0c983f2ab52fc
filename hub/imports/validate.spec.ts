import {
  CUSTOMER_HEADER_EN,
  CUSTOMER_HEADER_ZH,
  ID_CARDS,
  PRODUCT_HEADER_EN,
  PRODUCT_HEADER_ZH,
  customer,
  product,
} from "../../test/fixtures/imports/files";
import type { ImportKind } from "./columns";
import { validateRows, type ValidateOptions } from "./validate";

const TODAY = "2026-03-01";

/** rows[0] is the header (row 1); rows[i] is spreadsheet row i + 1. */
function table(rows: readonly (readonly string[])[]) {
  return {
    header: rows.length > 0 ? { row: 1, cells: [...rows[0]] } : null,
    rows: rows.slice(1).map((cells, i) => ({ row: i + 2, cells: [...cells] })),
  };
}

function check<K extends ImportKind>(
  kind: K,
  rows: readonly (readonly string[])[],
  options: Partial<ValidateOptions> = {},
) {
  return validateRows(kind, table(rows), { today: TODAY, ...options });
}

/** Errors without their messages, for exact comparison. */
async function errorsOf(
  kind: ImportKind,
  rows: readonly (readonly string[])[],
  options: Partial<ValidateOptions> = {},
) {
  const { errors } = await check(kind, rows, options);
  return errors.map(({ row, column, code }) => ({ row, column, code }));
}

describe("validateRows: products", () => {
  it("parses valid rows with Chinese headers", async () => {
    const result = await check("products", [
      PRODUCT_HEADER_ZH,
      product("WM001"),
      product("INS01", {
        type: "保险",
        risk: "R3级",
        maturityDate: "",
        termMonths: "120",
        recordingRequired: "",
      }),
      product("FUND1", { type: "FUND", issuer: "", inceptionDate: "", maturityDate: "", termMonths: "" }),
    ]);
    expect(result.errors).toEqual([]);
    expect(result.columns).toEqual(PRODUCT_HEADER_EN);
    expect(result.rows).toEqual([
      {
        row: 2,
        productCode: "WM001",
        name: "稳健理财1号",
        type: "WEALTH",
        risk: "R2",
        issuer: "示例理财有限责任公司",
        inceptionDate: "2025-01-15",
        maturityDate: "2026-01-14",
        termMonths: 12,
        recordingRequired: true,
      },
      {
        row: 3,
        productCode: "INS01",
        name: "稳健理财1号",
        type: "INSURANCE",
        risk: "R3",
        issuer: "示例理财有限责任公司",
        inceptionDate: "2025-01-15",
        maturityDate: null,
        termMonths: 120,
        recordingRequired: null,
      },
      {
        row: 4,
        productCode: "FUND1",
        name: "稳健理财1号",
        type: "FUND",
        risk: "R2",
        issuer: null,
        inceptionDate: null,
        maturityDate: null,
        termMonths: null,
        recordingRequired: true,
      },
    ]);
  });

  it("accepts English headers in any case, any order, optional columns left out", async () => {
    const result = await check("products", [
      ["RISK", "productcode", "Name", "type"],
      ["R5", "EQ1", "权益产品", "equity"],
    ]);
    expect(result.errors).toEqual([]);
    expect(result.columns).toEqual(["productCode", "name", "type", "risk"]);
    expect(result.rows[0]).toMatchObject({ productCode: "EQ1", type: "EQUITY", risk: "R5", issuer: null });
  });

  it("reports every cell problem of every row, sorted by row then column position", async () => {
    expect(
      await errorsOf("products", [
        PRODUCT_HEADER_ZH,
        product("BAD CODE", { name: "", type: "股票", risk: "R6" }),
        product("WM2", { inceptionDate: "2026/13/01", maturityDate: "2026-02-30", termMonths: "0" }),
        product("WM3", {
          inceptionDate: "2026-01-15",
          maturityDate: "2026-01-14",
          recordingRequired: "maybe",
        }),
        product("INS", { type: "INSURANCE", termMonths: "" }),
        product("WM5", { issuer: "机".repeat(101), termMonths: "12.5" }),
      ]),
    ).toEqual([
      { row: 2, column: "产品代码", code: "INVALID_FORMAT" },
      { row: 2, column: "产品名称", code: "REQUIRED" },
      { row: 2, column: "产品类型", code: "UNKNOWN_VALUE" },
      { row: 2, column: "风险等级", code: "UNKNOWN_VALUE" },
      { row: 3, column: "成立日期", code: "INVALID_DATE" },
      { row: 3, column: "到期日", code: "INVALID_DATE" },
      { row: 3, column: "期限(月)", code: "OUT_OF_RANGE" },
      { row: 4, column: "到期日", code: "DATE_ORDER" },
      { row: 4, column: "是否双录", code: "UNKNOWN_VALUE" },
      { row: 5, column: "期限(月)", code: "REQUIRED" },
      { row: 6, column: "发行机构", code: "TOO_LONG" },
      { row: 6, column: "期限(月)", code: "INVALID_FORMAT" },
    ]);
  });

  it("writes messages in Chinese first, English after", async () => {
    const { errors } = await check("products", [
      PRODUCT_HEADER_ZH,
      product("WM1", { inceptionDate: "15/01/2025" }),
    ]);
    expect(errors[0].message).toBe("日期格式错误 (expected YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD)");
  });

  it("names the column of a missing insurance term in the file's header language", async () => {
    expect(
      await errorsOf("products", [
        ["productCode", "name", "type", "risk"],
        ["INS1", "安心保", "INSURANCE", "R1"],
      ]),
    ).toEqual([{ row: 2, column: "termMonths", code: "REQUIRED" }]);
  });

  it("keeps formula-like text in the name and rejects it in typed columns", async () => {
    const result = await check("products", [
      PRODUCT_HEADER_ZH,
      product("F1", { name: "=1+1", issuer: "@SUM(A1)" }),
      product("F2", { name: "+86 理财", issuer: "-发行人" }),
      product("F3", {
        inceptionDate: "=TODAY()",
        maturityDate: "+2026-01-01",
        termMonths: "-12",
        risk: "@R1",
      }),
    ]);
    expect(result.rows.map((r) => [r.name, r.issuer])).toEqual([
      ["=1+1", "@SUM(A1)"],
      ["+86 理财", "-发行人"],
    ]);
    expect(result.errors.map(({ row, column, code }) => ({ row, column, code }))).toEqual([
      { row: 4, column: "风险等级", code: "UNKNOWN_VALUE" },
      { row: 4, column: "成立日期", code: "INVALID_DATE" },
      { row: 4, column: "到期日", code: "INVALID_DATE" },
      { row: 4, column: "期限(月)", code: "INVALID_FORMAT" },
    ]);
  });

  it("reports a duplicate key on every later row, naming the first", async () => {
    const { errors, rows } = await check("products", [
      PRODUCT_HEADER_ZH,
      product("WM1"),
      product("WM2"),
      product("WM1"),
      product("ＷＭ１"), // the same code typed full-width
    ]);
    expect(errors.map(({ row, column, code }) => ({ row, column, code }))).toEqual([
      { row: 4, column: "产品代码", code: "DUPLICATE_KEY" },
      { row: 5, column: "产品代码", code: "DUPLICATE_KEY" },
    ]);
    expect(errors[0].message).toBe("与第2行重复：WM1 (WM1 is already on row 2)");
    expect(rows.map((r) => r.row)).toEqual([2, 3]);
  });
});

describe("validateRows: customers", () => {
  it("parses valid rows with English headers", async () => {
    const result = await check("customers", [
      CUSTOMER_HEADER_EN,
      customer("C001", { idType: "ID_CARD", idNumber: ID_CARDS.x.toLowerCase(), birthDate: "1949/12/31" }),
      customer("C002", {
        idType: "护照",
        idNumber: "E12345678",
        birthDate: "",
        riskLevel: "",
        assessedAt: "",
        validUntil: "",
      }),
      customer("C003", { phone: "", validUntil: "" }),
    ]);
    expect(result.errors).toEqual([]);
    expect(result.rows).toEqual([
      {
        row: 2,
        customerNo: "C001",
        name: "张三",
        idType: "ID_CARD",
        idNumber: "11010519491231002X",
        phone: "13800138000",
        birthDate: "1949-12-31",
        riskLevel: "C3",
        assessedAt: "2025-06-30",
        validUntil: "2026-06-29",
      },
      {
        row: 3,
        customerNo: "C002",
        name: "张三",
        idType: "PASSPORT",
        idNumber: "E12345678",
        phone: "13800138000",
        birthDate: null,
        riskLevel: null,
        assessedAt: null,
        validUntil: null,
      },
      expect.objectContaining({ row: 4, phone: null, validUntil: null }),
    ]);
  });

  it("checks ID card numbers, including the check digit, and the birth date against them", async () => {
    expect(
      await errorsOf("customers", [
        CUSTOMER_HEADER_ZH,
        customer("C1", { idNumber: "110105194912310021", birthDate: "1949-12-31" }),
        customer("C2", { idNumber: "11010519491231002", birthDate: "" }),
        customer("C3", { idNumber: ID_CARDS.b, birthDate: "1985-02-16" }),
        customer("C4", { idType: "居民身份证", idNumber: ID_CARDS.leap, birthDate: "2000-02-29" }),
        customer("C5", { idType: "驾照", idNumber: "X1" }),
      ]),
    ).toEqual([
      { row: 2, column: "证件号码", code: "ID_CHECK_DIGIT" },
      { row: 3, column: "证件号码", code: "INVALID_ID_NUMBER" },
      { row: 4, column: "出生日期", code: "BIRTH_DATE_MISMATCH" },
      { row: 6, column: "证件类型", code: "UNKNOWN_VALUE" },
    ]);
  });

  it("checks dates against today and each other", async () => {
    expect(
      await errorsOf("customers", [
        CUSTOMER_HEADER_ZH,
        customer("C1", { idType: "PASSPORT", idNumber: "E1", birthDate: "2026-03-02" }),
        customer("C2", {
          idType: "PASSPORT",
          idNumber: "E2",
          birthDate: "2026-03-01",
          assessedAt: "2026-03-01",
        }),
        customer("C3", { assessedAt: "2026-03-02", validUntil: "2027-03-01" }),
        customer("C4", { assessedAt: "2025-06-30", validUntil: "2025-06-29" }),
        customer("C5", { assessedAt: "2025-06-30", validUntil: "2025-06-30" }),
      ]),
    ).toEqual([
      { row: 2, column: "出生日期", code: "FUTURE_DATE" },
      { row: 4, column: "评估日期", code: "FUTURE_DATE" },
      { row: 5, column: "有效期至", code: "DATE_ORDER" },
    ]);
  });

  it("requires an assessment date with a level, and a level with assessment dates", async () => {
    expect(
      await errorsOf("customers", [
        CUSTOMER_HEADER_ZH,
        customer("C1", { riskLevel: "C2", assessedAt: "", validUntil: "" }),
        customer("C2", { riskLevel: "", assessedAt: "2025-01-01", validUntil: "" }),
        customer("C3", { riskLevel: "", assessedAt: "", validUntil: "2026-01-01" }),
        customer("C4", { riskLevel: "C9" }),
      ]),
    ).toEqual([
      { row: 2, column: "评估日期", code: "REQUIRED" },
      { row: 3, column: "风险等级", code: "REQUIRED" },
      { row: 4, column: "风险等级", code: "REQUIRED" },
      { row: 5, column: "风险等级", code: "UNKNOWN_VALUE" },
    ]);
  });

  it("checks the remaining cell formats", async () => {
    expect(
      await errorsOf("customers", [
        CUSTOMER_HEADER_ZH,
        customer("C-1", { name: "李".repeat(51), phone: "12345" }),
        customer("", { name: "王\t五", idNumber: "" }),
        customer("C3", { idType: "", birthDate: "19900307x" }),
      ]),
    ).toEqual([
      { row: 2, column: "客户号", code: "INVALID_FORMAT" },
      { row: 2, column: "姓名", code: "TOO_LONG" },
      { row: 2, column: "手机号", code: "INVALID_FORMAT" },
      { row: 3, column: "客户号", code: "REQUIRED" },
      { row: 3, column: "姓名", code: "INVALID_CHARACTERS" },
      { row: 3, column: "证件号码", code: "REQUIRED" },
      { row: 4, column: "证件类型", code: "REQUIRED" },
      { row: 4, column: "出生日期", code: "INVALID_DATE" },
    ]);
  });

  it("keeps =, +, - and @ names verbatim and rejects them as dates", async () => {
    const result = await check("customers", [
      CUSTOMER_HEADER_ZH,
      customer("C1", { name: "=CMD|' /C calc'!A0" }),
      customer("C2", { name: "+张三" }),
      customer("C3", { name: "-李四" }),
      customer("C4", { name: "@王五" }),
      customer("C5", { birthDate: "=DATE(1990,3,7)", assessedAt: "@2025-06-30", validUntil: "-2026-06-29" }),
    ]);
    expect(result.rows.map((r) => r.name)).toEqual(["=CMD|' /C calc'!A0", "+张三", "-李四", "@王五"]);
    expect(result.errors.map(({ row, column, code }) => ({ row, column, code }))).toEqual([
      { row: 6, column: "出生日期", code: "INVALID_DATE" },
      { row: 6, column: "评估日期", code: "INVALID_DATE" },
      { row: 6, column: "有效期至", code: "INVALID_DATE" },
    ]);
  });

  it("reports duplicate customer numbers", async () => {
    expect(
      await errorsOf("customers", [
        CUSTOMER_HEADER_ZH,
        customer("C1"),
        customer("C1"),
        customer("C2"),
        customer("C1"),
      ]),
    ).toEqual([
      { row: 3, column: "客户号", code: "DUPLICATE_KEY" },
      { row: 5, column: "客户号", code: "DUPLICATE_KEY" },
    ]);
  });
});

describe("validateRows: header", () => {
  it("reports unknown, duplicated and missing columns on row 1", async () => {
    expect(
      await errorsOf("customers", [
        ["客户号", "姓名", "备注", "name", "证件类型", " 客户号 "],
        ["C1", "张三", "x", "张三", "身份证", "C1"],
      ]),
    ).toEqual([
      { row: 1, column: "备注", code: "UNKNOWN_COLUMN" },
      { row: 1, column: "name", code: "DUPLICATE_COLUMN" },
      { row: 1, column: "客户号", code: "DUPLICATE_COLUMN" },
      { row: 1, column: "证件号码", code: "MISSING_COLUMN" },
    ]);
  });

  it("names missing columns in English for an English header", async () => {
    expect(await errorsOf("products", [["productCode", "name"]])).toEqual([
      { row: 1, column: "type", code: "MISSING_COLUMN" },
      { row: 1, column: "risk", code: "MISSING_COLUMN" },
    ]);
  });

  it("ignores a BOM, surrounding spaces and trailing empty headers", async () => {
    const result = await check("products", [
      ["\uFEFF产品代码", " 产品名称 ", "产品类型\u3000", "风险等级", "", ""],
      ["WM1", "理财一号", "理财", "R1", "", ""],
    ]);
    expect(result.errors).toEqual([]);
    expect(result.rows).toHaveLength(1);
  });

  it("reports a value in a column without a header by its column letter", async () => {
    expect(
      await errorsOf("products", [
        ["产品代码", "", "产品名称", "产品类型", "风险等级"],
        ["WM1", "", "理财一号", "理财", "R1"],
        ["WM2", "stray", "理财二号", "理财", "R1"],
        ["WM3", "", "理财三号", "理财", "R1", "", "more"],
      ]),
    ).toEqual([
      { row: 3, column: "B", code: "UNEXPECTED_CELL" },
      { row: 4, column: "G", code: "UNEXPECTED_CELL" },
    ]);
  });

  it("reports an empty file", async () => {
    expect(await errorsOf("products", [])).toEqual([{ row: 0, column: "", code: "EMPTY_FILE" }]);
  });

  it("accepts a header without data rows", async () => {
    expect(await check("products", [PRODUCT_HEADER_ZH])).toEqual({
      rows: [],
      errors: [],
      columns: PRODUCT_HEADER_EN,
    });
  });
});

describe("validateRows: limits and blank rows", () => {
  it("skips blank rows but keeps their numbers", async () => {
    const result = await check("products", [
      PRODUCT_HEADER_ZH,
      [],
      product("WM1"),
      ["", " ", "\u3000"],
      product("WM2"),
    ]);
    expect(result.errors).toEqual([]);
    expect(result.rows.map((r) => r.row)).toEqual([3, 5]);
  });

  it("stops at the row limit", async () => {
    const rows = [PRODUCT_HEADER_ZH, product("A"), [], product("B"), product("C"), product("D")];
    expect(await errorsOf("products", rows, { maxRows: 2 })).toEqual([
      { row: 5, column: "", code: "TOO_MANY_ROWS" },
    ]);
    expect((await check("products", rows, { maxRows: 4 })).errors).toEqual([]);
  });

  it("stops listing errors at the error limit", async () => {
    const rows = [
      PRODUCT_HEADER_ZH,
      ...Array.from({ length: 5 }, (_, i) => product(`P${i}`, { risk: "R9", type: "x" })),
    ];
    expect(await errorsOf("products", rows, { maxErrors: 3 })).toEqual([
      { row: 2, column: "产品类型", code: "UNKNOWN_VALUE" },
      { row: 2, column: "风险等级", code: "UNKNOWN_VALUE" },
      { row: 3, column: "产品类型", code: "UNKNOWN_VALUE" },
      { row: 3, column: "", code: "TOO_MANY_ERRORS" },
    ]);
  });

  it("wants today as a date", async () => {
    await expect(check("products", [PRODUCT_HEADER_ZH], { today: "2026-3-1" })).rejects.toThrow(TypeError);
  });
});
