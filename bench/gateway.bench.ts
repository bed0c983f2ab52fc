/**
 * Gateway overhead benchmark: `npm run bench:gateway`.
 *
 * Compares, in one process, a bare moleculer-web route calling a no-op action (the reference) with the real hub
 * serving an authenticated, permission-checked, audited read (the subject), and reports hub/reference throughput
 * against the goal of ≥ 0.5. See bench/README.md for the knobs and how to read the figures.
 *
 * Exit code: 0 whatever the ratio (it reports, it does not gate); 1 when any request failed (non-2xx, connection
 * error, timeout), when not every request left an audit entry, or when the audit chain no longer verifies.
 */
import fs from "node:fs";
import type { Server } from "node:http";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { ServiceBroker, type ServiceSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import { loadConfig } from "../hub/config";
import { startHub, type Hub } from "../hub/hub";
import { envInt, mean, runBench, table } from "./support";

const DEMO_PASSWORD = "Bench-Pass-2026!";
const GOAL = 0.5;

const DURATION = envInt("BENCH_DURATION", 10, 1, 3600);
const CONNECTIONS = envInt("BENCH_CONNECTIONS", 20, 1, 10_000);
const WARMUP = envInt("BENCH_WARMUP", 3, 0, 600);
const ROUNDS = envInt("BENCH_ROUNDS", 2, 1, 50);

interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
}

interface RunFigures {
  rps: number;
  p50: number;
  p99: number;
  /** Responses autocannon counted (2xx and otherwise). */
  responses: number;
}

interface Failure {
  target: string;
  phase: string;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
}

const failures: Failure[] = [];

// ---------------------------------------------------------------------------------------------------------------
// Reference: bare broker + moleculer-web, one unauthenticated route to a no-op action.

async function startReference(): Promise<{ broker: ServiceBroker; url: string }> {
  const broker = new ServiceBroker({
    nodeID: "bench-reference",
    transporter: undefined,
    logger: false,
    metrics: { enabled: false },
    tracing: { enabled: false },
  });
  broker.createService({
    name: "noop",
    actions: {
      ping: {
        handler() {
          return { ok: true };
        },
      },
    },
  });
  broker.createService({
    name: "api",
    mixins: [ApiGateway],
    settings: {
      port: 0,
      ip: "127.0.0.1",
      routes: [{ path: "/api/v1", mappingPolicy: "restrict", aliases: { "GET /noop": "noop.ping" } }],
    },
  } as ServiceSchema);
  await broker.start();
  const server = (broker.getLocalService("api") as unknown as { server: Server }).server;
  const address = server.address();
  if (!address || typeof address !== "object") throw new Error("reference gateway has no TCP address");
  return { broker, url: `http://127.0.0.1:${address.port}` };
}

// ---------------------------------------------------------------------------------------------------------------
// Subject helpers.

async function login(baseUrl: string, username: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password: DEMO_PASSWORD }),
  });
  const body = (await res.json()) as { token?: string };
  if (res.status !== 200 || !body.token)
    throw new Error(`login as ${username} failed: ${res.status} ${JSON.stringify(body)}`);
  return body.token;
}

interface VerifyBody {
  ok: boolean;
  entries: number;
  lastSeq: number;
  checkpointsVerified: number;
  brokenAt?: number;
  reason?: string;
}

