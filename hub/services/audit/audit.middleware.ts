import type { ActionHandler, ActionSchema, Middleware } from "moleculer";
import type { EntryDraft, AuditResult, JsonValue } from "../../domain/audit-chain";
import { HubError } from "../../errors/hub-error";
import type { HubMetrics } from "../../metrics/metrics";
import type { HubContext } from "../actor";
import type { AuditLocals } from "./audit-spec";

function resultOf(err: unknown): AuditResult {
  const code = (err as { code?: number }).code;
  return code === 401 || code === 403 || code === 423 ? "denied" : "failed";
}

/** JSON-safe copy (drops undefined, functions) so that the chain hashes exactly what is stored. */
function jsonSafe(value: unknown): JsonValue {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as JsonValue);
}

const APPEND_ATTEMPTS = 3;
const APPEND_BACKOFF_MS = 50;

/** The broker's retry policy is off (retries would repeat side effects); an audit append is safe to repeat. */
async function appendWithRetries(ctx: HubContext, draft: EntryDraft): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ctx.call("audit.append", draft);
      return;
    } catch (err) {
      if (attempt >= APPEND_ATTEMPTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, APPEND_BACKOFF_MS * attempt));
    }
  }
}

/**
 * Writes one audit entry for every call of an action that declares `audit`, after it ran, and fails the call
 * if the entry cannot be written: a read that cannot be audited must not be served. A handler may instead commit
 * the entry of its success itself, in the transaction of what it audits (`ctx.locals.auditDraft`, then
 * `auditCommitted`): one commit for both, where the separate append would cost a second one.
 */
export function auditMiddleware(clock: () => Date, metrics: HubMetrics): Middleware {
  const middleware = {
    name: "Audit",
    localAction(handler: ActionHandler, action: ActionSchema): ActionHandler {
      const spec = action.audit;
      if (!spec) return handler;
      return async function audited(this: unknown, ctx: HubContext) {
        const params = (ctx.params ?? {}) as Record<string, unknown>;
        const locals = (ctx as unknown as { locals: AuditLocals }).locals;
        const draftOf = (
          outcome: AuditResult,
          result: unknown,
          facts: Record<string, unknown>,
        ): EntryDraft => {
          const user = ctx.meta.user ?? null;
          return {
            at: clock().toISOString(),
            kind: "audit",
            actor: user?.username ?? spec.actor?.(params) ?? null,
            role: user?.role ?? locals.auditActor?.role ?? null,
            org: user?.orgCode ?? locals.auditActor?.org ?? null,
            action: typeof spec.action === "function" ? spec.action(params) : spec.action,
            target: spec.target?.(params, result) ?? null,
            result: outcome,
            ip: ctx.meta.clientIp ?? null,
            details: Object.keys(facts).length ? jsonSafe(facts) : null,
          };
        };
        locals.auditDraft = (result, details) =>
          draftOf("ok", result, { ...(details ?? locals.auditDetails) });
        let outcome: AuditResult = "ok";
        let result: unknown;
        let failure: unknown;
        try {
          result = await handler.call(this, ctx);
        } catch (err) {
          outcome = resultOf(err);
          failure = err;
        }
        // Committed by the handler together with what it audits: written once, already durable.
        if (!failure && locals.auditCommitted) return result;
        const details: Record<string, unknown> = { ...(locals.auditDetails ?? {}) };
        if (failure) details.error = failure instanceof HubError ? failure.type : "HUB_INTERNAL";
        const draft = draftOf(outcome, result, details);
        try {
          await appendWithRetries(ctx, draft);
        } catch (err) {
          metrics.auditFailures.inc();
          ctx.broker.logger.error("audit entry could not be written; refusing the call", {
            action: draft.action,
            err,
          });
          throw new HubError("HUB_SERVICE_UNAVAILABLE", "the audit trail is unavailable");
        }
        if (failure) throw failure;
        return result;
      };
    },
  };
  return middleware as unknown as Middleware;
}
