import ExcelJS from "exceljs";
import { asciiXml, readEntry, readZipDirectory, slimXlsx, ZipProblem } from "./zip";

async function workbook(): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  book.addWorksheet("first").addRow(["a", "b"]);
  book.addWorksheet("second").addRow(["c"]);
  book.getWorksheet("first")!.getCell("A2").value = "x".repeat(100);
  return Buffer.from(await book.xlsx.writeBuffer());
}

describe("slimXlsx", () => {
  it("keeps only the parts read, in reading order, with the first tab as sheet1", async () => {
    const source = await workbook();
    expect(readZipDirectory(source).map((e) => e.name)).toContain("xl/worksheets/sheet2.xml");
    const { zip, sheetName } = slimXlsx(source, 1e9);
    expect(sheetName).toBe("first");
    const entries = readZipDirectory(zip);
    expect(entries.map((e) => e.name)).toEqual([
      "xl/_rels/workbook.xml.rels",
      "xl/workbook.xml",
      "xl/styles.xml",
      "xl/sharedStrings.xml",
      "xl/worksheets/sheet1.xml",
    ]);
    const sheet = readEntry(zip, entries[4], 1e6).toString("utf8");
    expect(sheet).toContain('<c r="A1" t="s">');
    expect(readEntry(zip, entries[3], 1e6).toString("utf8")).toContain("x".repeat(100));
  });

  it("refuses what is not a plain ZIP workbook", async () => {
    expect(() => slimXlsx(Buffer.from("PK\x03\x04 but nothing else"), 1e9)).toThrow(ZipProblem);
    const source = await workbook();
    expect(() => slimXlsx(source, 100)).toThrow(expect.objectContaining({ tooLarge: true }));
  });
});

describe("asciiXml", () => {
  it("writes every non-ASCII character as a character reference, astral ones whole", () => {
    const xml = Buffer.from('\uFEFF<?xml version="1.0" encoding="UTF-8"?><t a="身份">张伟 𠀀 é</t>', "utf8");
    expect(asciiXml(xml).toString("latin1")).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><t a="&#36523;&#20221;">&#24352;&#20255; &#131072; &#233;</t>',
    );
  });

  it("turns CDATA into escaped text, where references are read", () => {
    expect(asciiXml(Buffer.from("<t><![CDATA[a<b & 王]]></t>", "utf8")).toString("latin1")).toBe(
      "<t>a&lt;b &amp; &#29579;</t>",
    );
  });

  it("leaves an ASCII document as it is", () => {
    const xml = '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData>';
    expect(asciiXml(Buffer.from(xml)).toString("latin1")).toBe(xml);
  });
});
