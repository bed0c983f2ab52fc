import crypto from "node:crypto";
import type { ServiceSchema } from "moleculer";
import type { Role } from "../../domain/permissions";
import {
  afterFailedLogin,
  afterSuccessfulLogin,
  isLocked,
  isPasswordExpired,
  nextHistory,
  recentHashes,
} from "../../domain/password-policy";
import { SessionEntity, UserEntity } from "../../db/entities";
import { HubError } from "../../errors/hub-error";
import type { HubRuntime } from "../../runtime";
import { actorOf, type Actor, type HubContext, type OrgRef } from "../actor";
import type { AuditLocals } from "../audit/audit-spec";
import { healthAction } from "../health.mixin";
import { burnPasswordCheck, hashPassword, verifyPassword } from "./password-hash";
import { staffActions } from "./staff.mixin";
import { signToken, verifyToken } from "./tokens";
import { createUserStore, userView } from "./user-store";

type Locals = { locals: AuditLocals };

/** What the gateway gets back for a bearer token; `exp` lets it refuse a cached answer once the token expires. */
export interface AuthenticatedUser extends Actor {
  exp: number;
}

/** Users, passwords, logins and the tokens that carry them. */
export function createAccessService(rt: HubRuntime): ServiceSchema {
  const sessions = () => rt.db.manager.getRepository(SessionEntity);
  const lockout = { threshold: rt.config.lockoutThreshold, minutes: rt.config.lockoutMinutes };
  const store = createUserStore(rt);
  const { findUser, loadUser, policyError, revokeSessions } = store;

  return {
    name: "access",
    mixins: [healthAction(rt), staffActions(rt, store)],
    events: {
      "access.changed": {
        handler() {
          return this.broker.cacher?.clean("access.authenticate:**");
        },
      },
    },
    actions: {
      login: {
        audit: {
          action: "auth.login",
          actor: (p) => String(p.username ?? ""),
          target: (p) => `user:${p.username}`,
        },
        async handler(ctx: HubContext<{ username: string; password: string }> & Locals) {
          const { username, password } = ctx.params;
          const now = rt.clock();
          const user = await findUser(username);
          if (!user) {
            await burnPasswordCheck(password);
            rt.metrics.logins.inc({ result: "unknown_user" });
            throw new HubError("HUB_AUTH_INVALID_CREDENTIALS");
          }
          ctx.locals.auditActor = { role: user.role, org: user.orgCode };
          const state = {
            failedAttempts: user.failedAttempts,
            lockedUntil: user.lockedUntil ? new Date(user.lockedUntil) : null,
          };
          if (isLocked(state, now)) {
            rt.metrics.logins.inc({ result: "locked" });
            throw new HubError("HUB_AUTH_LOCKED", `locked until ${state.lockedUntil!.toISOString()}`, {
              lockedUntil: state.lockedUntil!.toISOString(),
            });
          }
          if (!(await verifyPassword(password, user.passwordHash))) {
            const next = afterFailedLogin(state, now, lockout);
            await rt.db.transaction((m) =>
              m.getRepository(UserEntity).update(
                { username },
                {
                  failedAttempts: next.failedAttempts,
                  lockedUntil: next.lockedUntil?.toISOString() ?? null,
                },
              ),
            );
            ctx.locals.auditDetails = { failedAttempts: next.failedAttempts };
            rt.metrics.logins.inc({ result: next.lockedUntil ? "locked" : "wrong_password" });
            if (next.lockedUntil) {
              throw new HubError("HUB_AUTH_LOCKED", `locked until ${next.lockedUntil.toISOString()}`, {
                lockedUntil: next.lockedUntil.toISOString(),
              });
            }
            throw new HubError("HUB_AUTH_INVALID_CREDENTIALS");
          }
          if (!user.enabled) {
            rt.metrics.logins.inc({ result: "disabled" });
            throw new HubError("HUB_AUTH_USER_DISABLED");
          }
          rt.metrics.logins.inc({ result: "ok" });
          const expiresAt = new Date(now.getTime() + rt.config.tokenTtlSeconds * 1000);
          const sessionId = crypto.randomUUID();
          await rt.db.transaction(async (m) => {
            const reset = afterSuccessfulLogin();
            await m
              .getRepository(UserEntity)
              .update({ username }, { failedAttempts: reset.failedAttempts, lockedUntil: null });
            await m.getRepository(SessionEntity).insert({
              id: sessionId,
              username,
              createdAt: now.toISOString(),
              expiresAt: expiresAt.toISOString(),
              revokedAt: null,
              clientIp: ctx.meta.clientIp ?? null,
            });
          });
          const token = signToken(rt.tokenSecret, {
            sub: username,
            sid: sessionId,
            iat: Math.floor(now.getTime() / 1000),
            exp: Math.floor(expiresAt.getTime() / 1000),
          });
          const mustChangePassword =
            user.mustChangePassword ||
            isPasswordExpired(new Date(user.passwordChangedAt), now, rt.config.passwordMaxAgeDays);
          ctx.locals.auditDetails = { sessionId };
          return {
            token,
            expiresAt: expiresAt.toISOString(),
            user: { username, role: user.role, orgCode: user.orgCode, mustChangePassword },
          };
        },
      },

      /** Internal: bearer token → actor. Cached per token for 30 s; any change to users or sessions clears it. */
      authenticate: {
        visibility: "public",
        cache: { keys: ["token"], ttl: 30 },
        async handler(ctx: HubContext<{ token: string }>): Promise<AuthenticatedUser> {
          const now = rt.clock();
          const claims = verifyToken(rt.tokenSecret, ctx.params.token, Math.floor(now.getTime() / 1000));
          const session = await sessions().findOneBy({ id: claims.sid });
          if (!session || session.username !== claims.sub) throw new HubError("HUB_AUTH_TOKEN_INVALID");
          if (session.revokedAt) throw new HubError("HUB_AUTH_TOKEN_REVOKED");
          const user = await findUser(claims.sub);
          if (!user) throw new HubError("HUB_AUTH_TOKEN_INVALID");
          if (!user.enabled) throw new HubError("HUB_AUTH_USER_DISABLED");
          const org = await ctx.call<OrgRef, { code: string }>("org.resolve", { code: user.orgCode });
          return {
            username: user.username,
            role: user.role as Role,
            orgCode: user.orgCode,
            orgPath: org.path,
            mustChangePassword:
              user.mustChangePassword ||
              isPasswordExpired(new Date(user.passwordChangedAt), now, rt.config.passwordMaxAgeDays),
            sessionId: session.id,
            exp: claims.exp,
          };
        },
      },

      me: {
        async handler(ctx: HubContext) {
          const actor = actorOf(ctx);
          return {
            ...userView(await loadUser(actor.username), rt.clock()),
            mustChangePassword: actor.mustChangePassword,
          };
        },
      },

      logout: {
        audit: { action: "auth.logout" },
        async handler(ctx: HubContext) {
          const actor = actorOf(ctx);
          await sessions().update({ id: actor.sessionId }, { revokedAt: rt.clock().toISOString() });
          await ctx.broadcast("access.changed", { username: actor.username });
          return { ok: true };
        },
      },

      changePassword: {
        audit: { action: "auth.changePassword" },
        async handler(ctx: HubContext<{ currentPassword: string; newPassword: string }>) {
          const actor = actorOf(ctx);
          const user = await loadUser(actor.username);
          if (!(await verifyPassword(ctx.params.currentPassword, user.passwordHash))) {
            throw new HubError("HUB_AUTH_INVALID_CREDENTIALS", "the current password is wrong", {
              field: "currentPassword",
            });
          }
          const invalid = policyError(ctx.params.newPassword, user.username, "newPassword");
          if (invalid) throw invalid;
          const history: string[] = JSON.parse(user.passwordHistory);
          for (const old of recentHashes(user.passwordHash, history)) {
            if (await verifyPassword(ctx.params.newPassword, old)) {
              const message = "must differ from the last 5 passwords";
              throw new HubError("HUB_PASSWORD_POLICY", `newPassword: ${message}`, [
                { field: "newPassword", code: "REUSED", message },
              ]);
            }
          }
          const now = rt.clock().toISOString();
          const passwordHash = await hashPassword(ctx.params.newPassword);
          await rt.db.transaction((m) =>
            m.getRepository(UserEntity).update(
              { username: user.username },
              {
                passwordHash,
                passwordHistory: JSON.stringify(nextHistory(user.passwordHash, history)),
                passwordChangedAt: now,
                mustChangePassword: false,
                updatedAt: now,
              },
            ),
          );
          await revokeSessions(ctx, user.username, actor.sessionId);
          return { ok: true, passwordChangedAt: now };
        },
      },
    },
  };
}
