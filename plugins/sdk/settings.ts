import { inspect } from "node:util";
import { PluginContractError } from "./errors";

export type SettingType = "string" | "integer" | "boolean" | "url";
export type SettingValue = string | number | boolean;

/** One setting a plugin or transport reads. Secrets come only from the environment and are never logged. */
export interface SettingSpec {
  type: SettingType;
  /** Shown by the conformance kit and in the plugin's README: what to put there, for the bank's integrator. */
  description: string;
  default?: SettingValue;
  /** Without a default, loading fails when the setting is missing. */
  required?: boolean;
  /** Read only from `HUB_PLUGIN_<NAME>_<SETTING>`; refused in a manifest file; `[secret]` in logs and JSON. */
  secret?: boolean;
  /** Allowed values of a string setting. */
  enum?: readonly string[];
  /** A regular expression a string value must match whole, e.g. a schema name. */
  pattern?: string;
  min?: number;
  max?: number;
}

export type SettingsSpec = Readonly<Record<string, SettingSpec>>;

type Env = Readonly<Record<string, string | undefined>>;

const REDACTED = "[secret]";

/** A secret value: `reveal()` gives it to a driver; every other way of printing it prints `[secret]`. */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

/** Setting keys are camelCase: `wsdlUrl`, `password`, `timelineUrl`. */
export const SETTING_KEY = /^[a-z][a-zA-Z0-9]{0,39}$/;

/** The variable of setting `wsdlUrl` of plugin `core-banking` is HUB_PLUGIN_CORE_BANKING_WSDL_URL. */
export function settingEnvName(plugin: string, key: string): string {
  const setting = key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
  return `HUB_PLUGIN_${plugin.toUpperCase().replace(/-/g, "_")}_${setting}`;
}

/** A plugin's resolved settings. Typed getters; a getter for an undeclared or mistyped key is a plugin bug. */
export class PluginSettings {
  readonly #plugin: string;
  readonly #values: ReadonlyMap<string, SettingValue | Secret>;

  constructor(plugin: string, values: ReadonlyMap<string, SettingValue | Secret>) {
    this.#plugin = plugin;
    this.#values = values;
  }

  has(key: string): boolean {
    return this.#values.has(key);
  }

