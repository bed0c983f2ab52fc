// Lets a child process run the hub from its TypeScript sources (`node -r ./test/support/swc-register.js hub/main.ts`),
// compiled on load by the same SWC that Jest uses: tests can kill and restart a real hub process without a build.
const fs = require("node:fs");
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
