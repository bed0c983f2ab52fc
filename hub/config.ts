import path from "node:path";
import { ConfigError } from "./errors/hub-error";

/** Every service the hub can run; `HUB_SERVICES` picks a subset per node. */
export const SERVICE_NAMES = [
  "gateway",
  "access",
  "org",
  "audit",
  "catalog",
  "risk-lookup",
  "imports",
  "recordings",
  "retention",
  "legacy-face",
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export type DatabaseConfig =
  | { type: "sqlite"; file: string }
  | { type: "postgres"; url: string }
  | { type: "oracle"; user: string; password: string; connectString: string };

export interface HubConfig {
  host: string;
  port: number;
  dataDir: string;
  database: DatabaseConfig;
  /** Run pending migrations on start (`auto`) or refuse to start with pending ones (`off`). */
  migrate: "auto" | "off";
  transporter: string | null;
  /** Nodes join only nodes of the same namespace: separate environments can share one NATS. */
  namespace: string;
  nodeId: string | null;
  services: readonly ServiceName[];
  demo: boolean;
  demoPassword: string | null;
  tokenTtlSeconds: number;
  tokenSecret: string | null;
  /** 32-byte key (base64) for personal data in database columns; generated into the data dir when absent. */
  dataKey: Buffer | null;
  passwordMaxAgeDays: number;
  lockoutThreshold: number;
  lockoutMinutes: number;
  jsonLimitBytes: number;
  /** Largest import upload; a bigger one is refused with 413 and nothing is imported. */
  importMaxBytes: number;
  /** Uploads up to this size are imported while the request waits; bigger ones run as a job. */
  importInlineBytes: number;
  /** 32-byte key (base64) that wraps each recording's data key; generated into the data dir when absent. */
  masterKey: Buffer | null;
  /** The two replica roots of the evidence store (the outlet's and the branch's copy). */
  storePrimary: string;
  storeBackup: string;
  /** Replicas an upload must reach; 1 lets uploads go on while one root is down (the scrubber copies later). */
  storeMinReplicas: 1 | 2;
  /** Largest recording upload. */
  uploadMaxBytes: number;
  /** Largest original the media worker takes on: a job needs about three times its input in memory. */
  mediaMaxInputBytes: number;
  /** Media worker engine: ffmpeg.wasm, a native ffmpeg on PATH, or native when present else wasm. */
  mediaEngine: "wasm" | "native" | "auto";
  /** Media jobs waiting beyond the running one; more are refused and retried later, never lost. */
  mediaQueueSize: number;
  /** Seconds between two passes of the evidence scrubber (0: never in the background). */
  scrubIntervalSeconds: number;
  /** Beijing time of day ("HH:MM") of the daily retention sweep; null: not scheduled (HUB_RETENTION_SWEEP_AT=off). */
  retentionSweepAt: string | null;
  /** Holdings asked about per retention sweep (holdings.fullRedemption), oldest-asked first; 0: none. */
  retentionHoldingsBatch: number;
  /** Seconds between scheduled catalog syncs from products.list (0: only POST /api/v1/products/sync). */
  catalogSyncIntervalSeconds: number;
  /** Seconds an archive waits for the node to be idle before it runs anyway. */
  archiveMaxDeferSeconds: number;
  /**
   * The enabled adapter plugins as written in HUB_PLUGINS ("" for none): a list `counter:soap,core-banking:db2` or a
   * manifest file; `PluginHost.fromEnv` (plugins/sdk) parses and checks it.
   */
  plugins: string;
  /** Seconds between passes of the plugin outbox (pushes to the CRM, docs/plugins.md). */
  pluginOutboxIntervalSeconds: number;
  /** The hub's address as staff reach it (no trailing slash): links to recordings sent to other systems. */
  publicUrl: string;
  auditSigningKeyFile: string | null;
  auditCheckpointEvery: number;
  auditCheckpointSeconds: number;
  trustProxy: boolean;
  /** Origins of host pages on other servers that may call the hub from a browser (CORS); empty: none. */
  corsOrigins: string[];
  /** Largest SOAP request (docs/soap.md); refused with a Fault before it is parsed. */
  soapBodyLimitBytes: number;
  /** Seconds between passes over the notification outbox (processing, or publishing to JetStream in a cluster). */
  outboxIntervalSeconds: number;
  /** Seconds between pulls of the counter's sales of the day (capability sales.listByDay); 0: only on request. */
  salesPullIntervalSeconds: number;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace";
}

/** Documented in README's configuration table; a test keeps the two in step. */
export const ENVIRONMENT_VARIABLES = [
  "HOST",
  "PORT",
  "HUB_DATA_DIR",
  "DATABASE_URL",
  "HUB_MIGRATE",
  "TRANSPORTER",
  "HUB_NAMESPACE",
  "HUB_NODE_ID",
  "HUB_SERVICES",
  "HUB_DEMO",
  "HUB_DEMO_PASSWORD",
  "HUB_TOKEN_TTL",
  "HUB_TOKEN_SECRET",
  "HUB_DATA_KEY",
  "HUB_PASSWORD_MAX_AGE_DAYS",
  "HUB_LOCKOUT_THRESHOLD",
  "HUB_LOCKOUT_MINUTES",
  "HUB_JSON_LIMIT",
  "HUB_IMPORT_MAX_SIZE",
  "HUB_IMPORT_INLINE_SIZE",
  "HUB_MASTER_KEY",
  "HUB_STORE_PRIMARY",
  "HUB_STORE_BACKUP",
  "HUB_STORE_MIN_REPLICAS",
  "HUB_UPLOAD_MAX_SIZE",
  "HUB_MEDIA_MAX_SIZE",
  "HUB_MEDIA_ENGINE",
  "HUB_MEDIA_QUEUE",
  "HUB_SCRUB_INTERVAL",
  "HUB_RETENTION_SWEEP_AT",
  "HUB_RETENTION_HOLDINGS_BATCH",
  "HUB_CATALOG_SYNC_INTERVAL",
  "HUB_ARCHIVE_MAX_DEFER",
  "HUB_PLUGINS",
  "HUB_PLUGIN_OUTBOX_INTERVAL",
  "HUB_PUBLIC_URL",
  "HUB_AUDIT_SIGNING_KEY",
  "HUB_AUDIT_CHECKPOINT_EVERY",
  "HUB_AUDIT_CHECKPOINT_SECONDS",
  "HUB_TRUST_PROXY",
  "HUB_CORS_ORIGINS",
  "HUB_SOAP_BODY_LIMIT",
  "HUB_OUTBOX_INTERVAL",
  "HUB_SALES_PULL_INTERVAL",
  "LOG_LEVEL",
] as const;

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** `https://teller.bank.example,http://10.1.2.3:8080`: exact origins (scheme, host, port), no paths, no "*". */
/** "HH:MM" (24-hour), or "off" for null. */
function timeOfDay(env: Env, name: string, fallback: string): string | null {
  const raw = (env[name] ?? "").trim();
  if (raw === "") return fallback;
  if (raw === "off") return null;
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(raw);
  if (!m) throw new ConfigError(name, `must be a time of day HH:MM (Beijing time) or "off", not "${raw}"`);
  return raw;
}

function origins(name: string, raw: string | undefined): string[] {
  const list = (raw ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of list) {
    let parsed: URL | null = null;
    try {
      parsed = new URL(origin);
    } catch {
      /* reported below */
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      throw new ConfigError(name, `must list origins like https://teller.bank.example, got "${origin}"`);
    }
  }
  return list;
}

const urlHost = (host: string) => (host.includes(":") ? `[${host}]` : host);

/** An http(s) address without credentials, query or fragment; a path (behind a reverse proxy) is kept. */
function publicUrl(env: Env, fallback: string): string {
  const raw = (env.HUB_PUBLIC_URL ?? "").trim();
  if (raw === "") return fallback;
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    /* reported below */
  }
  if (!url || !/^https?:$/.test(url.protocol) || url.username || url.password || url.search || url.hash) {
    throw new ConfigError(
      "HUB_PUBLIC_URL",
      `must be an http(s) address like https://hub.bank.example, without user, query or fragment, got "${raw}"`,
    );
  }
  return url.href.replace(/\/+$/, "");
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(", ")}, got "${raw}"`);
  }
  return raw as T;
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "8h", "30m", "45s", "2d" or plain seconds. */
export function parseDuration(name: string, raw: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(raw.trim());
  if (!match) throw new ConfigError(name, `must be a duration like 8h, 30m or 3600, got "${raw}"`);
  const seconds = Number(match[1]) * DURATION_UNITS[match[2] || "s"];
  if (seconds < 60 || seconds > 7 * 86400) throw new ConfigError(name, "must be between 1 minute and 7 days");
  return seconds;
}

const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

function sizeText(bytes: number): string {
  const [unit, factor] =
    bytes >= 1024 ** 3 ? ["gb", 1024 ** 3] : bytes >= 1024 ** 2 ? ["mb", 1024 ** 2] : ["kb", 1024];
  return `${bytes / factor}${unit}`;
}

/** "1mb", "512kb", "1gb" or plain bytes, between min and max (default 1kb to 64mb). */
export function parseSize(name: string, raw: string, min = 1024, max = 64 * 1024 ** 2): number {
  const match = /^(\d+)\s*(b|kb|mb|gb)?$/i.exec(raw.trim());
  if (!match) throw new ConfigError(name, `must be a size like 1mb or 512kb, got "${raw}"`);
  const bytes = Number(match[1]) * SIZE_UNITS[(match[2] ?? "").toLowerCase()];
  if (bytes < min || bytes > max)
    throw new ConfigError(name, `must be between ${sizeText(min)} and ${sizeText(max)}`);
  return bytes;
}

function size(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  return raw ? parseSize(name, raw, min, max) : fallback;
}

export function parseDatabaseUrl(raw: string | undefined, dataDir: string): DatabaseConfig {
  if (!raw) return { type: "sqlite", file: path.join(dataDir, "hub.sqlite") };
  if (raw.startsWith("sqlite:")) {
    const file = raw.slice("sqlite:".length).replace(/^\/\//, "");
    if (!file)
      throw new ConfigError("DATABASE_URL", "sqlite: needs a file path, e.g. sqlite:./data/hub.sqlite");
    return { type: "sqlite", file: path.resolve(file) };
  }
  if (raw.startsWith("postgres://") || raw.startsWith("postgresql://")) return { type: "postgres", url: raw };
  if (raw.startsWith("oracle://")) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError(
        "DATABASE_URL",
        "oracle URL must look like oracle://user:password@host:1521/service",
      );
    }
    if (!url.username || !url.pathname.slice(1)) {
      throw new ConfigError(
        "DATABASE_URL",
        "oracle URL must look like oracle://user:password@host:1521/service",
      );
    }
    return {
      type: "oracle",
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      connectString: `${url.hostname}:${url.port || "1521"}/${url.pathname.slice(1)}`,
    };
  }
  throw new ConfigError("DATABASE_URL", "must start with sqlite:, postgres:// or oracle://");
}

function services(raw: string | undefined): readonly ServiceName[] {
  if (!raw || raw.trim() === "" || raw.trim() === "*") return SERVICE_NAMES;
  const names = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!(SERVICE_NAMES as readonly string[]).includes(name)) {
      throw new ConfigError("HUB_SERVICES", `unknown service "${name}"; known: ${SERVICE_NAMES.join(", ")}`);
    }
  }
  return names as ServiceName[];
}

function key32(name: string, raw: string | undefined): Buffer | null {
  if (!raw) return null;
  const key = Buffer.from(raw, "base64");
  if (key.length !== 32 || key.toString("base64") !== raw.trim()) {
    throw new ConfigError(name, "must be 32 random bytes in base64 (e.g. `openssl rand -base64 32`)");
  }
  return key;
}

function namespace(raw: string | undefined): string {
  if (!raw) return "dual-record";
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(raw)) {
    throw new ConfigError("HUB_NAMESPACE", "lower-case letters, digits and dashes, at most 63 characters");
  }
  return raw;
}

/** Reads the environment into a checked configuration; throws ConfigError naming the variable at fault. */
export function loadConfig(env: Env = process.env): HubConfig {
  const dataDir = path.resolve(env.HUB_DATA_DIR || "./data");
  const transporter = env.TRANSPORTER?.trim() || null;
  if (transporter && !/^nats:\/\//.test(transporter)) {
    throw new ConfigError("TRANSPORTER", `only nats://host:port is supported, got "${transporter}"`);
  }
  const demoPassword = env.HUB_DEMO_PASSWORD || null;
  const tokenSecret = env.HUB_TOKEN_SECRET || null;
  if (tokenSecret !== null && tokenSecret.length < 32) {
    throw new ConfigError("HUB_TOKEN_SECRET", "must be at least 32 characters");
  }
  return {
    host: env.HOST || "127.0.0.1",
    port: integer(env, "PORT", 8080, 0, 65535),
    dataDir,
    database: parseDatabaseUrl(env.DATABASE_URL, dataDir),
    migrate: oneOf(env, "HUB_MIGRATE", ["auto", "off"] as const, "auto"),
    transporter,
    namespace: namespace(env.HUB_NAMESPACE),
    nodeId: env.HUB_NODE_ID || null,
    services: services(env.HUB_SERVICES),
    demo: oneOf(env, "HUB_DEMO", ["on", "off"] as const, "on") === "on",
    demoPassword,
    tokenTtlSeconds: env.HUB_TOKEN_TTL ? parseDuration("HUB_TOKEN_TTL", env.HUB_TOKEN_TTL) : 8 * 3600,
    tokenSecret,
    dataKey: key32("HUB_DATA_KEY", env.HUB_DATA_KEY),
    passwordMaxAgeDays: integer(env, "HUB_PASSWORD_MAX_AGE_DAYS", 90, 1, 3650),
    lockoutThreshold: integer(env, "HUB_LOCKOUT_THRESHOLD", 5, 1, 100),
    lockoutMinutes: integer(env, "HUB_LOCKOUT_MINUTES", 15, 1, 1440),
    jsonLimitBytes: size(env, "HUB_JSON_LIMIT", 1024 ** 2, 1024, 64 * 1024 ** 2),
    importMaxBytes: size(env, "HUB_IMPORT_MAX_SIZE", 100 * 1024 ** 2, 1024, 1024 ** 3),
    importInlineBytes: size(env, "HUB_IMPORT_INLINE_SIZE", 512 * 1024, 0, 1024 ** 3),
    masterKey: key32("HUB_MASTER_KEY", env.HUB_MASTER_KEY),
    storePrimary: path.resolve(env.HUB_STORE_PRIMARY || path.join(dataDir, "evidence", "primary")),
    storeBackup: path.resolve(env.HUB_STORE_BACKUP || path.join(dataDir, "evidence", "backup")),
    storeMinReplicas: integer(env, "HUB_STORE_MIN_REPLICAS", 2, 1, 2) as 1 | 2,
    uploadMaxBytes: size(env, "HUB_UPLOAD_MAX_SIZE", 4 * 1024 ** 3, 1024, 64 * 1024 ** 3),
    mediaMaxInputBytes: size(env, "HUB_MEDIA_MAX_SIZE", 512 * 1024 ** 2, 1024, 4 * 1024 ** 3),
    mediaEngine: oneOf(env, "HUB_MEDIA_ENGINE", ["wasm", "native", "auto"] as const, "auto"),
    mediaQueueSize: integer(env, "HUB_MEDIA_QUEUE", 16, 1, 10_000),
    scrubIntervalSeconds: integer(env, "HUB_SCRUB_INTERVAL", 6 * 3600, 0, 30 * 86400),
    retentionSweepAt: timeOfDay(env, "HUB_RETENTION_SWEEP_AT", "02:30"),
    retentionHoldingsBatch: integer(env, "HUB_RETENTION_HOLDINGS_BATCH", 1000, 0, 100_000),
    catalogSyncIntervalSeconds: integer(env, "HUB_CATALOG_SYNC_INTERVAL", 3600, 0, 7 * 86400),
    archiveMaxDeferSeconds: integer(env, "HUB_ARCHIVE_MAX_DEFER", 900, 0, 86400),
    plugins: (env.HUB_PLUGINS ?? "").trim(),
    pluginOutboxIntervalSeconds: integer(env, "HUB_PLUGIN_OUTBOX_INTERVAL", 5, 1, 3600),
    publicUrl: publicUrl(env, `http://${urlHost(env.HOST || "127.0.0.1")}:${env.PORT || "8080"}`),
    auditSigningKeyFile: env.HUB_AUDIT_SIGNING_KEY || null,
    auditCheckpointEvery: integer(env, "HUB_AUDIT_CHECKPOINT_EVERY", 1000, 1, 1_000_000),
    auditCheckpointSeconds: integer(env, "HUB_AUDIT_CHECKPOINT_SECONDS", 60, 1, 86400),
    trustProxy: oneOf(env, "HUB_TRUST_PROXY", ["on", "off"] as const, "off") === "on",
    corsOrigins: origins("HUB_CORS_ORIGINS", env.HUB_CORS_ORIGINS),
    soapBodyLimitBytes: size(env, "HUB_SOAP_BODY_LIMIT", 1024 ** 2, 1024, 64 * 1024 ** 2),
    outboxIntervalSeconds: integer(env, "HUB_OUTBOX_INTERVAL", 1, 1, 3600),
    salesPullIntervalSeconds: integer(env, "HUB_SALES_PULL_INTERVAL", 900, 0, 86_400),
    logLevel: oneOf(env, "LOG_LEVEL", ["fatal", "error", "warn", "info", "debug", "trace"] as const, "info"),
  };
}
