/**
 * Validation of an import table into typed rows. Every problem of the file is reported (not only the first), as
 * `{row, column, code, message}` sorted by row and then by the column's position in the file; the caller imports
 * nothing when there is any (all-or-nothing). Blank rows are skipped. A key (product code, customer number) that
 * appears again is an error on every later row, naming the first one.
 *
 * Free-text cells (names, issuer) are kept verbatim even when they start with "=", "+", "-" or "@": they are never
 * evaluated here, and the exporter neutralises them when it writes them back into a spreadsheet.
 */

import {
  CUSTOMER_COLUMNS,
  CUSTOMER_NAME_MAX,
  CellProblem,
  COLUMNS,
  ISSUER_MAX,
  PRODUCT_COLUMNS,
  PRODUCT_NAME_MAX,
  REQUIRED,
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
  type ColumnSpec,
  type CustomerColumnKey,
  type CustomerLevel,
  type HeaderLanguage,
  type IdType,
  type ImportKind,
  type ProductColumnKey,
  type ProductRisk,
  type ProductType,
} from "./columns";
import { isIsoDate } from "./dates";
import { bilingual, ImportFileError, type ImportError, type ImportErrorCode } from "./errors";
import { idCardBirthDate } from "./id-card";
import type { TableRow } from "./read";
import { columnLetter } from "./text";

export interface ProductRow {
  /** The spreadsheet row it came from. */
  row: number;
  productCode: string;
  name: string;
  type: ProductType;
  risk: ProductRisk;
  issuer: string | null;
  /** YYYY-MM-DD */
  inceptionDate: string | null;
  /** YYYY-MM-DD; null = open-ended */
  maturityDate: string | null;
  termMonths: number | null;
  /** null = the product type's default */
  recordingRequired: boolean | null;
}

export interface CustomerRow {
  /** The spreadsheet row it came from. */
  row: number;
  customerNo: string;
  name: string;
  idType: IdType;
  /** Upper case ("X" check digit). */
  idNumber: string;
  /** 11 digits. */
  phone: string | null;
  birthDate: string | null;
  riskLevel: CustomerLevel | null;
  assessedAt: string | null;
  /** null = computed by the service from assessedAt and head office's validity period. */
  validUntil: string | null;
}

export interface ImportRows {
  products: ProductRow;
  customers: CustomerRow;
}

export interface ValidateOptions {
  /** The bank's current date, YYYY-MM-DD: birth and assessment dates must not be after it. */
  today: string;
  /** Data rows accepted before TOO_MANY_ROWS stops the check (default 1,000,000). */
  maxRows?: number;
  /** Errors listed before TOO_MANY_ERRORS stops the check (default 100,000), bounding memory on hostile files. */
  maxErrors?: number;
}

export const DEFAULT_MAX_ROWS = 1_000_000;

/** Rows checked between two returns to the event loop, so that a big file never stalls the hub's other requests. */
const ROWS_PER_SLICE = 1000;

/** Lets timers and I/O run: awaiting settled promises alone never does. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
export const DEFAULT_MAX_ERRORS = 100_000;

export interface ValidationResult<R> {
  /** The rows without any problem, in file order; import them only when `errors` is empty. */
  rows: R[];
  errors: ImportError[];
  /** The keys of the columns present in the file, in spec order (absent optional columns: leave stored values). */
  columns: string[];
}

/** What validateRows reads: readTable's result, or any header and rows (tests pass arrays). */
export interface TableInput {
  header: TableRow | null;
  rows: AsyncIterable<TableRow> | Iterable<TableRow>;
}

const INVALID: unique symbol = Symbol("invalid");
type Invalid = typeof INVALID;
type CellParser<T> = (raw: string) => T | CellProblem;

interface PendingError {
  order: number;
  error: ImportError;
}

function byOrder(a: PendingError, b: PendingError): number {
  return a.order - b.order;
}

/** Sort position of a column that is not in the file: after every column that is. */
const ABSENT_ORDER = 1_000_000;

/** The header row resolved against a kind's columns. */
class Layout {
  readonly index = new Map<string, number>();
  readonly names = new Map<string, string>();
  readonly order = new Map<string, number>();
  /** Per column position: true when a value there has no header to belong to. */
  readonly headerless: boolean[] = [];
  readonly errors: PendingError[] = [];

