import { ServiceBroker } from "moleculer";
import { brokerOptions } from "../moleculer.config";
import { SERVICE_NAMES, type HubConfig, type ServiceName } from "./config";
import { openDatabase, type Database } from "./db/database";
import { AuditCheckpointEntity } from "./db/entities";
import { keyIdOf } from "./domain/audit-chain";
import { seedDemoData, type DemoSeedResult } from "./demo/seed";
import { ConfigError } from "./errors/hub-error";
import { loadAuditKeys, loadDataKey, loadMasterKey, loadTokenSecret } from "./keys";
import { KeyRing } from "./storage/data-keys";
import { openEvidenceStore } from "./storage";
import { alarmSink } from "./services/evidence-alarms";
import { FieldCipher } from "./crypto/field-cipher";
import type { HubRuntime } from "./runtime";
import { openPluginHost } from "./plugins";
import type { PluginHost } from "../plugins/sdk";
import { SchemaRegistry } from "./schemas";
import { createAccessService } from "./services/access/access.service";
import { auditMiddleware } from "./services/audit/audit.middleware";
import { createAuditService } from "./services/audit/audit.service";
import { createGatewayService } from "./services/gateway/gateway.service";
import { HubMetrics } from "./metrics/metrics";
import { createMetricsService } from "./metrics/metrics.service";
import { createOrgService } from "./services/org/org.service";
import { createCatalogService } from "./services/catalog/catalog.service";
import { createRiskLookupService } from "./services/risk-lookup/risk-lookup.service";
import { createImportsService } from "./services/imports/imports.service";
import { createRecordingsService } from "./services/recordings/recordings.service";
import { createRetentionService } from "./services/retention/retention.service";
import { createLegacyFaceService } from "./services/legacy-face/legacy-face.service";
import { LoadProbe } from "./services/legacy-face/load";
import { transactionChannels } from "./services/legacy-face/outbox";

export interface HubOptions {
  /** A clock tests can move (lockout, expiry); defaults to the system clock. */
  clock?: () => Date;
}

export interface Hub {
  config: HubConfig;
  broker: ServiceBroker;
  db: Database | null;
  demo: DemoSeedResult | null;
  /** Base URL of the gateway, when this node runs one. */
  url: string | null;
  /** The bank systems' adapters this node runs (HUB_PLUGINS); null on a node without a database. */
  plugins: PluginHost | null;
  stop(): Promise<void>;
}

const SERVICES_WITH_DATABASE: readonly ServiceName[] = [
  "access",
  "org",
  "audit",
  "catalog",
  "risk-lookup",
  "imports",
  "recordings",
  "retention",
  "legacy-face",
];

/**
 * Database (migrated, or refusing to run with pending migrations under HUB_MIGRATE=off) and keys. Refuses a
 * signing key other than the one that signed the stored checkpoints: a replaced key would make the chain
 * unverifiable from that point on.
 */
export async function openRuntime(
  config: HubConfig,
  clock: () => Date,
  metrics = new HubMetrics(),
  schemas = new SchemaRegistry(),
): Promise<HubRuntime> {
  // Checked before the database opens: a wrong HUB_PLUGINS stops the node with its coded error (HUB_PLUGIN_*).
  const plugins = openPluginHost(config);
  const db = await openDatabase(config.database);
  try {
    if (config.migrate === "auto") await db.migrate();
    else if (await db.pendingMigrations()) {
      throw new ConfigError(
        "HUB_MIGRATE",
        "migrations are pending; run `dual-record migrate` or set HUB_MIGRATE=auto",
      );
    }
    const auditKeys = loadAuditKeys(config);
    const latest = await db.manager
      .getRepository(AuditCheckpointEntity)
      .find({ order: { seq: "DESC" }, take: 1 });
    const keyId = keyIdOf(auditKeys.publicKey);
    if (latest.length && latest[0].keyId !== keyId) {
      throw new ConfigError(
        "HUB_AUDIT_SIGNING_KEY",
        `the audit chain is signed by key ${latest[0].keyId} but this node holds key ${keyId}; restore the original key (see docs/operations.md)`,
      );
    }
    return {
      config,
      db,
      schemas,
      tokenSecret: loadTokenSecret(config),
      fields: new FieldCipher(loadDataKey(config)),
      auditKeys,
      keyRing: new KeyRing(loadMasterKey(config)),
      clock,
      metrics,
      plugins,
    };
  } catch (err) {
    await db.close();
    await plugins.close();
    throw err;
  }
}

