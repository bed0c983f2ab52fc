/**
 * The legacy-system simulators: a SOAP server per SOAP system (built from the plugin's WSDL), a 银保通 XML front
 * end, and the DB2/Oracle-shaped schemas on SQLite or PostgreSQL. `simulate(plugin, transport)` starts the one a
 * plugin needs and gives the settings that point the plugin at it.
 */
import type { Behaviour, Simulator } from "./behaviour";
import type { BankSchema } from "./bank-data";
import type { SoapSimulator } from "./soap-simulator";
import { SqlSimulator } from "./sql-simulator";
import { bancassuranceSoapSimulator, BancassuranceXmlSimulator } from "./systems/bancassurance";
import { coreBankingSimulator } from "./systems/core-banking";
import { counterSimulator } from "./systems/counter";
import { crmSimulator } from "./systems/crm";
import { fundSimulator } from "./systems/fund";
import { wealthSimulator } from "./systems/wealth";

export type { Behaviour, Simulator } from "./behaviour";
export { SqlSimulator } from "./sql-simulator";
export { SoapSimulator } from "./soap-simulator";
export { BancassuranceXmlSimulator } from "./systems/bancassurance";

type SoapOptions = { port?: number; credentials?: { username: string; password: string } };

export const SOAP_SIMULATORS: Readonly<Record<string, (options?: SoapOptions) => SoapSimulator>> = {
  counter: counterSimulator,
  "core-banking": coreBankingSimulator,
  fund: fundSimulator,
  wealth: wealthSimulator,
  bancassurance: bancassuranceSoapSimulator,
  crm: crmSimulator,
};

/** The schemas each SQL-capable plugin reads. */
export const SQL_SCHEMAS: Readonly<Record<string, readonly BankSchema[]>> = {
  counter: ["COUNTER"],
  "core-banking": ["CORE"],
  fund: ["FUNDSALE"],
};

/** A simulated system for one plugin and transport, and the plugin settings that point at it. */
export interface SimulatedSystem {
  simulator: Simulator;
  settings: Record<string, string>;
  behave(behaviour: Behaviour): Promise<void>;
  stop(): Promise<void>;
}

export interface SimulateOptions {
  /** For the sql transport: SQLite (default) or a PostgreSQL server to create a fresh database on. */
  database?: { type: "sqlite" } | { type: "postgres"; adminUrl: string };
  credentials?: { username: string; password: string };
  encoding?: "GBK" | "UTF-8";
}

function system(simulator: Simulator, settings: Record<string, string>): SimulatedSystem {
  return { simulator, settings, behave: (b) => simulator.behave(b), stop: () => simulator.stop() };
}

export async function simulate(
  plugin: string,
  transport: string,
  options: SimulateOptions = {},
): Promise<SimulatedSystem> {
  if (transport === "soap") {
    const make = SOAP_SIMULATORS[plugin];
    if (!make) throw new Error(`no SOAP simulator for ${plugin}`);
    const simulator = await make(options.credentials ? { credentials: options.credentials } : {}).start();
    return system(simulator, {
      wsdlUrl: simulator.wsdlUrl,
      ...(options.credentials ? { username: options.credentials.username } : {}),
    });
  }
  if (transport === "http-xml" && plugin === "bancassurance") {
    const simulator = await new BancassuranceXmlSimulator().start();
    return system(simulator, {
      url: simulator.url,
      ...(options.encoding ? { encoding: options.encoding } : {}),
    });
  }
  if (transport === "sql" && SQL_SCHEMAS[plugin]) {
    const db = options.database ?? { type: "sqlite" };
    const simulator =
      db.type === "postgres"
        ? await SqlSimulator.postgres(db.adminUrl, SQL_SCHEMAS[plugin])
        : await SqlSimulator.sqlite(SQL_SCHEMAS[plugin]);
    return system(simulator, simulator.settings);
  }
  throw new Error(`no simulator for ${plugin} over ${transport}`);
}

/**
 * The PostgreSQL server tests may create simulated banks on: null when it is down on a developer's machine (the
 * PostgreSQL cases are then skipped); under CI=true always the URL, so that a missing server fails the run.
 */
export function postgresForTests(): string | null {
  const url = process.env.HUB_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  return process.env.HUB_TEST_PG === "up" || process.env.CI === "true" ? url : null;
}
