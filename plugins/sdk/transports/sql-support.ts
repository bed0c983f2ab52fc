/**
 * What the SQL transports share: named parameters compiled to each driver's style, rows normalised to one shape,
 * and the SQLite / PostgreSQL error mapping. Plugins never import this; they get a `SqlClient`.
 */
import { LegacyFaultError, LegacyTimeoutError, LegacyUnavailableError, UNREACHABLE_CODES } from "../errors";
import { day } from "../values";
import type { SettingsSpec } from "../settings";
import type { SqlDialect, SqlParam, SqlRow } from "./base";

export type ParamStyle = "named" | "dollar" | "question";

export interface CompiledSql {
  text: string;
  /** Positional values (dollar, question) or the named values used (named). */
  values: SqlParam[] | Record<string, SqlParam>;
}

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

function bindable(value: SqlParam): SqlParam {
  return typeof value === "boolean" ? (value ? 1 : 0) : value;
}

/**
 * Rewrites `:name` parameters outside quotes and comments into the driver's style: `:name` with an object
 * (SQLite, Oracle), `$1` (PostgreSQL) or `?` (DB2 CLI). A name used twice binds the same value. `::` (a
 * PostgreSQL cast) is not a parameter. A parameter without a value is a plugin bug: TypeError.
 */
export function compileNamedParams(
  sql: string,
  params: Readonly<Record<string, SqlParam>>,
  style: ParamStyle,
): CompiledSql {
  let out = "";
  const positional: SqlParam[] = [];
  const named: Record<string, SqlParam> = {};
  const dollarIndex = new Map<string, number>();
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === c && sql[j + 1] === c) j += 2;
        else if (sql[j] === c) break;
        else j += 1;
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
    } else if (c === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      const j = end === -1 ? sql.length : end;
      out += sql.slice(i, j);
      i = j;
    } else if (c === "/" && next === "*") {
      const end = sql.indexOf("*/", i + 2);
      const j = end === -1 ? sql.length : end + 2;
      out += sql.slice(i, j);
      i = j;
    } else if (c === ":" && next === ":") {
      out += "::";
      i += 2;
    } else if (c === ":") {
      NAME.lastIndex = i + 1;
      const m = NAME.exec(sql);
      if (!m) {
        out += c;
        i += 1;
        continue;
      }
      const name = m[0];
      if (!Object.prototype.hasOwnProperty.call(params, name) || params[name] === undefined) {
        throw new TypeError(`SQL parameter :${name} has no value`);
      }
      const value = bindable(params[name]);
      if (style === "named") {
        named[name] = value;
        out += `:${name}`;
      } else if (style === "question") {
        positional.push(value);
        out += "?";
      } else {
        let index = dollarIndex.get(name);
        if (index === undefined) {
          positional.push(value);
          index = positional.length;
          dollarIndex.set(name, index);
        }
        out += `$${index}`;
      }
      i += 1 + name.length;
    } else {
      out += c;
      i += 1;
    }
  }
  return { text: out, values: style === "named" ? named : positional };
}

/** `sql` limited to `maxRows` rows in the dialect's words. */
export function limitRows(dialect: SqlDialect, sql: string, maxRows: number | undefined): string {
  if (maxRows === undefined) return sql;
  if (!Number.isInteger(maxRows) || maxRows < 1) throw new TypeError(`maxRows must be a positive integer`);
  const body = sql.trimEnd().replace(/;$/, "");
  return dialect === "sqlite" ? `${body} LIMIT ${maxRows}` : `${body} FETCH FIRST ${maxRows} ROWS ONLY`;
}

const pad = (n: number) => String(n).padStart(2, "0");

function normalizeValue(value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "number") return value;
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value instanceof Date) {
    const midnight =
      value.getHours() === 0 &&
      value.getMinutes() === 0 &&
      value.getSeconds() === 0 &&
      value.getMilliseconds() === 0;
    const d = day(value);
    return midnight
      ? d
      : `${d}T${pad(value.getHours())}:${pad(value.getMinutes())}:${pad(value.getSeconds())}`;
  }
  if (Buffer.isBuffer(value)) return value.toString("base64");
  return String(value);
}

