/**
 * Errors of a batch import. Every problem of an uploaded file is one `ImportError` naming the spreadsheet row
 * (1-based, the header is row 1; row 0 means the file as a whole) and the column as written in the file's header.
 * Messages are zh-CN first, English after: "日期格式错误 (expected YYYY-MM-DD)".
 */

export interface ImportError {
  /** 1-based spreadsheet row (header = 1); 0 when the problem is with the file as a whole. */
  row: number;
  /**
   * The header as written in the file (trimmed). For a missing column, its name in the file's header language;
   * for a cell beyond the header, the spreadsheet column letter ("K"); "" for row- and file-level problems.
   */
  column: string;
  code: ImportErrorCode;
  message: string;
}

/** What each code means; the per-error message adds the specifics. */
export const IMPORT_ERROR_CODES = {
  // the file as a whole (row 0, or the row where reading stopped)
  UNSUPPORTED_FORMAT: "文件格式不支持，请上传 CSV 或 XLSX (not a CSV or XLSX file)",
  NOT_XLSX: "不是有效的 XLSX 文件 (not a valid XLSX workbook)",
  XLSX_TOO_LARGE: "XLSX 文件解压后过大 (the workbook is too large once uncompressed)",
  UNSUPPORTED_ENCODING: "不支持的文本编码，请使用 UTF-8 或 GBK (unsupported text encoding; use UTF-8 or GBK)",
  INVALID_CSV: "CSV 格式错误 (malformed CSV)",
  EMPTY_FILE: "文件为空 (the file is empty)",
  TOO_MANY_ROWS: "行数超过上限 (too many rows)",
  TOO_MANY_ERRORS: "错误过多，已停止检查 (too many errors; checking stopped)",
  // the header row
  UNKNOWN_COLUMN: "未知列 (unknown column)",
  MISSING_COLUMN: "缺少必填列 (a required column is missing)",
  DUPLICATE_COLUMN: "列重复 (duplicated column)",
  // cells
  UNEXPECTED_CELL: "该单元格没有对应的列标题 (a value in a column without a header)",
  REQUIRED: "必填项为空 (required)",
  TOO_LONG: "内容过长 (too long)",
  INVALID_CHARACTERS: "包含控制字符 (contains control characters)",
  INVALID_FORMAT: "格式错误 (invalid format)",
  INVALID_DATE: "日期格式错误 (invalid date)",
  FUTURE_DATE: "日期不能晚于今天 (date in the future)",
  DATE_ORDER: "日期先后顺序错误 (dates out of order)",
  UNKNOWN_VALUE: "取值不在允许范围内 (not one of the allowed values)",
  OUT_OF_RANGE: "数值超出范围 (number out of range)",
  INVALID_ID_NUMBER: "证件号码格式错误 (invalid ID number)",
  ID_CHECK_DIGIT: "身份证号码校验位错误 (ID card check digit is wrong)",
  BIRTH_DATE_MISMATCH: "出生日期与身份证号码不一致 (birth date differs from the ID card number)",
  DUPLICATE_KEY: "文件内主键重复 (duplicate key within the file)",
  // against what is stored
  HEAD_OFFICE_FIELD: "已有产品的此项只能由总行修改 (only head office may change this of an existing product)",
} as const;

export type ImportErrorCode = keyof typeof IMPORT_ERROR_CODES;

/** "中文说明 (English explanation)". */
export function bilingual(zh: string, en: string): string {
  return `${zh} (${en})`;
}

/** A problem that stops reading the file (not a CSV/XLSX, malformed CSV, ...). Carries the row where it stopped. */
export class ImportFileError extends Error {
  constructor(
    readonly code: ImportErrorCode,
    message: string,
    /** Row where reading stopped; 0 when the file could not be opened at all. */
    readonly row = 0,
  ) {
    super(message);
    this.name = "ImportFileError";
  }

  toImportError(): ImportError {
    return { row: this.row, column: "", code: this.code, message: this.message };
  }
}
