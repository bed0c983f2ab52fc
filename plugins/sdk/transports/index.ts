/**
 * The transport registry (as Moleculer's transporters): one file per transport, one `register` line here. Plugins
 * name a transport; they never load a driver themselves.
 */
import { PluginContractError } from "../errors";
import type { TransportFactory, TransportName } from "./base";
import { db2Transport } from "./db2.transport";
import { httpXmlTransport } from "./http-xml.transport";
import { oracleTransport } from "./oracle.transport";
import { soapTransport } from "./soap.transport";
import { sqlTransport } from "./sql.transport";

const registry = new Map<string, TransportFactory>();

/** Adds or replaces a transport (tests replace one with a double). */
export function register(factory: TransportFactory): void {
  registry.set(factory.name, factory);
}

/** The transport of that name; HUB_PLUGIN_TRANSPORT when none is registered. */
export function resolve(name: TransportName | string): TransportFactory {
  const factory = registry.get(name);
  if (!factory) {
    throw new PluginContractError(
      "HUB_PLUGIN_TRANSPORT",
      `no transport "${name}"; registered: ${[...registry.keys()].join(", ")}`,
      {
        transport: name,
      },
    );
  }
  return factory;
}

export function registered(): TransportName[] {
  return [...registry.keys()] as TransportName[];
}

register(soapTransport);
register(sqlTransport);
register(oracleTransport);
register(db2Transport as TransportFactory);
register(httpXmlTransport);

export * from "./base";
