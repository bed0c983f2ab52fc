/**
 * The program of a wasm worker thread, as a string for `new Worker(source, { eval: true })`: a Worker cannot load a
 * .ts file, tsc does not copy .js files into dist/, and a string runs the same under jest and from dist/.
 * It is plain CommonJS and only talks ffmpeg; what to run is decided on the main thread (pipeline.ts).
 *
 * workerData: { corePath, wasmModule } — the core's JS glue and its WebAssembly.Module, compiled once on the main
 * thread and shared by every thread (a thread then starts in tens of milliseconds, not a compile of 25 MB).
 *
 * Messages in: { op: "open", input } | { op: "run", args } | { op: "close" }; each gets one reply
 * { ok, code, log, output, trap }. Every job gets a fresh ffmpeg instance ("open"): ffmpeg's globals are not reset
 * after a failed run. Files live in the instance's in-memory FS: "/input" (the job's bytes, owned without a copy)
 * and "/out" (a run's output, which is read, deleted and transferred to the main thread).
 *
 * Before it says it is ready, the thread checks that the core works here: one run must make a JPEG and one run
 * must fail with a non-zero code. The multi-threaded core has been seen to pass the first and fail the second on
 * Node 20 (a failing ffmpeg carries on past its exit() and reports success): such a core is refused.
 */
export const WASM_THREAD_SOURCE = String.raw`
"use strict";
const { parentPort, workerData } = require("node:worker_threads");
const createCore = require(workerData.corePath);
const wasmModule = workerData.wasmModule;

let core = null;
let log = [];
let trap = null;

// Keeps the start of a log (the input's description) and its end (the error); drops the middle of long ones.
function keep(line) {
  log.push(line);
  if (log.length > 600) log.splice(400, 1);
}

async function open(input) {
  close();
  core = await createCore({
    noInitialRun: true,
    noExitRuntime: true,
    print: keep,
    printErr: keep,
    instantiateWasm(imports, receive) {
      const instance = new WebAssembly.Instance(wasmModule, imports);
      receive(instance, wasmModule);
      return instance.exports;
    },
  });
  if (input) {
    const stream = core.FS.open("/input", "w");
    core.FS.write(stream, input, 0, input.length, 0, true); // canOwn: the FS keeps the transferred bytes, no copy
    core.FS.close(stream);
  }
}

// exit() also ends the pthreads of the multi-threaded core; a broken instance may throw, and is dropped anyway.
function close() {
  if (!core) return;
  try {
    core.exit();
  } catch {}
  core = null;
}

function exec(args) {
  const argv = ["ffmpeg"].concat(args);
  const pointers = argv.map((arg) => {
    const length = core.lengthBytesUTF8(arg) + 1;
    const pointer = core._malloc(length);
    core.stringToUTF8(arg, pointer, length);
    return pointer;
  });
  const list = core._malloc(4 * argv.length);
  pointers.forEach((pointer, i) => core.setValue(list + 4 * i, pointer, "i32"));
  // A failing ffmpeg calls exit(), which this build turns into a thrown ExitStatus: the instance is then unusable
  // (the next job opens a new one).
  trap = null;
  try {
    return core._exec(argv.length, list);
  } catch (error) {
    if (error && typeof error.status === "number") return error.status === 0 ? -1 : error.status;
    // Not an exit: a trap (out of bounds, out of memory), told beside ffmpeg's own last words.
    trap = String((error && error.message) || error);
    return -1;
  }
}

// The file's bytes (a copy: MEMFS's own fields are minified in this build) and the file gone.
function take(path) {
  let bytes = null;
  try {
    bytes = core.FS.readFile(path);
  } catch {
    return null;
  }
  core.FS.unlink(path);
  return bytes;
}

function run({ args }) {
  const out = "/out";
  const resolved = args.map((arg) => (arg === "{in}" ? "/input" : arg === "{out}" ? out : arg));
  log = [];
  const code = exec(resolved);
  const output = args.includes("{out}") ? take(out) : null;
  return { ok: code === 0, code, log: log.join("\n"), output, trap };
}

parentPort.on("message", async (message) => {
  try {
    if (message.op === "open") {
      await open(message.input);
      parentPort.postMessage({ ok: true, code: 0, log: "", output: null });
    } else if (message.op === "run") {
      const reply = run(message);
      parentPort.postMessage(reply, reply.output ? [reply.output.buffer] : []);
    } else {
      close();
      parentPort.postMessage({ ok: true, code: 0, log: "", output: null });
    }
  } catch (error) {
    parentPort.postMessage({ ok: false, code: -1, log: String((error && error.stack) || error), output: null });
  }
});

(async () => {
  await open(null);
  const good = run({
    args: ["-nostdin", "-f", "lavfi", "-i", "color=c=black:s=16x16:d=0.1", "-frames:v", "1", "-c:v", "mjpeg", "-f", "mjpeg", "{out}"]
  });
  const version = (/^ffmpeg version (\S+)/m.exec(good.log) || [])[1] || "unknown";
  const jpeg = good.ok && good.output && good.output[0] === 0xff && good.output[1] === 0xd8;
  if (!jpeg) return parentPort.postMessage({ ready: false, log: "a test run made no JPEG: " + good.log });
  await open(null);
  const bad = run({ args: ["-nostdin", "-i", "/missing", "-f", "null", "-"] });
  close();
  if (bad.ok) {
    return parentPort.postMessage({ ready: false, log: "a failing test run reported success (exit code 0)" });
  }
  parentPort.postMessage({ ready: true, version });
})().catch((error) => parentPort.postMessage({ ready: false, log: String((error && error.stack) || error) }));
`;
