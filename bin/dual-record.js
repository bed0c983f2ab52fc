#!/usr/bin/env node
// The `dual-record` command runs the compiled hub; `npm run build` produces it (npm start builds first).
const path = require("node:path");
const fs = require("node:fs");
const cli = path.join(__dirname, "..", "dist", "hub", "cli.js");
if (!fs.existsSync(cli)) {
  console.error("dual-record: the hub is not built yet; run `npm run build` first");
  process.exit(1);
}
require(cli)
  .main(process.argv.slice(2))
  .then((code) => {
    if (code >= 0) process.exit(code);
  });
