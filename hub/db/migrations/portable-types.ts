import type { QueryRunner } from "typeorm";

/** Column types that differ between the supported backends; everything else is plain varchar. */
export function portableTypes(q: QueryRunner): {
  text: string;
  boolean: string;
  integer: string;
  bigint: string;
} {
  switch (q.connection.options.type) {
    case "oracle":
      return { text: "clob", boolean: "number", integer: "number", bigint: "number" };
    case "postgres":
      return { text: "text", boolean: "boolean", integer: "integer", bigint: "bigint" };
    default:
      return { text: "text", boolean: "boolean", integer: "integer", bigint: "bigint" };
  }
}

/** A varchar column, the same on every backend. */
export function varchar(name: string, length: string, nullable: boolean) {
  return { name, type: "varchar", length, isNullable: nullable };
}
