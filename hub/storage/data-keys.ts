import crypto from "node:crypto";

/*
 * Envelope encryption of recordings (docs/evidence-store.md, "Keys"): a random data key per recording, kept only
 * wrapped by the master key, and one key per stored object derived from it.
 */

const WRAP_VERSION = "v1";

/** First 16 hex digits of SHA-256 over the key, naming which master key wrapped a data key (rotation). */
export function masterKeyId(masterKey: Buffer): string {
  return crypto
    .createHash("sha256")
    .update("dr-master-key-id:v1:")
    .update(masterKey)
    .digest("hex")
    .slice(0, 16);
}

export class KeyUnwrapError extends Error {
  constructor(reason: string) {
    super(`cannot unwrap the data key: ${reason}`);
  }
}

/** Wraps with the master key and keeps master keys apart; one instance per process. */
export class KeyRing {
  readonly masterKeyId: string;

  constructor(private readonly masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error("the master key must be 32 bytes");
    this.masterKeyId = masterKeyId(masterKey);
  }

  /** A fresh data key for a new recording, and its wrapped form to store in the recording's row. */
  newDataKey(recordingId: string): { dataKey: Buffer; wrapped: string } {
    const dataKey = crypto.randomBytes(32);
    return { dataKey, wrapped: this.wrap(recordingId, dataKey) };
  }

  /** `v1:<masterKeyId>:<base64(iv ‖ ciphertext ‖ tag)>`, AES-256-GCM bound to the recording id. */
  wrap(recordingId: string, dataKey: Buffer): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv("aes-256-gcm", this.masterKey, iv);
    cipher.setAAD(Buffer.from(`dr-key:v1:${recordingId}`, "utf8"));
    const body = Buffer.concat([cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
    return `${WRAP_VERSION}:${this.masterKeyId}:${Buffer.concat([iv, body]).toString("base64")}`;
  }

  /**
   * A key for another purpose of the nodes that hold the master key (playback tickets), so that it needs no
   * secret of its own to distribute: HKDF-SHA256(master key, no salt, `info`, 32 bytes). Each purpose names its
   * own `info` (never `dr-key:…` or `dr-object:…`); the derived key reveals neither the master key nor another's.
   */
  derive(info: string): Buffer {
    if (!/^dr-[a-z-]+:v\d+$/.test(info) || info.startsWith("dr-key:") || info.startsWith("dr-object:")) {
      throw new Error(`not a purpose of its own: ${info}`);
    }
    return Buffer.from(crypto.hkdfSync("sha256", this.masterKey, Buffer.alloc(0), info, 32));
  }

  /** @throws KeyUnwrapError for another master key, another recording's key or a damaged value. */
  unwrap(recordingId: string, wrapped: string): Buffer {
    const [version, keyId, payload] = wrapped.split(":");
    if (version !== WRAP_VERSION || !payload) throw new KeyUnwrapError("unknown format");
    if (keyId !== this.masterKeyId) throw new KeyUnwrapError(`wrapped by master key ${keyId}, not this one`);
    const raw = Buffer.from(payload, "base64");
    if (raw.length !== 12 + 32 + 16) throw new KeyUnwrapError("wrong length");
    const decipher = crypto.createDecipheriv("aes-256-gcm", this.masterKey, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(`dr-key:v1:${recordingId}`, "utf8"));
    decipher.setAuthTag(raw.subarray(12 + 32));
    try {
      return Buffer.concat([decipher.update(raw.subarray(12, 12 + 32)), decipher.final()]);
    } catch {
      throw new KeyUnwrapError("authentication failed (another recording's key, or altered)");
    }
  }
}

/** The key of one stored object: HKDF-SHA256(data key, no salt, `dr-object:v1:<objectId>`). */
export function objectKey(dataKey: Buffer, objectId: string): Buffer {
  return Buffer.from(crypto.hkdfSync("sha256", dataKey, Buffer.alloc(0), `dr-object:v1:${objectId}`, 32));
}
