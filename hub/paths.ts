import fs from "node:fs";
import path from "node:path";

/** The folder holding package.json, whether running from sources (hub/) or from the build (dist/hub/). */
function findProjectRoot(start: string): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`package.json not found above ${start}`);
    dir = parent;
  }
  return dir;
}

export const PROJECT_ROOT = findProjectRoot(__dirname);
export const SCHEMAS_DIR = path.join(PROJECT_ROOT, "schemas");
export const WIDGETS_DIR = path.join(PROJECT_ROOT, "widgets");
export const PACKAGE_VERSION: string = JSON.parse(
  fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8"),
).version;
