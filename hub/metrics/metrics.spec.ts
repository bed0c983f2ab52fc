import { HubMetrics, renderPrometheus } from "./metrics";

describe("metrics", () => {
  it("renders counters and histograms of several nodes in Prometheus text", () => {
    const a = new HubMetrics();
    const b = new HubMetrics();
    a.httpRequests.inc({ route: "GET /api/v1/users/:username", status: "200" });
    a.httpRequests.inc({ route: "GET /api/v1/users/:username", status: "200" });
    b.httpRequests.inc({ route: "POST /api/v1/auth/login", status: "401" });
    a.httpDuration.observe({ route: "GET /x" }, 0.007);
    a.httpDuration.observe({ route: "GET /x" }, 3);
    const text = renderPrometheus([
      { node: "front", families: a.snapshot() },
      { node: "back", families: b.snapshot() },
    ]);
    a.stop();
    b.stop();
    expect(text.match(/^# TYPE hub_http_requests_total counter$/gm)).toHaveLength(1);
    expect(text).toContain(
      'hub_http_requests_total{node="front",route="GET /api/v1/users/:username",status="200"} 2',
    );
    expect(text).toContain(
      'hub_http_requests_total{node="back",route="POST /api/v1/auth/login",status="401"} 1',
    );
    expect(text).toContain(
      'hub_http_request_duration_seconds_bucket{node="front",route="GET /x",le="0.005"} 0',
    );
    expect(text).toContain(
      'hub_http_request_duration_seconds_bucket{node="front",route="GET /x",le="0.01"} 1',
    );
    expect(text).toContain(
      'hub_http_request_duration_seconds_bucket{node="front",route="GET /x",le="+Inf"} 2',
    );
    expect(text).toContain('hub_http_request_duration_seconds_sum{node="front",route="GET /x"} 3.007');
    expect(text).toContain('hub_http_request_duration_seconds_count{node="front",route="GET /x"} 2');
    expect(text).toMatch(/^process_resident_memory_bytes\{node="back"\} \d+$/m);
    expect(text).toContain('hub_audit_entries_total{node="back"} 0');
  });

  it("escapes label values", () => {
    const m = new HubMetrics();
    m.logins.inc({ result: 'a"b\\c' });
    expect(renderPrometheus([{ node: "n", families: m.snapshot() }])).toContain(
      'hub_logins_total{node="n",result="a\\"b\\\\c"} 1',
    );
    m.stop();
  });
});
