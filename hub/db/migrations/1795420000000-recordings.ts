import { type MigrationInterface, type QueryRunner, Table, TableIndex } from "typeorm";
import { portableTypes, varchar } from "./portable-types";

/**
 * Recordings (docs/evidence-store.md): the draft and its wrapped data key, the original upload and the media
 * worker's renditions (object ids, plaintext and stored sizes and hashes), the submitted steps and watermark, and
 * the manifest sealed into the audit chain. Indexed for the list's filters, each with the creation time it sorts by.
 */
export class Recordings1795420000000 implements MigrationInterface {
  name = "Recordings1795420000000";

  async up(q: QueryRunner): Promise<void> {
    const t = portableTypes(q);
    const text = (name: string, length: string, nullable = true) => varchar(name, length, nullable);
    const big = (name: string) => ({ name, type: t.bigint, isNullable: true });
    const clob = (name: string) => ({ name, type: t.text, isNullable: true });

    await q.createTable(
      new Table({
        name: "recordings",
        columns: [
          { name: "id", type: "varchar", length: "32", isPrimary: true },
          text("kind", "16", false),
          text("status", "16", false),
          text("customer_no", "32", false),
          text("product_code", "32", false),
          text("related_to", "32"),
          text("org_code", "12", false),
          text("created_by", "64", false),
          text("created_at", "30", false),
          text("wrapped_key", "255", false),
          text("original_object", "32"),
          text("media_type", "100"),
          big("size_bytes"),
          text("sha256", "64"),
          big("stored_size"),
          text("stored_sha256", "64"),
          text("uploaded_at", "30"),
          text("started_at", "30"),
          text("ended_at", "30"),
          text("submitted_at", "30"),
          clob("steps"),
          clob("watermark"),
          text("media_status", "16", false),
          clob("media_facts"),
          clob("media_error"),
          text("canonical_object", "32"),
          text("canonical_media_type", "100"),
          big("canonical_size"),
          text("canonical_sha256", "64"),
          big("canonical_stored_size"),
          text("canonical_stored_sha256", "64"),
          text("poster_object", "32"),
          text("poster_media_type", "100"),
          big("poster_size"),
          text("poster_sha256", "64"),
          big("poster_stored_size"),
          text("poster_stored_sha256", "64"),
          clob("manifest"),
          big("manifest_seq"),
        ],
        indices: [
          new TableIndex({ name: "ix_recordings_org", columnNames: ["org_code", "created_at"] }),
          new TableIndex({ name: "ix_recordings_customer", columnNames: ["customer_no", "created_at"] }),
          new TableIndex({ name: "ix_recordings_product", columnNames: ["product_code", "created_at"] }),
          new TableIndex({ name: "ix_recordings_creator", columnNames: ["created_by", "created_at"] }),
          new TableIndex({ name: "ix_recordings_status", columnNames: ["status", "created_at"] }),
          new TableIndex({ name: "ix_recordings_created", columnNames: ["created_at"] }),
          new TableIndex({ name: "ix_recordings_related", columnNames: ["related_to"] }),
          new TableIndex({ name: "ix_recordings_media", columnNames: ["media_status"] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable("recordings");
  }
}
