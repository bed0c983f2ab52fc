import path from "node:path";
import semver from "semver";
import type { SchemaRegistry } from "../../hub/schemas";
import { CAPABILITIES, isCapabilityName, type CapabilityName } from "./capabilities";
import { transportsOf, type AnyOperation, type PluginDefinition } from "./contract";
import { PluginContractError } from "./errors";
import type { PluginLogger } from "./logger";
import type { ManifestEntry, PluginManifest } from "./manifest";
import { PLUGIN_NAME } from "./manifest";
import { pluginSchemas } from "./schemas";
import {
  resolveSettings,
  SETTING_KEY,
  settingsError,
  type PluginSettings,
  type SettingsSpec,
} from "./settings";
import { isTransportName, type TransportFactory, type TransportName } from "./transports/base";
import { resolve as resolveTransport } from "./transports/index";
import { SDK_VERSION } from "./version";

/** Where the bundled plugins live: `plugins/<name>/<name>.plugin.ts` (`.js` in the build). */
export const PLUGINS_DIR = path.resolve(__dirname, "..");

/** A plugin that passed every load-time check, with its transport chosen and its settings resolved. */
export interface LoadedPlugin {
  readonly definition: PluginDefinition;
  readonly entry: ManifestEntry;
  readonly transportName: TransportName;
  readonly transport: TransportFactory;
  readonly settings: PluginSettings;
  /** operation name by capability */
  readonly operations: ReadonlyMap<CapabilityName, string>;
}

export interface LoadOptions {
  env?: Readonly<Record<string, string | undefined>>;
  schemas?: SchemaRegistry;
  pluginsDir?: string;
  /** Definitions to use instead of requiring files (tests, plugins bundled in another way). */
  definitions?: Readonly<Record<string, PluginDefinition>>;
  log?: PluginLogger;
}

function contractError(
  plugin: string,
  message: string,
  details: Record<string, unknown> = {},
): PluginContractError {
  return new PluginContractError("HUB_PLUGIN_CONTRACT", `plugin ${plugin}: ${message}`, {
    plugin,
    ...details,
  });
}

/** Requires `plugins/<name>/<name>.plugin` (or the manifest's `module`); its default export is the definition. */
export function requirePlugin(entry: ManifestEntry, pluginsDir: string = PLUGINS_DIR): PluginDefinition {
  const file = entry.module ?? path.join(pluginsDir, entry.name, `${entry.name}.plugin`);
  let resolved: string;
  try {
    resolved = require.resolve(file);
  } catch {
    throw new PluginContractError(
      "HUB_PLUGIN_NOT_FOUND",
      `plugin ${entry.name} is not installed: no ${path.relative(process.cwd(), file) || file}(.ts|.js)`,
      { plugin: entry.name, file },
    );
  }
  let exported:
    (Partial<PluginDefinition> & { default?: PluginDefinition; plugin?: PluginDefinition }) | undefined;
  try {
    exported = require(resolved);
  } catch (error) {
    throw contractError(entry.name, `loading ${resolved} failed: ${(error as Error).message}`);
  }
  // `export default definePlugin(…)` (TypeScript, ESM) or `module.exports = definePlugin(…)` (CommonJS).
  const definition =
    exported?.default ??
    exported?.plugin ??
    (exported?.operations ? (exported as PluginDefinition) : undefined);
  if (!definition || typeof definition !== "object") {
    throw contractError(entry.name, `${resolved} exports no definition made with definePlugin()`);
  }
  return definition;
}

