import { type MigrationInterface, type QueryRunner, Table, TableIndex } from "typeorm";
import { GENESIS_HASH } from "../../domain/audit-chain";
import { portableTypes } from "./portable-types";

/** Org tree, users and sessions, and the audit chain. */
export class Foundation1795392000000 implements MigrationInterface {
  name = "Foundation1795392000000";

  async up(q: QueryRunner): Promise<void> {
    const t = portableTypes(q);
    const time = (name: string, nullable = false) => ({
      name,
      type: "varchar",
      length: "30",
      isNullable: nullable,
    });

    await q.createTable(
      new Table({
        name: "org_units",
        columns: [
          { name: "code", type: "varchar", length: "12", isPrimary: true },
          { name: "name", type: "varchar", length: "100" },
          { name: "kind", type: "varchar", length: "16" },
          { name: "parent_code", type: "varchar", length: "12", isNullable: true },
          { name: "path", type: "varchar", length: "200" },
          { name: "status", type: "varchar", length: "8" },
          time("created_at"),
          time("updated_at"),
          time("closed_at", true),
        ],
        indices: [
          new TableIndex({ name: "ix_org_units_parent", columnNames: ["parent_code"] }),
          new TableIndex({ name: "ix_org_units_path", columnNames: ["path"] }),
        ],
      }),
    );

    await q.createTable(
      new Table({
        name: "users",
        columns: [
          { name: "username", type: "varchar", length: "64", isPrimary: true },
          { name: "display_name", type: "varchar", length: "100" },
          { name: "role", type: "varchar", length: "20" },
          { name: "org_code", type: "varchar", length: "12" },
          { name: "employee_no", type: "varchar", length: "32", isNullable: true },
          { name: "enabled", type: t.boolean },
          { name: "password_hash", type: "varchar", length: "255" },
          { name: "password_history", type: "varchar", length: "2000" },
          time("password_changed_at"),
          { name: "must_change_password", type: t.boolean },
          { name: "failed_attempts", type: t.integer },
          time("locked_until", true),
          time("created_at"),
          time("updated_at"),
        ],
        indices: [new TableIndex({ name: "ix_users_org", columnNames: ["org_code"] })],
      }),
    );

    await q.createTable(
      new Table({
        name: "sessions",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "username", type: "varchar", length: "64" },
          time("created_at"),
          time("expires_at"),
          time("revoked_at", true),
          { name: "client_ip", type: "varchar", length: "64", isNullable: true },
        ],
        indices: [new TableIndex({ name: "ix_sessions_user", columnNames: ["username"] })],
      }),
    );

    await q.createTable(
      new Table({
        name: "audit_entries",
        columns: [
          { name: "seq", type: t.bigint, isPrimary: true },
          time("at"),
          { name: "kind", type: "varchar", length: "16" },
          { name: "actor", type: "varchar", length: "64", isNullable: true },
          { name: "role", type: "varchar", length: "20", isNullable: true },
          { name: "org", type: "varchar", length: "12", isNullable: true },
          { name: "action", type: "varchar", length: "64" },
          { name: "target", type: "varchar", length: "200", isNullable: true },
          { name: "result", type: "varchar", length: "8" },
          { name: "ip", type: "varchar", length: "64", isNullable: true },
          { name: "details", type: t.text, isNullable: true },
          { name: "prev_hash", type: "varchar", length: "64" },
          { name: "hash", type: "varchar", length: "64" },
        ],
        indices: [
          new TableIndex({ name: "ix_audit_at", columnNames: ["at"] }),
          new TableIndex({ name: "ix_audit_actor", columnNames: ["actor"] }),
          new TableIndex({ name: "ix_audit_org", columnNames: ["org"] }),
        ],
      }),
    );

    await q.createTable(
      new Table({
        name: "audit_checkpoints",
        columns: [
          { name: "seq", type: t.bigint, isPrimary: true },
          { name: "hash", type: "varchar", length: "64" },
          time("at"),
          { name: "key_id", type: "varchar", length: "32" },
          { name: "signature", type: "varchar", length: "200" },
        ],
      }),
    );

    await q.createTable(
      new Table({
        name: "audit_head",
        columns: [
          { name: "id", type: t.integer, isPrimary: true },
          { name: "seq", type: t.bigint },
          { name: "hash", type: "varchar", length: "64" },
        ],
      }),
    );
    await q.manager
      .createQueryBuilder()
      .insert()
      .into("audit_head")
      .values({ id: 1, seq: 0, hash: GENESIS_HASH })
      .execute();
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      "audit_head",
      "audit_checkpoints",
      "audit_entries",
      "sessions",
      "users",
      "org_units",
    ]) {
      await q.dropTable(table);
    }
  }
}
