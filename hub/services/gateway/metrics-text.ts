import { MetricReporters, type MetricRegistry } from "moleculer";

type PrometheusInternals = {
  opts: { defaultLabels?: unknown };
  defaultLabels: unknown;
  generatePrometheusResponse(): string;
};

/**
 * Moleculer's Prometheus reporter renders the text format but insists on its own HTTP port; this one only
 * renders, so the gateway can serve /metrics on the hub's port.
 */
export class PrometheusText extends MetricReporters.Prometheus {
  constructor() {
    super({ port: 0 });
  }

  override init(registry: MetricRegistry): void {
    MetricReporters.Base.prototype.init.call(this, registry);
    const self = this as unknown as PrometheusInternals;
    const labels = self.opts.defaultLabels;
    self.defaultLabels = typeof labels === "function" ? labels.call(this, registry) : labels;
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  render(): string {
    return (this as unknown as PrometheusInternals).generatePrometheusResponse();
  }
}
