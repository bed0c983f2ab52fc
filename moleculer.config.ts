import type { BrokerOptions, Middleware } from "moleculer";
import type { HubConfig } from "./hub/config";

/**
 * Broker options for one hub node. One process with no transporter by default; `TRANSPORTER=nats://…` joins
 * nodes into a cluster running the very same services. No media ever goes on the bus (NATS max_payload is 1 MB).
 */
export function brokerOptions(config: HubConfig, middlewares: Middleware[]): BrokerOptions {
  return {
    namespace: config.namespace,
    nodeID: config.nodeId ?? undefined,
    transporter: config.transporter ?? undefined,
    logger: {
      type: "Console",
      options: { level: config.logLevel, formatter: "short", colors: process.stdout.isTTY },
    },
    logLevel: config.logLevel,
    cacher: "Memory",
    serializer: "JSON",
    requestTimeout: 30_000,
    retryPolicy: { enabled: false },
    registry: { strategy: "RoundRobin", preferLocal: true },
    // The hub keeps its own metrics (hub/metrics): Moleculer's instrument every internal call and cost too much.
    metrics: { enabled: false },
    tracing: { enabled: false },
    middlewares,
  };
}
