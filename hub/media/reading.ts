/** Reading a job's input while telling the reader's own errors apart from those of whoever consumes it. */
import type { MediaInput } from "./types";

/**
 * `input.read()`, with every error its iterator throws passed to `onError` first. Errors thrown *into* the
 * iteration by its consumer are not the reader's: a stream piped into ffmpeg is destroyed with EPIPE when ffmpeg
 * stops reading, and `Readable.from` would throw that into a generator. This iterator has no `throw()`, so a
 * consumer ends it with `return()` instead.
 */
export function readWatched(input: MediaInput, onError: (error: unknown) => void): AsyncIterable<Buffer> {
  return {
    [Symbol.asyncIterator]() {
      const iterator = input.read()[Symbol.asyncIterator]();
      return {
        async next() {
          try {
            return await iterator.next();
          } catch (error) {
            onError(error);
            throw error;
          }
        },
        async return() {
          await iterator.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/**
 * For long synchronous work on the main thread (copying an input, rewriting a remux): call the returned function
 * between steps; it yields to the event loop once `budgetMs` have passed since it last did.
 */
export function pacer(budgetMs = 10): () => Promise<void> {
  let since = performance.now();
  return async () => {
    if (performance.now() - since < budgetMs) return;
    await new Promise((resolve) => setImmediate(resolve));
    since = performance.now();
  };
}
