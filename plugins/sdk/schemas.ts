import path from "node:path";
import { SCHEMAS_DIR } from "../../hub/paths";
import { SchemaRegistry } from "../../hub/schemas";

export const PLUGIN_SCHEMAS_DIR = path.join(SCHEMAS_DIR, "plugins");

let shared: SchemaRegistry | null = null;

/** The capability schemas and the manifest schema (`schemas/plugins/`), compiled once per process. */
export function pluginSchemas(): SchemaRegistry {
  shared ??= new SchemaRegistry(PLUGIN_SCHEMAS_DIR);
  return shared;
}
