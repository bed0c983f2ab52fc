/**
 * What every plugin's spec sets up the same way: the transports it is tested over, and its simulator started before
 * the block's tests and stopped after them.
 */
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
