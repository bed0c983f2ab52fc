/**
 * Reading an uploaded import file as rows of text cells, streaming: CSV through csv-parse, XLSX through exceljs's
 * streaming WorkbookReader. Nothing in a cell is ever evaluated.
 *
 * CSV: comma-separated, quoted per RFC 4180, encoded in UTF-8 (with or without BOM) or, when the bytes are not
 * valid UTF-8, GBK (decoded as GB18030, its superset, so that every GBK file reads the same).
 *
 * XLSX: the first worksheet in tab order. A formula cell reads as its formula text ("=A1+1"), never as the cached
 * result; a cell that only shares a formula typed elsewhere (Excel's fill-down) has no text of its own and reads as
 * "=". A date cell reads as YYYY-MM-DD, a number as its plain decimal string (no exponent), a boolean as TRUE/FALSE.
 * Excel keeps only 15 significant digits of a number, so 18-digit ID numbers and long customer numbers must be
 * typed into text cells (the templates format those columns as text); a number cell cannot give them back.
 */

import { isUtf8 } from "node:buffer";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { StringDecoder } from "node:string_decoder";
import { parse as parseCsv } from "csv-parse";
import iconv from "iconv-lite";
import type * as ExcelJS from "exceljs";
import { bilingual, ImportFileError } from "./errors";
import { excelDateToIso } from "./dates";
import { slimXlsx, ZipProblem } from "./zip";

export type ImportFormat = "csv" | "xlsx";
export type TextEncoding = "utf-8" | "gbk";

export interface TableRow {
  /** 1-based spreadsheet row number; the header is row 1. */
  row: number;
  cells: string[];
}

export interface Table {
  format: ImportFormat;
  /** The CSV's text encoding; null for XLSX. */
  encoding: TextEncoding | null;
  /** Row 1 (empty cells when row 1 of a worksheet is blank); null when the file has no rows at all. */
  header: TableRow | null;
  /** The rows after the header, in order. Blank rows are passed on (as empty cells); the validator skips them. */
  rows: AsyncIterable<TableRow>;
}

export interface ReadOptions {
  /** Largest total size of the XLSX parts read, once uncompressed (default 1 GiB). */
  maxUncompressedBytes?: number;
  /** Largest CSV record, in characters, so that a lost quote cannot swallow the whole file (default 1 MiB). */
  maxRecordChars?: number;
}

export const DEFAULT_MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024;
export const DEFAULT_MAX_RECORD_CHARS = 1024 * 1024;

const ZIP_SIGNATURE = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const OLE2_SIGNATURE = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const CSV_CONTENT_TYPES = new Set([
  "text/csv",
  "text/plain",
  "application/csv",
  "text/comma-separated-values",
]);
const EXTENSION = /\.([a-z0-9]+)$/;

function startsWith(bytes: Uint8Array, signature: Buffer): boolean {
  if (bytes.length < signature.length) return false;
  for (let i = 0; i < signature.length; i++) if (bytes[i] !== signature[i]) return false;
  return true;
}

/**
 * Which reader a file needs, from what it is (a ZIP or an old OLE2 Excel file is XLSX, the latter so that it gets
 * a precise NOT_XLSX) and else from what it claims: the file name's extension first, then the content type. Note
 * that browsers on Windows send `application/vnd.ms-excel` for .csv files, so that type means CSV here. Unclaimed
 * bytes that look like text are CSV; null when nothing fits (binary, or claimed to be something else).
 */
export function detectFormat(
  filename: string | undefined,
  contentType: string | undefined,
  firstBytes: Uint8Array,
): ImportFormat | null {
  if (startsWith(firstBytes, ZIP_SIGNATURE) || startsWith(firstBytes, OLE2_SIGNATURE)) return "xlsx";
  const extension = EXTENSION.exec((filename ?? "").trim().toLowerCase())?.[1];
  if (extension === "xlsx" || extension === "xlsm" || extension === "xls") return "xlsx";
  if (extension === "csv" || extension === "txt") return "csv";
  const type = (contentType ?? "").split(";")[0].trim().toLowerCase();
  if (type === XLSX_CONTENT_TYPE) return "xlsx";
  if (CSV_CONTENT_TYPES.has(type) || type === "application/vnd.ms-excel") return "csv";
  const unclaimed = extension === undefined && (type === "" || type === "application/octet-stream");
  return unclaimed && looksLikeText(firstBytes) ? "csv" : null;
}

