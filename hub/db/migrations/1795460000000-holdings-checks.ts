import { type MigrationInterface, type QueryRunner, Table, TableIndex } from "typeorm";
import { varchar } from "./portable-types";

/**
 * Holdings asked about by the retention sweep (docs/retention.md): per customer and product, when the systems of
 * record (`holdings.fullRedemption`) were last asked and what they said, so that each sweep asks the holdings
 * asked longest ago first and a bounded batch works through all of them over successive days.
 */
export class HoldingsChecks1795460000000 implements MigrationInterface {
  name = "HoldingsChecks1795460000000";

  async up(q: QueryRunner): Promise<void> {
    const text = (name: string, length: string, nullable = false) => varchar(name, length, nullable);
    await q.createTable(
      new Table({
        name: "holdings_checks",
        columns: [
          { ...text("customer_no", "32"), isPrimary: true },
          { ...text("product_code", "32"), isPrimary: true },
          text("checked_at", "30"),
          // HELD, NOT_HELD, FULLY_REDEEMED, or FAULT (the system answered with an error for this holding).
          text("outcome", "16"),
          // The plugin that answered (null when none could).
          text("provider", "32", true),
        ],
        indices: [new TableIndex({ name: "ix_holdings_checks_checked", columnNames: ["checked_at"] })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable("holdings_checks");
  }
}
