import type { PluginHost } from "../plugins/sdk";
import type { HubConfig } from "./config";
import type { FieldCipher } from "./crypto/field-cipher";
import type { Database } from "./db/database";
import type { AuditKeys } from "./keys";
import type { HubMetrics } from "./metrics/metrics";
import type { SchemaRegistry } from "./schemas";
import type { KeyRing } from "./storage/data-keys";

/** What services are built from: configuration, the database and keys, and a clock tests can move. */
export interface HubRuntime {
  config: HubConfig;
  db: Database;
  schemas: SchemaRegistry;
  tokenSecret: Buffer;
  /** Encrypts and indexes personal data kept in columns. */
  fields: FieldCipher;
  auditKeys: AuditKeys;
  /** Wraps and unwraps recordings' data keys with the master key. */
  keyRing: KeyRing;
  clock: () => Date;
  metrics: HubMetrics;
  /** The bank systems' adapters (HUB_PLUGINS), asked by capability; none configured answers `has() === false`. */
  plugins: PluginHost;
}