  constructor(kind: ImportKind, header: TableRow) {
    const specs = COLUMNS[kind];
    const cells = header.cells;
    let width = cells.length;
    while (width > 0 && cleanHeader(cells[width - 1]) === "") width--;
    const languages: Record<HeaderLanguage, number> = { zh: 0, en: 0 };
    for (let i = 0; i < width; i++) {
      const text = cleanHeader(cells[i]);
      this.headerless.push(text === "");
      if (text === "") continue;
      const match = matchHeader(kind, text);
      if (!match) {
        this.fail(
          i,
          text,
          "UNKNOWN_COLUMN",
          bilingual("未知列", `unknown column; expected ${expected(specs)}`),
        );
      } else if (this.index.has(match.spec.key)) {
        const first = this.names.get(match.spec.key) ?? "";
        this.fail(i, text, "DUPLICATE_COLUMN", bilingual(`与“${first}”列重复`, `same column as "${first}"`));
      } else {
        this.index.set(match.spec.key, i);
        this.names.set(match.spec.key, text);
        this.order.set(match.spec.key, i);
        languages[match.language]++;
      }
    }
    const language: HeaderLanguage = languages.en > languages.zh ? "en" : "zh";
    specs.forEach((spec, position) => {
      if (this.index.has(spec.key)) return;
      const name = language === "zh" ? spec.zh : spec.key;
      this.names.set(spec.key, name);
      this.order.set(spec.key, ABSENT_ORDER + position);
      if (spec.required) {
        this.errors.push({
          order: ABSENT_ORDER + position,
          error: {
            row: 1,
            column: name,
            code: "MISSING_COLUMN",
            message: bilingual(`缺少必填列“${spec.zh}”`, `required column ${spec.key} is missing`),
          },
        });
      }
    });
    this.errors.sort(byOrder);
  }

  private fail(position: number, column: string, code: ImportErrorCode, message: string): void {
    this.errors.push({ order: position, error: { row: 1, column, code, message } });
  }

  presentKeys(specs: readonly ColumnSpec[]): string[] {
    return specs.filter((spec) => this.index.has(spec.key)).map((spec) => spec.key);
  }
}

function cleanHeader(cell: string | undefined): string {
  return (cell ?? "").trim(); // trim() also removes a UTF-8 BOM (U+FEFF) and full-width spaces
}

function expected(specs: readonly ColumnSpec[]): string {
  return specs.map((spec) => `${spec.key}/${spec.zh}`).join(", ");
}

/** One data row being checked; reused for every row. */
class RowCheck<K extends string = string> {
  row = 0;
  /** The row's key (product code, customer number) once it has parsed; null when empty or invalid. */
  key: string | null = null;
  private cells: string[] = [];
  readonly errors: PendingError[] = [];

  constructor(
    private readonly layout: Layout,
    readonly today: string,
  ) {}

  reset(row: TableRow): void {
    this.row = row.row;
    this.cells = row.cells;
    this.errors.length = 0;
    this.key = null;
  }

  get ok(): boolean {
    return this.errors.length === 0;
  }

  has(key: K): boolean {
    return this.layout.index.has(key);
  }

  /** The trimmed cell of a column; "" when empty or when the column is absent. */
  get(key: K): string {
    const position = this.layout.index.get(key);
    if (position === undefined) return "";
    const cell = this.cells[position];
    return cell === undefined ? "" : cell.trim();
  }

  fail(key: K, code: ImportErrorCode, message: string): void {
    this.errors.push({
      order: this.layout.order.get(key) ?? ABSENT_ORDER,
      error: { row: this.row, column: this.layout.names.get(key) ?? key, code, message },
    });
  }

  problem(key: K, problem: CellProblem): Invalid {
    this.fail(key, problem.code, problem.message);
    return INVALID;
  }

  /** A required column's value; an absent column is reported once, as MISSING_COLUMN, not on every row. */
  required<T>(key: K, parse: CellParser<T>): T | Invalid {
    if (!this.has(key)) return INVALID;
    const raw = this.get(key);
    if (raw === "") return this.problem(key, REQUIRED);
    const value = parse(raw);
    return value instanceof CellProblem ? this.problem(key, value) : value;
  }

  /** An optional column's value; null when empty or absent. */
  optional<T>(key: K, parse: CellParser<T>): T | null | Invalid {
    const raw = this.get(key);
    if (raw === "") return null;
    const value = parse(raw);
    return value instanceof CellProblem ? this.problem(key, value) : value;
  }

  /** Values in columns that have no header. Reported once per row, at the first such column. */
  checkHeaderless(): void {
    const { headerless } = this.layout;
    for (let i = 0; i < this.cells.length; i++) {
      if ((i >= headerless.length || headerless[i]) && this.cells[i].trim() !== "") {
        this.errors.push({
          order: i,
          error: {
            row: this.row,
            column: columnLetter(i),
            code: "UNEXPECTED_CELL",
            message: bilingual(`第${columnLetter(i)}列没有列标题`, `column ${columnLetter(i)} has no header`),
          },
        });
        return;
      }
    }
  }

