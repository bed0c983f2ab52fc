/**
 * Downloadable import templates: the header row and one example row (which passes validation; users replace it).
 * CSV templates are UTF-8 with a BOM, so that Excel opens the Chinese headers correctly. Excel turns long digit
 * strings typed into a CSV into numbers and loses digits past the 15th, so the XLSX template, whose key, ID-number
 * and phone columns are text cells, is the one to offer for customers.
 */

import type * as ExcelJS from "exceljs";
import { COLUMNS, type ColumnSpec, type HeaderLanguage, type ImportKind } from "./columns";

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const NEEDS_QUOTES = /[",\r\n]/;

function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function headerOf(spec: ColumnSpec, lang: HeaderLanguage): string {
  return lang === "zh" ? spec.zh : spec.key;
}

/** File name for a template download, e.g. "customers-import-template.xlsx". */
export function templateFilename(
  kind: ImportKind,
  format: "csv" | "xlsx",
  lang: HeaderLanguage = "zh",
): string {
  return `${kind}-import-template${lang === "en" ? "-en" : ""}.${format}`;
}

export function templateCsv(kind: ImportKind, lang: HeaderLanguage = "zh"): Buffer {
  const specs = COLUMNS[kind];
  const lines = [
    specs.map((spec) => csvField(headerOf(spec, lang))).join(","),
    specs.map((spec) => csvField(spec.example[lang])).join(","),
  ];
  return Buffer.concat([BOM, Buffer.from(`${lines.join("\r\n")}\r\n`, "utf8")]);
}

const SHEET_NAMES: Record<ImportKind, Record<HeaderLanguage, string>> = {
  products: { zh: "产品导入", en: "products" },
  customers: { zh: "客户导入", en: "customers" },
};

const TEXT_FORMAT = "@";
const DATE_FORMAT = "yyyy-mm-dd";
const INTEGER = /^\d+$/;

/** The XLSX template: bold, frozen header row; text columns formatted as text; dates as real date cells. */
export async function templateXlsx(kind: ImportKind, lang: HeaderLanguage = "zh"): Promise<Buffer> {
  const { Workbook } = require("exceljs") as typeof ExcelJS;
  const workbook = new Workbook();
  workbook.creator = "dual-record-hub";
  const sheet = workbook.addWorksheet(SHEET_NAMES[kind][lang], { views: [{ state: "frozen", ySplit: 1 }] });
  const specs = COLUMNS[kind];
  sheet.columns = specs.map((spec) => ({
    width: Math.max(14, headerOf(spec, lang).length * (lang === "zh" ? 2.5 : 1.2) + 4),
    style: spec.text ? { numFmt: TEXT_FORMAT } : spec.date ? { numFmt: DATE_FORMAT } : {},
  }));
  const header = sheet.getRow(1);
  specs.forEach((spec, i) => {
    const cell = header.getCell(i + 1);
    cell.value = headerOf(spec, lang);
    cell.numFmt = TEXT_FORMAT;
    cell.font = { bold: true };
  });
  const example = sheet.getRow(2);
  specs.forEach((spec, i) => {
    const cell = example.getCell(i + 1);
    const value = spec.example[lang];
    if (spec.date) {
      cell.value = new Date(`${value}T00:00:00Z`);
      cell.numFmt = DATE_FORMAT;
    } else if (!spec.text && INTEGER.test(value)) {
      cell.value = Number(value);
    } else {
      cell.value = value;
      if (spec.text) cell.numFmt = TEXT_FORMAT;
    }
  });
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
