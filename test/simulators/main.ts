/**
 * `npm run simulators`: every legacy-system simulator on fixed ports, the SQL schemas as SQLite files, a manifest
 * (plugins.json) that points the six plugins at them, and a control port to make a system down, slow or faulting:
 *   curl -X POST 'http://127.0.0.1:18080/counter/down'   (up | down | slow?ms=3000 | fault)
 * Ctrl-C stops them. SIMULATORS_PORT (default 18080) moves the whole block; SIMULATORS_DIR the SQLite files.
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import type { Behaviour, Simulator } from "./behaviour";
import { SOAP_SIMULATORS, SQL_SCHEMAS } from "./index";
import { SqlSimulator } from "./sql-simulator";
import { BancassuranceXmlSimulator } from "./systems/bancassurance";

async function main(): Promise<void> {
  const base = Number(process.env.SIMULATORS_PORT || 18080);
  const dir = path.resolve(process.env.SIMULATORS_DIR || "data/simulators");
  fs.mkdirSync(dir, { recursive: true });
  const simulators = new Map<string, Simulator>();
  const lines: string[] = [];
  const manifest: { plugins: { name: string; transport: string; settings: Record<string, string> }[] } = {
    plugins: [],
  };

  let port = base;
  for (const [plugin, make] of Object.entries(SOAP_SIMULATORS)) {
    const simulator = await make({ port: (port += 1) }).start();
    simulators.set(plugin, simulator);
    lines.push(`${plugin.padEnd(20)} SOAP      ${simulator.wsdlUrl}`);
    if (plugin !== "bancassurance")
      manifest.plugins.push({ name: plugin, transport: "soap", settings: { wsdlUrl: simulator.wsdlUrl } });
  }
  const xml = await new BancassuranceXmlSimulator({ port: (port += 1) }).start();
  simulators.set("bancassurance-xml", xml);
  lines.push(`${"bancassurance".padEnd(20)} 银保通 XML ${xml.url}`);
  manifest.plugins.push({ name: "bancassurance", transport: "http-xml", settings: { url: xml.url } });

  const schemas = [...new Set(Object.values(SQL_SCHEMAS).flat())];
  const sql = await SqlSimulator.sqlite(schemas, dir);
  simulators.set("sql", sql);
  lines.push(
    `${"counter, core, fund".padEnd(20)} SQL       ${sql.settings.url} (schemas ${sql.settings.schemas})`,
  );

  const manifestFile = path.join(dir, "plugins.json");
  fs.writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);

  const control = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", `http://127.0.0.1:${base}`);
    const [, name, mode] = url.pathname.split("/");
    const simulator = simulators.get(name);
    if (req.method !== "POST" || !simulator || !["up", "down", "slow", "fault"].includes(mode)) {
      res
        .writeHead(404, { "Content-Type": "text/plain; charset=utf-8" })
        .end(`POST /<${[...simulators.keys()].join("|")}>/<up|down|slow|fault>\n`);
      return;
    }
    const behaviour: Behaviour =
      mode === "slow"
        ? { mode, delayMs: Number(url.searchParams.get("ms") ?? 3000) }
        : ({ mode } as Behaviour);
    simulator.behave(behaviour).then(
      () =>
        res
          .writeHead(200, { "Content-Type": "application/json" })
          .end(`${JSON.stringify({ name, ...behaviour })}\n`),
      (error: Error) =>
        res.writeHead(409, { "Content-Type": "text/plain; charset=utf-8" }).end(`${error.message}\n`),
    );
  });
  await new Promise<void>((resolve) => control.listen(base, "127.0.0.1", () => resolve()));

  process.stdout.write(
    [
      "legacy-system simulators",
      "",
      ...lines,
      "",
      `control: curl -X POST http://127.0.0.1:${base}/<name>/<up|down|slow?ms=3000|fault>`,
      `manifest: HUB_PLUGINS=${manifestFile} npm start`,
      `check:    npm run plugin:check -- counter --settings ${manifestFile}`,
      "",
      "Ctrl-C to stop.",
      "",
    ].join("\n"),
  );
  const stop = async () => {
    control.close();
    for (const simulator of simulators.values()) await simulator.stop().catch(() => undefined);
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`simulators: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
