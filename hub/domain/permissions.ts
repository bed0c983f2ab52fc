/**
 * The single place where access is decided in the hub.
 *
 * Every service, route and CLI command asks `decide` (or `can`) before acting; nothing else grants or denies.
 * The rules mirror ARCHITECTURE.md §2 "Roles and scope": a permission is role × action × org scope, where scope
 * is the actor's own org unit and its subtree (head office → branch → sub-branch → outlet).
 *
 * Pure functions only: no I/O, no clock, no configuration. Fail closed: an unknown role, an unknown action or a
 * malformed org path is denied.
 */

export const ROLES = ["sales", "outlet_manager", "branch_admin", "hq_admin", "auditor", "system"] as const;
export type Role = (typeof ROLES)[number];

export const ACTIONS = [
  "org.read",
  "org.create",
  "org.rename",
  "org.close",
  "user.read",
  "user.create",
  "user.update",
  "user.disable",
  "user.resetPassword",
  "audit.read",
  "audit.verify",
  "product.read",
  "product.edit",
  "product.import",
  "customer.read",
  "customer.readUnmasked",
  "customer.import",
  "riskAssessment.create",
  "recording.create",
  "recording.upload",
  "recording.list",
  "recording.play",
  "recording.exportEvidence",
  "supplement.apply",
  "supplement.authorize",
  "callback.create",
  "voucher.print",
  "spotcheck.perform",
  "report.read",
  "report.export",
  "reconciliation.read",
  "recordingRequired.set",
  "retention.configure",
  "questionnaire.configure",
  "riskAssessment.configure",
  "dispute.manage",
  "transaction.notify",
  "redemption.record",
  "recycleBin.restore",
  "plugins.read",
] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * Role → allowed actions. This table IS the policy; read it against ARCHITECTURE §2.
 * Scope is applied on top of it by `decide`, never here.
 */
const GRANTS = {
  // 理财经理: sells and records, previews before submit (part of recording.create), applies for 补录,
  // follow-up calls, vouchers. Deliberately no recording.list / recording.play / recording.exportEvidence:
  // sales staff never replay or download a recording once uploaded.
  sales: [
    "org.read",
    "product.read",
    "customer.read",
    "riskAssessment.create",
    "recording.create",
    "recording.upload",
    "supplement.apply",
    "callback.create",
    "voucher.print",
    "reconciliation.read",
  ],
  // 支行行长/个人部经理: everything sales has (listed again so the table reads on its own), plus playback,
  // reports, weekly spot checks and 补录 authorisation within the outlet.
  outlet_manager: [
    "org.read",
    "product.read",
    "customer.read",
    "riskAssessment.create",
    "recording.create",
    "recording.upload",
    "supplement.apply",
    "callback.create",
    "voucher.print",
    "reconciliation.read",
    "recording.list",
    "recording.play",
    "report.read",
    "report.export",
    "spotcheck.perform",
    "supplement.authorize",
    "user.read",
  ],
  // 分行: maintains outlets and staff of its subtree, resets passwords, plays back and reports, sets the
  // per-branch "recording required" flag and extends retention for disputes. Does not sell.
  branch_admin: [
    "org.read",
    "org.create",
    "org.rename",
    "org.close",
    "user.read",
    "user.create",
    "user.update",
    "user.disable",
    "user.resetPassword",
    "audit.read",
    "product.read",
    "product.import",
    "customer.read",
    "recording.list",
    "recording.play",
    "recording.exportEvidence",
    "report.read",
    "report.export",
    "reconciliation.read",
    "recordingRequired.set",
    "dispute.manage",
    "redemption.record",
    "recycleBin.restore",
  ],
  // 总行: everything, including parameters (retention, imports). Still subject to scope in `decide`.
  hq_admin: ACTIONS,
  // 监控调阅: read-only — playback, evidence export and reports within its subtree; may verify the audit chain.
  auditor: [
    "org.read",
    "user.read",
    "audit.read",
    "audit.verify",
    "product.read",
    "customer.read",
    "recording.list",
    "recording.play",
    "recording.exportEvidence",
    "report.read",
    "report.export",
    "reconciliation.read",
  ],
  // Legacy systems (counter, core banking) calling in: purchase notifications, 补录 ticks from the counter,
  // reconciliation and look-ups. Never plays a recording.
  system: [
    "transaction.notify",
    "redemption.record",
    "recording.list",
    "supplement.apply",
    "reconciliation.read",
    "product.read",
    "customer.read",
  ],
} as const satisfies Record<Role, readonly Action[]>;

/**
 * Roles each role may give to a user it creates or updates (on top of holding `user.create` in scope).
 * A branch may staff its own subtree but never mint head-office administrators or system identities.
 */
