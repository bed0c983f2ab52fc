import { type MigrationInterface, type QueryRunner, Table, TableColumn, TableIndex } from "typeorm";
import { businessDay } from "../../domain/business-day";
import { portableTypes, varchar } from "./portable-types";

/**
 * Retention (docs/retention.md): each recording's purchase day, the retention last computed for it (kept in step
 * by the daily sweep), what the evidence store's lock was last told, and the recycle bin; full redemptions
 * (feeding open-ended products' retention); disputes as legal holds, on a recording's group or on every
 * recording of a customer and product.
 */
export class Retention1795430000000 implements MigrationInterface {
  name = "Retention1795430000000";

  async up(q: QueryRunner): Promise<void> {
    const t = portableTypes(q);
    const text = (name: string, length: string, nullable = true) =>
      new TableColumn(varchar(name, length, nullable));

    await q.addColumns("recordings", [
      text("purchase_date", "10"),
      text("retain_until", "10"),
      text("retention_rule", "32"),
      // The retainUntil the store's lock was last set to ("none" for no end yet); null: no lock written yet.
      text("lock_synced", "10"),
      text("recycled_on", "10"),
      // Restored from the bin by an administrator: kept out of it for 30 days to correct facts or open a dispute.
      text("restored_on", "10"),
      text("purged_on", "10"),
    ]);
    await q.createIndex(
      "recordings",
      new TableIndex({ name: "ix_recordings_retention", columnNames: ["status", "retain_until"] }),
    );
    await q.createIndex(
      "recordings",
      new TableIndex({ name: "ix_recordings_recycled", columnNames: ["status", "recycled_on"] }),
    );
    // The sweep walks sales (related_to null) in id order, and a sale's group by related_to: one index for both.
    // Without it a database plans the walk on related_to alone and sorts every batch (quadratic on a million).
    await q.dropIndex("recordings", "ix_recordings_related");
    await q.createIndex(
      "recordings",
      new TableIndex({ name: "ix_recordings_sale", columnNames: ["related_to", "id"] }),
    );
    // The purchase day of recordings submitted before this migration: the Beijing day of their submission.
    const submitted: { id: string; submitted_at: string }[] = await q.query(
      "SELECT id, submitted_at FROM recordings WHERE submitted_at IS NOT NULL",
    );
    const param =
      q.connection.options.type === "postgres"
        ? ["$1", "$2"]
        : q.connection.options.type === "oracle"
          ? [":1", ":2"]
          : ["?", "?"];
    for (const row of submitted)
      await q.query(`UPDATE recordings SET purchase_date = ${param[0]} WHERE id = ${param[1]}`, [
        businessDay(new Date(row.submitted_at)),
        row.id,
      ]);

    await q.createTable(
      new Table({
        name: "redemptions",
        columns: [
          { name: "id", type: "varchar", length: "32", isPrimary: true },
          text("customer_no", "32", false),
          text("product_code", "32", false),
          text("redeemed_on", "10", false),
          { name: "full_redemption", type: t.boolean, isNullable: false },
          text("source", "32", false),
          text("reference", "64"),
          text("recorded_by", "64", false),
          text("recorded_at", "30", false),
        ],
        indices: [
          new TableIndex({
            name: "ix_redemptions_holding",
            columnNames: ["customer_no", "product_code", "redeemed_on"],
          }),
        ],
      }),
    );

    await q.createTable(
      new Table({
        name: "disputes",
        columns: [
          { name: "id", type: "varchar", length: "32", isPrimary: true },
          text("scope", "16", false),
          text("recording_id", "32"),
          text("customer_no", "32", false),
          text("product_code", "32", false),
          text("org_code", "12", false),
          text("reason", "500", false),
          text("reference", "64", false),
          text("status", "8", false),
          text("opened_on", "10", false),
          text("opened_at", "30", false),
          text("opened_by", "64", false),
          text("closed_on", "10"),
          text("closed_at", "30"),
          text("closed_by", "64"),
        ],
        indices: [
          new TableIndex({ name: "ix_disputes_recording", columnNames: ["recording_id"] }),
          new TableIndex({ name: "ix_disputes_holding", columnNames: ["customer_no", "product_code"] }),
          new TableIndex({ name: "ix_disputes_status", columnNames: ["status", "opened_at"] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable("disputes");
    await q.dropTable("redemptions");
    await q.dropIndex("recordings", "ix_recordings_sale");
    await q.createIndex(
      "recordings",
      new TableIndex({ name: "ix_recordings_related", columnNames: ["related_to"] }),
    );
    await q.dropIndex("recordings", "ix_recordings_recycled");
    await q.dropIndex("recordings", "ix_recordings_retention");
    for (const column of [
      "purged_on",
      "recycled_on",
      "lock_synced",
      "retention_rule",
      "retain_until",
      "purchase_date",
    ])
      await q.dropColumn("recordings", column);
  }
}
