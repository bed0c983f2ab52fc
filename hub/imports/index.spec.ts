import ExcelJS from "exceljs";
import iconv from "iconv-lite";
import {
  CUSTOMER_HEADER_EN,
  CUSTOMER_HEADER_ZH,
  ID_CARDS,
  PRODUCT_HEADER_EN,
  PRODUCT_HEADER_ZH,
  csvGbk,
  csvUtf8,
  customer,
  product,
  xlsx,
} from "../../test/fixtures/imports/files";
import {
  COLUMNS,
  parseImport,
  templateCsv,
  templateXlsx,
  type ImportKind,
  type ParseImportOptions,
} from "./index";

const TODAY = "2026-03-01";

function parse<K extends ImportKind>(kind: K, data: Buffer, options: Partial<ParseImportOptions> = {}) {
  return parseImport(kind, data, { today: TODAY, ...options });
}

function brief(errors: { row: number; column: string; code: string }[]) {
  return errors.map(({ row, column, code }) => ({ row, column, code }));
}

describe("parseImport: CSV", () => {
  it("reads UTF-8 without BOM", async () => {
    const result = await parse("customers", csvUtf8([CUSTOMER_HEADER_ZH, customer("C1")]), {
      filename: "customers.csv",
    });
    expect(result).toMatchObject({ format: "csv", encoding: "utf-8", errors: [] });
    expect(result.rows).toEqual([
      {
        row: 2,
        customerNo: "C1",
        name: "张三",
        idType: "ID_CARD",
        idNumber: ID_CARDS.a,
        phone: "13800138000",
        birthDate: "1990-03-07",
        riskLevel: "C3",
        assessedAt: "2025-06-30",
        validUntil: "2026-06-29",
      },
    ]);
  });

  it("reads UTF-8 with BOM and English headers", async () => {
    const result = await parse("products", csvUtf8([PRODUCT_HEADER_EN, product("WM1")], { bom: true }), {
      contentType: "text/csv",
    });
    expect(result).toMatchObject({ format: "csv", encoding: "utf-8", errors: [] });
    expect(result.rows[0]).toMatchObject({ productCode: "WM1", name: "稳健理财1号", type: "WEALTH" });
  });

  it("reads GBK, as Excel saves a CSV on a Chinese Windows", async () => {
    const data = csvGbk([
      PRODUCT_HEADER_ZH,
      product("WM1", { type: "基金", name: "天天基金" }),
      product("WM2"),
    ]);
    const result = await parse("products", data, {
      filename: "产品.csv",
      contentType: "application/vnd.ms-excel",
    });
    expect(result).toMatchObject({ format: "csv", encoding: "gbk", errors: [] });
    expect(result.rows.map((r) => [r.name, r.type, r.issuer])).toEqual([
      ["天天基金", "FUND", "示例理财有限责任公司"],
      ["稳健理财1号", "WEALTH", "示例理财有限责任公司"],
    ]);
  });

  it("reports GBK errors with the Chinese header as written", async () => {
    const data = csvGbk([PRODUCT_HEADER_ZH, product("WM1", { risk: "高" })]);
    expect(brief((await parse("products", data, { filename: "p.csv" })).errors)).toEqual([
      { row: 2, column: "风险等级", code: "UNKNOWN_VALUE" },
    ]);
  });

  it("lists the rows' errors before a malformed CSV stops reading", async () => {
    const text =
      PRODUCT_HEADER_EN.join(",") + "\n" + product("WM1", { risk: "R9" }).join(",") + "\n" + 'WM2,"broken\n';
    expect(brief((await parse("products", Buffer.from(text), { filename: "p.csv" })).errors)).toEqual([
      { row: 2, column: "risk", code: "UNKNOWN_VALUE" },
      { row: 3, column: "", code: "INVALID_CSV" },
    ]);
  });

  it("reports an empty file, UTF-16 and a foreign format", async () => {
    expect(brief((await parse("products", Buffer.alloc(0), { filename: "p.csv" })).errors)).toEqual([
      { row: 0, column: "", code: "EMPTY_FILE" },
    ]);
    const utf16 = iconv.encode("\uFEFFproductCode\n", "utf16le");
    expect(brief((await parse("products", utf16, { filename: "p.csv" })).errors)).toEqual([
      { row: 0, column: "", code: "UNSUPPORTED_ENCODING" },
    ]);
    const pdf = await parse("products", Buffer.from("%PDF-1.7\n"), {
      filename: "p.pdf",
      contentType: "application/pdf",
    });
    expect(pdf).toMatchObject({ format: null, rows: [] });
    expect(brief(pdf.errors)).toEqual([{ row: 0, column: "", code: "UNSUPPORTED_FORMAT" }]);
  });

  it("finds the one bad row among thousands", async () => {
    const rows = [CUSTOMER_HEADER_ZH, ...Array.from({ length: 5000 }, (_, i) => customer(`C${i}`))];
    rows[4998] = customer("C4997", { validUntil: "2025-02-30" });
    const result = await parse("customers", csvUtf8(rows), { filename: "c.csv" });
    expect(brief(result.errors)).toEqual([{ row: 4999, column: "有效期至", code: "INVALID_DATE" }]);
    expect(result.rows).toHaveLength(4999);
  });
});

