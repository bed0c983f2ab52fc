import fs from "node:fs";
import path from "node:path";
import type { SchemaRegistry } from "../../hub/schemas";
import { toFieldProblems } from "../../hub/schemas";
import type { BreakerOptions } from "./breaker";
import type { CapabilityName } from "./capabilities";
import { PluginContractError } from "./errors";
import { pluginSchemas } from "./schemas";
import type { SettingValue } from "./settings";
import { isTransportName, TRANSPORT_NAMES, type TransportName } from "./transports/base";

export const PLUGIN_NAME = /^[a-z][a-z0-9-]{1,31}$/;

/** One enabled plugin. */
export interface ManifestEntry {
  name: string;
  /** Which of the plugin's transports; its first one when absent. */
  transport?: TransportName;
  /** Absolute path of a plugin file outside `plugins/` (an integrator's own plugin). */
  module?: string;
  settings: Readonly<Record<string, SettingValue>>;
  breaker?: Partial<BreakerOptions>;
}

/** The enabled plugins in the order the hub asks them, and per-capability orders where the manifest sets them. */
export interface PluginManifest {
  /** `HUB_PLUGINS=counter:soap,…` (list), a JSON file (file) or nothing (none). */
  source: "none" | "list" | "file";
  file?: string;
  plugins: ManifestEntry[];
  capabilities: Partial<Record<CapabilityName, string[]>>;
}

const VARIABLE = "HUB_PLUGINS";

function manifestError(message: string, details: Record<string, unknown> = {}): PluginContractError {
  return new PluginContractError("HUB_PLUGIN_MANIFEST", `${VARIABLE}: ${message}`, details);
}

function checkUnique(entries: readonly ManifestEntry[]): void {
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry.name))
      throw manifestError(`plugin "${entry.name}" is listed twice`, { plugin: entry.name });
    seen.add(entry.name);
  }
}

function parseList(raw: string): PluginManifest {
  const plugins = raw
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item): ManifestEntry => {
      const [name, transport, ...rest] = item.split(":").map((s) => s.trim());
      if (rest.length || !PLUGIN_NAME.test(name)) {
        throw manifestError(`"${item}" is not name or name:transport (e.g. counter:soap,core-banking:db2)`);
      }
      if (transport !== undefined && !isTransportName(transport)) {
        throw manifestError(
          `"${item}": unknown transport "${transport}"; one of ${TRANSPORT_NAMES.join(", ")}`,
          {
            plugin: name,
          },
        );
      }
      return { name, ...(transport ? { transport } : {}), settings: {} };
    });
  checkUnique(plugins);
  return { source: "list", plugins, capabilities: {} };
}

interface ManifestFile {
  plugins: {
    name: string;
    transport?: TransportName;
    module?: string;
    settings?: Record<string, SettingValue>;
    breaker?: Partial<BreakerOptions>;
  }[];
  capabilities?: Partial<Record<CapabilityName, string[]>>;
}

function parseFile(file: string, schemas: SchemaRegistry): PluginManifest {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw manifestError(`cannot read the manifest file ${file}: ${(error as Error).message}`, { file });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw manifestError(`${file} is not valid JSON: ${(error as Error).message}`, { file });
  }
  const validate = schemas.validator("plugins/manifest");
  if (!validate(json)) {
    const problems = toFieldProblems("", validate.errors);
    throw manifestError(`${file}: ${problems.map((p) => `${p.field || "(top)"} ${p.message}`).join("; ")}`, {
      file,
      problems,
    });
  }
  const manifest = json as ManifestFile;
  const dir = path.dirname(file);
  const plugins = manifest.plugins.map((p): ManifestEntry => ({
    name: p.name,
    ...(p.transport ? { transport: p.transport } : {}),
    ...(p.module ? { module: path.resolve(dir, p.module) } : {}),
    settings: p.settings ?? {},
    ...(p.breaker ? { breaker: p.breaker } : {}),
  }));
  checkUnique(plugins);
  const names = new Set(plugins.map((p) => p.name));
  for (const [capability, order] of Object.entries(manifest.capabilities ?? {})) {
    for (const name of order ?? []) {
      if (!names.has(name)) {
        throw manifestError(`${file}: capabilities.${capability} names "${name}", which is not in plugins`, {
          file,
        });
      }
    }
  }
  return { source: "file", file, plugins, capabilities: manifest.capabilities ?? {} };
}

/**
 * Reads `HUB_PLUGINS`: empty (no plugins), a comma list `name[:transport]` (settings then come from
 * `HUB_PLUGIN_<NAME>_<SETTING>`), or the path of a JSON file (schemas/plugins/manifest.schema.json) ending in .json.
 */
export function parseManifest(
  raw: string | undefined,
  options: { cwd?: string; schemas?: SchemaRegistry } = {},
): PluginManifest {
  const value = (raw ?? "").trim();
  if (value === "") return { source: "none", plugins: [], capabilities: {} };
  if (value.endsWith(".json")) {
    return parseFile(path.resolve(options.cwd ?? process.cwd(), value), options.schemas ?? pluginSchemas());
  }
  return parseList(value);
}
