/**
 * A benchmark's helper process (a hub, a reference server) run from its compiled file: started until it prints
 * its URL, stopped with SIGTERM (SIGKILL after 15 s). Its last output is kept for the error when it fails.
 */
import { spawn, type ChildProcess } from "node:child_process";

export interface Child {
  name: string;
  proc: ChildProcess;
  url: string;
  output: string[];
}

export function startChild(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  urlLine: RegExp,
): Promise<Child> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    const output: string[] = [];
    let found = false;
    const timer = setTimeout(() => fail(new Error(`${name} did not print its URL within 120 s`)), 120_000);
    const fail = (err: Error) => {
      if (found) return;
      found = true;
      clearTimeout(timer);
      proc.kill("SIGKILL");
      reject(new Error(`${err.message}\n${output.join("").slice(-3000)}`));
    };
    const keep = (data: Buffer) => {
      output.push(data.toString("utf8"));
      if (output.length > 200) output.splice(0, output.length - 200);
      const match = urlLine.exec(output.join(""));
      if (match && !found) {
        found = true;
        clearTimeout(timer);
        resolve({ name, proc, url: match[1], output });
      }
    };
    proc.stdout!.on("data", keep);
    proc.stderr!.on("data", keep);
    proc.on("exit", (code, signal) =>
      fail(new Error(`${name} exited (${code ?? signal}) before it was ready`)),
    );
    proc.on("error", fail);
  });
}

export async function stopChild(child: Child | null): Promise<void> {
  if (!child || child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  const exited = new Promise((resolve) => child.proc.once("exit", resolve));
  child.proc.kill("SIGTERM");
  const timer = setTimeout(() => child.proc.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}