describe("parseImport: XLSX", () => {
  it("reads date cells, long-number cells and formula cells as text", async () => {
    const data = await xlsx(
      [
        CUSTOMER_HEADER_ZH,
        // a date cell, a phone as a number cell, the ID number as a text cell
        [
          "C1",
          "张三",
          "身份证",
          ID_CARDS.a,
          13800138000,
          new Date(Date.UTC(1990, 2, 7)),
          "C3",
          new Date(Date.UTC(2025, 5, 30)),
          null,
        ],
        // a formula in the name column is kept as its text
        [
          "C2",
          { formula: 'CONCATENATE("张","三")', result: "张三" },
          "身份证",
          ID_CARDS.b,
          null,
          null,
          null,
          null,
          null,
        ],
        // an 18-digit ID typed into a number cell: Excel kept 15 digits, the check digit no longer matches
        ["C3", "李四", "身份证", 310101199003071000, null, null, null, null, null],
        // a formula in a date column is not a date, whatever its cached result
        [
          "C4",
          "王五",
          "护照",
          "E1234",
          null,
          { formula: "DATE(1990,3,7)", result: new Date(Date.UTC(1990, 2, 7)) },
          null,
          null,
          null,
        ],
      ],
      (sheet) => {
        sheet.getColumn(6).numFmt = "yyyy-mm-dd";
        sheet.getColumn(8).numFmt = "yyyy/m/d";
      },
    );
    const result = await parse("customers", data, { filename: "customers.xlsx" });
    expect(result.format).toBe("xlsx");
    expect(result.encoding).toBeNull();
    expect(brief(result.errors)).toEqual([
      { row: 4, column: "证件号码", code: "ID_CHECK_DIGIT" },
      { row: 5, column: "出生日期", code: "INVALID_DATE" },
    ]);
    expect(result.rows).toEqual([
      expect.objectContaining({
        row: 2,
        phone: "13800138000",
        birthDate: "1990-03-07",
        assessedAt: "2025-06-30",
      }),
      expect.objectContaining({ row: 3, name: '=CONCATENATE("张","三")' }),
    ]);
  });

  it("reads English headers and numbers as plain digits", async () => {
    const data = await xlsx([
      PRODUCT_HEADER_EN,
      [20260001, "Name", "INSURANCE", "R4", null, 20250115, "2045/01/14", 240, "Y"],
    ]);
    const result = await parse("products", data, { contentType: "application/octet-stream" });
    expect(result.errors).toEqual([]);
    expect(result.rows[0]).toMatchObject({
      productCode: "20260001",
      inceptionDate: "2025-01-15",
      maturityDate: "2045-01-14",
      termMonths: 240,
      recordingRequired: true,
    });
  });

  it("says NOT_XLSX for text that claims to be XLSX", async () => {
    const text = csvUtf8([PRODUCT_HEADER_ZH, product("WM1")]);
    const result = await parse("products", text, {
      filename: "products.xlsx",
      contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    });
    expect(result).toMatchObject({ format: "xlsx", rows: [] });
    expect(brief(result.errors)).toEqual([{ row: 0, column: "", code: "NOT_XLSX" }]);
  });

  it("says XLSX_TOO_LARGE past the uncompressed limit", async () => {
    const data = await xlsx([PRODUCT_HEADER_ZH, product("WM1")]);
    const result = await parse("products", data, { filename: "p.xlsx", maxUncompressedBytes: 1000 });
    expect(brief(result.errors)).toEqual([{ row: 0, column: "", code: "XLSX_TOO_LARGE" }]);
  });
});

describe("templates", () => {
  const kinds: ImportKind[] = ["products", "customers"];

  it.each(kinds)("%s CSV templates round-trip with zero errors", async (kind) => {
    for (const lang of ["zh", "en"] as const) {
      const template = templateCsv(kind, lang);
      expect([...template.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const header = template.toString("utf8").slice(1).split("\r\n")[0].split(",");
      expect(header).toEqual(COLUMNS[kind].map((spec) => (lang === "zh" ? spec.zh : spec.key)));
      const result = await parse(kind, template, { filename: `${kind}.csv` });
      expect(result.errors).toEqual([]);
      expect(result.rows).toHaveLength(1);
    }
  });

  it.each(kinds)("%s XLSX templates round-trip with zero errors", async (kind) => {
    for (const lang of ["zh", "en"] as const) {
      const result = await parse(kind, await templateXlsx(kind, lang), { filename: `${kind}.xlsx` });
      expect(result.errors).toEqual([]);
      expect(result.rows).toHaveLength(1);
    }
  });

  it("formats the customer template's key, ID number and phone columns as text", async () => {
    const workbook = new ExcelJS.Workbook();
    // exceljs declares its own Buffer (an ArrayBuffer); Node's Buffer is what it reads at run time
    await workbook.xlsx.load((await templateXlsx("customers")) as unknown as ArrayBuffer);
    const sheet = workbook.worksheets[0];
    expect(sheet.getRow(1).values).toEqual([undefined, ...CUSTOMER_HEADER_ZH]);
    for (const column of [1, 4, 5]) {
      expect(sheet.getColumn(column).numFmt).toBe("@");
      expect(sheet.getRow(2).getCell(column).numFmt).toBe("@");
      expect(typeof sheet.getRow(2).getCell(column).value).toBe("string");
    }
    expect(sheet.getRow(2).getCell(6).value).toEqual(new Date("1949-12-31T00:00:00Z"));
  });

  it("gives the same rows from the CSV and the XLSX template", async () => {
    for (const kind of kinds) {
      const fromCsv = await parse(kind, templateCsv(kind), { filename: "t.csv" });
      const fromXlsx = await parse(kind, await templateXlsx(kind), { filename: "t.xlsx" });
      expect(fromXlsx.rows).toEqual(fromCsv.rows);
    }
  });
});

it("checks the English customer header constants against the specs", () => {
  expect(CUSTOMER_HEADER_EN).toEqual(COLUMNS.customers.map((spec) => spec.key));
  expect(CUSTOMER_HEADER_ZH).toEqual(COLUMNS.customers.map((spec) => spec.zh));
  expect(PRODUCT_HEADER_ZH).toEqual(COLUMNS.products.map((spec) => spec.zh));
});
