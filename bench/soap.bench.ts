/**
 * SOAP face benchmark: `npm run bench:soap` (docs/soap.md, "Performance").
 *
 * NotifyTransaction per second, one request at a time and with BENCH_IN_FLIGHT (50) in flight, against a no-op
 * node-soap service built from the same WSDL (schemas/soap/dual-record.wsdl) in the same process: it parses the
 * same envelope and answers a fixed NotifyTransactionResponse. The hub (`startHub`, embedded SQLite in a fresh temp
 * dir, demo data) authenticates the WS-Security UsernameToken of `sys.counter`, checks the request against its JSON
 * Schema, authorises, stores the purchase, its outbox row and the call's audit entry in one transaction (group
 * commit) and answers; its outbox is processed meanwhile. Every request carries a new txnId. Goal: hub/reference
 * ≥ 0.5 for both loads. It also times a 4 KiB append + fdatasync in the data dir: the floor of one durable commit,
 * which every hub answer waits for and the reference never does.
 *
 * Exit code: 0 whatever the ratios (the bench reports, it does not gate); 1 when a request fails (non-2xx, error,
 * timeout), when the hub did not store every purchase it acknowledged, or when the audit chain does not verify.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import * as soap from "soap";
import { loadConfig } from "../hub/config";
import { TransactionEntity, TransactionOutboxEntity } from "../hub/db/entities";
import { startHub, type Hub } from "../hub/hub";
import { WSDL_FILE } from "../hub/services/gateway/soap-endpoint";
import { envInt, mean, runBench, table } from "./support";

const DEMO_PASSWORD = "Bench-Pass-2026!";
const GOAL = 0.5;

const DURATION = envInt("BENCH_DURATION", 10, 1, 3600);
const WARMUP = envInt("BENCH_WARMUP", 3, 0, 600);
const ROUNDS = envInt("BENCH_ROUNDS", 2, 1, 50);
const IN_FLIGHT = envInt("BENCH_IN_FLIGHT", 50, 2, 10_000);

const TNS = "urn:dual-record:hub:v1";

/** The envelope a counter system sends: WS-Security UsernameToken (PasswordText), a purchase with a new txnId. */
function notifyEnvelope(txnId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">` +
    `<soap:Header><wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">` +
    `<wsse:UsernameToken><wsse:Username>sys.counter</wsse:Username><wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">${DEMO_PASSWORD}</wsse:Password>` +
    `</wsse:UsernameToken></wsse:Security></soap:Header><soap:Body><NotifyTransaction xmlns="${TNS}">` +
    `<txnId>${txnId}</txnId><sourceSystem>COUNTER</sourceSystem><customerNo>C000000001</customerNo>` +
    `<productCode>WM2026003</productCode><amount>50000.00</amount><branchCode>310100</branchCode>` +
    `<tellerId>T0001</tellerId><tradeTime>${new Date().toISOString()}</tradeTime><status>SUCCESS</status>` +
    `</NotifyTransaction></soap:Body></soap:Envelope>`
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Reference: node-soap on its own HTTP server, from the same WSDL, doing nothing.

async function startReference(): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer();
  const service = {
    DualRecordService: {
      DualRecordPort: {
        NotifyTransaction: (args: { txnId: string }) => ({
          txnId: args.txnId,
          accepted: true,
          recordingStatus: "MISSING",
          recordingIds: {},
        }),
      },
    },
  };
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  soap.listen(server, {
    path: "/soap/dual-record",
    services: service,
    xml: fs.readFileSync(WSDL_FILE, "utf8"),
  });
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}/soap/dual-record` };
}

// ---------------------------------------------------------------------------------------------------------------

interface RunFigures {
  rps: number;
  p50: number;
  p99: number;
  ok: number;
}

const failures: string[] = [];
let serial = 0;

async function fire(name: string, url: string, connections: number, seconds: number, phase: string) {
  const result = await autocannon({
    url,
    method: "POST",
    headers: { "content-type": "text/xml; charset=utf-8", soapaction: `"${TNS}#NotifyTransaction"` },
    connections,
    pipelining: 1,
    duration: seconds,
    requests: [
      {
        method: "POST",
        setupRequest: (req) => ({ ...req, body: notifyEnvelope(`B${process.pid}-${++serial}`) }),
      },
    ],
  });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0)
    failures.push(
      `${name} ${phase}: non2xx=${result.non2xx} errors=${result.errors} timeouts=${result.timeouts}`,
    );
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result["2xx"],
  } satisfies RunFigures;
}

async function measure(name: string, url: string, connections: number, round: number): Promise<RunFigures> {
  const label = `round ${round} ${name} ${connections === 1 ? "sequential" : `${connections} in flight`}`;
  if (WARMUP > 0) {
    process.stderr.write(`  ${label}: warm-up ${WARMUP}s … `);
    await fire(name, url, connections, WARMUP, `${label} warm-up`);
  } else process.stderr.write(`  ${label}: `);
  process.stderr.write(`measuring ${DURATION}s … `);
  const run = await fire(name, url, connections, DURATION, `${label} measured`);
  process.stderr.write(`${run.rps.toFixed(0)} req/s\n`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  return run;
}

/**
 * What one durable write costs on the disk under the hub's data dir: a 4 KiB append made durable with fdatasync,
 * `count` times. Every hub answer waits for at least one (its commit); the no-op reference never does.
 */
function fdatasyncLatency(dir: string, count = 1000): { p50: number; p99: number } {
  const file = path.join(dir, "fdatasync-probe");
  const fd = fs.openSync(file, "w");
  const block = Buffer.alloc(4096, 0x5a);
  const times: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const start = process.hrtime.bigint();
      fs.writeSync(fd, block, 0, block.length, i * block.length);
      fs.fdatasyncSync(fd);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(count * 0.5)], p99: times[Math.floor(count * 0.99)] };
}

async function verifyAudit(
  baseUrl: string,
): Promise<{ ok: boolean; entries: number; brokenAt?: number; reason?: string }> {
  const login = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "hq.auditor", password: DEMO_PASSWORD }),
  });
  const { token } = (await login.json()) as { token: string };
  const res = await fetch(`${baseUrl}/api/v1/audit/verify`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status !== 200) throw new Error(`GET /api/v1/audit/verify: ${res.status} ${await res.text()}`);
  return (await res.json()) as { ok: boolean; entries: number; brokenAt?: number; reason?: string };
}

async function main(): Promise<number> {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "hub-bench-soap-"));
  let reference: { server: http.Server; url: string } | null = null;
  let hub: Hub | null = null;
  let exitCode = 0;
  try {
    reference = await startReference();
    hub = await startHub(
      loadConfig({ HUB_DATA_DIR: tmpDir, PORT: "0", LOG_LEVEL: "warn", HUB_DEMO_PASSWORD: DEMO_PASSWORD }),
    );
    const hubUrl = `${hub.url}/soap/dual-record`;
    for (const [name, url] of [
      ["reference", reference.url],
      ["hub", hubUrl],
    ]) {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "text/xml; charset=utf-8" },
        body: notifyEnvelope(`CHECK-${name}`),
      });
      const text = await res.text();
      if (res.status !== 200 || !text.includes("NotifyTransactionResponse"))
        throw new Error(`${name} pre-check: ${res.status} ${text.slice(0, 500)}`);
    }

    console.log(
      `soap bench: NotifyTransaction, ${ROUNDS} rounds, warm-up ${WARMUP}s + ${DURATION}s measured, sequential and ` +
        `${IN_FLIGHT} in flight, autocannon in-process, node ${process.version}, ${os.cpus().length} CPUs`,
    );
    const loads = [1, IN_FLIGHT];
    const runs: Record<string, RunFigures[]> = {};
    let hubOk = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      for (const connections of loads) {
        for (const [name, url] of [
          ["reference", reference.url],
          ["hub", hubUrl],
        ]) {
          const key = `${name}@${connections}`;
          const run = await measure(name, url, connections, round);
          (runs[key] ??= []).push(run);
          if (name === "hub") hubOk += run.ok;
        }
      }
    }

    const rows: string[][] = [["", "req/s (mean)", "p50 ms", "p99 ms", "runs (req/s)"]];
    const summary: Record<string, { rps: number; p99: number }> = {};
    for (const connections of loads) {
      for (const name of ["reference", "hub"]) {
        const r = runs[`${name}@${connections}`];
        summary[`${name}@${connections}`] = {
          rps: mean(r.map((x) => x.rps)),
          p99: mean(r.map((x) => x.p99)),
        };
        const load = connections === 1 ? "sequential" : `${connections} in flight`;
        const side = name === "reference" ? "reference  node-soap no-op" : "hub        /soap/dual-record";
        rows.push([
          `${side}, ${load}`,
          mean(r.map((x) => x.rps)).toFixed(0),
          mean(r.map((x) => x.p50)).toFixed(1),
          mean(r.map((x) => x.p99)).toFixed(1),
          r.map((x) => x.rps.toFixed(0)).join(", "),
        ]);
      }
    }
    console.log("");
    console.log(table(rows));
    console.log("");
    const disk = fdatasyncLatency(tmpDir);
    for (const connections of loads) {
      const ratio = summary[`hub@${connections}`].rps / summary[`reference@${connections}`].rps;
      const load = connections === 1 ? "sequential" : `${connections} in flight`;
      console.log(
        `ratio hub/reference, ${load.padEnd(13)}: ${ratio.toFixed(3)}   goal ≥ ${GOAL}: ${ratio >= GOAL ? "PASS" : "BELOW GOAL"}` +
          `   p99 hub ${summary[`hub@${connections}`].p99.toFixed(1)} ms / reference ${summary[`reference@${connections}`].p99.toFixed(1)} ms`,
      );
    }
    const sequential = (name: string) => 1000 / summary[`${name}@1`].rps;
    console.log(
      `one at a time: reference ${sequential("reference").toFixed(3)} ms per call, hub ${sequential("hub").toFixed(3)} ms; ` +
        `4 KiB append + fdatasync in the data dir: p50 ${disk.p50.toFixed(3)} ms, p99 ${disk.p99.toFixed(3)} ms ` +
        `(each hub answer waits for one commit, the reference for none)`,
    );

    // Every acknowledged purchase is stored (requests cut off at the end of a run may add a few more).
    await new Promise((resolve) => setTimeout(resolve, 500));
    const stored = (await hub.db!.manager.getRepository(TransactionEntity).count()) - 1;
    const pending = async () => hub!.db!.manager.getRepository(TransactionOutboxEntity).count();
    const drainStart = Date.now();
    while ((await pending()) > 0 && Date.now() - drainStart < 120_000)
      await new Promise((resolve) => setTimeout(resolve, 200));
    console.log(
      `stored ${stored} purchases for ${hubOk} acknowledged in measured runs (warm-ups add theirs); ` +
        `outbox drained ${((Date.now() - drainStart) / 1000).toFixed(1)} s after the last run, ${await pending()} left`,
    );
    if (stored < hubOk) {
      console.error(`LOST PURCHASES: ${hubOk} acknowledged, ${stored} stored`);
      exitCode = 1;
    }
    const audit = await verifyAudit(hub.url!);
    console.log(`audit chain: ${audit.entries} entries, ok=${audit.ok}`);
    if (!audit.ok) {
      console.error(`AUDIT CHAIN BROKEN at seq ${audit.brokenAt}: ${audit.reason}`);
      exitCode = 1;
    }
    if (failures.length) {
      console.error("\nREQUEST FAILURES — the figures above measure failing requests:");
      for (const f of failures) console.error(`  ${f}`);
      exitCode = 1;
    }
  } catch (err) {
    console.error("bench failed:", err);
    exitCode = 1;
  } finally {
    await hub?.stop().catch((err) => {
      console.error("hub.stop failed:", err);
      exitCode = 1;
    });
    await new Promise((resolve) => (reference ? reference.server.close(resolve) : resolve(null)));
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
  return exitCode;
}

runBench(main);
