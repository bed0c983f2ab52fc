import { IsNull, Not } from "typeorm";
import { isLocked, passwordProblems } from "../../domain/password-policy";
import { SessionEntity, type UserRow } from "../../db/entities";
import { HubError } from "../../errors/hub-error";
import type { HubRuntime } from "../../runtime";
import type { HubContext } from "../actor";

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
    qualificationCertNo: row.qualificationCertNo,
    qualificationValidUntil: row.qualificationValidUntil,
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
    qualificationCertNo: text(c.qualification_cert_no),
    qualificationValidUntil: text(c.qualification_valid_until),
    createdAt: String(c.created_at),
    updatedAt: String(c.updated_at),
  };
}

export interface NewUser {
  username: string;
  displayName: string;
  role: string;
  orgCode: string;
  employeeNo?: string | null;
  passwordHash: string;
  /** New staff must change the password they were given; demo users are spared. */
  mustChangePassword: boolean;
  qualificationCertNo?: string | null;
  qualificationValidUntil?: string | null;
}

/** A user as first stored: enabled, no history, no failed logins. */
export function newUserRow(user: NewUser, now: string): UserRow {
  return {
    ...user,
    employeeNo: user.employeeNo ?? null,
    qualificationCertNo: user.qualificationCertNo ?? null,
    qualificationValidUntil: user.qualificationValidUntil ?? null,
    enabled: true,
    passwordHistory: "[]",
    passwordChangedAt: now,
    failedAttempts: 0,
    lockedUntil: null,
    createdAt: now,
    updatedAt: now,
  };
}

/** Reads and session changes shared by logins and staff management. */
export function createUserStore(rt: HubRuntime) {
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

  async function revokeSessions(ctx: HubContext<unknown>, username: string, except?: string): Promise<void> {
    await rt.db.manager
      .getRepository(SessionEntity)
      .update(
        { username, revokedAt: IsNull(), ...(except ? { id: Not(except) } : {}) },
        { revokedAt: rt.clock().toISOString() },
      );
    // Tokens are cached by `authenticate` on every node: forget them everywhere.
    await ctx.broadcast("access.changed", { username });
  }

  return { findUser, loadUser, policyError, revokeSessions };
}

export type UserStore = ReturnType<typeof createUserStore>;
