import type { BrokerOptions, Middleware } from "moleculer";
import type { HubConfig } from "./hub/config";
import type { PrometheusText } from "./hub/services/gateway/metrics-text";

/**
 * Broker options for one hub node. One process with no transporter by default; `TRANSPORTER=nats://…` joins
 * nodes into a cluster running the very same services. No media ever goes on the bus (NATS max_payload is 1 MB).
 */
export function brokerOptions(config: HubConfig, middlewares: Middleware[], metricsReporter: PrometheusText): BrokerOptions {
  return {
    namespace: config.namespace,
    nodeID: config.nodeId ?? undefined,
    transporter: config.transporter ?? undefined,
    logger: { type: "Console", options: { level: config.logLevel, formatter: "short", colors: process.stdout.isTTY } },
    logLevel: config.logLevel,
    cacher: "Memory",
    serializer: "JSON",
    requestTimeout: 30_000,
    retryPolicy: { enabled: false },
    registry: { strategy: "RoundRobin", preferLocal: true },
    // An instance, not options: it renders for the gateway instead of opening its own port.
    metrics: { enabled: true, reporter: [metricsReporter as unknown as string] },
    tracing: { enabled: false },
    middlewares,
  };
}
