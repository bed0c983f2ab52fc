import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { PROJECT_ROOT } from "../../hub/paths";

/** A hub in a child process, from the TypeScript sources, that a test can kill like a power cut. */
export interface HubProcess {
  url: string;
  output(): string;
  /** SIGKILL: no shutdown hooks run, nothing is flushed. */
  kill(): Promise<void>;
  /** SIGTERM, as a service manager stops it. */
  stop(): Promise<void>;
}

export async function startHubProcess(env: Record<string, string>): Promise<HubProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["-r", path.join(PROJECT_ROOT, "test/support/swc-register.js"), path.join(PROJECT_ROOT, "hub/main.ts")],
    {
      cwd: PROJECT_ROOT,
      env: { ...process.env, PORT: "0", LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub printed no URL within 60 s:\n${output}`)), 60_000);
    child.stdout!.on("data", () => {
      const match = /URL:\s+(http:\/\/\S+?)\/?\s/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`hub exited with ${code}:\n${output}`));
    });
  });
  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
  };
  return { url, output: () => output, kill: () => signal("SIGKILL"), stop: () => signal("SIGTERM") };
}

/** A port free right now on 127.0.0.1: for a hub that must come back on the same address, or be known beforehand. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