function checkSettingsSpec(
  plugin: string,
  spec: SettingsSpec,
  transports: readonly TransportFactory[],
): void {
  if (!spec || typeof spec !== "object") throw contractError(plugin, "settings must be an object");
  for (const [key, s] of Object.entries(spec)) {
    if (!SETTING_KEY.test(key))
      throw settingsError(plugin, key, "setting names are camelCase letters and digits");
    if (!s || !["string", "integer", "boolean", "url"].includes(s.type)) {
      throw settingsError(plugin, key, "type must be string, integer, boolean or url");
    }
    if (typeof s.description !== "string" || s.description.trim() === "") {
      throw settingsError(plugin, key, "needs a description (the integrator reads it)");
    }
    if (s.secret && s.default !== undefined)
      throw settingsError(plugin, key, "a secret cannot have a default");
    for (const t of transports) {
      if (Object.prototype.hasOwnProperty.call(t.settings, key)) {
        throw settingsError(plugin, key, `the ${t.name} transport has a setting of this name`);
      }
    }
  }
}

function checkOperation(
  plugin: string,
  name: string,
  op: AnyOperation,
  transports: readonly TransportName[],
  schemas: SchemaRegistry,
): void {
  if (!/^[a-z][A-Za-z0-9]{0,63}$/.test(name))
    throw contractError(plugin, `operation name "${name}" must be camelCase`);
  if (!op || typeof op !== "object")
    throw contractError(plugin, `operation ${name} must be made with defineOperation()`);
  if (!isCapabilityName(op.capability)) {
    throw contractError(plugin, `operation ${name}: unknown capability "${String(op.capability)}"`, {
      operation: name,
    });
  }
  if (!Number.isInteger(op.timeoutMs) || op.timeoutMs < 1 || op.timeoutMs > 600_000) {
    throw contractError(plugin, `operation ${name}: timeoutMs must be a whole number of ms, 1 to 600000`, {
      operation: name,
    });
  }
  if (typeof op.retryable !== "boolean")
    throw contractError(plugin, `operation ${name}: retryable must be true or false`);
  if (typeof op.run !== "function") {
    if (!op.run || typeof op.run !== "object") throw contractError(plugin, `operation ${name} has no run`);
    for (const t of transports) {
      if (typeof (op.run as Record<string, unknown>)[t] !== "function") {
        throw contractError(plugin, `operation ${name} has no run for its transport ${t}`, {
          operation: name,
          transport: t,
        });
      }
    }
  }
  const capability = CAPABILITIES[op.capability];
  for (const [which, id, expected] of [
    ["requestSchema", op.requestSchema, capability.requestSchema],
    ["responseSchema", op.responseSchema, capability.responseSchema],
  ] as const) {
    if (!schemas.schemas.has(id)) {
      throw new PluginContractError(
        "HUB_PLUGIN_SCHEMA",
        `plugin ${plugin}, operation ${name}: ${which} "${id}" is not under schemas/plugins/`,
        {
          plugin,
          operation: name,
          schema: id,
        },
      );
    }
    if (id !== expected) {
      throw new PluginContractError(
        "HUB_PLUGIN_SCHEMA",
        `plugin ${plugin}, operation ${name}: ${which} must be the capability's schema ${expected}, not ${id}`,
        { plugin, operation: name, schema: id },
      );
    }
  }
}

