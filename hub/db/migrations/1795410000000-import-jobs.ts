import { type MigrationInterface, type QueryRunner, TableColumn } from "typeorm";
import { portableTypes } from "./portable-types";

/**
 * What an import job needs to be resumed after a restart: the importer's org unit (head office or a branch
 * decides what the file may change), the upload's content type and its size.
 */
export class ImportJobs1795410000000 implements MigrationInterface {
  name = "ImportJobs1795410000000";

  async up(q: QueryRunner): Promise<void> {
    const t = portableTypes(q);
    await q.addColumns("import_jobs", [
      new TableColumn({ name: "org_code", type: "varchar", length: "12", isNullable: true }),
      new TableColumn({ name: "content_type", type: "varchar", length: "100", isNullable: true }),
      new TableColumn({ name: "size_bytes", type: t.bigint, isNullable: true }),
    ]);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const column of ["size_bytes", "content_type", "org_code"])
      await q.dropColumn("import_jobs", column);
  }
}