  notAfterToday(key: K, date: string | null | Invalid): void {
    if (typeof date === "string" && date > this.today) {
      this.fail(
        key,
        "FUTURE_DATE",
        bilingual(`日期不能晚于今天（${this.today}）`, `must not be after today, ${this.today}`),
      );
    }
  }
}

function isBlank(cells: readonly string[]): boolean {
  for (const cell of cells) if (cell !== "" && cell.trim() !== "") return false;
  return true;
}

const parseProductName: CellParser<string> = (raw) => parseText(raw, PRODUCT_NAME_MAX);
const parseIssuer: CellParser<string> = (raw) => parseText(raw, ISSUER_MAX);
const parseCustomerName: CellParser<string> = (raw) => parseText(raw, CUSTOMER_NAME_MAX);

function checkProduct(check: RowCheck<ProductColumnKey>): ProductRow | null {
  const productCode = check.required("productCode", parseProductCode);
  check.key = productCode === INVALID ? null : productCode;
  const name = check.required("name", parseProductName);
  const type = check.required("type", parseProductType);
  const risk = check.required("risk", parseProductRisk);
  const issuer = check.optional("issuer", parseIssuer);
  const inceptionDate = check.optional("inceptionDate", parseDateCell);
  const maturityDate = check.optional("maturityDate", parseDateCell);
  const termMonths = check.optional("termMonths", parseTermMonths);
  const recordingRequired = check.optional("recordingRequired", parseYesNo);

  if (typeof inceptionDate === "string" && typeof maturityDate === "string" && maturityDate < inceptionDate) {
    check.fail(
      "maturityDate",
      "DATE_ORDER",
      bilingual(
        `到期日不能早于成立日期（${inceptionDate}）`,
        `must not precede inceptionDate ${inceptionDate}`,
      ),
    );
  }
  if (type === "INSURANCE" && termMonths === null) {
    check.fail(
      "termMonths",
      "REQUIRED",
      bilingual("保险产品必须填写期限(月)", "required for INSURANCE products"),
    );
  }
  if (
    !check.ok ||
    productCode === INVALID ||
    name === INVALID ||
    type === INVALID ||
    risk === INVALID ||
    issuer === INVALID ||
    inceptionDate === INVALID ||
    maturityDate === INVALID ||
    termMonths === INVALID ||
    recordingRequired === INVALID
  ) {
    return null;
  }
  return {
    row: check.row,
    productCode,
    name,
    type,
    risk,
    issuer,
    inceptionDate,
    maturityDate,
    termMonths,
    recordingRequired,
  };
}

function checkCustomer(check: RowCheck<CustomerColumnKey>): CustomerRow | null {
  const customerNo = check.required("customerNo", parseCustomerNo);
  check.key = customerNo === INVALID ? null : customerNo;
  const name = check.required("name", parseCustomerName);
  const idType = check.required("idType", parseIdType);
  const knownIdType = idType === INVALID ? null : idType;
  const idNumber = check.required("idNumber", (raw) => parseIdNumber(raw, knownIdType, check.today));
  const phone = check.optional("phone", parsePhone);
  const birthDate = check.optional("birthDate", parseDateCell);
  const riskLevel = check.optional("riskLevel", parseCustomerLevel);
  const assessedAt = check.optional("assessedAt", parseDateCell);
  const validUntil = check.optional("validUntil", parseDateCell);

  check.notAfterToday("birthDate", birthDate);
  if (
    idType === "ID_CARD" &&
    typeof idNumber === "string" &&
    typeof birthDate === "string" &&
    birthDate !== idCardBirthDate(idNumber)
  ) {
    check.fail(
      "birthDate",
      "BIRTH_DATE_MISMATCH",
      bilingual(
        `出生日期与身份证号码中的出生日期（${idCardBirthDate(idNumber)}）不一致`,
        `the ID card number says ${idCardBirthDate(idNumber)}`,
      ),
    );
  }
  if (riskLevel !== null && assessedAt === null) {
    check.fail(
      "assessedAt",
      "REQUIRED",
      bilingual("填写风险等级时必须填写评估日期", "required when riskLevel is given"),
    );
  }
  if (riskLevel === null && (assessedAt !== null || validUntil !== null)) {
    check.fail(
      "riskLevel",
      "REQUIRED",
      bilingual("填写评估日期或有效期时必须填写风险等级", "required when assessedAt or validUntil is given"),
    );
  }
  check.notAfterToday("assessedAt", assessedAt);
  if (typeof assessedAt === "string" && typeof validUntil === "string" && validUntil < assessedAt) {
    check.fail(
      "validUntil",
      "DATE_ORDER",
      bilingual(`有效期不能早于评估日期（${assessedAt}）`, `must not precede assessedAt ${assessedAt}`),
    );
  }
  if (
    !check.ok ||
    customerNo === INVALID ||
    name === INVALID ||
    idType === INVALID ||
    idNumber === INVALID ||
    phone === INVALID ||
    birthDate === INVALID ||
    riskLevel === INVALID ||
    assessedAt === INVALID ||
    validUntil === INVALID
  ) {
    return null;
  }
  return {
    row: check.row,
    customerNo,
    name,
    idType,
    idNumber,
    phone,
    birthDate,
    riskLevel,
    assessedAt,
    validUntil,
  };
}

