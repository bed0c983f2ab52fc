import path from "node:path";
import { loadConfig, parseDatabaseUrl, parseDuration, parseSize, SERVICE_NAMES } from "./config";
import { ConfigError } from "./errors/hub-error";

describe("configuration", () => {
  it("has embedded defaults: one process, SQLite under ./data, 127.0.0.1:8080, demo on", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      host: "127.0.0.1",
      port: 8080,
      transporter: null,
      services: SERVICE_NAMES,
      demo: true,
      migrate: "auto",
    });
    expect(c.database).toEqual({ type: "sqlite", file: path.resolve("./data/hub.sqlite") });
    expect(c.tokenTtlSeconds).toBe(8 * 3600);
    expect(c.passwordMaxAgeDays).toBe(90);
    expect(c.lockoutThreshold).toBe(5);
    expect(c.lockoutMinutes).toBe(15);
    expect(c.jsonLimitBytes).toBe(1024 * 1024);
    expect(c.importMaxBytes).toBe(100 * 1024 * 1024);
    expect(c.importInlineBytes).toBe(512 * 1024);
    expect(c.namespace).toBe("dual-record");
  });

  it("reads a cluster node's settings", () => {
    const c = loadConfig({
      TRANSPORTER: "nats://127.0.0.1:4222",
      HUB_SERVICES: "gateway, audit",
      DATABASE_URL: "postgres://u@db:5432/hub",
      HUB_TOKEN_TTL: "30m",
      HUB_JSON_LIMIT: "512kb",
      HUB_IMPORT_MAX_SIZE: "1gb",
      HUB_IMPORT_INLINE_SIZE: "0",
    });
    expect(c.transporter).toBe("nats://127.0.0.1:4222");
    expect(c.services).toEqual(["gateway", "audit"]);
    expect(c.database).toEqual({ type: "postgres", url: "postgres://u@db:5432/hub" });
    expect(c.tokenTtlSeconds).toBe(1800);
    expect(c.jsonLimitBytes).toBe(512 * 1024);
    expect(c.importMaxBytes).toBe(1024 ** 3);
    expect(c.importInlineBytes).toBe(0);
  });

  it("parses Oracle URLs for oracledb thin mode", () => {
    expect(parseDatabaseUrl("oracle://hub:s%40cret@ora.bank:1522/HUBPDB", "/d")).toEqual({
      type: "oracle",
      user: "hub",
      password: "s@cret",
      connectString: "ora.bank:1522/HUBPDB",
    });
  });

  it.each([
    ["PORT", { PORT: "eighty" }, /PORT: must be a whole number/],
    ["PORT", { PORT: "70000" }, /PORT: must be between 0 and 65535/],
    ["HUB_SERVICES", { HUB_SERVICES: "gateway,recorder" }, /HUB_SERVICES: unknown service "recorder"/],
    ["TRANSPORTER", { TRANSPORTER: "redis://x" }, /TRANSPORTER: only nats/],
    ["DATABASE_URL", { DATABASE_URL: "mysql://x" }, /DATABASE_URL: must start with/],
    ["DATABASE_URL", { DATABASE_URL: "oracle://nohost" }, /DATABASE_URL: oracle URL must look like/],
    ["HUB_DEMO", { HUB_DEMO: "yes" }, /HUB_DEMO: must be one of on, off/],
    ["HUB_TOKEN_TTL", { HUB_TOKEN_TTL: "8 hours" }, /HUB_TOKEN_TTL: must be a duration/],
    ["HUB_TOKEN_SECRET", { HUB_TOKEN_SECRET: "short" }, /HUB_TOKEN_SECRET: must be at least 32/],
    ["HUB_JSON_LIMIT", { HUB_JSON_LIMIT: "1tb" }, /HUB_JSON_LIMIT: must be a size/],
    ["HUB_JSON_LIMIT", { HUB_JSON_LIMIT: "1gb" }, /HUB_JSON_LIMIT: must be between 1kb and 64mb/],
    [
      "HUB_IMPORT_MAX_SIZE",
      { HUB_IMPORT_MAX_SIZE: "2gb" },
      /HUB_IMPORT_MAX_SIZE: must be between 1kb and 1gb/,
    ],
    ["HUB_IMPORT_INLINE_SIZE", { HUB_IMPORT_INLINE_SIZE: "half" }, /HUB_IMPORT_INLINE_SIZE: must be a size/],
    ["HUB_NAMESPACE", { HUB_NAMESPACE: "Prod Env" }, /HUB_NAMESPACE: lower-case/],
    ["LOG_LEVEL", { LOG_LEVEL: "loud" }, /LOG_LEVEL: must be one of/],
    ["HUB_CORS_ORIGINS", { HUB_CORS_ORIGINS: "*" }, /HUB_CORS_ORIGINS: must list origins/],
    [
      "HUB_CORS_ORIGINS",
      { HUB_CORS_ORIGINS: "https://a.example/teller" },
      /HUB_CORS_ORIGINS: must list origins/,
    ],
    ["HUB_CORS_ORIGINS", { HUB_CORS_ORIGINS: "ftp://a.example" }, /HUB_CORS_ORIGINS: must list origins/],
    ["HUB_CORS_ORIGINS", { HUB_CORS_ORIGINS: "teller.bank.example" }, /HUB_CORS_ORIGINS: must list origins/],
  ])("refuses a bad %s, naming it", (_name, env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("reads the CORS origins as a list, none by default", () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(
      loadConfig({ HUB_CORS_ORIGINS: " https://teller.bank.example , http://10.1.2.3:8080" }).corsOrigins,
    ).toEqual(["https://teller.bank.example", "http://10.1.2.3:8080"]);
  });

  it("links to the hub at HUB_PUBLIC_URL, by default at HOST and PORT", () => {
    expect(loadConfig({}).publicUrl).toBe("http://127.0.0.1:8080");
    expect(loadConfig({ HOST: "10.1.2.3", PORT: "9090" }).publicUrl).toBe("http://10.1.2.3:9090");
    expect(loadConfig({ HUB_PUBLIC_URL: "https://hub.bank.example/" }).publicUrl).toBe(
      "https://hub.bank.example",
    );
    expect(loadConfig({ HUB_PUBLIC_URL: "https://www.bank.example/dual-record/" }).publicUrl).toBe(
      "https://www.bank.example/dual-record",
    );
    for (const bad of [
      "hub.bank.example",
      "ftp://hub",
      "https://u:p@hub",
      "https://hub/?a=1",
      "https://hub/#x",
    ])
      expect(() => loadConfig({ HUB_PUBLIC_URL: bad })).toThrow(
        /HUB_PUBLIC_URL: must be an http\(s\) address/,
      );
  });

  it("passes over the plugin outbox every 5 seconds by default (1–3600)", () => {
    expect(loadConfig({}).pluginOutboxIntervalSeconds).toBe(5);
    expect(loadConfig({ HUB_PLUGIN_OUTBOX_INTERVAL: "1" }).pluginOutboxIntervalSeconds).toBe(1);
    expect(() => loadConfig({ HUB_PLUGIN_OUTBOX_INTERVAL: "0" })).toThrow(
      /HUB_PLUGIN_OUTBOX_INTERVAL: must be between 1 and 3600/,
    );
  });

  it("syncs the catalog hourly and asks about 1000 holdings per sweep by default; 0 turns either off", () => {
    expect(loadConfig({})).toMatchObject({ catalogSyncIntervalSeconds: 3600, retentionHoldingsBatch: 1000 });
    expect(loadConfig({ HUB_CATALOG_SYNC_INTERVAL: "0", HUB_RETENTION_HOLDINGS_BATCH: "0" })).toMatchObject({
      catalogSyncIntervalSeconds: 0,
      retentionHoldingsBatch: 0,
    });
    expect(() => loadConfig({ HUB_CATALOG_SYNC_INTERVAL: "hourly" })).toThrow(/HUB_CATALOG_SYNC_INTERVAL/);
    expect(() => loadConfig({ HUB_RETENTION_HOLDINGS_BATCH: "1000000" })).toThrow(
      /HUB_RETENTION_HOLDINGS_BATCH: must be between 0 and 100000/,
    );
  });

  it("parses durations and sizes within bounds", () => {
    expect(parseDuration("X", "8h")).toBe(28800);
    expect(parseDuration("X", "3600")).toBe(3600);
    expect(() => parseDuration("X", "10s")).toThrow(/between 1 minute and 7 days/);
    expect(parseSize("X", "1mb")).toBe(1048576);
    expect(() => parseSize("X", "10")).toThrow(/between 1kb and 64mb/);
  });
});
