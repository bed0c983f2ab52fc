import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { connect } from "nats";
import { Client } from "pg";
import { loadConfig } from "../../hub/config";
import type { Database } from "../../hub/db/database";
import { startHub, type Hub } from "../../hub/hub";

/** How the hub under test is laid out; the same suite runs against each. */
export type Topology = "embedded-sqlite" | "postgres" | "cluster-nats-postgres" | "oracle";

export const DEMO_PASSWORD = "Demo-Pass-2026!";

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export interface ApiOptions {
  token?: string;
  body?: unknown;
  rawBody?: string | Buffer;
  /** A multipart/form-data body (fetch sets its boundary). */
  form?: FormData;
  headers?: Record<string, string>;
}

/** A clock the tests can move forward (lockouts, token and password expiry). */
export class TestClock {
  private offsetMs = 0;
  readonly now = (): Date => new Date(Date.now() + this.offsetMs);
  advance(ms: number): void {
    this.offsetMs += ms;
  }
  reset(): void {
    this.offsetMs = 0;
  }
}

export interface Harness {
  topology: Topology;
  url: string;
  dataDir: string;
  env: Record<string, string>;
  clock: TestClock;
  /** The node holding the database (the only node, or the back-end node of a cluster). */
  db: Database;
  hubs: Hub[];
  api<T = any>(method: string, urlPath: string, options?: ApiOptions): Promise<ApiResponse<T>>;
  login(username: string, password?: string): Promise<string>;
  stop(): Promise<void>;
}

export function requiresServices(topology: Topology): { pg: boolean; nats: boolean } {
  return { pg: topology !== "embedded-sqlite", nats: topology === "cluster-nats-postgres" };
}

/**
 * Under CI=true a suite needing a server runs (and fails) when it is down; elsewhere it is skipped.
 * Oracle cannot run on the development machines: its suite runs wherever ORACLE_URL points at an empty schema.
 */
export function topologyAvailable(topology: Topology): boolean {
  if (topology === "oracle") return Boolean(process.env.ORACLE_URL);
  if (process.env.CI === "true") return true;
  const needs = requiresServices(topology);
  return (
    (!needs.pg || process.env.HUB_TEST_PG === "up") && (!needs.nats || process.env.HUB_TEST_NATS === "up")
  );
}

async function withPg<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The SOAP face's JetStream stream of a run's namespace (docs/soap.md): the shared NATS server keeps it otherwise. */
async function dropTransactionStream(natsUrl: string, namespace: string): Promise<void> {
  const nc = await connect({ servers: natsUrl.replace(/^nats:\/\//, "") });
  try {
    await (await nc.jetstreamManager()).streams.delete(`${namespace}_transactions`).catch(() => undefined);
  } finally {
    await nc.close();
  }
}

/** `extraEnv` adds or overrides settings of every node (e.g. a short HUB_SCRUB_INTERVAL). */
export async function startHarness(
  topology: Topology,
  extraEnv: Record<string, string> = {},
): Promise<Harness> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `hub-${topology}-`));
  const clock = new TestClock();
  const run = crypto.randomBytes(4).toString("hex");
  const env: Record<string, string> = {
    HUB_DATA_DIR: dataDir,
    PORT: "0",
    LOG_LEVEL: process.env.HUB_TEST_LOG_LEVEL ?? "error",
    HUB_DEMO_PASSWORD: DEMO_PASSWORD,
    HUB_NAMESPACE: `test-${run}`,
    // A loaded test machine is never idle: archives must not wait the production quarter of an hour for it.
    HUB_ARCHIVE_MAX_DEFER: "3",
    ...extraEnv,
  };
  const pgUrl = process.env.HUB_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const schema = `hub_test_${run}`;
  if (topology === "oracle") env.DATABASE_URL = process.env.ORACLE_URL!;
  if (requiresServices(topology).pg) {
    await withPg(pgUrl, (c) => c.query(`CREATE SCHEMA ${schema}`));
    // Isolated in a schema of its own, through the URL, exactly as an operator could do it.
    env.DATABASE_URL = `${pgUrl}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  }

  const hubs: Hub[] = [];
  let front: Hub;
  let back: Hub;
  try {
    if (topology === "cluster-nats-postgres") {
      env.TRANSPORTER = process.env.HUB_TEST_NATS_URL ?? "nats://127.0.0.1:4222";
      // Back end first: it migrates and seeds. The front node runs only the gateway and has no database.
      back = await startHub(
        loadConfig({
          ...env,
          HUB_SERVICES: "access,org,audit,catalog,risk-lookup,imports,recordings,retention,legacy-face",
          HUB_NODE_ID: `back-${run}`,
        }),
        {
          clock: clock.now,
        },
      );
      hubs.push(back);
      front = await startHub(loadConfig({ ...env, HUB_SERVICES: "gateway", HUB_NODE_ID: `front-${run}` }), {
        clock: clock.now,
      });
      hubs.push(front);
      await front.broker.waitForServices(
        ["access", "org", "audit", "catalog", "risk-lookup", "imports", "recordings", "legacy-face"],
        15_000,
      );
    } else {
      front = back = await startHub(loadConfig(env), { clock: clock.now });
      hubs.push(front);
    }
  } catch (err) {
    for (const hub of hubs.reverse()) await hub.stop().catch(() => undefined);
    throw err;
  }

  const url = front.url!;
  const api = async <T>(
    method: string,
    urlPath: string,
    options: ApiOptions = {},
  ): Promise<ApiResponse<T>> => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | Buffer | FormData | undefined;
    if (options.form !== undefined) body = options.form;
    else if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["content-type"] ??= "application/json";
    }
    const res = await fetch(url + urlPath, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (metrics, HTML)
    }
    return { status: res.status, body: parsed as T, headers: res.headers, text };
  };

  return {
    topology,
    url,
    dataDir,
    env,
    clock,
    db: back.db!,
    hubs,
    api,
    async login(username: string, password = DEMO_PASSWORD) {
      const res = await api<{ token: string }>("POST", "/api/v1/auth/login", {
        body: { username, password },
      });
      if (res.status !== 200) throw new Error(`login ${username} failed: ${res.status} ${res.text}`);
      return res.body.token;
    },
    async stop() {
      for (const hub of [...hubs].reverse()) await hub.stop();
      if (requiresServices(topology).pg) await withPg(pgUrl, (c) => c.query(`DROP SCHEMA ${schema} CASCADE`));
      if (env.TRANSPORTER) await dropTransactionStream(env.TRANSPORTER, env.HUB_NAMESPACE);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
