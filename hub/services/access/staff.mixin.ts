import type { ServiceSchema } from "moleculer";
import { decideRoleAssignment, type Role } from "../../domain/permissions";
import { nextHistory } from "../../domain/password-policy";
import { UserEntity, type UserRow } from "../../db/entities";
import { ForbiddenError, HubError } from "../../errors/hub-error";
import type { HubRuntime } from "../../runtime";
import { actorOf, authorize, type HubContext, type OrgRef } from "../actor";
import type { AuditLocals } from "../audit/audit-spec";
import { generatePassword, hashPassword } from "./password-hash";
import { newUserRow, userView, type UserStore } from "./user-store";

type Locals = { locals: AuditLocals };

/** Staff management within the admin's scope: list, read (audited), create, update, enable/disable, reset. */
export function staffActions(rt: HubRuntime, store: UserStore): Partial<ServiceSchema> {
  const { loadUser, policyError, revokeSessions } = store;
  const users = () => rt.db.manager.getRepository(UserEntity);

  /** The acting admin must hold the action over the user's org and be allowed to manage the user's role. */
  async function authorizeOverUser(
    ctx: HubContext<unknown>,
    action: "user.read" | "user.update" | "user.disable" | "user.resetPassword",
    target: UserRow,
  ) {
    const actor = await authorize(ctx, action, target.orgCode);
    if (action !== "user.read") {
      const org = await ctx.call<OrgRef, { code: string }>("org.resolve", { code: target.orgCode });
      const decision = decideRoleAssignment(
        { role: actor.role, orgPath: actor.orgPath },
        target.role as Role,
        org.path,
      );
      if (!decision.allowed)
        throw new ForbiddenError(`role ${actor.role} may not manage a ${target.role}`, {
          reason: decision.reason,
        });
      if (target.username === actor.username)
        throw new ForbiddenError("use /auth/password to manage your own account");
    }
    return actor;
  }

  return {
    actions: {
      listUsers: {
        async handler(
          ctx: HubContext<{
            orgCode?: string;
            role?: string;
            q?: string;
            enabled?: boolean;
            page: number;
            pageSize: number;
          }>,
        ) {
          const actor = actorOf(ctx);
          const p = ctx.params;
          const scopeCode = p.orgCode ?? actor.orgCode;
          await authorize(ctx, "user.read", scopeCode);
          const scope = await ctx.call<OrgRef, { code: string }>("org.resolve", { code: scopeCode });
          const qb = users()
            .createQueryBuilder("u")
            .innerJoin("OrgUnit", "o", "o.code = u.orgCode")
            .where("(o.path = :path OR o.path LIKE :prefix)", {
              path: scope.path,
              prefix: `${scope.path}/%`,
            });
          if (p.role) qb.andWhere("u.role = :role", { role: p.role });
          if (p.enabled !== undefined) qb.andWhere("u.enabled = :enabled", { enabled: p.enabled });
          if (p.q) {
            qb.andWhere("(u.username LIKE :q OR u.displayName LIKE :q)", {
              q: `%${p.q.replace(/[\\%_]/g, "")}%`,
            });
          }
          const [rows, total] = await qb
            .orderBy("u.username", "ASC")
            .skip((p.page - 1) * p.pageSize)
            .take(p.pageSize)
            .getManyAndCount();
          const now = rt.clock();
          return { items: rows.map((r) => userView(r, now)), total, page: p.page, pageSize: p.pageSize };
        },
      },

      getUser: {
        audit: { action: "user.read", target: (p) => `user:${p.username}` },
        async handler(ctx: HubContext<{ username: string }>) {
          const user = await loadUser(ctx.params.username);
          await authorizeOverUser(ctx, "user.read", user);
          return userView(user, rt.clock());
        },
      },

      createUser: {
        audit: { action: "user.create", target: (p) => `user:${p.username}` },
        async handler(
          ctx: HubContext<{
            username: string;
            displayName: string;
            role: Role;
            orgCode: string;
            employeeNo?: string;
            password?: string;
            qualificationCertNo?: string;
            qualificationValidUntil?: string;
          }> &
            Locals,
        ) {
          const p = ctx.params;
          const actor = actorOf(ctx);
          const org = await ctx.call<OrgRef, { code: string }>("org.resolve", { code: p.orgCode });
          const decision = decideRoleAssignment(
            { role: actor.role, orgPath: actor.orgPath },
            p.role,
            org.path,
          );
          if (!decision.allowed) {
            throw new ForbiddenError(`role ${actor.role} may not create a ${p.role} at ${p.orgCode}`, {
              reason: decision.reason,
            });
          }
          if (org.status === "closed")
            throw new HubError("HUB_ORG_CLOSED", `${p.orgCode} is closed`, { field: "orgCode" });
          const initialPassword = p.password ?? generatePassword();
          const invalid = policyError(initialPassword, p.username, "password");
          if (invalid) throw invalid;
          const now = rt.clock().toISOString();
          const row = newUserRow(
            {
              username: p.username,
              displayName: p.displayName,
              role: p.role,
              orgCode: p.orgCode,
              employeeNo: p.employeeNo,
              qualificationCertNo: p.qualificationCertNo,
              qualificationValidUntil: p.qualificationValidUntil,
              passwordHash: await hashPassword(initialPassword),
              mustChangePassword: true,
            },
            now,
          );
          await rt.db.transaction(async (m) => {
            if (await m.getRepository(UserEntity).existsBy({ username: p.username })) {
              throw new HubError("HUB_USER_EXISTS", `user ${p.username} exists`, { field: "username" });
            }
            await m.getRepository(UserEntity).insert(row);
          });
          const view = userView(row, rt.clock());
          ctx.locals.auditDetails = { after: view };
          return p.password ? view : { ...view, initialPassword };
        },
      },

      updateUser: {
        audit: { action: "user.update", target: (p) => `user:${p.username}` },
        async handler(
          ctx: HubContext<{
            username: string;
            displayName?: string;
            role?: Role;
            orgCode?: string;
            employeeNo?: string | null;
            qualificationCertNo?: string | null;
            qualificationValidUntil?: string | null;
          }> &
            Locals,
        ) {
          const p = ctx.params;
          const before = await loadUser(p.username);
          const actor = await authorizeOverUser(ctx, "user.update", before);
          const role = p.role ?? (before.role as Role);
          const orgCode = p.orgCode ?? before.orgCode;
          if (role !== before.role || orgCode !== before.orgCode) {
            const org = await ctx.call<OrgRef, { code: string }>("org.resolve", { code: orgCode });
            const decision = decideRoleAssignment(
              { role: actor.role, orgPath: actor.orgPath },
              role,
              org.path,
            );
            if (!decision.allowed)
              throw new ForbiddenError(
                `role ${actor.role} may not make ${p.username} a ${role} at ${orgCode}`,
                { reason: decision.reason },
              );
            if (org.status === "closed")
              throw new HubError("HUB_ORG_CLOSED", `${orgCode} is closed`, { field: "orgCode" });
          }
          const changes = {
            displayName: p.displayName ?? before.displayName,
            role,
            orgCode,
            employeeNo: p.employeeNo === undefined ? before.employeeNo : p.employeeNo,
            qualificationCertNo:
              p.qualificationCertNo === undefined ? before.qualificationCertNo : p.qualificationCertNo,
            qualificationValidUntil:
              p.qualificationValidUntil === undefined
                ? before.qualificationValidUntil
                : p.qualificationValidUntil,
            updatedAt: rt.clock().toISOString(),
          };
          await rt.db.transaction((m) =>
            m.getRepository(UserEntity).update({ username: p.username }, changes),
          );
          const after = await loadUser(p.username);
          if (role !== before.role || orgCode !== before.orgCode) await revokeSessions(ctx, p.username);
          const now = rt.clock();
          ctx.locals.auditDetails = { before: userView(before, now), after: userView(after, now) };
          return userView(after, now);
        },
      },

      setEnabled: {
        audit: {
          action: (p) => (p.enabled ? "user.enable" : "user.disable"),
          target: (p) => `user:${p.username}`,
        },
        async handler(ctx: HubContext<{ username: string; enabled: boolean }> & Locals) {
          const user = await loadUser(ctx.params.username);
          await authorizeOverUser(ctx, "user.disable", user);
          const now = rt.clock().toISOString();
          await rt.db.transaction((m) =>
            m
              .getRepository(UserEntity)
              .update({ username: user.username }, { enabled: ctx.params.enabled, updatedAt: now }),
          );
          if (!ctx.params.enabled) await revokeSessions(ctx, user.username);
          ctx.locals.auditDetails = {
            before: { enabled: user.enabled },
            after: { enabled: ctx.params.enabled },
          };
          return userView(await loadUser(user.username), rt.clock());
        },
      },

      resetPassword: {
        audit: { action: "user.resetPassword", target: (p) => `user:${p.username}` },
        async handler(ctx: HubContext<{ username: string; password?: string }>) {
          const user = await loadUser(ctx.params.username);
          await authorizeOverUser(ctx, "user.resetPassword", user);
          const temporaryPassword = ctx.params.password ?? generatePassword();
          const invalid = policyError(temporaryPassword, user.username, "password");
          if (invalid) throw invalid;
          const now = rt.clock().toISOString();
          const passwordHash = await hashPassword(temporaryPassword);
          await rt.db.transaction((m) =>
            m.getRepository(UserEntity).update(
              { username: user.username },
              {
                passwordHash,
                passwordHistory: JSON.stringify(
                  nextHistory(user.passwordHash, JSON.parse(user.passwordHistory)),
                ),
                passwordChangedAt: now,
                mustChangePassword: true,
                failedAttempts: 0,
                lockedUntil: null,
                updatedAt: now,
              },
            ),
          );
          await revokeSessions(ctx, user.username);
          return ctx.params.password
            ? { ok: true, mustChangePassword: true }
            : { ok: true, mustChangePassword: true, temporaryPassword };
        },
      },
    },
  };
}