function looksLikeText(bytes: Uint8Array): boolean {
  const end = Math.min(bytes.length, 4096);
  for (let i = 0; i < end; i++) if (bytes[i] === 0) return false;
  return true;
}

/** Reads the header, then hands out the remaining rows as they are parsed. Throws ImportFileError. */
export async function readTable(
  input: Buffer,
  format: ImportFormat,
  options: ReadOptions = {},
): Promise<Table> {
  if (format === "csv") {
    const { encoding, start } = detectCsvEncoding(input);
    const rows = csvRows(input, encoding, start, options.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS);
    return withHeader("csv", encoding, rows);
  }
  const rows = xlsxRows(input, options.maxUncompressedBytes ?? DEFAULT_MAX_UNCOMPRESSED_BYTES);
  return withHeader("xlsx", null, rows);
}

async function withHeader(
  format: ImportFormat,
  encoding: TextEncoding | null,
  rows: AsyncGenerator<TableRow>,
): Promise<Table> {
  const first = await rows.next();
  if (first.done) return { format, encoding, header: null, rows: rows };
  if (first.value.row === 1) return { format, encoding, header: first.value, rows };
  // a worksheet whose row 1 is blank: the header is empty and the first row read is data
  return { format, encoding, header: { row: 1, cells: [] }, rows: prepend(first.value, rows) };
}

async function* prepend(first: TableRow, rest: AsyncGenerator<TableRow>): AsyncGenerator<TableRow> {
  yield first;
  yield* rest;
}

// ---------------------------------------------------------------------------------------------------------------
// CSV

/** UTF-8 when there is a UTF-8 BOM or the bytes are valid UTF-8, else GBK. UTF-16 and binary are refused. */
export function detectCsvEncoding(input: Buffer): { encoding: TextEncoding; start: number } {
  if (startsWith(input, UTF8_BOM)) return { encoding: "utf-8", start: UTF8_BOM.length };
  const head = input.subarray(0, 65536);
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff) || head.includes(0)) {
    throw new ImportFileError(
      "UNSUPPORTED_ENCODING",
      bilingual(
        "文件编码不支持（如 UTF-16 或二进制文件），请在 Excel 中另存为“CSV UTF-8（逗号分隔）”",
        "UTF-16 or binary content; save as 'CSV UTF-8 (comma delimited)'",
      ),
    );
  }
  return { encoding: isUtf8(input) ? "utf-8" : "gbk", start: 0 };
}

const DECODE_CHUNK = 256 * 1024;

function* decodedChunks(input: Buffer, encoding: TextEncoding, start: number): Generator<string> {
  const decoder = encoding === "utf-8" ? new StringDecoder("utf8") : iconv.getDecoder("gb18030");
  for (let offset = start; offset < input.length; offset += DECODE_CHUNK) {
    const text = decoder.write(input.subarray(offset, offset + DECODE_CHUNK));
    if (text) yield text;
  }
  const tail = decoder.end();
  if (tail) yield tail;
}

