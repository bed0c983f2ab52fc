/** reading.ts: the reader's errors told apart from the consumer's, and the pacer. */
import { pipeline } from "node:stream/promises";
import { Readable, Writable } from "node:stream";
import { pacer, readWatched } from "./reading";
import type { MediaInput } from "./types";

function inputOf(read: () => AsyncGenerator<Buffer>): MediaInput {
  return { type: "video/webm", size: 0, read };
}

describe("readWatched", () => {
  it("passes the chunks through and tells nothing when the reader does not fail", async () => {
    const onError = jest.fn();
    const chunks: Buffer[] = [];
    for await (const chunk of readWatched(
      inputOf(async function* () {
        yield Buffer.from("ab");
        yield Buffer.from("c");
      }),
      onError,
    )) {
      chunks.push(chunk);
    }
    expect(Buffer.concat(chunks).toString()).toBe("abc");
    expect(onError).not.toHaveBeenCalled();
  });

  it("tells the reader's own error, then throws it", async () => {
    const fault = new Error("segment 2 failed authentication");
    const onError = jest.fn();
    const iterable = readWatched(
      inputOf(async function* () {
        yield Buffer.from("ab");
        throw fault;
      }),
      onError,
    );
    const seen: Buffer[] = [];
    await expect(
      (async () => {
        for await (const chunk of iterable) seen.push(chunk);
      })(),
    ).rejects.toBe(fault);
    expect(seen).toHaveLength(1);
    expect(onError).toHaveBeenCalledWith(fault);
  });

  it("does not take a consumer's failure (a broken pipe) for the reader's, and ends the reader", async () => {
    const onError = jest.fn();
    let finished = false;
    const source = readWatched(
      inputOf(async function* () {
        try {
          for (;;) yield Buffer.alloc(1024);
        } finally {
          finished = true;
        }
      }),
      onError,
    );
    const epipe = Object.assign(new Error("write EPIPE"), { code: "EPIPE" });
    let writes = 0;
    const sink = new Writable({
      write(_chunk, _encoding, callback) {
        callback(++writes === 3 ? epipe : null);
      },
    });
    await expect(pipeline(Readable.from(source), sink)).rejects.toBe(epipe);
    expect(onError).not.toHaveBeenCalled();
    expect(finished).toBe(true);
  });

  it("has no throw(): a consumer that fails ends it with return()", () => {
    const iterator = readWatched(
      inputOf(async function* () {
        yield Buffer.alloc(1);
      }),
      () => {},
    )[Symbol.asyncIterator]();
    expect("throw" in iterator).toBe(false);
    expect(typeof iterator.return).toBe("function");
  });

  it("return() works on a reader without one", async () => {
    const input: MediaInput = {
      type: "audio/ogg",
      size: 1,
      read: () => ({
        [Symbol.asyncIterator]: () => ({ next: async () => ({ done: false, value: Buffer.alloc(1) }) }),
      }),
    };
    const iterator = readWatched(input, () => {})[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: Buffer.alloc(1) });
    expect(await iterator.return!()).toEqual({ done: true, value: undefined });
  });
});

describe("pacer", () => {
  afterEach(() => jest.restoreAllMocks());

  it("does not yield within its budget, and yields to the event loop once the budget is spent", async () => {
    let clock = 1000;
    jest.spyOn(performance, "now").mockImplementation(() => clock);
    const pause = pacer(10);
    let turned = false;
    setImmediate(() => (turned = true));

    clock += 5;
    await pause();
    expect(turned).toBe(false);

    clock += 6; // 11 ms since the start
    await pause();
    expect(turned).toBe(true);

    // The budget starts again after a yield.
    turned = false;
    setImmediate(() => (turned = true));
    clock += 9;
    await pause();
    expect(turned).toBe(false);
  });
});
