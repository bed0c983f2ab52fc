import type { Context } from "moleculer";
import { decide, type Action, type Role } from "../domain/permissions";
import { ForbiddenError, HubError } from "../errors/hub-error";

/** The authenticated caller, put into `ctx.meta.user` by the gateway (or the SOAP face). */
export interface Actor {
  username: string;
  role: Role;
  orgCode: string;
  orgPath: string;
  mustChangePassword: boolean;
  sessionId: string;
}

export interface HubMeta {
  user?: Actor | null;
  clientIp?: string | null;
}

export type HubContext<P = Record<string, unknown>> = Context<P, HubMeta>;

export function actorOf(ctx: HubContext<unknown>): Actor {
  const user = ctx.meta.user;
  if (!user) throw new HubError("HUB_AUTH_REQUIRED");
  return user;
}

export interface OrgRef {
  code: string;
  path: string;
  status: "open" | "closed";
}

/** Decides one request with the one permission function; throws 403 naming the action and the reason. */
export async function authorize(
  ctx: HubContext<unknown>,
  action: Action,
  targetOrgCode: string,
): Promise<Actor> {
  const actor = actorOf(ctx);
  const target = await ctx.call<OrgRef, { code: string }>("org.resolve", { code: targetOrgCode });
  const decision = decide({ role: actor.role, orgPath: actor.orgPath }, action, { orgPath: target.path });
  if (!decision.allowed) {
    const why =
      decision.reason === "ROLE"
        ? `role ${actor.role} may not ${action}`
        : `org ${targetOrgCode} is outside ${actor.orgCode}`;
    throw new ForbiddenError(why, { action, reason: decision.reason, orgCode: targetOrgCode });
  }
  return actor;
}
