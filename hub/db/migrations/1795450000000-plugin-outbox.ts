import { type MigrationInterface, type QueryRunner, Table, TableIndex } from "typeorm";
import { portableTypes, varchar } from "./portable-types";

/**
 * Calls the hub owes a bank system through a plugin (docs/plugins.md, "CRM pushes"): written in the transaction of
 * what causes them, delivered later by whichever node leases the row, kept after delivery for a while as the
 * record that it happened; a call the system keeps refusing stays as `failed` for an operator.
 */
export class PluginOutbox1795450000000 implements MigrationInterface {
  name = "PluginOutbox1795450000000";

  async up(q: QueryRunner): Promise<void> {
    const t = portableTypes(q);
    const text = (name: string, length: string, nullable = false) => varchar(name, length, nullable);
    const int = (name: string) => ({ name, type: t.integer, isNullable: false });

    await q.createTable(
      new Table({
        name: "plugin_outbox",
        columns: [
          { name: "id", type: "varchar", length: "32", isPrimary: true },
          text("capability", "64"),
          // What makes a second enqueue of the same call a no-op (the CRM's activityId).
          text("dedupe_key", "128"),
          { name: "payload", type: t.text, isNullable: false },
          // pending: to deliver; delivered: done (kept a while); failed: refused too often, waits for an operator.
          text("state", "12"),
          int("attempts"),
          // Refusals (faults) so far: only these make a row fail; an unreachable system is waited for.
          int("faults"),
          text("next_attempt_at", "30"),
          // The lease of the node delivering the row: others leave it alone until it runs out.
          text("claimed_until", "30", true),
          text("claimed_by", "32", true),
          text("last_error", "500", true),
          text("created_at", "30"),
          text("delivered_at", "30", true),
          // The system's answer (e.g. the CRM's activity number and timeline link).
          { name: "result", type: t.text, isNullable: true },
        ],
        indices: [
          new TableIndex({
            name: "ux_plugin_outbox_key",
            columnNames: ["capability", "dedupe_key"],
            isUnique: true,
          }),
          new TableIndex({ name: "ix_plugin_outbox_due", columnNames: ["state", "next_attempt_at"] }),
          new TableIndex({ name: "ix_plugin_outbox_done", columnNames: ["state", "delivered_at"] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable("plugin_outbox");
  }
}
