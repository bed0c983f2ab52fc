/**
 * How fast and when a take goes up a branch's shared link (pure, unit-tested). Uploads must not starve the teller
 * systems that share the outlet's line, so:
 * - a configurable cap (bytes per second, 0 = none) paces the PATCH requests so their average stays under it;
 * - a request that takes much longer than the best one seen so far (per byte) means the link is busy: wait,
 *   longer each time it stays busy, and go on at idle time;
 * - a failure (network down, hub restarting) is retried for ever with a growing, capped delay.
 */
export interface PacingOptions {
  /** Average upload rate cap in bytes per second; 0 = no cap. */
  capBytesPerSecond: number;
  /** A request this many times slower than the best seen marks the link busy. */
  busyFactor?: number;
  /** The first wait when busy or failing, and the longest. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export class UploadPacer {
  private nextAllowedAt = 0;
  private bestMsPerByte = Infinity;
  private busyStreak = 0;
  private failureStreak = 0;
  private readonly busyFactor: number;
  private readonly minBackoff: number;
  private readonly maxBackoff: number;

  constructor(private readonly options: PacingOptions) {
    this.busyFactor = options.busyFactor ?? 4;
    this.minBackoff = options.minBackoffMs ?? 1000;
    this.maxBackoff = options.maxBackoffMs ?? 60_000;
  }

  /** How long to wait before sending `bytes` at time `now` (ms), and books the bytes against the cap. */
  delayBefore(bytes: number, now: number): number {
    const wait = Math.max(0, this.nextAllowedAt - now);
    const cap = this.options.capBytesPerSecond;
    const start = now + wait;
    this.nextAllowedAt = cap > 0 ? start + (bytes / cap) * 1000 : start;
    return wait;
  }

  /**
   * Records a finished request of `bytes` that took `ms`; answers how long to stay off the link before the next
   * one because it looks busy (0 when it does not).
   */
  observe(bytes: number, ms: number): number {
    this.failureStreak = 0;
    if (bytes < 64 * 1024) return 0; // too small to say anything about the link
    const perByte = ms / bytes;
    const busy = perByte > this.bestMsPerByte * this.busyFactor;
    this.bestMsPerByte = Math.min(this.bestMsPerByte, perByte);
    if (!busy) {
      this.busyStreak = 0;
      return 0;
    }
    return this.backoff(++this.busyStreak);
  }

  /** A request failed (no answer, 5xx): how long to wait before trying again. */
  failed(): number {
    return this.backoff(++this.failureStreak);
  }

  private backoff(streak: number): number {
    return Math.min(this.maxBackoff, this.minBackoff * 2 ** Math.min(streak - 1, 16));
  }
}
