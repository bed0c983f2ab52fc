import type { ServiceSchema } from "moleculer";
import type { HubMetrics, MetricFamily } from "./metrics";

/** On every node: hands this node's metrics to the gateway that serves /metrics for the whole cluster. */
export function createMetricsService(metrics: HubMetrics): ServiceSchema {
  return {
    name: "metrics",
    actions: {
      snapshot: {
        visibility: "public",
        handler(): { node: string; families: MetricFamily[] } {
          return { node: this.broker.nodeID, families: metrics.snapshot() };
        },
      },
    },
  };
}
