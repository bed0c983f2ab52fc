import crypto from "node:crypto";
import type { ServiceSchema } from "moleculer";
import { decideRoleAssignment, type Role } from "../../domain/permissions";
import {
  afterFailedLogin,
  afterSuccessfulLogin,
  isLocked,
  isPasswordExpired,
  nextHistory,
  passwordProblems,
  recentHashes,
} from "../../domain/password-policy";
import { SessionEntity, UserEntity, type UserRow } from "../../db/entities";
import { ForbiddenError, HubError } from "../../errors/hub-error";
import type { HubRuntime } from "../../runtime";
import { actorOf, authorize, type Actor, type HubContext, type OrgRef } from "../actor";
import type { AuditLocals } from "../audit/audit-spec";
import { healthAction } from "../health.mixin";
import { burnPasswordCheck, generatePassword, hashPassword, verifyPassword } from "./password-hash";
import { signToken, verifyToken } from "./tokens";

type Locals = { locals: AuditLocals };

/** What the gateway gets back for a bearer token; `exp` lets it refuse a cached answer once the token expires. */
export interface AuthenticatedUser extends Actor {
  exp: number;
}

export function userView(row: UserRow, now: Date) {
  return {
    username: row.username,
    displayName: row.displayName,
    role: row.role,
    orgCode: row.orgCode,
    employeeNo: row.employeeNo,
    enabled: row.enabled,
    mustChangePassword: row.mustChangePassword,
    passwordChangedAt: row.passwordChangedAt,
    locked: isLocked(
      { failedAttempts: row.failedAttempts, lockedUntil: row.lockedUntil ? new Date(row.lockedUntil) : null },
      now,
    ),
    lockedUntil: row.lockedUntil,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function userFromColumns(c: Record<string, unknown>): UserRow {
  const text = (v: unknown) => (v == null ? null : String(v));
  return {
    username: String(c.username),
    displayName: String(c.display_name),
    role: String(c.role),
    orgCode: String(c.org_code),
    employeeNo: text(c.employee_no),
    // SQLite and Oracle hand booleans back as 0/1.
    enabled: Boolean(Number(c.enabled)),
    passwordHash: String(c.password_hash),
    passwordHistory: String(c.password_history),
    passwordChangedAt: String(c.password_changed_at),
    mustChangePassword: Boolean(Number(c.must_change_password)),
    failedAttempts: Number(c.failed_attempts),
    lockedUntil: text(c.locked_until),
    createdAt: String(c.created_at),
    updatedAt: String(c.updated_at),
  };
}

/** Users, passwords, logins and the tokens that carry them. */
export function createAccessService(rt: HubRuntime): ServiceSchema {
  const users = () => rt.db.manager.getRepository(UserEntity);
  const sessions = () => rt.db.manager.getRepository(SessionEntity);
  const lockout = { threshold: rt.config.lockoutThreshold, minutes: rt.config.lockoutMinutes };

  /** Every request of a logged-in user reads its row: plain prepared SQL rather than a built query. */
  async function findUser(username: string): Promise<UserRow | null> {
    const [raw] = await rt.db.query(rt.db.manager, 'SELECT * FROM "users" WHERE "username" = ?', [username]);
    return raw ? userFromColumns(raw) : null;
  }

  async function loadUser(username: string): Promise<UserRow> {
    const row = await findUser(username);
    if (!row) throw new HubError("HUB_USER_NOT_FOUND", `no user ${username}`, { field: "username" });
    return row;
  }

  function policyError(password: string, username: string, field: string): HubError | null {
    const problems = passwordProblems(password, username);
    if (!problems.length) return null;
    return new HubError(
      "HUB_PASSWORD_POLICY",
      `${field}: ${problems.map((p) => p.message).join("; ")}`,
      problems.map((p) => ({ field, code: p.code, message: p.message })),
    );
  }

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

  async function revokeSessions(ctx: HubContext<unknown>, username: string, except?: string): Promise<void> {
    const qb = rt.db.manager
      .createQueryBuilder()
      .update(SessionEntity)
      .set({ revokedAt: rt.clock().toISOString() })
      .where("username = :username AND revoked_at IS NULL", { username });
    if (except) qb.andWhere("id <> :except", { except });
    await qb.execute();
    // Tokens are cached by `authenticate` on every node: forget them everywhere.
    await ctx.broadcast("access.changed", { username });
  }

  return {
    name: "access",
    mixins: [healthAction(rt)],
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
          const row: UserRow = {
            username: p.username,
            displayName: p.displayName,
            role: p.role,
            orgCode: p.orgCode,
            employeeNo: p.employeeNo ?? null,
            enabled: true,
            passwordHash: await hashPassword(initialPassword),
            passwordHistory: "[]",
            passwordChangedAt: now,
            mustChangePassword: true,
            failedAttempts: 0,
            lockedUntil: null,
            createdAt: now,
            updatedAt: now,
          };
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