  #get(key: string, type: string): unknown {
    const value = this.#values.get(key);
    if (value === undefined) return undefined;
    if (type === "secret" ? !(value instanceof Secret) : typeof value !== type) {
      throw new TypeError(`plugin ${this.#plugin}: setting "${key}" is not a ${type}`);
    }
    return value;
  }

  /** A string (or url) setting; throws when it has no value (declare a default or make it required). */
  string(key: string): string {
    const value = this.optionalString(key);
    if (value === undefined) throw new TypeError(`plugin ${this.#plugin}: setting "${key}" has no value`);
    return value;
  }

  optionalString(key: string): string | undefined {
    return this.#get(key, "string") as string | undefined;
  }

  integer(key: string): number {
    const value = this.#get(key, "number") as number | undefined;
    if (value === undefined) throw new TypeError(`plugin ${this.#plugin}: setting "${key}" has no value`);
    return value;
  }

  boolean(key: string): boolean {
    return (this.#get(key, "boolean") as boolean | undefined) ?? false;
  }

  /** The secret in clear, for a driver; undefined when not set. */
  secret(key: string): string | undefined {
    return (this.#get(key, "secret") as Secret | undefined)?.reveal();
  }

  /** The settings with secrets shown as `[secret]`: safe to log and to show in health answers. */
  toJSON(): Record<string, unknown> {
    return Object.fromEntries([...this.#values].map(([k, v]) => [k, v instanceof Secret ? REDACTED : v]));
  }

  [inspect.custom](): string {
    return `PluginSettings(${this.#plugin}) ${JSON.stringify(this.toJSON())}`;
  }
}

/** HUB_PLUGIN_SETTINGS naming the plugin and the setting; transports use it for checks of their own. */
export function settingsError(plugin: string, setting: string, message: string): PluginContractError {
  return new PluginContractError(
    "HUB_PLUGIN_SETTINGS",
    `plugin ${plugin}, setting "${setting}": ${message}`,
    {
      plugin,
      setting,
    },
  );
}

function fromText(plugin: string, key: string, spec: SettingSpec, raw: string, where: string): SettingValue {
  switch (spec.type) {
    case "integer":
      if (!/^-?\d+$/.test(raw.trim())) throw settingsError(plugin, key, `${where} must be a whole number`);
      return Number(raw.trim());
    case "boolean": {
      const v = raw.trim().toLowerCase();
      if (["true", "on", "1", "yes"].includes(v)) return true;
      if (["false", "off", "0", "no"].includes(v)) return false;
      throw settingsError(plugin, key, `${where} must be true or false`);
    }
    default:
      return raw;
  }
}

function checkValue(
  plugin: string,
  key: string,
  spec: SettingSpec,
  value: SettingValue,
  where: string,
): void {
  const expected = spec.type === "integer" ? "number" : spec.type === "boolean" ? "boolean" : "string";
  if (typeof value !== expected || (spec.type === "integer" && !Number.isInteger(value))) {
    throw settingsError(
      plugin,
      key,
      `${where} must be ${spec.type === "integer" ? "a whole number" : `a ${expected}`}`,
    );
  }
  if (typeof value === "number") {
    if (spec.min !== undefined && value < spec.min)
      throw settingsError(plugin, key, `must be at least ${spec.min}`);
    if (spec.max !== undefined && value > spec.max)
      throw settingsError(plugin, key, `must be at most ${spec.max}`);
  }
  if (typeof value === "string") {
    if (spec.required && value.trim() === "") throw settingsError(plugin, key, `${where} is empty`);
    if (spec.pattern && !new RegExp(`^(?:${spec.pattern})$`).test(value)) {
      throw settingsError(plugin, key, `must match ${spec.pattern}, got "${value}"`);
    }
    if (spec.enum && !spec.enum.includes(value)) {
      throw settingsError(plugin, key, `must be one of ${spec.enum.join(", ")}, got "${value}"`);
    }
    if (spec.type === "url" && value !== "") {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        throw settingsError(plugin, key, `must be a URL, got "${value}"`);
      }
      if (url.password && !spec.secret) {
        throw settingsError(
          plugin,
          key,
          `must not contain a password: put it in ${settingEnvName(plugin, "password")} instead`,
        );
      }
    }
  }
}

/**
 * Resolves a plugin's settings: the environment (`HUB_PLUGIN_<NAME>_<SETTING>`) wins over the manifest file, which
 * wins over the default. Throws PluginContractError HUB_PLUGIN_SETTINGS naming the setting at fault.
 */
export function resolveSettings(
  plugin: string,
  spec: SettingsSpec,
  fromManifest: Readonly<Record<string, unknown>> = {},
  env: Env = process.env,
): PluginSettings {
  for (const key of Object.keys(fromManifest)) {
    if (!Object.prototype.hasOwnProperty.call(spec, key)) {
      throw settingsError(
        plugin,
        key,
        `unknown setting; known: ${Object.keys(spec).sort().join(", ") || "none"}`,
      );
    }
    if (spec[key].secret) {
      throw settingsError(
        plugin,
        key,
        `is a secret and may not be written in the manifest: set ${settingEnvName(plugin, key)} instead`,
      );
    }
  }
  const values = new Map<string, SettingValue | Secret>();
  for (const [key, s] of Object.entries(spec)) {
    const envName = settingEnvName(plugin, key);
    const raw = env[envName];
    let value: SettingValue | undefined;
    let where = "the manifest value";
    if (raw !== undefined && raw !== "") {
      where = envName;
      value = fromText(plugin, key, s, raw, envName);
    } else if (fromManifest[key] !== undefined && fromManifest[key] !== null) {
      value = fromManifest[key] as SettingValue;
    } else if (s.default !== undefined) {
      where = "the default";
      value = s.default;
    }
    if (value === undefined) {
      if (s.required) {
        const how = s.secret ? `set ${envName}` : `set it in the manifest or in ${envName}`;
        throw settingsError(plugin, key, `is required (${s.description}): ${how}`);
      }
      continue;
    }
    checkValue(plugin, key, s, value, where);
    values.set(key, s.secret ? new Secret(String(value)) : value);
  }
  return new PluginSettings(plugin, values);
}
