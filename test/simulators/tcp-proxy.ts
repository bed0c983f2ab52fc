import net from "node:net";
import { Delays, type Behaviour } from "./behaviour";

/**
 * A TCP proxy in front of a database server, so that a test can make the server "down" (connections refused and
 * cut) or "slow" (every answer delayed) without touching the real server.
 */
export class TcpProxy {
  #server: net.Server | null = null;
  #sockets = new Set<net.Socket>();
  #delayMs = 0;
  readonly #delays = new Delays();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(port = 0): Promise<this> {
    const server = net.createServer((client) => this.#connect(client));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.#server = server;
    return this;
  }

  #connect(client: net.Socket): void {
    const upstream = net.connect(this.targetPort, this.targetHost);
    this.#sockets.add(client);
    this.#sockets.add(upstream);
    let queue = Promise.resolve();
    client.on("data", (chunk) => upstream.write(chunk));
    upstream.on("data", (chunk) => {
      const wait = this.#delayMs;
      queue = queue.then(async () => {
        if (wait) await this.#delays.wait(wait);
        if (!client.destroyed) client.write(chunk);
      });
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(upstream);
    };
    client.on("close", close).on("error", close);
    upstream.on("close", close).on("error", close);
  }

  async behave(behaviour: Behaviour): Promise<void> {
    this.#delayMs = behaviour.mode === "slow" ? behaviour.delayMs : 0;
    if (behaviour.mode === "down") await this.#down();
    else if (!this.#server) await this.start(this.port);
  }

  async #down(): Promise<void> {
    this.#delays.cancelAll();
    const server = this.#server;
    this.#server = null;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async stop(): Promise<void> {
    await this.#down();
  }
}