interface KindRules<R> {
  specs: readonly ColumnSpec[];
  keyColumn: string;
  check(row: RowCheck<string>): R | null;
}

const RULES: { [K in ImportKind]: KindRules<ImportRows[K]> } = {
  products: { specs: PRODUCT_COLUMNS, keyColumn: "productCode", check: checkProduct },
  customers: { specs: CUSTOMER_COLUMNS, keyColumn: "customerNo", check: checkCustomer },
};

/** Checks every row of a table for one kind of import. */
export function validateRows<K extends ImportKind>(
  kind: K,
  table: TableInput,
  options: ValidateOptions,
): Promise<ValidationResult<ImportRows[K]>> {
  return validate(kind, RULES[kind] as KindRules<ImportRows[K]>, table, options);
}

async function validate<R>(
  kind: ImportKind,
  rules: KindRules<R>,
  table: TableInput,
  options: ValidateOptions,
): Promise<ValidationResult<R>> {
  const { today } = options;
  if (!isIsoDate(today)) throw new TypeError(`today must be a YYYY-MM-DD date, got ${JSON.stringify(today)}`);
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  const maxErrors = options.maxErrors ?? DEFAULT_MAX_ERRORS;

  const rows: R[] = [];
  const errors: ImportError[] = [];
  if (table.header === null) {
    errors.push({
      row: 0,
      column: "",
      code: "EMPTY_FILE",
      message: bilingual("文件为空，至少需要标题行", "the file is empty; a header row is needed"),
    });
    return { rows, errors, columns: [] };
  }

  const layout = new Layout(kind, table.header);
  for (const pending of layout.errors) errors.push(pending.error);
  const check = new RowCheck(layout, today);
  const firstRowOfKey = new Map<string, number>();
  const keyColumn = rules.keyColumn;
  let dataRows = 0;

  try {
    for await (const tableRow of table.rows) {
      if (tableRow.row % ROWS_PER_SLICE === 0) await yieldToEventLoop();
      if (isBlank(tableRow.cells)) continue;
      if (++dataRows > maxRows) {
        errors.push({
          row: tableRow.row,
          column: "",
          code: "TOO_MANY_ROWS",
          message: bilingual(`数据行数超过上限（${maxRows}行）`, `more than ${maxRows} data rows`),
        });
        break;
      }
      check.reset(tableRow);
      check.checkHeaderless();
      const parsed = rules.check(check);
      const key = check.key;
      if (key !== null) {
        const first = firstRowOfKey.get(key);
        if (first === undefined) {
          firstRowOfKey.set(key, tableRow.row);
        } else {
          check.fail(
            keyColumn,
            "DUPLICATE_KEY",
            bilingual(`与第${first}行重复：${key}`, `${key} is already on row ${first}`),
          );
        }
      }
      if (check.ok && parsed !== null) {
        rows.push(parsed);
        continue;
      }
      check.errors.sort(byOrder);
      for (const pending of check.errors) errors.push(pending.error);
      if (errors.length > maxErrors) {
        errors.length = maxErrors;
        errors.push({
          row: tableRow.row,
          column: "",
          code: "TOO_MANY_ERRORS",
          message: bilingual(
            `错误超过${maxErrors}个，已停止检查`,
            `more than ${maxErrors} errors; the rest of the file was not checked`,
          ),
        });
        break;
      }
    }
  } catch (error) {
    if (!(error instanceof ImportFileError)) throw error;
    errors.push(error.toImportError());
  }
  return { rows, errors, columns: layout.presentKeys(rules.specs) };
}
