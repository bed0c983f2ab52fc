/**
 * Fails when the documentation drifts from the code: error codes (docs/errors.md), environment variables (README.md),
 * REST routes (docs/api.md) and the quick start (README.md). Fix the docs, not this test.
 */
import fs from "node:fs";
import path from "node:path";
import { ENVIRONMENT_VARIABLES } from "../../hub/config";
import { ERROR_CODES } from "../../hub/errors/codes";
import { IMPORT_ERROR_CODES } from "../../hub/imports/errors";
import { REST_ROUTES } from "../../hub/services/gateway/routes";

const ROOT = path.resolve(__dirname, "..", "..");
const SCANNED_DIRS = ["hub", "plugins"];

function read(relative: string): string {
  return fs.readFileSync(path.join(ROOT, relative), "utf8");
}

/** Every non-spec .ts file under `dir` (relative to the project root); none when the folder does not exist. */
function sourceFiles(dir: string): string[] {
  const full = path.join(ROOT, dir);
  if (!fs.existsSync(full)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(full, { withFileTypes: true })) {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(relative));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".spec.ts")) out.push(relative);
  }
  return out;
}

/** Cells of the markdown table row whose first cell is exactly `` `name` ``, or null when there is none. */
function tableRow(markdown: string, name: string): string[] | null {
  for (const line of markdown.split("\n")) {
    const cells = line
      .trim()
      .replace(/^\|/, "")
      .replace(/\|$/, "")
      .split("|")
      .map((c) => c.trim());
    if (line.trim().startsWith("|") && cells[0] === `\`${name}\``) return cells;
  }
  return null;
}

/** First cells of table rows that name something in SCREAMING_CASE, e.g. `HUB_FORBIDDEN` or `PORT`. */
function upperCaseFirstCells(markdown: string): string[] {
  return [...markdown.matchAll(/^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|/gm)].map((m) => m[1]);
}

/** The part of README.md under the "## Configuration" heading, up to the next level-2 heading. */
function configurationSection(readme: string): string {
  const match = /^## Configuration\s*$([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(readme);
  return match ? match[1] : "";
}

const codes = Object.keys(ERROR_CODES) as (keyof typeof ERROR_CODES)[];

describe("docs/errors.md", () => {
  const errorsMd = read("docs/errors.md");

  it.each(codes)("documents %s with its HTTP status and zh-CN message", (code) => {
    const row = tableRow(errorsMd, code);
    expect(row).not.toBeNull();
    const { status, zh } = ERROR_CODES[code];
    expect(row![1]).toBe(String(status));
    expect(row![2]).toBe(zh);
    expect(row![3]).not.toBe("");
    expect(row![4]).not.toBe("");
  });

  it("documents no code that does not exist", () => {
    const documented = upperCaseFirstCells(errorsMd).filter((name) => name.startsWith("HUB_"));
    expect(documented.filter((name) => !(name in ERROR_CODES))).toEqual([]);
  });

  const importSection = errorsMd.slice(errorsMd.indexOf("## Import row errors"));
  it.each(Object.keys(IMPORT_ERROR_CODES))("lists the import row code %s", (code) => {
    expect(tableRow(importSection, code)).not.toBeNull();
  });

  it("lists no import row code that does not exist", () => {
    const listed = upperCaseFirstCells(importSection);
    expect(listed.filter((name) => !(name in IMPORT_ERROR_CODES))).toEqual([]);
  });
});

describe("HUB_* literals in the source", () => {
  // Environment variables share the HUB_ prefix but are not error codes; they are checked against README.md below.
  // There is deliberately no other allow-list: any other quoted HUB_* name must be an error code, and so documented.
  const environment = new Set<string>(ENVIRONMENT_VARIABLES);
  const literals: { name: string; where: string }[] = [];
  for (const file of SCANNED_DIRS.flatMap(sourceFiles)) {
    read(file)
      .split("\n")
      .forEach((line, i) => {
        for (const match of line.matchAll(/["'`](HUB_[A-Z0-9_]+)["'`]/g)) {
          if (!environment.has(match[1])) literals.push({ name: match[1], where: `${file}:${i + 1}` });
        }
      });
  }

  it("finds the codes the services throw (the scan itself works)", () => {
    expect(literals.map((l) => l.name)).toContain("HUB_FORBIDDEN");
  });

  it("uses only codes defined in hub/errors/codes.ts", () => {
    const unknown = literals.filter((l) => !(l.name in ERROR_CODES)).map((l) => `${l.name} at ${l.where}`);
    expect(unknown).toEqual([]);
  });
});

describe("README.md", () => {
  const readme = read("README.md");
  const configuration = configurationSection(readme);

  it.each([...ENVIRONMENT_VARIABLES])("lists %s in the configuration table", (name) => {
    const row = tableRow(configuration, name);
    expect(row).not.toBeNull();
    expect(row!.length).toBeGreaterThanOrEqual(3);
    expect(row![1]).not.toBe("");
    expect(row![2]).not.toBe("");
  });

  it("lists no variable the hub does not read", () => {
    const listed = upperCaseFirstCells(configuration);
    expect(listed.filter((name) => !(ENVIRONMENT_VARIABLES as readonly string[]).includes(name))).toEqual([]);
  });

  it.each(["npm install", "npm start", "npm test"])(
    "shows `%s` as a command within its first 40 lines",
    (command) => {
      const head = readme.split("\n").slice(0, 40);
      expect(head.map((line) => line.trim())).toContain(command);
    },
  );
});

describe("docs/api.md", () => {
  const apiMd = read("docs/api.md");

  it("has routes to check", () => {
    expect(REST_ROUTES.length).toBeGreaterThan(0);
  });

  // In backticks, so that `/users/{username}/enable` is not satisfied by a longer path that starts with it.
  it.each(REST_ROUTES.map((r) => `${r.method} /api/v1${r.path}`))("documents %s", (route) => {
    expect(apiMd).toContain(`\`${route}\``);
  });
});
