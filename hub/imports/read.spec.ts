import ExcelJS from "exceljs";
import iconv from "iconv-lite";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { csvGbk, csvUtf8, xlsx } from "../../test/fixtures/imports/files";
import { ImportFileError } from "./errors";
import { cellText, detectCsvEncoding, detectFormat, plainNumber, readTable, type Table } from "./read";

async function allRows(table: Table): Promise<{ row: number; cells: string[] }[]> {
  const rows = [];
  for await (const row of table.rows) rows.push(row);
  return rows;
}

async function fileError(promise: Promise<unknown>): Promise<ImportFileError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ImportFileError) return error;
    throw error;
  }
  throw new Error("expected an ImportFileError");
}

/** exceljs orders the tabs it writes by the untyped `orderNo`. */
function setTabOrder(sheet: ExcelJS.Worksheet | undefined, orderNo: number): void {
  (sheet as unknown as { orderNo: number }).orderNo = orderNo;
}

const ROWS = [
  ["客户号", "姓名", "备注"],
  ["C001", "张三", "含,逗号"],
  ["C002", "李四", '含"引号"'],
  ["C003", "王五", "两\n行"],
];

describe("detectFormat", () => {
  const text = Buffer.from("a,b\n1,2\n");
  const zip = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0]);
  const ole = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

  it("trusts a ZIP or OLE2 signature over any claim", () => {
    expect(detectFormat("data.csv", "text/csv", zip)).toBe("xlsx");
    expect(detectFormat(undefined, undefined, zip)).toBe("xlsx");
    expect(detectFormat("old.xls", "application/vnd.ms-excel", ole)).toBe("xlsx");
  });

  it("goes by the file name, then the content type", () => {
    expect(detectFormat("data.xlsx", "text/csv", text)).toBe("xlsx"); // claims XLSX: reading will say NOT_XLSX
    expect(detectFormat("DATA.CSV", undefined, text)).toBe("csv");
    expect(
      detectFormat("upload", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", text),
    ).toBe("xlsx");
    expect(detectFormat("upload", "text/csv; charset=utf-8", text)).toBe("csv");
    expect(detectFormat("data.csv", "application/vnd.ms-excel", text)).toBe("csv"); // Windows browsers
    expect(detectFormat(undefined, "application/octet-stream", text)).toBe("csv");
  });

  it("refuses binary or foreign files", () => {
    expect(detectFormat("scan.pdf", "application/pdf", Buffer.from("%PDF-1.7"))).toBeNull();
    expect(detectFormat(undefined, undefined, Buffer.from([1, 0, 2, 0]))).toBeNull();
  });
});

describe("readTable: CSV", () => {
  it("reads UTF-8 without BOM, RFC 4180 quoting included", async () => {
    const table = await readTable(csvUtf8(ROWS), "csv");
    expect(table.encoding).toBe("utf-8");
    expect(table.header).toEqual({ row: 1, cells: ["客户号", "姓名", "备注"] });
    expect(await allRows(table)).toEqual([
      { row: 2, cells: ["C001", "张三", "含,逗号"] },
      { row: 3, cells: ["C002", "李四", '含"引号"'] },
      { row: 4, cells: ["C003", "王五", "两\n行"] },
    ]);
  });

  it("drops a UTF-8 BOM", async () => {
    const table = await readTable(csvUtf8(ROWS, { bom: true }), "csv");
    expect(table.encoding).toBe("utf-8");
    expect(table.header?.cells[0]).toBe("客户号");
  });

  it("decodes GBK when the bytes are not UTF-8", async () => {
    const data = csvGbk(ROWS);
    expect(data.includes(Buffer.from("客户号", "utf8"))).toBe(false);
    const table = await readTable(data, "csv");
    expect(table.encoding).toBe("gbk");
    expect(table.header?.cells).toEqual(["客户号", "姓名", "备注"]);
    expect((await allRows(table)).map((r) => r.cells[1])).toEqual(["张三", "李四", "王五"]);
  });

  it("decodes GBK characters split across decoding chunks", async () => {
    const rows = [["姓名"], ...Array.from({ length: 60_000 }, (_, i) => [`张三${i}`])];
    const table = await readTable(csvGbk(rows), "csv");
    const read = await allRows(table);
    expect(read).toHaveLength(60_000);
    expect(read.every((r, i) => r.cells[0] === `张三${i}`)).toBe(true);
  });

  it("numbers rows as records, blank lines included", async () => {
    const table = await readTable(Buffer.from('a,b\n\n"x\ny",2\n,\n3\n'), "csv");
    expect(await allRows(table)).toEqual([
      { row: 2, cells: [""] },
      { row: 3, cells: ["x\ny", "2"] },
      { row: 4, cells: ["", ""] },
      { row: 5, cells: ["3"] },
    ]);
  });

  it("keeps =, +, - and @ cells as text", async () => {
    const table = await readTable(Buffer.from("a,b,c,d\n=1+1,+SUM(A1),-2,@cmd\n"), "csv");
    expect((await allRows(table))[0].cells).toEqual(["=1+1", "+SUM(A1)", "-2", "@cmd"]);
  });

  it("reports malformed CSV with the row", async () => {
    const table = await readTable(Buffer.from('a,b\n1,2\n3,"unclosed\n'), "csv");
    const error = await fileError(allRows(table));
    expect(error.code).toBe("INVALID_CSV");
    expect(error.row).toBe(3);
  });

  it("stops a lost quote from swallowing the file", async () => {
    const body = `a\n"${"x".repeat(2000)}\n`;
    const table = await readTable(Buffer.from(body), "csv", { maxRecordChars: 1000 });
    expect((await fileError(allRows(table))).code).toBe("INVALID_CSV");
  });

  it("refuses UTF-16 and binary", () => {
    expect(() => detectCsvEncoding(iconv.encode("\uFEFFa,b\n", "utf16le"))).toThrow(ImportFileError);
    expect(() => detectCsvEncoding(Buffer.from([0x61, 0, 0x62]))).toThrow(/UTF-16/);
  });

  it("gives no header for an empty file", async () => {
    const table = await readTable(Buffer.alloc(0), "csv");
    expect(table.header).toBeNull();
  });
});

