#!/usr/bin/env node
// `npm run plugin:check -- <plugin>`: the plugin conformance kit. From the sources when SWC (a dev dependency) is
// there, so that a plugin being written is checked as it is now; otherwise from the build (`npm run build`).
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const source = path.join(root, "plugins", "sdk", "check.ts");
const built = path.join(root, "dist", "plugins", "sdk", "check.js");

function registerTypeScript() {
  const { transformSync } = require("@swc/core");
  require.extensions[".ts"] = function compile(module, filename) {
    const { code } = transformSync(fs.readFileSync(filename, "utf8"), {
      filename,
      jsc: { parser: { syntax: "typescript" }, target: "es2022" },
      module: { type: "commonjs" },
      sourceMaps: "inline",
    });
    module._compile(code, filename);
  };
}

let entry = built;
try {
  require.resolve("@swc/core");
  if (fs.existsSync(source)) {
    registerTypeScript();
    entry = source;
  }
} catch {
  // No SWC: a production install runs the build.
}
if (!fs.existsSync(entry)) {
  console.error("plugin:check: the hub is not built yet; run `npm run build` first");
  process.exit(1);
}
require(entry)
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
