import { type MigrationInterface, type QueryRunner, Table, TableColumn, TableIndex } from "typeorm";
import { portableTypes } from "./portable-types";

/**
 * Products and their recording-required overrides, customers (identity numbers and phones encrypted, found by
 * keyed hashes), bank cards, risk assessments as history, questionnaires, retention parameters, import jobs, and
 * the staff sales qualification on users.
 */
export class Catalog1795400000000 implements MigrationInterface {
  name = "Catalog1795400000000";

  async up(q: QueryRunner): Promise<void> {
    const t = portableTypes(q);
    const time = (name: string, nullable = false) => ({
      name,
      type: "varchar",
      length: "30",
      isNullable: nullable,
    });
    const day = (name: string, nullable = true) => ({
      name,
      type: "varchar",
      length: "10",
      isNullable: nullable,
    });

    await q.createTable(
      new Table({
        name: "products",
        columns: [
          { name: "code", type: "varchar", length: "32", isPrimary: true },
          { name: "name", type: "varchar", length: "100" },
          { name: "type", type: "varchar", length: "16" },
          { name: "risk", type: "varchar", length: "2" },
          { name: "issuer", type: "varchar", length: "100", isNullable: true },
          day("inception_date"),
          day("maturity_date"),
          { name: "term_months", type: t.integer, isNullable: true },
          { name: "recording_required", type: t.boolean, isNullable: true },
          { name: "features", type: t.text, isNullable: true },
          { name: "risks", type: t.text, isNullable: true },
          { name: "customer_rights", type: t.text, isNullable: true },
          time("created_at"),
          time("updated_at"),
        ],
        indices: [
          new TableIndex({ name: "ix_products_type", columnNames: ["type"] }),
          new TableIndex({ name: "ix_products_name", columnNames: ["name"] }),
        ],
      }),
    );

    await q.createTable(
      new Table({
        name: "recording_overrides",
        columns: [
          { name: "product_code", type: "varchar", length: "32", isPrimary: true },
          { name: "org_code", type: "varchar", length: "12", isPrimary: true },
          { name: "required", type: t.boolean },
          { name: "set_by", type: "varchar", length: "64" },
          time("set_at"),
        ],
      }),
    );

    await q.createTable(
      new Table({
        name: "customers",
        columns: [
          { name: "customer_no", type: "varchar", length: "32", isPrimary: true },
          { name: "name", type: "varchar", length: "50" },
          { name: "id_type", type: "varchar", length: "16" },
          { name: "id_number_enc", type: "varchar", length: "200" },
          { name: "id_number_index", type: "varchar", length: "64" },
          { name: "phone_enc", type: "varchar", length: "200", isNullable: true },
          day("birth_date"),
          time("created_at"),
          time("updated_at"),
        ],
        indices: [
          new TableIndex({ name: "ix_customers_id_index", columnNames: ["id_number_index"] }),
          new TableIndex({ name: "ix_customers_name", columnNames: ["name"] }),
        ],
      }),
    );

    await q.createTable(
      new Table({
        name: "customer_cards",
        columns: [
          { name: "card_index", type: "varchar", length: "64", isPrimary: true },
          { name: "customer_no", type: "varchar", length: "32" },
          { name: "last4", type: "varchar", length: "4" },
          time("created_at"),
        ],
        indices: [new TableIndex({ name: "ix_cards_customer", columnNames: ["customer_no"] })],
      }),
    );

    await q.createTable(
      new Table({
        name: "risk_assessments",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "customer_no", type: "varchar", length: "32" },
          { name: "level", type: "varchar", length: "2" },
          day("assessed_at", false),
          day("valid_until", false),
          { name: "source", type: "varchar", length: "16" },
          { name: "questionnaire_version", type: "varchar", length: "32", isNullable: true },
          { name: "score", type: t.integer, isNullable: true },
          { name: "evidence_ref", type: "varchar", length: "200", isNullable: true },
          { name: "recorded_by", type: "varchar", length: "64", isNullable: true },
          time("recorded_at"),
        ],
        indices: [
          new TableIndex({ name: "ix_assessments_customer", columnNames: ["customer_no", "assessed_at"] }),
        ],
      }),
    );

    await q.createTable(
      new Table({
        name: "questionnaires",
        columns: [
          { name: "version", type: "varchar", length: "32", isPrimary: true },
          { name: "definition", type: t.text },
          { name: "active", type: t.boolean },
          { name: "created_by", type: "varchar", length: "64", isNullable: true },
          time("created_at"),
        ],
      }),
    );

    await q.createTable(
      new Table({
        name: "retention_policies",
        columns: [
          { name: "product_type", type: "varchar", length: "16", isPrimary: true },
          { name: "parameters", type: "varchar", length: "1000" },
          { name: "updated_by", type: "varchar", length: "64", isNullable: true },
          time("updated_at"),
        ],
      }),
    );

    await q.createTable(
      new Table({
        name: "settings",
        columns: [
          { name: "name", type: "varchar", length: "64", isPrimary: true },
          { name: "value", type: "varchar", length: "1000" },
          { name: "updated_by", type: "varchar", length: "64", isNullable: true },
          time("updated_at"),
        ],
      }),
    );

    await q.createTable(
      new Table({
        name: "import_jobs",
        columns: [
          { name: "id", type: "varchar", length: "36", isPrimary: true },
          { name: "kind", type: "varchar", length: "16" },
          { name: "status", type: "varchar", length: "16" },
          { name: "file_name", type: "varchar", length: "200", isNullable: true },
          { name: "total_rows", type: t.integer, isNullable: true },
          { name: "processed_rows", type: t.integer },
          { name: "result", type: t.text, isNullable: true },
          { name: "created_by", type: "varchar", length: "64" },
          time("created_at"),
          time("finished_at", true),
        ],
      }),
    );

    await q.addColumns("users", [
      new TableColumn({ name: "qualification_cert_no", type: "varchar", length: "64", isNullable: true }),
      new TableColumn({ name: "qualification_valid_until", type: "varchar", length: "10", isNullable: true }),
    ]);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn("users", "qualification_valid_until");
    await q.dropColumn("users", "qualification_cert_no");
    for (const table of [
      "import_jobs",
      "settings",
      "retention_policies",
      "questionnaires",
      "risk_assessments",
      "customer_cards",
      "customers",
      "recording_overrides",
      "products",
    ]) {
      await q.dropTable(table);
    }
  }
}
