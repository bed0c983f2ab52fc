import fs from "node:fs";
import path from "node:path";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { SCHEMAS_DIR } from "./paths";
import type { FieldProblem } from "./errors/hub-error";

export type JsonSchema = Record<string, unknown> & { $id?: string };

function readSchemas(dir: string): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...readSchemas(full));
    else if (entry.name.endsWith(".schema.json")) out.push(JSON.parse(fs.readFileSync(full, "utf8")));
  }
  return out;
}

function makeAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, coerceTypes, useDefaults: true });
  addFormats(ajv);
  return ajv;
}

/**
 * Every JSON Schema under `schemas/`, compiled once. Bodies are checked strictly (a number is not a string);
 * query strings and path segments arrive as text and are coerced to the declared types.
 */
export class SchemaRegistry {
  private readonly strict = makeAjv(false);
  private readonly coercing = makeAjv(true);
  readonly schemas: ReadonlyMap<string, JsonSchema>;

  constructor(dir: string = SCHEMAS_DIR) {
    const all = readSchemas(dir);
    const map = new Map<string, JsonSchema>();
    for (const schema of all) {
      if (!schema.$id) throw new Error(`schema without $id in ${dir}`);
      map.set(schema.$id, schema);
      this.strict.addSchema(schema);
      this.coercing.addSchema(schema);
    }
    this.schemas = map;
    // Compile everything now: a broken schema stops the hub at start, not at a customer's request.
    for (const id of map.keys()) {
      this.validator(id, false);
      this.validator(id, true);
    }
  }

  validator(id: string, coerce = false): ValidateFunction {
    const fn = (coerce ? this.coercing : this.strict).getSchema(id);
    if (!fn) throw new Error(`unknown schema ${id}`);
    return fn;
  }

  get(id: string): JsonSchema {
    const schema = this.schemas.get(id);
    if (!schema) throw new Error(`unknown schema ${id}`);
    return schema;
  }
}

/** Turns ajv's errors into one problem per field, named as the client sent it (e.g. `body.orgCode`). */
export function toFieldProblems(
  prefix: string,
  errors: readonly ErrorObject[] | null | undefined,
): FieldProblem[] {
  return (errors ?? []).map((e) => {
    let field = e.instancePath.replace(/^\//, "").replace(/\//g, ".");
    if (e.keyword === "required")
      field = [field, (e.params as { missingProperty: string }).missingProperty].filter(Boolean).join(".");
    if (e.keyword === "additionalProperties") {
      field = [field, (e.params as { additionalProperty: string }).additionalProperty]
        .filter(Boolean)
        .join(".");
    }
    const name = [prefix, field].filter(Boolean).join(".");
    const message = e.keyword === "additionalProperties" ? "unknown field" : (e.message ?? "invalid");
    return { field: name, code: e.keyword, message };
  });
}
