import crypto from "node:crypto";

const VERSION = "v1";

/**
 * Encrypts personal data kept in database columns (identity numbers, phones) with AES-256-GCM, and derives keyed
 * hashes ("blind indexes") so that a customer can be found by identity or card number without decrypting every row.
 * A stolen database alone reveals neither.
 */
export class FieldCipher {
  private readonly encryptionKey: Buffer;
  private readonly indexKey: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error("the data key must be 32 bytes");
    // Separate keys for separate purposes, both derived from the one configured key.
    this.encryptionKey = Buffer.from(
      crypto.hkdfSync("sha256", masterKey, Buffer.alloc(0), "dual-record field encryption", 32),
    );
    this.indexKey = Buffer.from(
      crypto.hkdfSync("sha256", masterKey, Buffer.alloc(0), "dual-record blind index", 32),
    );
  }

  /** `v1:` + base64(iv ‖ tag ‖ ciphertext). */
  encrypt(plaintext: string): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv("aes-256-gcm", this.encryptionKey, iv);
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64")}`;
  }

  decrypt(stored: string): string {
    const [version, payload] = stored.split(":");
    if (version !== VERSION || !payload) throw new Error("not an encrypted field");
    const bytes = Buffer.from(payload, "base64");
    const decipher = crypto.createDecipheriv("aes-256-gcm", this.encryptionKey, bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString("utf8");
  }

  /** Equal inputs of the same kind give equal indexes; the kind keeps an ID number from matching a card number. */
  blindIndex(kind: "id" | "card", value: string): string {
    return crypto
      .createHmac("sha256", this.indexKey)
      .update(`${kind}:${normalise(kind, value)}`)
      .digest("hex");
  }
}

function normalise(kind: "id" | "card", value: string): string {
  const trimmed = value.trim().toUpperCase();
  return kind === "card" ? trimmed.replace(/[\s-]/g, "") : trimmed;
}