/** Upper-case column names (PostgreSQL folds unquoted names to lower case); DATE columns as YYYY-MM-DD text. */
export function normalizeRow(row: Readonly<Record<string, unknown>>): SqlRow {
  const out: SqlRow = {};
  for (const [key, value] of Object.entries(row)) out[key.toUpperCase()] = normalizeValue(value);
  return out;
}

type DriverError = Error & { code?: string; errno?: number };

/** better-sqlite3's SQLITE_* codes as SQLSTATEs, so that plugins see the same classes as on DB2. */
export function sqliteError(error: unknown, details: Record<string, unknown> = {}): Error {
  const e = error as DriverError;
  const code = typeof e?.code === "string" ? e.code : "SQLITE_ERROR";
  const message = e?.message ?? String(error);
  const base = { ...details, vendorCode: code };
  if (/^SQLITE_(CANTOPEN|NOTADB|IOERR|CORRUPT|BUSY|LOCKED)/.test(code)) {
    return new LegacyUnavailableError(
      `SQLite ${code}: ${message}`,
      { ...base, sqlState: "08001" },
      { cause: error },
    );
  }
  let state = "HY000";
  if (code.startsWith("SQLITE_CONSTRAINT")) state = "23000";
  else if (code === "SQLITE_RANGE") state = "07001";
  else if (/no such (table|view)/.test(message)) state = "42S02";
  else if (/no such column/.test(message)) state = "42S22";
  else if (/syntax error|incomplete input/.test(message)) state = "42000";
  return LegacyFaultError.fromSqlState(state, message, base, { cause: error });
}

/** node-postgres errors: SQLSTATE when the server answered; network codes and timeouts otherwise. */
export function postgresError(error: unknown, details: Record<string, unknown> = {}): Error {
  const e = error as DriverError;
  const code = typeof e?.code === "string" ? e.code : undefined;
  const message = e?.message ?? String(error);
  if (code && /^[0-9A-Z]{5}$/.test(code)) {
    if (code === "57014") {
      return new LegacyTimeoutError(`PostgreSQL cancelled the statement: ${message}`, {
        ...details,
        sqlState: code,
      });
    }
    return LegacyFaultError.fromSqlState(code, message, { ...details, vendorCode: code }, { cause: error });
  }
  if (/timeout/i.test(message)) {
    return new LegacyTimeoutError(`PostgreSQL: ${message}`, details, { cause: error });
  }
  if ((code && UNREACHABLE_CODES.has(code)) || /Connection terminated|connect|closed/i.test(message)) {
    return new LegacyUnavailableError(
      `PostgreSQL: ${message}`,
      { ...details, vendorCode: code },
      { cause: error },
    );
  }
  return new LegacyFaultError(`PostgreSQL: ${message}`, { ...details, vendorCode: code }, { cause: error });
}

/** A legacy error passes through untouched; anything else is mapped by `map`. */
export function isTypedLegacyError(error: unknown): boolean {
  return (
    error instanceof LegacyFaultError ||
    error instanceof LegacyUnavailableError ||
    error instanceof LegacyTimeoutError
  );
}

/** Rejects at once when the caller's deadline has passed; SQLite calls are synchronous and cannot be interrupted. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted)
    throw new LegacyTimeoutError(`${what}: the deadline passed before the statement started`);
}

/** The settings of a transport to a bank's database server (DB2, Oracle): where, the password (a secret), the pool. */
export function databaseServerSettings(product: string, urlDescription: string): SettingsSpec {
  return {
    url: { type: "url", required: true, description: urlDescription },
    password: {
      type: "string",
      secret: true,
      required: true,
      description: `${product} password of that user`,
    },
    poolSize: { type: "integer", default: 4, min: 1, max: 50, description: "Connections at most" },
    connectTimeoutMs: {
      type: "integer",
      default: 5000,
      min: 1000,
      max: 120000,
      description: "Connection timeout",
    },
  };
}
