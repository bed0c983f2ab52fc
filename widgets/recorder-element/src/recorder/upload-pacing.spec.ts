import { UploadPacer } from "./upload-pacing";

const MiB = 1024 * 1024;

describe("upload pacing", () => {
  it("sends at once when there is no cap", () => {
    const p = new UploadPacer({ capBytesPerSecond: 0 });
    expect(p.delayBefore(MiB, 0)).toBe(0);
    expect(p.delayBefore(MiB, 1)).toBe(0);
  });

  it("keeps the average rate under the cap", () => {
    const cap = 256 * 1024; // 256 KB/s
    const p = new UploadPacer({ capBytesPerSecond: cap });
    let now = 0;
    let sent = 0;
    for (let i = 0; i < 20; i++) {
      now += p.delayBefore(128 * 1024, now);
      sent += 128 * 1024;
      now += 10; // the request itself is quick on a fast LAN
    }
    // 20 × 128 KiB at 256 KiB/s takes at least 9.5 s (the first request goes at once).
    expect(now).toBeGreaterThanOrEqual(((sent - 128 * 1024) / cap) * 1000);
    expect(sent / (now / 1000)).toBeLessThanOrEqual(cap * 1.06);
  });

  it("does not bank unused allowance while idle", () => {
    const p = new UploadPacer({ capBytesPerSecond: 100_000 });
    expect(p.delayBefore(100_000, 0)).toBe(0);
    expect(p.delayBefore(100_000, 60_000)).toBe(0);
    expect(p.delayBefore(100_000, 60_000)).toBe(1000);
  });

  it("backs off when a request is much slower than the best seen, longer while it stays busy", () => {
    const p = new UploadPacer({ capBytesPerSecond: 0, minBackoffMs: 1000, maxBackoffMs: 8000 });
    expect(p.observe(MiB, 100)).toBe(0); // best: 100 ms per MiB
    expect(p.observe(MiB, 300)).toBe(0); // 3× slower: still fine
    expect(p.observe(MiB, 500)).toBe(1000); // 5×: busy
    expect(p.observe(MiB, 900)).toBe(2000);
    expect(p.observe(MiB, 900)).toBe(4000);
    expect(p.observe(MiB, 900)).toBe(8000);
    expect(p.observe(MiB, 900)).toBe(8000); // capped
    expect(p.observe(MiB, 120)).toBe(0); // idle again
    expect(p.observe(MiB, 900)).toBe(1000); // the streak starts over
  });

  it("ignores tiny requests when judging the link", () => {
    const p = new UploadPacer({ capBytesPerSecond: 0 });
    expect(p.observe(1000, 5000)).toBe(0);
    expect(p.observe(MiB, 100)).toBe(0);
    expect(p.observe(10, 100_000)).toBe(0);
  });

  it("retries failures for ever with a growing, capped delay that a success resets", () => {
    const p = new UploadPacer({ capBytesPerSecond: 0, minBackoffMs: 500, maxBackoffMs: 30_000 });
    const delays = Array.from({ length: 10 }, () => p.failed());
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
    p.observe(MiB, 100);
    expect(p.failed()).toBe(500);
  });
});