async function verifyAudit(baseUrl: string, token: string): Promise<VerifyBody> {
  const res = await fetch(`${baseUrl}/api/v1/audit/verify`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  const body = (await res.json()) as VerifyBody;
  if (res.status !== 200)
    throw new Error(`GET /api/v1/audit/verify failed: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

// ---------------------------------------------------------------------------------------------------------------
// Load.

async function fire(target: Target, seconds: number, phase: string): Promise<autocannon.Result> {
  const result = await autocannon({
    url: target.url,
    method: "GET",
    headers: target.headers,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: seconds,
  });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    const statusCodes: Record<string, number> = {};
    for (const [code, stat] of Object.entries(result.statusCodeStats ?? {}))
      statusCodes[code] = stat.count ?? 0;
    failures.push({
      target: target.name,
      phase,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      statusCodes,
    });
  }
  return result;
}

function figures(result: autocannon.Result): RunFigures {
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    responses: result["1xx"] + result["2xx"] + result["3xx"] + result["4xx"] + result["5xx"],
  };
}

/** Warm-up (discarded) then a measured run; returns the measured figures and every response counted. */
async function measure(target: Target, round: number): Promise<{ run: RunFigures; responses: number }> {
  let responses = 0;
  if (WARMUP > 0) {
    process.stderr.write(`  round ${round} ${target.name}: warm-up ${WARMUP}s … `);
    responses += figures(await fire(target, WARMUP, `round ${round} warm-up`)).responses;
  } else {
    process.stderr.write(`  round ${round} ${target.name}: `);
  }
  process.stderr.write(`measuring ${DURATION}s … `);
  const run = figures(await fire(target, DURATION, `round ${round} measured`));
  responses += run.responses;
  process.stderr.write(`${run.rps.toFixed(0)} req/s\n`);
  // Let requests still in flight when autocannon stopped finish (and be audited) before the next run.
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { run, responses };
}

// ---------------------------------------------------------------------------------------------------------------
// Output.

const fmt = (n: number, digits = 0) => n.toFixed(digits);

async function showFailures(targets: Record<string, Target>): Promise<void> {
  console.error("\nREQUEST FAILURES — the figures above measure failing requests and are not valid:");
  for (const f of failures) {
    console.error(
      `  ${f.target} ${f.phase}: non2xx=${f.non2xx} errors=${f.errors} timeouts=${f.timeouts} status codes=${JSON.stringify(f.statusCodes)}`,
    );
  }
  // One sample request per failing target so the cause is visible.
  for (const name of new Set(failures.map((f) => f.target))) {
    const t = targets[name];
    try {
      const res = await fetch(t.url, { headers: t.headers });
      console.error(`  sample ${name}: GET ${t.url} → ${res.status} ${(await res.text()).slice(0, 500)}`);
    } catch (err) {
      console.error(`  sample ${name}: GET ${t.url} → ${(err as Error).message}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "hub-bench-"));
  let reference: { broker: ServiceBroker; url: string } | null = null;
  let hub: Hub | null = null;
  let exitCode = 0;
  try {
    reference = await startReference();
    hub = await startHub(
      loadConfig({ HUB_DATA_DIR: tmpDir, PORT: "0", LOG_LEVEL: "warn", HUB_DEMO_PASSWORD: DEMO_PASSWORD }),
    );
    if (!hub.url) throw new Error("the hub started without a gateway");
    const adminToken = await login(hub.url, "sh.admin");
    const auditorToken = await login(hub.url, "hq.auditor");

    const ref: Target = { name: "reference", url: `${reference.url}/api/v1/noop`, headers: {} };
    const sub: Target = {
      name: "hub",
      url: `${hub.url}/api/v1/users/sh.pd.sales1`,
      headers: { Authorization: `Bearer ${adminToken}` },
    };

    // Both must answer 200 before we load them.
    for (const t of [ref, sub]) {
      const res = await fetch(t.url, { headers: t.headers });
      const text = await res.text();
      if (res.status !== 200)
        throw new Error(`${t.name} pre-check: GET ${t.url} → ${res.status} ${text.slice(0, 500)}`);
    }
    // `before.entries` already includes the pre-check; this verify call's own entry comes after it.
    const before = await verifyAudit(hub.url, auditorToken);

    console.log(
      `gateway bench: ${ROUNDS} rounds (reference, hub), warm-up ${WARMUP}s + ${DURATION}s measured each, ` +
        `${CONNECTIONS} connections, autocannon in-process, node ${process.version}, ${os.cpus().length} CPUs`,
    );
    const runs: Record<"reference" | "hub", RunFigures[]> = { reference: [], hub: [] };
    let hubResponses = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      runs.reference.push((await measure(ref, round)).run);
      const h = await measure(sub, round);
      runs.hub.push(h.run);
      hubResponses += h.responses;
    }

    const after = await verifyAudit(hub.url, auditorToken);
    const appended = after.entries - before.entries;
    // Audited between the two verifies: every hub request of the runs plus the first verify call itself.
    const counted = hubResponses + 1;

    const rows: string[][] = [["", "req/s (mean)", "p50 ms", "p99 ms", "runs (req/s)"]];
    const summary: Record<string, RunFigures> = {};
    for (const name of ["reference", "hub"] as const) {
      const r = runs[name];
      summary[name] = {
        rps: mean(r.map((x) => x.rps)),
        p50: mean(r.map((x) => x.p50)),
        p99: mean(r.map((x) => x.p99)),
        responses: 0,
      };
      const label =
        name === "reference"
          ? "reference  GET /api/v1/noop → noop.ping"
          : "hub        GET /api/v1/users/sh.pd.sales1";
      rows.push([
        label,
        fmt(summary[name].rps),
        fmt(summary[name].p50, 1),
        fmt(summary[name].p99, 1),
        r.map((x) => fmt(x.rps)).join(", "),
      ]);
    }
    const ratio = summary.hub.rps / summary.reference.rps;

    console.log("");
    console.log(table(rows));
    console.log("");
    console.log(
      `ratio hub/reference: ${ratio.toFixed(3)}   goal ≥ ${GOAL}: ${ratio >= GOAL ? "PASS" : "BELOW GOAL"}`,
    );
    console.log(
      `audit: ${appended} entries appended during the runs (${counted} audited requests answered; ` +
        `in-flight requests cut off at the end of a run are audited but not counted), ` +
        `chain ${after.entries} entries, ${after.checkpointsVerified} checkpoints verified, ok=${after.ok}`,
    );

    if (failures.length) {
      await showFailures({ reference: ref, hub: sub });
      exitCode = 1;
    }
    if (!after.ok) {
      console.error(`AUDIT CHAIN BROKEN at seq ${after.brokenAt}: ${after.reason}`);
      exitCode = 1;
    }
    // Every answered request must have an entry (the middleware appends before the response is sent); requests
    // cut off by autocannon may add at most one more per connection and run.
    const slack = CONNECTIONS * ROUNDS * (WARMUP > 0 ? 2 : 1);
    if (appended < counted || appended > counted + slack) {
      console.error(
        `AUDIT COUNT MISMATCH: ${appended} entries appended for ${counted} answered requests (allowed slack ${slack})`,
      );
      exitCode = 1;
    }
  } catch (err) {
    console.error("bench failed:", err);
    exitCode = 1;
  } finally {
    try {
      await hub?.stop();
    } catch (err) {
      console.error("hub.stop failed:", err);
      exitCode = 1;
    }
    try {
      await reference?.broker.stop();
    } catch (err) {
      console.error("reference broker.stop failed:", err);
      exitCode = 1;
    }
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
  return exitCode;
}

runBench(main);
