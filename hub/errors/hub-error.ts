import { Errors } from "moleculer";
import { ERROR_CODES, type ErrorCode } from "./codes";

/** One problem with one field or row of the input. */
export interface FieldProblem {
  field: string;
  code: string;
  message: string;
}

/**
 * The hub's error family. Extends MoleculerError so that code, status and details survive a trip between
 * nodes over NATS; `type` carries the `HUB_*` code.
 */
export class HubError extends Errors.MoleculerError {
  constructor(code: ErrorCode, message?: string, details?: unknown) {
    const entry = ERROR_CODES[code];
    super(message ?? entry.en, entry.status, code, details);
    this.name = "HubError";
    this.retryable = entry.status === 503;
  }

  get hubCode(): ErrorCode {
    return this.type as ErrorCode;
  }
}

export class ValidationError extends HubError {
  constructor(problems: FieldProblem[], message?: string) {
    super(
      "HUB_VALIDATION_FAILED",
      message ?? problems.map((p) => `${p.field}: ${p.message}`).join("; "),
      problems,
    );
    this.name = "ValidationError";
  }
}

export class ForbiddenError extends HubError {
  constructor(message: string, details?: unknown) {
    super("HUB_FORBIDDEN", message, details);
    this.name = "ForbiddenError";
  }
}

/** Thrown at start-up when an environment variable is wrong; names the variable. */
export class ConfigError extends HubError {
  constructor(variable: string, message: string) {
    super("HUB_CONFIG_INVALID", `${variable}: ${message}`, { variable });
    this.name = "ConfigError";
  }
}