const ASSIGNABLE_ROLES = {
  sales: [],
  outlet_manager: [],
  branch_admin: ["sales", "outlet_manager", "auditor", "branch_admin"],
  hq_admin: ROLES,
  auditor: [],
  system: [],
} as const satisfies Record<Role, readonly Role[]>;

// Frozen copies so a caller mutating what `actionsOf` returns cannot widen the policy at run time.
const GRANT_LISTS: ReadonlyMap<Role, readonly Action[]> = new Map(
  ROLES.map((role) => [role, Object.freeze([...GRANTS[role]])] as const),
);
const GRANT_SETS: ReadonlyMap<Role, ReadonlySet<Action>> = new Map(
  ROLES.map((role) => [role, new Set<Action>(GRANTS[role])] as const),
);
const ASSIGNABLE_SETS: ReadonlyMap<Role, ReadonlySet<Role>> = new Map(
  ROLES.map((role) => [role, new Set<Role>(ASSIGNABLE_ROLES[role])] as const),
);

const ROLE_SET: ReadonlySet<unknown> = new Set<unknown>(ROLES);
const ACTION_SET: ReadonlySet<unknown> = new Set<unknown>(ACTIONS);

export interface Actor {
  role: Role;
  orgPath: string;
}

export interface Target {
  orgPath: string;
}

export type Decision = { allowed: true } | { allowed: false; reason: "ROLE" | "SCOPE" | "ROLE_ASSIGNMENT" };

const ALLOWED: Decision = Object.freeze({ allowed: true });
const DENIED_ROLE: Decision = Object.freeze({ allowed: false, reason: "ROLE" });
const DENIED_SCOPE: Decision = Object.freeze({ allowed: false, reason: "SCOPE" });
const DENIED_ROLE_ASSIGNMENT: Decision = Object.freeze({ allowed: false, reason: "ROLE_ASSIGNMENT" });

export function isRole(x: unknown): x is Role {
  return ROLE_SET.has(x);
}

export function isAction(x: unknown): x is Action {
  return ACTION_SET.has(x);
}

/** The actions a role holds, in table order. Unknown roles (untyped callers) hold nothing. */
export function actionsOf(role: Role): readonly Action[] {
  return GRANT_LISTS.get(role) ?? [];
}

/**
 * Splits an org path into its codes. Trailing slashes are tolerated ("000000/310000/" is "000000/310000");
 * anything else malformed — empty, empty segment, "." or ".." — yields null so that it is never in scope.
 */
function orgSegments(path: string): string[] | null {
  if (typeof path !== "string") return null;
  const segments = path.replace(/\/+$/, "").split("/");
  for (const s of segments) {
    if (s === "" || s === "." || s === "..") return null;
  }
  return segments;
}

/**
 * True iff `targetOrgPath` is the actor's org unit or lies below it. Compared code by code, never as a string
 * prefix: "000000/31" is not an ancestor of "000000/310000".
 */
export function isWithinScope(actorOrgPath: string, targetOrgPath: string): boolean {
  const actor = orgSegments(actorOrgPath);
  const target = orgSegments(targetOrgPath);
  if (actor === null || target === null) return false;
  if (target.length < actor.length) return false;
  return actor.every((code, i) => code === target[i]);
}

/**
 * The permission decision. The role is checked first (so a sales user asking to play a recording anywhere is
 * told ROLE, not SCOPE), then the target's org must be inside the actor's subtree. No role bypasses scope:
 * hq_admin passes only because it sits at the root.
 */
export function decide(actor: Actor, action: Action, target: Target): Decision {
  const grants = GRANT_SETS.get(actor.role);
  if (grants === undefined || !grants.has(action)) return DENIED_ROLE;
  if (!isWithinScope(actor.orgPath, target.orgPath)) return DENIED_SCOPE;
  return ALLOWED;
}

export function can(actor: Actor, action: Action, target: Target): boolean {
  return decide(actor, action, target).allowed;
}

/**
 * May `actor` create or update a user holding `role` at `targetOrgPath`? First the ordinary `user.create`
 * decision (ROLE / SCOPE), then whether the actor may hand out that particular role (ROLE_ASSIGNMENT).
 */
export function decideRoleAssignment(actor: Actor, role: Role, targetOrgPath: string): Decision {
  const base = decide(actor, "user.create", { orgPath: targetOrgPath });
  if (!base.allowed) return base;
  const assignable = ASSIGNABLE_SETS.get(actor.role);
  if (assignable === undefined || !assignable.has(role)) return DENIED_ROLE_ASSIGNMENT;
  return ALLOWED;
}
