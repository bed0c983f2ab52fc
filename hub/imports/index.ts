/**
 * Batch imports of products and customers: parsing and validation of the uploaded file (no database here).
 *
 *   const { rows, errors } = await parseImport("customers", upload, { filename, contentType, today: "2026-03-01" });
 *   if (errors.length > 0) → 422 with errors; else upsert rows by key.
 *
 * File-level problems (not a CSV/XLSX, a broken XLSX, malformed CSV, an empty file) are returned in `errors` like
 * any other, with row 0 (or the row where reading stopped) and column "".
 */

import type { ImportKind } from "./columns";
import { isIsoDate } from "./dates";
import { bilingual, ImportFileError, type ImportError } from "./errors";
import { detectFormat, readTable, type ImportFormat, type ReadOptions, type TextEncoding } from "./read";
import { validateRows, type ImportRows, type ValidateOptions } from "./validate";

export * from "./columns";
export * from "./errors";
export { detectFormat, readTable, cellText, plainNumber, detectCsvEncoding } from "./read";
export type { ImportFormat, ReadOptions, Table, TableRow, TextEncoding } from "./read";
export { validateRows, yieldToEventLoop, DEFAULT_MAX_ROWS, DEFAULT_MAX_ERRORS } from "./validate";
export type {
  CustomerRow,
  ImportRows,
  ProductRow,
  TableInput,
  ValidateOptions,
  ValidationResult,
} from "./validate";
export { templateCsv, templateXlsx, templateFilename } from "./templates";
export { idCardCheckCharacter, idCardBirthDate } from "./id-card";
export { parseDate, isIsoDate } from "./dates";
export { mergeProduct, mergeCustomer } from "./merge";
export type {
  AssessmentFacts,
  CustomerFacts,
  CustomerMerge,
  Importer,
  MergeOutcome,
  ProductFacts,
  ProductMerge,
} from "./merge";

export interface ParseImportOptions extends ValidateOptions, ReadOptions {
  /** The uploaded file's name, for format detection. */
  filename?: string;
  /** The multipart part's content type, for format detection. */
  contentType?: string;
}

export interface ImportResult<R> {
  /** Valid rows in file order; import them only when `errors` is empty. */
  rows: R[];
  errors: ImportError[];
  /** null when the format could not be recognised. */
  format: ImportFormat | null;
  /** The CSV's encoding; null for XLSX. */
  encoding: TextEncoding | null;
  /** Keys of the columns present in the file. */
  columns: string[];
}

const SNIFF_BYTES = 4096;

export async function parseImport<K extends ImportKind>(
  kind: K,
  data: Buffer,
  options: ParseImportOptions,
): Promise<ImportResult<ImportRows[K]>> {
  if (!isIsoDate(options.today)) {
    throw new TypeError(`today must be a YYYY-MM-DD date, got ${JSON.stringify(options.today)}`);
  }
  const format = detectFormat(options.filename, options.contentType, data.subarray(0, SNIFF_BYTES));
  if (format === null) {
    const error: ImportError = {
      row: 0,
      column: "",
      code: "UNSUPPORTED_FORMAT",
      message: bilingual("文件格式不支持，请上传 CSV 或 XLSX 文件", "upload a CSV or an XLSX file"),
    };
    return { rows: [], errors: [error], format: null, encoding: null, columns: [] };
  }
  let table;
  try {
    table = await readTable(data, format, options);
  } catch (error) {
    if (!(error instanceof ImportFileError)) throw error;
    return { rows: [], errors: [error.toImportError()], format, encoding: null, columns: [] };
  }
  const result = await validateRows(kind, table, options);
  return { ...result, format, encoding: table.encoding };
}
