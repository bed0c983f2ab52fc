/**
 * The adapter plugins this node runs (plugins/, docs/plugins.md): one PluginHost per process, made from HUB_PLUGINS,
 * with secrets from HUB_PLUGIN_<NAME>_<SETTING>. Services ask it for capabilities, never for a plugin by name; with
 * no plugins configured it answers `has(capability) === false` and the hub works on its own catalog.
 */
import { parseManifest, PluginHost, type PluginLogger } from "../plugins/sdk";
import type { HubConfig } from "./config";

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;

/** The console at the hub's LOG_LEVEL: the host exists before the broker and its logger. */
function consoleLogger(level: HubConfig["logLevel"]): PluginLogger {
  const on = (l: (typeof LEVELS)[number]) => LEVELS.indexOf(l) >= LEVELS.indexOf(level);
  const quiet = () => undefined;
  return {
    debug: on("debug") ? (...args) => console.debug("[plugins]", ...args) : quiet,
    info: on("info") ? (...args) => console.info("[plugins]", ...args) : quiet,
    warn: on("warn") ? (...args) => console.warn("[plugins]", ...args) : quiet,
    error: on("error") ? (...args) => console.error("[plugins]", ...args) : quiet,
  };
}

export function openPluginHost(
  config: Pick<HubConfig, "plugins" | "logLevel">,
  options: { env?: Readonly<Record<string, string | undefined>>; log?: PluginLogger } = {},
): PluginHost {
  return new PluginHost(parseManifest(config.plugins), {
    env: options.env ?? process.env,
    log: options.log ?? consoleLogger(config.logLevel),
  });
}
