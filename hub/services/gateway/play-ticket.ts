import crypto from "node:crypto";
import { isRendition, type Rendition } from "../../domain/recording";
import { HubError } from "../../errors/hub-error";

/*
 * Playback tickets. A `<video src>` cannot send `Authorization: Bearer`, and a bearer token must never appear in a
 * URL (proxy and access logs, browser history, Referer). So the media route also takes `?ticket=`: the caller's
 * token, the recording, the rendition and an expiry, sealed with AES-256-GCM under a key derived from the master
 * key. A ticket is stateless — any gateway node of the cluster opens it — and whoever reads one in a log learns
 * neither the token nor anything to use beyond that one recording for a few minutes.
 */

/**
 * How long a ticket works: long enough to open the player, watch and seek about (each seek is a new Range request
 * carrying the same URL), short enough that a URL leaked from a log or a history is dead soon after. The player
 * asks for a new ticket when one has run out.
 */
export const PLAY_TICKET_LIFETIME_MS = 10 * 60_000;

/** HKDF `info` of the ticket key; a new version of the format takes a new one, and old tickets then fail. */
export const PLAY_TICKET_KEY_INFO = "dr-play-ticket:v1";

const AAD = Buffer.from("dr-play-ticket:v1", "utf8");
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface PlayTicket {
  /** The bearer token of whoever asked for it: every request with the ticket is that session's. */
  token: string;
  recordingId: string;
  rendition: Rendition;
  /** Expiry, epoch milliseconds. */
  exp: number;
}

/** `base64url(iv ‖ AES-256-GCM(JSON {t, r, n, e}) ‖ tag)`, AAD `dr-play-ticket:v1`. */
export function sealPlayTicket(key: Buffer, ticket: PlayTicket): string {
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(AAD);
  const plain = JSON.stringify({
    t: ticket.token,
    r: ticket.recordingId,
    n: ticket.rendition,
    e: ticket.exp,
  });
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return Buffer.concat([iv, body]).toString("base64url");
}

function invalid(why: string): HubError {
  return new HubError("HUB_PLAY_TICKET_INVALID", why, { field: "query.ticket" });
}

/**
 * The token a ticket stands for, if it was sealed by this hub for exactly this recording and rendition and has not
 * expired. @throws HubError HUB_PLAY_TICKET_INVALID or HUB_PLAY_TICKET_EXPIRED.
 */
export function openPlayTicket(
  key: Buffer,
  sealed: string,
  expected: { recordingId: string; rendition: string; now: Date },
): string {
  const raw = /^[A-Za-z0-9_-]+$/.test(sealed) ? Buffer.from(sealed, "base64url") : Buffer.alloc(0);
  if (raw.length <= IV_BYTES + TAG_BYTES) throw invalid("the ticket is malformed");
  const decipher = crypto.createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES));
  decipher.setAAD(AAD);
  decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
  let claims: { t?: unknown; r?: unknown; n?: unknown; e?: unknown };
  try {
    const plain = Buffer.concat([
      decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)),
      decipher.final(),
    ]);
    claims = JSON.parse(plain.toString("utf8"));
  } catch {
    throw invalid("the ticket was altered or not issued by this hub");
  }
  if (
    typeof claims?.t !== "string" ||
    typeof claims.r !== "string" ||
    !isRendition(claims.n) ||
    typeof claims.e !== "number"
  ) {
    throw invalid("the ticket is malformed");
  }
  if (claims.r !== expected.recordingId) throw invalid("the ticket is for another recording");
  if (claims.n !== expected.rendition) throw invalid(`the ticket is for the ${claims.n} rendition`);
  if (claims.e <= expected.now.getTime()) {
    throw new HubError("HUB_PLAY_TICKET_EXPIRED", `expired at ${new Date(claims.e).toISOString()}`, {
      field: "query.ticket",
      expiresAt: new Date(claims.e).toISOString(),
    });
  }
  return claims.t;
}