/** The load-time checks of one plugin (fastify-style): each failure is a PluginContractError with its own code. */
export function checkPlugin(
  definition: PluginDefinition,
  entry: ManifestEntry,
  options: LoadOptions = {},
): LoadedPlugin {
  const schemas = options.schemas ?? pluginSchemas();
  const name = entry.name;
  if (definition.name !== name) throw contractError(name, `the definition is named "${definition.name}"`);
  if (!PLUGIN_NAME.test(definition.name))
    throw contractError(name, "names are lower-case letters, digits and dashes");
  if (!semver.valid(definition.version))
    throw contractError(name, `version "${definition.version}" is not semver`);
  if (typeof definition.system !== "string" || !definition.system)
    throw contractError(name, "needs `system`: the bank system it adapts");
  if (!semver.validRange(definition.sdk))
    throw contractError(name, `sdk "${definition.sdk}" is not a semver range`);
  if (!semver.satisfies(SDK_VERSION, definition.sdk)) {
    throw new PluginContractError(
      "HUB_PLUGIN_SDK_RANGE",
      `plugin ${name} ${definition.version} needs plugin SDK ${definition.sdk}; this hub has ${SDK_VERSION}`,
      { plugin: name, needs: definition.sdk, has: SDK_VERSION },
    );
  }
  const declared = transportsOf(definition);
  if (!Array.isArray(declared) || declared.length === 0 || !declared.every(isTransportName)) {
    throw new PluginContractError(
      "HUB_PLUGIN_TRANSPORT",
      `plugin ${name}: transport must be one or more of soap, db2, oracle, sql, http-xml`,
      {
        plugin: name,
      },
    );
  }
  const selected = entry.transport ?? declared[0];
  if (!declared.includes(selected)) {
    throw new PluginContractError(
      "HUB_PLUGIN_TRANSPORT",
      `plugin ${name} does not speak ${selected}; it speaks ${declared.join(", ")}`,
      { plugin: name, transport: selected },
    );
  }
  const factories = declared.map((t) => resolveTransport(t));
  const factory = factories[declared.indexOf(selected)];
  checkSettingsSpec(name, definition.settings, factories);

  const operations = new Map<CapabilityName, string>();
  const entries = Object.entries(definition.operations ?? {});
  if (entries.length === 0) throw contractError(name, "has no operations");
  for (const [opName, op] of entries) {
    checkOperation(name, opName, op, declared, schemas);
    if (operations.has(op.capability)) {
      throw contractError(
        name,
        `operations ${operations.get(op.capability)} and ${opName} both answer ${op.capability}`,
      );
    }
    operations.set(op.capability, opName);
  }
  if (definition.health !== undefined && typeof definition.health !== "function") {
    throw contractError(name, "health must be a function");
  }
  const unavailable = factory.availability();
  if (unavailable) {
    throw new PluginContractError("HUB_PLUGIN_TRANSPORT", `plugin ${name}: ${unavailable}`, {
      plugin: name,
      transport: selected,
    });
  }
  const settings = resolveSettings(
    name,
    { ...definition.settings, ...factory.settings },
    entry.settings,
    options.env ?? process.env,
  );
  return { definition, entry, transportName: selected, transport: factory, settings, operations };
}

/** Every plugin of the manifest, checked, in manifest order; then dependencies and capability orders. */
export function loadPlugins(manifest: PluginManifest, options: LoadOptions = {}): LoadedPlugin[] {
  const loaded = manifest.plugins.map((entry) => {
    const definition = options.definitions?.[entry.name] ?? requirePlugin(entry, options.pluginsDir);
    return checkPlugin(definition, entry, options);
  });
  const byName = new Map(loaded.map((p) => [p.entry.name, p]));
  for (const plugin of loaded) {
    for (const [dependency, range] of Object.entries(plugin.definition.dependsOn ?? {})) {
      const other = byName.get(dependency);
      if (!other) {
        throw new PluginContractError(
          "HUB_PLUGIN_DEPENDENCY",
          `plugin ${plugin.entry.name} needs plugin ${dependency} ${range}, which is not in HUB_PLUGINS`,
          { plugin: plugin.entry.name, dependency, range },
        );
      }
      if (!semver.validRange(range) || !semver.satisfies(other.definition.version, range)) {
        throw new PluginContractError(
          "HUB_PLUGIN_DEPENDENCY",
          `plugin ${plugin.entry.name} needs plugin ${dependency} ${range}; ${other.definition.version} is enabled`,
          { plugin: plugin.entry.name, dependency, range, enabled: other.definition.version },
        );
      }
    }
  }
  for (const [capability, order] of Object.entries(manifest.capabilities)) {
    for (const name of order ?? []) {
      if (!byName.get(name)?.operations.has(capability as CapabilityName)) {
        throw new PluginContractError(
          "HUB_PLUGIN_MANIFEST",
          `HUB_PLUGINS: capabilities.${capability} names ${name}, which does not provide it`,
          {
            plugin: name,
            capability,
          },
        );
      }
    }
  }
  return loaded;
}
