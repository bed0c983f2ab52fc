import crypto, { type KeyObject } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { HubConfig } from "./config";
import { ConfigError } from "./errors/hub-error";

export interface AuditKeys {
  privateKey: KeyObject | null;
  publicKey: KeyObject;
}

function keysDir(config: HubConfig): string {
  return path.join(config.dataDir, "keys");
}

function writeSecretFile(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // "wx": never overwrite a key another process generated a moment ago.
  try {
    fs.writeFileSync(file, content, { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
}

/**
 * Key for personal data in database columns (customers' identity numbers and phones): HUB_DATA_KEY, else generated
 * once into the data dir. Every node running a service that reads customers needs the same key; losing it loses
 * those columns, so it is backed up with the other keys.
 */
export function loadDataKey(config: HubConfig): Buffer {
  if (config.dataKey) return config.dataKey;
  const file = path.join(keysDir(config), "data-key");
  if (!fs.existsSync(file)) writeSecretFile(file, crypto.randomBytes(32).toString("base64"));
  return Buffer.from(fs.readFileSync(file, "utf8").trim(), "base64");
}

/**
 * Key that wraps every recording's data key: HUB_MASTER_KEY, else generated once into the data dir. Every node
 * running the gateway or the recordings service needs the same one; losing it loses every recording.
 */
export function loadMasterKey(config: HubConfig): Buffer {
  if (config.masterKey) return config.masterKey;
  const file = path.join(keysDir(config), "master-key");
  if (!fs.existsSync(file)) writeSecretFile(file, crypto.randomBytes(32).toString("base64"));
  return Buffer.from(fs.readFileSync(file, "utf8").trim(), "base64");
}

/** HMAC secret for bearer tokens: HUB_TOKEN_SECRET, else generated once into the data dir. */
export function loadTokenSecret(config: HubConfig): Buffer {
  if (config.tokenSecret) return Buffer.from(config.tokenSecret, "utf8");
  const file = path.join(keysDir(config), "token-secret");
  if (!fs.existsSync(file)) writeSecretFile(file, crypto.randomBytes(32).toString("hex"));
  return Buffer.from(fs.readFileSync(file, "utf8").trim(), "utf8");
}

export function auditPublicKeyFile(config: HubConfig): string {
  const privateFile = config.auditSigningKeyFile ?? path.join(keysDir(config), "audit-signing-key.pem");
  return privateFile.replace(/\.pem$/, "") + ".pub.pem";
}

/**
 * Ed25519 key that signs audit checkpoints: HUB_AUDIT_SIGNING_KEY (a PEM file), else generated once into the
 * data dir. The public half is written beside it so that verifiers need nothing else.
 */
export function loadAuditKeys(config: HubConfig): AuditKeys {
  const privateFile = config.auditSigningKeyFile ?? path.join(keysDir(config), "audit-signing-key.pem");
  if (!fs.existsSync(privateFile)) {
    if (config.auditSigningKeyFile) {
      throw new ConfigError("HUB_AUDIT_SIGNING_KEY", `no such file: ${privateFile}`);
    }
    const { privateKey } = crypto.generateKeyPairSync("ed25519");
    writeSecretFile(privateFile, privateKey.export({ type: "pkcs8", format: "pem" }).toString());
  }
  let privateKey: KeyObject;
  try {
    privateKey = crypto.createPrivateKey(fs.readFileSync(privateFile));
  } catch (err) {
    throw new ConfigError(
      "HUB_AUDIT_SIGNING_KEY",
      `cannot read an Ed25519 PEM key from ${privateFile}: ${err}`,
    );
  }
  if (privateKey.asymmetricKeyType !== "ed25519") {
    throw new ConfigError("HUB_AUDIT_SIGNING_KEY", `${privateFile} is not an Ed25519 key`);
  }
  const publicKey = crypto.createPublicKey(privateKey);
  const publicFile = auditPublicKeyFile(config);
  if (!fs.existsSync(publicFile)) {
    fs.writeFileSync(publicFile, publicKey.export({ type: "spki", format: "pem" }).toString());
  }
  return { privateKey, publicKey };
}

/** For offline verification: only the public key is needed. */
export function loadAuditPublicKey(config: HubConfig): KeyObject {
  const publicFile = auditPublicKeyFile(config);
  if (!fs.existsSync(publicFile)) {
    throw new ConfigError("HUB_AUDIT_SIGNING_KEY", `public key not found at ${publicFile}`);
  }
  return crypto.createPublicKey(fs.readFileSync(publicFile));
}