describe("readTable: XLSX", () => {
  it.each([
    ["inline strings", { useSharedStrings: false }],
    ["shared strings", { useSharedStrings: true }],
  ])("reads thousands of Chinese cells intact, whatever the chunk boundaries (%s)", async (_, options) => {
    const file = path.join(os.tmpdir(), `chinese-${process.pid}-${options.useSharedStrings}.xlsx`);
    const writer = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useStyles: false, ...options });
    const sheet = writer.addWorksheet("客户");
    sheet.addRow(["客户号", "姓名", "证件类型"]).commit();
    for (let i = 0; i < 5000; i++) sheet.addRow([`C${i}`, `客户${i}号𠀀`, "身份证"]).commit();
    await writer.commit();
    try {
      const table = await readTable(fs.readFileSync(file), "xlsx");
      expect(table.header?.cells).toEqual(["客户号", "姓名", "证件类型"]);
      const rows = await allRows(table);
      expect(rows).toHaveLength(5000);
      const damaged = rows.filter(
        (r, i) => r.row !== i + 2 || r.cells[1] !== `客户${i}号𠀀` || r.cells[2] !== "身份证",
      );
      expect(damaged).toEqual([]);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it("reads formulas as their text, dates as YYYY-MM-DD and numbers in full", async () => {
    const data = await xlsx(
      [
        ["text", "formula", "date", "long", "small", "bool", "rich", "error"],
        [
          "张三",
          { formula: 'A2&"x"', result: "张三x" },
          new Date(Date.UTC(2026, 0, 15)),
          110101199003077780,
          1e-7,
          true,
          { richText: [{ text: "富" }, { text: "文本" }] },
          { error: "#N/A" },
        ],
        [
          "=1+1 typed as text",
          { formula: "1+1", result: 2 },
          new Date(Date.UTC(1990, 2, 7, 12, 30)),
          12,
          0.5,
          false,
        ],
      ],
      (sheet) => {
        sheet.getColumn(3).numFmt = "yyyy-mm-dd";
      },
    );
    const table = await readTable(data, "xlsx");
    expect(table.encoding).toBeNull();
    expect(table.header?.cells).toEqual([
      "text",
      "formula",
      "date",
      "long",
      "small",
      "bool",
      "rich",
      "error",
    ]);
    expect(await allRows(table)).toEqual([
      {
        row: 2,
        cells: ["张三", '=A2&"x"', "2026-01-15", "110101199003077780", "0.0000001", "TRUE", "富文本", "#N/A"],
      },
      { row: 3, cells: ["=1+1 typed as text", "=1+1", "1990-03-07", "12", "0.5", "FALSE"] },
    ]);
  });

  it("reads the first worksheet in tab order", async () => {
    const data = await xlsx([["first"], ["1"]], (_sheet, workbook) => {
      workbook.addWorksheet("second").addRow(["second"]);
      // make the second sheet the first tab
      setTabOrder(workbook.getWorksheet("second"), 0);
      setTabOrder(workbook.getWorksheet("Sheet1"), 1);
    });
    const table = await readTable(data, "xlsx");
    expect(table.header?.cells).toEqual(["second"]);
  });

  it("keeps blank rows' numbering and an empty header when row 1 is blank", async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet("S");
    sheet.getCell("A3").value = "x";
    sheet.getCell("B5").value = "y";
    const table = await readTable(Buffer.from(await workbook.xlsx.writeBuffer()), "xlsx");
    expect(table.header).toEqual({ row: 1, cells: [] });
    expect(await allRows(table)).toEqual([
      { row: 3, cells: ["x"] },
      { row: 5, cells: ["", "y"] },
    ]);
  });

  it("reads a workbook written without shared strings (inline strings)", async () => {
    const chunks: Buffer[] = [];
    const { PassThrough } = await import("node:stream");
    const out = new PassThrough();
    out.on("data", (chunk: Buffer) => chunks.push(chunk));
    const writer = new ExcelJS.stream.xlsx.WorkbookWriter({
      stream: out,
      useSharedStrings: false,
      useStyles: true,
    });
    const sheet = writer.addWorksheet("S");
    sheet.addRow(["客户号", "出生日期"]).commit();
    const row = sheet.addRow(["C001", new Date(Date.UTC(1990, 2, 7))]);
    row.getCell(2).numFmt = "yyyy-mm-dd";
    row.commit();
    sheet.commit();
    await writer.commit();
    const table = await readTable(Buffer.concat(chunks), "xlsx");
    expect(table.header?.cells).toEqual(["客户号", "出生日期"]);
    expect(await allRows(table)).toEqual([{ row: 2, cells: ["C001", "1990-03-07"] }]);
  });

  it("never spools a worksheet to disk (exceljs would, for Excel's part order)", async () => {
    const fs = require("node:fs") as typeof import("node:fs");
    const data = await xlsx([
      ["客户号", "证件号码"],
      ["C1", "11010519491231002X"],
    ]);
    const spy = jest.spyOn(fs, "createWriteStream");
    try {
      await allRows(await readTable(data, "xlsx"));
      expect(spy).not.toHaveBeenCalled();
      // the control: exceljs on the original archive, whose worksheet precedes its shared strings
      const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([data]), {});
      for await (const sheet of reader) for await (const row of sheet) void row;
      expect(spy).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it("refuses text that claims to be XLSX", async () => {
    const error = await fileError(readTable(Buffer.from("productCode,name\nA,B\n"), "xlsx"));
    expect(error.code).toBe("NOT_XLSX");
    expect(error.row).toBe(0);
  });

  it("refuses a ZIP that is not a workbook, a truncated one, and a legacy .xls", async () => {
    const data = await xlsx([["a"]]);
    expect((await fileError(readTable(data.subarray(0, data.length - 30), "xlsx"))).code).toBe("NOT_XLSX");
    const ole = Buffer.concat([
      Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
      Buffer.alloc(512),
    ]);
    expect((await fileError(readTable(ole, "xlsx"))).message).toMatch(/\.xls/);
  });

  it("refuses a workbook larger than the limit once uncompressed", async () => {
    const data = await xlsx([["a"], ["x".repeat(10_000)]]);
    const error = await fileError(readTable(data, "xlsx", { maxUncompressedBytes: 5_000 }));
    expect(error.code).toBe("XLSX_TOO_LARGE");
  });
});

describe("cell text", () => {
  it("never evaluates and never uses exponents", () => {
    expect(cellText({ formula: "SUM(A1:A3)", result: 6 })).toBe("=SUM(A1:A3)");
    expect(cellText({ sharedFormula: "A2", result: 6 } as never)).toBe("=A2");
    expect(cellText(null)).toBe("");
    expect(plainNumber(1e21)).toBe("1000000000000000000000");
    expect(plainNumber(1.5e-10)).toBe("0.00000000015");
    expect(plainNumber(-2.5e-7)).toBe("-0.00000025");
    expect(plainNumber(123.45)).toBe("123.45");
    expect(plainNumber(1.2345e25)).toBe("12345000000000000000000000");
  });
});
