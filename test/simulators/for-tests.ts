/**
 * What tests against the simulators set up the same way: the transports a plugin is tested over, its simulator
 * started before a block's tests and stopped after them, a manifest pointing the hub at simulators, and a bank's
 * data changed behind a simulator.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import BetterSqlite from "better-sqlite3";
import type { BankSchema } from "./bank-data";
import { postgresForTests, simulate, type SimulatedSystem, type SimulateOptions } from "./index";

export type SimulatorTarget = [label: string, transport: string, options: SimulateOptions];

/**
 * SOAP, the bank-shaped SQL views on SQLite, and the same views on PostgreSQL when it runs (always under CI=true,
 * where a PostgreSQL that is down fails the suite).
 */
export function soapAndSqlTargets(shape: "DB2" | "Oracle"): SimulatorTarget[] {
  const postgres = postgresForTests();
  return [
    ["SOAP", "soap", {}],
    [`${shape}-shaped views on SQLite`, "sql", {}],
    ...(postgres
      ? [
          [
            `${shape}-shaped views on PostgreSQL`,
            "sql",
            { database: { type: "postgres", adminUrl: postgres } },
          ] satisfies SimulatorTarget,
        ]
      : []),
  ];
}

/** Starts `plugin`'s simulator for the enclosing describe block; call the result inside a test to get it. */
export function useSimulator(
  plugin: string,
  transport: string,
  options: SimulateOptions = {},
): () => SimulatedSystem {
  let system: SimulatedSystem | null = null;
  beforeAll(async () => {
    system = await simulate(plugin, transport, options);
  }, 60_000);
  afterAll(() => system?.stop());
  return () => {
    if (!system) throw new Error(`the ${plugin} simulator did not start`);
    return system;
  };
}

/** Says in the test report that the PostgreSQL run was left out, rather than leaving it out silently. */
export function notePostgresSkipped(plugin: string, shape: "DB2" | "Oracle"): void {
  if (!postgresForTests()) {
    it.skip(`${plugin} plugin over ${shape}-shaped views on PostgreSQL (PostgreSQL is not reachable)`, () =>
      undefined);
  }
}

/** One plugin of a test's manifest: the simulator's settings, and a breaker when the test needs its own. */
export interface ManifestPlugin {
  name: string;
  transport?: string;
  settings: Record<string, string>;
  breaker?: { failureThreshold?: number; coolDownMs?: number };
}

/**
 * A manifest file (schemas/plugins/manifest.schema.json) in a fresh temporary folder, for HUB_PLUGINS; `remove()`
 * deletes the folder.
 */
export function manifestFile(plugins: readonly ManifestPlugin[]): { file: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hub-manifest-"));
  const file = path.join(dir, "plugins.json");
  fs.writeFileSync(file, JSON.stringify({ plugins }, null, 2));
  return { file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Changes a simulated bank's data as its own staff would: `sql` run in `schema`'s SQLite file behind a `sql`
 * simulator (whose settings' url names the folder of those files).
 */
export function editSqliteBank(settings: Record<string, string>, schema: BankSchema, sql: string): void {
  const bank = new BetterSqlite(
    path.join(path.dirname(settings.url.replace(/^sqlite:/, "")), `${schema}.sqlite`),
  );
  try {
    bank.exec(sql);
  } finally {
    bank.close();
  }
}
