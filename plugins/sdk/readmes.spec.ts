/**
 * Each bundled plugin's README says exactly what the bank must expose: every setting of the plugin and of its
 * transports, every WSDL operation, every view its SQL reads. Fails when a plugin changes and its README does not.
 */
import fs from "node:fs";
import path from "node:path";
import { transportsOf, type PluginDefinition } from "./contract";
import { PLUGINS_DIR } from "./loader";
import { resolve } from "./transports/index";

const BUNDLED = ["counter", "core-banking", "fund", "wealth", "bancassurance", "crm"];

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? files(full) : [full];
  });
}

describe.each(BUNDLED)("plugins/%s/README.md", (name) => {
  const dir = path.join(PLUGINS_DIR, name);
  const readme = fs.readFileSync(path.join(dir, "README.md"), "utf8");
  const definition = (require(path.join(dir, `${name}.plugin`)) as { default: PluginDefinition }).default;
  const sources = files(path.join(dir, "operations"))
    .concat(files(dir).filter((f) => f.endsWith(".ts") && !f.includes(`${path.sep}test${path.sep}`)))
    .map((f) => fs.readFileSync(f, "utf8"))
    .join("\n");

  it("lists every setting of the plugin and of its transports", () => {
    const settings = new Set([
      ...Object.keys(definition.settings),
      ...transportsOf(definition).flatMap((t) => Object.keys(resolve(t).settings)),
    ]);
    const missing = [...settings].filter((s) => !readme.includes(`\`${s}\``));
    expect(missing).toEqual([]);
  });

  it("names every operation of its WSDL and links the WSDL", () => {
    const wsdl = path.join(dir, "wsdl", `${name}.wsdl`);
    if (!fs.existsSync(wsdl)) return;
    const operations = [
      ...new Set(
        [...fs.readFileSync(wsdl, "utf8").matchAll(/<wsdl:operation name="(\w+)"/g)].map((m) => m[1]),
      ),
    ];
    expect(operations.length).toBeGreaterThan(0);
    expect(operations.filter((op) => !readme.includes(`\`${op}\``))).toEqual([]);
    expect(readme).toContain(`(wsdl/${name}.wsdl)`);
  });

  it("describes every view the plugin's SQL reads", () => {
    const views = [...new Set([...sources.matchAll(/\.(V_[A-Z_]+)/g)].map((m) => m[1]))];
    expect(views.filter((v) => !readme.includes(v))).toEqual([]);
  });

  it("names each capability it provides", () => {
    for (const op of Object.values(definition.operations)) expect(readme).toContain(`\`${op.capability}\``);
  });
});
