import { EntitySchema } from "typeorm";

/*
 * Entities as EntitySchema (no decorators, no reflect metadata emitted by the compiler).
 * Timestamps are stored as ISO-8601 UTC strings with milliseconds: identical on SQLite, PostgreSQL and Oracle,
 * sortable as text, and hashed byte-for-byte by the audit chain.
 */

export const ORG_KINDS = ["hq", "branch", "sub_branch", "outlet"] as const;
export type OrgKind = (typeof ORG_KINDS)[number];

export interface OrgUnitRow {
  code: string;
  name: string;
  kind: OrgKind;
  parentCode: string | null;
  path: string;
  status: "open" | "closed";
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

export const OrgUnitEntity = new EntitySchema<OrgUnitRow>({
  name: "OrgUnit",
  tableName: "org_units",
  columns: {
    code: { type: "varchar", length: 12, primary: true },
    name: { type: "varchar", length: 100 },
    kind: { type: "varchar", length: 16 },
    parentCode: { name: "parent_code", type: "varchar", length: 12, nullable: true },
    path: { type: "varchar", length: 200 },
    status: { type: "varchar", length: 8 },
    createdAt: { name: "created_at", type: "varchar", length: 30 },
    updatedAt: { name: "updated_at", type: "varchar", length: 30 },
    closedAt: { name: "closed_at", type: "varchar", length: 30, nullable: true },
  },
});

export interface UserRow {
  username: string;
  displayName: string;
  role: string;
  orgCode: string;
  employeeNo: string | null;
  enabled: boolean;
  passwordHash: string;
  /** JSON array of the previous password hashes, newest first (the current one is passwordHash). */
  passwordHistory: string;
  passwordChangedAt: string;
  mustChangePassword: boolean;
  failedAttempts: number;
  lockedUntil: string | null;
  createdAt: string;
  updatedAt: string;
}

export const UserEntity = new EntitySchema<UserRow>({
  name: "User",
  tableName: "users",
  columns: {
    username: { type: "varchar", length: 64, primary: true },
    displayName: { name: "display_name", type: "varchar", length: 100 },
    role: { type: "varchar", length: 20 },
    orgCode: { name: "org_code", type: "varchar", length: 12 },
    employeeNo: { name: "employee_no", type: "varchar", length: 32, nullable: true },
    enabled: { type: "boolean" },
    passwordHash: { name: "password_hash", type: "varchar", length: 255 },
    passwordHistory: { name: "password_history", type: "varchar", length: 2000 },
    passwordChangedAt: { name: "password_changed_at", type: "varchar", length: 30 },
    mustChangePassword: { name: "must_change_password", type: "boolean" },
    failedAttempts: { name: "failed_attempts", type: "int" },
    lockedUntil: { name: "locked_until", type: "varchar", length: 30, nullable: true },
    createdAt: { name: "created_at", type: "varchar", length: 30 },
    updatedAt: { name: "updated_at", type: "varchar", length: 30 },
  },
});

export interface SessionRow {
  id: string;
  username: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  clientIp: string | null;
}

export const SessionEntity = new EntitySchema<SessionRow>({
  name: "Session",
  tableName: "sessions",
  columns: {
    id: { type: "varchar", length: 36, primary: true },
    username: { type: "varchar", length: 64 },
    createdAt: { name: "created_at", type: "varchar", length: 30 },
    expiresAt: { name: "expires_at", type: "varchar", length: 30 },
    revokedAt: { name: "revoked_at", type: "varchar", length: 30, nullable: true },
    clientIp: { name: "client_ip", type: "varchar", length: 64, nullable: true },
  },
});

export interface AuditEntryRow {
  seq: string | number;
  at: string;
  kind: string;
  actor: string | null;
  role: string | null;
  org: string | null;
  action: string;
  target: string | null;
  result: string;
  ip: string | null;
  /** Canonical JSON text, exactly as hashed. */
  details: string | null;
  prevHash: string;
  hash: string;
}

export const AuditEntryEntity = new EntitySchema<AuditEntryRow>({
  name: "AuditEntry",
  tableName: "audit_entries",
  columns: {
    seq: { type: "bigint", primary: true },
    at: { type: "varchar", length: 30 },
    kind: { type: "varchar", length: 16 },
    actor: { type: "varchar", length: 64, nullable: true },
    role: { type: "varchar", length: 20, nullable: true },
    org: { type: "varchar", length: 12, nullable: true },
    action: { type: "varchar", length: 64 },
    target: { type: "varchar", length: 200, nullable: true },
    result: { type: "varchar", length: 8 },
    ip: { type: "varchar", length: 64, nullable: true },
    details: { type: "text", nullable: true },
    prevHash: { name: "prev_hash", type: "varchar", length: 64 },
    hash: { type: "varchar", length: 64 },
  },
});

export interface AuditCheckpointRow {
  seq: string | number;
  hash: string;
  at: string;
  keyId: string;
  signature: string;
}

export const AuditCheckpointEntity = new EntitySchema<AuditCheckpointRow>({
  name: "AuditCheckpoint",
  tableName: "audit_checkpoints",
  columns: {
    seq: { type: "bigint", primary: true },
    hash: { type: "varchar", length: 64 },
    at: { type: "varchar", length: 30 },
    keyId: { name: "key_id", type: "varchar", length: 32 },
    signature: { type: "varchar", length: 200 },
  },
});

/** One row (id = 1) holding the chain head; appenders lock it so that nodes of a cluster extend one chain. */
export interface AuditHeadRow {
  id: number;
  seq: string | number;
  hash: string;
}

export const AuditHeadEntity = new EntitySchema<AuditHeadRow>({
  name: "AuditHead",
  tableName: "audit_head",
  columns: {
    id: { type: "int", primary: true },
    seq: { type: "bigint" },
    hash: { type: "varchar", length: 64 },
  },
});

export const ENTITIES = [
  OrgUnitEntity,
  UserEntity,
  SessionEntity,
  AuditEntryEntity,
  AuditCheckpointEntity,
  AuditHeadEntity,
];
