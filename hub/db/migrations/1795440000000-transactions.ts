import { type MigrationInterface, type QueryRunner, Table, TableIndex } from "typeorm";
import { portableTypes, varchar } from "./portable-types";

/**
 * The SOAP face (docs/soap.md): purchases notified by legacy systems, kept with the answer each notification got;
 * the outbox through which each is processed after it was answered (one process: polled; a cluster: published to
 * a JetStream channel); the bindings of purchases to recordings; the idle-time archive of bound recordings; and the
 * counter's 补录 applications.
 */
export class Transactions1795440000000 implements MigrationInterface {
  name = "Transactions1795440000000";

  async up(q: QueryRunner): Promise<void> {
    const t = portableTypes(q);
    const text = (name: string, length: string, nullable = false) => varchar(name, length, nullable);
    const int = (name: string) => ({ name, type: t.integer, isNullable: false });

    await q.createTable(
      new Table({
        name: "transactions",
        columns: [
          { name: "txn_id", type: "varchar", length: "64", isPrimary: true },
          text("source_system", "16"),
          text("customer_no", "32"),
          text("product_code", "32"),
          text("amount", "24"),
          text("branch_code", "12"),
          text("teller_id", "32"),
          text("trade_time", "30"),
          text("trade_date", "10"),
          text("status", "16"),
          // Everything but the status, hashed: a repeat with other facts is a conflict.
          text("fingerprint", "64"),
          { name: "recording_required", type: t.boolean, isNullable: false },
          text("recording_status", "20"),
          int("bound_count"),
          text("supplement_deadline", "10", true),
          { name: "success_answer", type: t.text, isNullable: true },
          { name: "reversal_answer", type: t.text, isNullable: true },
          text("notified_by", "64"),
          text("notified_at", "30"),
          text("reversed_at", "30", true),
          // When the binding was last worked out; a recording submitted after it makes the purchase be looked at again.
          text("checked_at", "30"),
        ],
        indices: [
          new TableIndex({ name: "ix_transactions_outlet_day", columnNames: ["branch_code", "trade_date"] }),
          new TableIndex({
            name: "ix_transactions_holding",
            columnNames: ["customer_no", "product_code", "trade_date"],
          }),
          new TableIndex({ name: "ix_transactions_open", columnNames: ["recording_status", "trade_date"] }),
        ],
      }),
    );

    // The re-check finds recordings submitted since its last pass, to bind purchases notified before them.
    await q.createIndex(
      "recordings",
      new TableIndex({ name: "ix_recordings_submitted", columnNames: ["submitted_at"] }),
    );

    await q.createTable(
      new Table({
        name: "transaction_outbox",
        columns: [
          { name: "id", type: "varchar", length: "32", isPrimary: true },
          text("txn_id", "64"),
          text("event", "16"),
          // pending: not yet handed on; published: in the JetStream channel (cluster), not yet processed.
          text("state", "12"),
          int("attempts"),
          text("next_attempt_at", "30"),
          text("created_at", "30"),
          text("published_at", "30", true),
          text("last_error", "500", true),
        ],
        indices: [new TableIndex({ name: "ix_outbox_due", columnNames: ["state", "next_attempt_at"] })],
      }),
    );

    await q.createTable(
      new Table({
        name: "transaction_bindings",
        columns: [
          { name: "txn_id", type: "varchar", length: "64", isPrimary: true },
          { name: "recording_id", type: "varchar", length: "32", isPrimary: true },
          text("state", "8"),
          text("bound_at", "30"),
          text("released_at", "30", true),
          // The recording's purchase day before the binding set it to the trade day; put back on release.
          text("previous_purchase_date", "10", true),
        ],
        indices: [new TableIndex({ name: "ix_bindings_recording", columnNames: ["recording_id"] })],
      }),
    );

    await q.createTable(
      new Table({
        name: "recording_archives",
        columns: [
          { name: "recording_id", type: "varchar", length: "32", isPrimary: true },
          text("state", "12"),
          int("attempts"),
          text("next_attempt_at", "30"),
          text("requested_at", "30"),
          text("archived_at", "30", true),
          text("last_error", "500", true),
        ],
        indices: [new TableIndex({ name: "ix_archives_due", columnNames: ["state", "next_attempt_at"] })],
      }),
    );

    await q.createTable(
      new Table({
        name: "supplement_applications",
        columns: [
          { name: "id", type: "varchar", length: "32", isPrimary: true },
          text("txn_id", "64"),
          text("teller_id", "32"),
          text("reason", "500"),
          text("applied_by", "64"),
          text("applied_at", "30"),
          text("trade_date", "10"),
          text("deadline", "10"),
          text("status", "12"),
        ],
        indices: [new TableIndex({ name: "ux_supplements_txn", columnNames: ["txn_id"], isUnique: true })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      "supplement_applications",
      "recording_archives",
      "transaction_bindings",
      "transaction_outbox",
      "transactions",
    ])
      await q.dropTable(table);
    await q.dropIndex("recordings", "ix_recordings_submitted");
  }
}
