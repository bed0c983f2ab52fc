/**
 * `npm run plugin:check -- <plugin> [--transport t] [--settings file] [--samples file] [--simulator]`: the
 * conformance kit from the command line. Exit code 0 when every check passes, 1 otherwise (2: wrong usage).
 */
import fs from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "../../hub/paths";
import { formatReport, runConformance, type ConformanceOptions } from "./conformance";
import { readSamples } from "./harness";
import { isTransportName, type TransportName } from "./transports/base";
import type { SettingValue } from "./settings";

const USAGE = `usage: npm run plugin:check -- <plugin | path/to/x.plugin.ts> [options]

  --transport <name>   soap, db2, oracle, sql or http-xml (default: the plugin's first)
  --settings <file>    JSON: {"transport": …, "settings": {…}} or a HUB_PLUGINS manifest file
                       (secrets never go in a file: set HUB_PLUGIN_<NAME>_<SETTING>)
  --samples <file>     sample requests per capability (default: the plugin's test/fixtures/samples.json)
  --simulator          start the plugin's simulator (source checkout) and compare answers with the fixtures`;

interface SettingsFile {
  transport?: TransportName;
  settings?: Record<string, SettingValue>;
  plugins?: {
    name: string;
    transport?: TransportName;
    module?: string;
    settings?: Record<string, SettingValue>;
  }[];
}

interface Simulated {
  settings: Record<string, string>;
  stop(): Promise<void>;
}

function fail(message: string): never {
  throw Object.assign(new Error(message), { usage: true });
}

export async function main(
  argv: readonly string[],
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<number> {
  const args = [...argv];
  let target: string | undefined;
  let transport: TransportName | undefined;
  let settingsFile: string | undefined;
  let samplesPath: string | undefined;
  let simulator = false;
  try {
    while (args.length) {
      const arg = args.shift()!;
      if (arg === "--help" || arg === "-h") {
        out(USAGE);
        return 0;
      } else if (arg === "--transport") {
        const t = args.shift();
        if (!isTransportName(t)) fail(`--transport must be soap, db2, oracle, sql or http-xml`);
        transport = t;
      } else if (arg === "--settings") settingsFile = args.shift() ?? fail("--settings needs a file");
      else if (arg === "--samples") samplesPath = args.shift() ?? fail("--samples needs a file");
      else if (arg === "--simulator") simulator = true;
      else if (arg.startsWith("-")) fail(`unknown option ${arg}`);
      else if (target) fail(`one plugin at a time (got ${target} and ${arg})`);
      else target = arg;
    }
    if (!target) fail("name the plugin to check");
  } catch (error) {
    out(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }

  const isFile = /[\\/]|\.(ts|js)$/.test(target);
  const plugin = isFile ? path.basename(target).replace(/\.plugin\.(ts|js)$|\.(ts|js)$/, "") : target;
  const options: ConformanceOptions = { plugin, ...(isFile ? { module: path.resolve(target) } : {}) };
  if (settingsFile) {
    const file = JSON.parse(fs.readFileSync(settingsFile, "utf8")) as SettingsFile;
    const entry = file.plugins ? file.plugins.find((p) => p.name === plugin) : file;
    if (!entry) {
      out(`${settingsFile} has no entry for plugin ${plugin}`);
      return 2;
    }
    options.settings = entry.settings ?? {};
    if (entry.transport) options.transport = entry.transport;
  }
  if (transport) options.transport = transport;
  if (samplesPath) options.samples = readSamples(samplesPath);

  let simulated: Simulated | null = null;
  if (simulator) {
    const simulators = path.join(PROJECT_ROOT, "test", "simulators");
    if (!fs.existsSync(simulators)) {
      out("--simulator needs the source checkout (test/simulators is not here)");
      return 2;
    }
    const { simulate } = require(simulators) as { simulate(p: string, t: string): Promise<Simulated> };
    const { default: definition } = require(path.join(__dirname, "..", plugin, `${plugin}.plugin`)) as {
      default: { transport: TransportName | TransportName[] };
    };
    // The plugin's transports in order, the first one that has a simulator here (DB2 and Oracle have none).
    const candidates = options.transport ? [options.transport] : [definition.transport].flat();
    let chosen: TransportName | null = null;
    for (const candidate of candidates) {
      try {
        simulated = await simulate(plugin, candidate);
        chosen = candidate;
        break;
      } catch (err) {
        if (!/^no (SOAP )?simulator/.test((err as Error).message)) throw err;
      }
    }
    if (!simulated || !chosen) {
      out(
        `no simulator for ${plugin} over ${candidates.join(" or ")}; run against the real system without --simulator`,
      );
      return 2;
    }
    options.transport = chosen;
    options.settings = { ...simulated.settings, ...options.settings };
    options.compareExpected = true;
    out(`simulator for ${plugin} over ${chosen}: ${JSON.stringify(simulated.settings)}`);
  }
  try {
    const report = await runConformance(options);
    out(formatReport(report));
    return report.passed ? 0 : 1;
  } finally {
    await simulated?.stop();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`plugin:check failed: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
