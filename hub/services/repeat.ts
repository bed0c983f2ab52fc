/**
 * The one way the hub's background work runs (outboxes, the archive, the counter's sales): a pass every so often,
 * never two at once, and a stop that waits for the pass under way, so that a node stops without cutting one short.
 */
export interface Repeating {
  /** No new pass starts; resolves when the one running (if any) has finished. */
  stop(): Promise<void>;
}

/**
 * Runs `pass` every `intervalMs` and once after `firstAfterMs` (default: now). A tick that finds the previous pass
 * still running is skipped. `pass` reports its own failures: one that throws is ignored here, and the next tick runs.
 */
export function repeat(
  intervalMs: number,
  pass: () => Promise<unknown>,
  options: { firstAfterMs?: number } = {},
): Repeating {
  let running: Promise<unknown> | null = null;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = pass()
      .catch(() => undefined)
      .finally(() => (running = null));
  };
  const every = setInterval(tick, intervalMs);
  every.unref();
  const first = options.firstAfterMs ? setTimeout(tick, options.firstAfterMs) : null;
  first?.unref();
  if (!first) tick();
  return {
    async stop() {
      stopped = true;
      clearInterval(every);
      if (first) clearTimeout(first);
      await running;
    },
  };
}