async function* csvRows(
  input: Buffer,
  encoding: TextEncoding,
  start: number,
  maxRecordChars: number,
): AsyncGenerator<TableRow> {
  // Records are taken synchronously as each chunk is parsed (on_record), not through the parser's readable side:
  // a stream that fails discards what it had buffered, and the rows before a malformed one must still be read.
  const records: string[][] = [];
  const parser = parseCsv({
    delimiter: ",",
    quote: '"',
    escape: '"',
    relax_column_count: true,
    skip_empty_lines: false,
    max_record_size: maxRecordChars,
    on_record: (record: string[]) => {
      records.push(record);
      return null;
    },
  });
  parser.on("error", () => {}); // read from parser.errored and finished() below
  parser.resume();
  let row = 0;
  const malformed = (error: unknown): ImportFileError => {
    const code = (error as { code?: string }).code ?? (error as Error).message;
    return new ImportFileError(
      "INVALID_CSV",
      bilingual(
        `CSV 格式错误，位于第${row + 1}行（请检查引号是否成对）`,
        `malformed CSV at row ${row + 1}: ${code}`,
      ),
      row + 1,
    );
  };
  try {
    for (const text of decodedChunks(input, encoding, start)) {
      parser.write(text);
      for (const cells of records) yield { row: ++row, cells };
      records.length = 0;
      if (parser.errored) throw malformed(parser.errored);
    }
    parser.end();
    let failure: unknown = null;
    try {
      await finished(parser, { readable: false });
    } catch (error) {
      failure = error;
    }
    for (const cells of records) yield { row: ++row, cells };
    records.length = 0;
    failure ??= parser.errored;
    if (failure) throw malformed(failure);
  } finally {
    parser.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// XLSX

let excel: typeof ExcelJS | undefined;

/** exceljs takes about half a second to load; only XLSX imports pay for it. */
function loadExcel(): typeof ExcelJS {
  excel ??= require("exceljs") as typeof ExcelJS;
  return excel;
}

function notXlsx(detail: string, row = 0): ImportFileError {
  return new ImportFileError(
    "NOT_XLSX",
    bilingual("不是有效的 XLSX 文件", `not a valid XLSX workbook: ${detail}`),
    row,
  );
}

async function* xlsxRows(input: Buffer, maxUncompressed: number): AsyncGenerator<TableRow> {
  if (startsWith(input, OLE2_SIGNATURE)) {
    throw new ImportFileError(
      "NOT_XLSX",
      bilingual(
        "不支持旧版 .xls 或加密的工作簿，请在 Excel 中另存为未加密的 .xlsx",
        "a legacy .xls or an encrypted workbook; save it as an unencrypted .xlsx",
      ),
    );
  }
  if (!startsWith(input, ZIP_SIGNATURE)) throw notXlsx("the file is not a ZIP archive");
  let zip: Buffer;
  try {
    zip = slimXlsx(input, maxUncompressed).zip;
  } catch (error) {
    if (!(error instanceof ZipProblem)) throw error;
    if (error.tooLarge) {
      throw new ImportFileError(
        "XLSX_TOO_LARGE",
        bilingual("XLSX 文件解压后过大", `the workbook is too large: ${error.message}`),
      );
    }
    throw notXlsx(error.message);
  }

  const { stream } = loadExcel();
  const reader = new stream.xlsx.WorkbookReader(Readable.from([zip]), {
    worksheets: "emit",
    sharedStrings: "cache",
    styles: "cache",
    hyperlinks: "ignore",
    entries: "ignore",
  });
  let lastRow = 0;
  try {
    for await (const worksheet of reader) {
      for await (const row of worksheet) {
        lastRow = row.number;
        yield { row: row.number, cells: rowCells(row) };
      }
      return; // the slimmed archive holds one worksheet: the first
    }
  } catch (error) {
    if (error instanceof ImportFileError) throw error;
    throw notXlsx((error as Error).message, lastRow + 1);
  }
}

function rowCells(row: ExcelJS.Row): string[] {
  // row.values is 1-based: index 0 is always empty
  const values = row.values as ExcelJS.CellValue[];
  const cells: string[] = new Array(Math.max(0, values.length - 1));
  for (let i = 1; i < values.length; i++) cells[i - 1] = cellText(values[i]);
  return cells;
}

/** A cell's text, never evaluated: formulas as "=formula", dates as YYYY-MM-DD, numbers without exponent. */
export function cellText(value: ExcelJS.CellValue | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number") return plainNumber(value);
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE";
  if (value instanceof Date) return excelDateToIso(value);
  const object = value as unknown as Record<string, unknown>;
  if ("formula" in object || "sharedFormula" in object) {
    const formula = object.formula ?? object.sharedFormula;
    return `=${typeof formula === "string" ? formula : ""}`;
  }
  if (Array.isArray(object.richText)) {
    return (object.richText as { text?: unknown }[])
      .map((run) => (typeof run.text === "string" ? run.text : ""))
      .join("");
  }
  if (typeof object.error === "string") return object.error;
  if (typeof object.text === "string") return object.text;
  return "";
}

const EXPONENT = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/;

/** A number's decimal digits without exponent notation: 1e-7 → "0.0000001", 1e21 → "1000000000000000000000". */
export function plainNumber(value: number): string {
  const text = String(value);
  const match = EXPONENT.exec(text);
  if (!match) return text;
  const [, sign, lead, fraction = "", exponentText] = match;
  const digits = lead + fraction;
  const point = 1 + Number(exponentText); // position of the decimal point within `digits`
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + "0".repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}
