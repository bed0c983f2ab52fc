import crypto from "node:crypto";
import { KeyRing } from "../../storage/data-keys";
import { openPlayTicket, PLAY_TICKET_KEY_INFO, sealPlayTicket, type PlayTicket } from "./play-ticket";

const master = crypto.randomBytes(32);
const key = new KeyRing(master).derive(PLAY_TICKET_KEY_INFO);
const now = new Date("2026-11-23T09:30:00.000Z");
const id = "a".repeat(32);
const ticket: PlayTicket = {
  token: "header.payload.signature",
  recordingId: id,
  rendition: "original",
  exp: now.getTime() + 60_000,
};
const expected = { recordingId: id, rendition: "original", now };

function codeOf(work: () => unknown): string | null {
  try {
    work();
    return null;
  } catch (err) {
    return (err as { type?: string }).type ?? String(err);
  }
}

describe("play tickets", () => {
  it("opens to the sealed token for the same recording and rendition before it expires", () => {
    const sealed = sealPlayTicket(key, ticket);
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain("payload");
    expect(openPlayTicket(key, sealed, expected)).toBe(ticket.token);
    // Same input, different ticket (a fresh IV each time).
    expect(sealPlayTicket(key, ticket)).not.toBe(sealed);
  });

  it("is refused when altered, truncated, sealed with another key, or for another recording or rendition", () => {
    const sealed = sealPlayTicket(key, ticket);
    const raw = Buffer.from(sealed, "base64url");
    for (let i = 0; i < raw.length; i += 7) {
      const bad = Buffer.from(raw);
      bad[i] ^= 0x01;
      expect(codeOf(() => openPlayTicket(key, bad.toString("base64url"), expected))).toBe(
        "HUB_PLAY_TICKET_INVALID",
      );
    }
    for (const bad of [sealed.slice(0, -1), sealed.slice(0, 20), "", "x", `${sealed}=`, `${sealed}.`]) {
      expect(codeOf(() => openPlayTicket(key, bad, expected))).toBe("HUB_PLAY_TICKET_INVALID");
    }
    const otherKey = new KeyRing(crypto.randomBytes(32)).derive(PLAY_TICKET_KEY_INFO);
    expect(codeOf(() => openPlayTicket(otherKey, sealed, expected))).toBe("HUB_PLAY_TICKET_INVALID");
    expect(codeOf(() => openPlayTicket(key, sealed, { ...expected, recordingId: "b".repeat(32) }))).toBe(
      "HUB_PLAY_TICKET_INVALID",
    );
    expect(codeOf(() => openPlayTicket(key, sealed, { ...expected, rendition: "canonical" }))).toBe(
      "HUB_PLAY_TICKET_INVALID",
    );
  });

  it("expires at exp", () => {
    const sealed = sealPlayTicket(key, ticket);
    expect(
      codeOf(() => openPlayTicket(key, sealed, { ...expected, now: new Date(ticket.exp - 1) })),
    ).toBeNull();
    expect(codeOf(() => openPlayTicket(key, sealed, { ...expected, now: new Date(ticket.exp) }))).toBe(
      "HUB_PLAY_TICKET_EXPIRED",
    );
  });

  it("uses a key of its own, derived from the master key, the same on every node", () => {
    expect(new KeyRing(Buffer.from(master)).derive(PLAY_TICKET_KEY_INFO).equals(key)).toBe(true);
    expect(key.equals(master)).toBe(false);
    expect(new KeyRing(master).derive("dr-other-purpose:v1").equals(key)).toBe(false);
    for (const reserved of ["dr-key:v1", "dr-object:v1", "anything", ""]) {
      expect(() => new KeyRing(master).derive(reserved)).toThrow(/not a purpose of its own/);
    }
  });
});
