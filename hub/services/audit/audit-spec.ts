import type { HubContext } from "../actor";

/**
 * Declared on an action (`audit: {...}`) to have every call of it written to the audit trail, whatever the
 * outcome. The handler may put before/after or other facts in `ctx.locals.auditDetails`.
 */
export interface AuditSpec {
  action: string;
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

export type AuditedContext = HubContext & { locals: { auditDetails?: Record<string, unknown> } };
