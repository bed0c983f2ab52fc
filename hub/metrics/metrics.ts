import { monitorEventLoopDelay } from "node:perf_hooks";

/*
 * The hub's own metrics: a few that operators need (HTTP traffic, audit appends, logins, process health), per
 * node, rendered in the Prometheus text format. Moleculer's built-in metrics were dropped: they instrument every
 * internal call, which cost more than half of a request's time, and only covered the gateway's node.
 */

export type Labels = Record<string, string>;

export interface Sample {
  labels: Labels;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  samples: Sample[];
}

function key(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort());
}

export class Counter {
  private readonly values = new Map<string, Sample>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    const k = key(labels);
    const sample = this.values.get(k);
    if (sample) sample.value += by;
    else this.values.set(k, { labels, value: by });
  }

  family(): MetricFamily {
    return { name: this.name, help: this.help, type: "counter", samples: [...this.values.values()] };
  }
}

export class Histogram {
  private readonly series = new Map<
    string,
    { labels: Labels; counts: number[]; sum: number; count: number }
  >();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {}

  observe(labels: Labels, value: number): void {
    const k = key(labels);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) s.counts[i]++;
    s.sum += value;
    s.count++;
  }

  family(): MetricFamily {
    const samples: Sample[] = [];
    for (const s of this.series.values()) {
      this.buckets.forEach((le, i) =>
        samples.push({ labels: { ...s.labels, le: String(le) }, value: s.counts[i] }),
      );
      samples.push({ labels: { ...s.labels, le: "+Inf" }, value: s.count });
      samples.push({ labels: { ...s.labels, __suffix: "_sum" }, value: s.sum });
      samples.push({ labels: { ...s.labels, __suffix: "_count" }, value: s.count });
    }
    return { name: this.name, help: this.help, type: "histogram", samples };
  }
}

/** One node's metrics. */
export class HubMetrics {
  readonly httpRequests = new Counter(
    "hub_http_requests_total",
    "HTTP requests answered, by route and status",
  );
  readonly httpDuration = new Histogram(
    "hub_http_request_duration_seconds",
    "Time to answer an HTTP request, by route",
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  readonly auditEntries = new Counter("hub_audit_entries_total", "Entries appended to the audit chain");
  readonly auditBatches = new Counter("hub_audit_commits_total", "Transactions that appended audit entries");
  readonly auditFailures = new Counter(
    "hub_audit_append_failures_total",
    "Audit appends that failed (calls refused)",
  );
  readonly logins = new Counter("hub_logins_total", "Login attempts, by result");
  readonly evidenceAlarms = new Counter(
    "hub_evidence_alarms_total",
    "Replica copies found missing, corrupt or unavailable, by replica, verdict and when",
  );
  readonly uploadedBytes = new Counter("hub_upload_bytes_total", "Recording bytes received and stored twice");
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 20 });
  private readonly startedAt = Date.now();

  constructor() {
    this.loopDelay.enable();
    // Unlabelled counters exist from the start, so that a rate over them is defined before the first event.
    for (const counter of [this.auditEntries, this.auditBatches, this.auditFailures, this.uploadedBytes]) {
      counter.inc({}, 0);
    }
  }

  snapshot(): MetricFamily[] {
    const memory = process.memoryUsage();
    const gauge = (name: string, help: string, value: number): MetricFamily => ({
      name,
      help,
      type: "gauge",
      samples: [{ labels: {}, value }],
    });
    return [
      this.httpRequests.family(),
      this.httpDuration.family(),
      this.auditEntries.family(),
      this.auditBatches.family(),
      this.auditFailures.family(),
      this.evidenceAlarms.family(),
      this.uploadedBytes.family(),
      this.logins.family(),
      gauge("process_resident_memory_bytes", "Resident memory", memory.rss),
      gauge("nodejs_heap_used_bytes", "V8 heap in use", memory.heapUsed),
      gauge(
        "process_uptime_seconds",
        "Seconds since this node started",
        (Date.now() - this.startedAt) / 1000,
      ),
      gauge(
        "nodejs_eventloop_lag_p99_seconds",
        "99th percentile event-loop delay",
        this.loopDelay.percentile(99) / 1e9,
      ),
    ];
  }

  stop(): void {
    this.loopDelay.disable();
  }
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/** Prometheus text for several nodes: one HELP/TYPE per family, each sample labelled with its node. */
export function renderPrometheus(nodes: ReadonlyArray<{ node: string; families: MetricFamily[] }>): string {
  const byName = new Map<string, { family: MetricFamily; lines: string[] }>();
  for (const { node, families } of nodes) {
    for (const family of families) {
      let entry = byName.get(family.name);
      if (!entry) byName.set(family.name, (entry = { family, lines: [] }));
      for (const sample of family.samples) {
        const { __suffix: suffix = family.type === "histogram" ? "_bucket" : "", ...labels } = sample.labels;
        const pairs = Object.entries({ node, ...labels }).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
        entry.lines.push(`${family.name}${suffix}{${pairs.join(",")}} ${sample.value}`);
      }
    }
  }
  const out: string[] = [];
  for (const { family, lines } of byName.values()) {
    out.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`, ...lines);
  }
  return out.join("\n") + "\n";
}
