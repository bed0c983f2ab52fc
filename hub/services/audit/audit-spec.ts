import type { EntryDraft } from "../../domain/audit-chain";

/**
 * Declared on an action (`audit: {...}`) to have every call of it written to the audit trail, whatever the
 * outcome. The handler may put before/after or other facts in `ctx.locals.auditDetails`.
 */
export interface AuditSpec {
  /** The audited action name, or a function of the call's params when one action does two things. */
  action: string | ((params: Record<string, unknown>) => string);
  /** What was acted on, e.g. `user:sh.pd.sales1`. */
  target?: (params: Record<string, unknown>, result: unknown) => string | null;
  /** Who acted when there is no authenticated actor yet (logins). */
  actor?: (params: Record<string, unknown>) => string | null;
}

declare module "moleculer" {
  interface ActionSchema {
    audit?: AuditSpec;
  }
}

/**
 * What a handler may leave for the audit entry in `ctx.locals`: facts (`auditDetails`), and who acted when the
 * caller is not authenticated yet (`auditActor`, set by a login once the user is known).
 */
export interface AuditLocals {
  auditDetails?: Record<string, unknown>;
  auditActor?: { role: string; org: string };
  /**
   * Set by the audit middleware: the `ok` entry this call gets (with `details`, else `auditDetails`), for a handler
   * that commits it in the same transaction as what it audits.
   */
  auditDraft?: (result: unknown, details?: Record<string, unknown>) => EntryDraft;
  /** The handler committed its entry (from `auditDraft`): on success the middleware writes none. */
  auditCommitted?: boolean;
}