/** Builds and starts one hub node running `config.services`. */
export async function startHub(config: HubConfig, options: HubOptions = {}): Promise<Hub> {
  const clock = options.clock ?? (() => new Date());
  const schemas = new SchemaRegistry();
  const metrics = new HubMetrics();
  const needsDatabase = config.services.some((s) => SERVICES_WITH_DATABASE.includes(s));

  let db: Database | null = null;
  let demo: DemoSeedResult | null = null;
  let runtime: HubRuntime | null = null;
  if (needsDatabase) {
    runtime = await openRuntime(config, clock, metrics, schemas);
    db = runtime.db;
    try {
      if (config.demo) demo = await seedDemoData(runtime);
    } catch (err) {
      await db.close();
      await runtime.plugins.close();
      throw err;
    }
  }

  // The SOAP face's archive waits while the node is busy; in a cluster its notifications travel through JetStream.
  const legacyFace = config.services.includes("legacy-face");
  const load = new LoadProbe();
  const middlewares = [auditMiddleware(clock, metrics)];
  if (legacyFace) middlewares.push(load.middleware());
  if (legacyFace && config.transporter) middlewares.push(transactionChannels(config.transporter));
  const broker = new ServiceBroker(brokerOptions(config, middlewares));
  // One store per process: the gateway writes and reads media, the recordings service scrubs and processes it.
  const evidence = {
    keyRing: runtime?.keyRing ?? new KeyRing(loadMasterKey(config)),
    store: openEvidenceStore(
      config,
      alarmSink(
        (draft) => broker.call("audit.append", draft),
        () => broker.getLogger("evidence"),
        metrics,
        clock,
      ),
      // The store's own day decides what it may delete (retention locks); tests move it with the hub's clock.
      clock,
    ),
  };
  // Every node reports its own metrics; the gateway gathers them for /metrics.
  broker.createService(createMetricsService(metrics));
  const factories: Record<ServiceName, () => void> = {
    gateway: () => broker.createService(createGatewayService({ config, schemas, metrics, clock, evidence })),
    access: () => broker.createService(createAccessService(runtime!)),
    org: () => broker.createService(createOrgService(runtime!)),
    audit: () => broker.createService(createAuditService(runtime!)),
    catalog: () => broker.createService(createCatalogService(runtime!)),
    "risk-lookup": () => broker.createService(createRiskLookupService(runtime!)),
    imports: () => broker.createService(createImportsService(runtime!)),
    recordings: () => broker.createService(createRecordingsService(runtime!, evidence)),
    retention: () => broker.createService(createRetentionService(runtime!, evidence)),
    "legacy-face": () => broker.createService(createLegacyFaceService(runtime!, evidence, load)),
  };
  for (const name of SERVICE_NAMES) if (config.services.includes(name)) factories[name]();

  try {
    await broker.start();
  } catch (err) {
    await db?.close();
    await runtime?.plugins.close();
    metrics.stop();
    load.stop();
    throw err;
  }

  let url: string | null = null;
  if (config.services.includes("gateway")) {
    const gateway = broker.getLocalService("gateway") as unknown as { server: import("node:http").Server };
    const address = gateway.server.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    url = `http://${config.host}:${port}`;
  }

  return {
    config,
    broker,
    db,
    demo,
    url,
    plugins: runtime?.plugins ?? null,
    async stop() {
      await broker.stop();
      await db?.close();
      await runtime?.plugins.close();
      metrics.stop();
      load.stop();
    },
  };
}
