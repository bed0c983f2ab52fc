import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import * as soap from "soap";
import { Delays, type Behaviour, type Simulator } from "./behaviour";

/** A SOAP operation's handler: the input element's content in, the output element's content out. */
export type SoapHandler = (
  args: Record<string, unknown>,
) => Record<string, unknown> | Promise<Record<string, unknown>>;

export interface SoapSimulatorOptions {
  name: string;
  /** The plugin's reference WSDL; its soap:address is replaced by where the simulator listens. */
  wsdlFile: string;
  /** Path of the service, e.g. /services/counter (the WSDL is at <path>?wsdl). */
  path: string;
  handlers: Readonly<Record<string, SoapHandler>>;
  /** When set, every request must carry a WS-Security UsernameToken with these credentials. */
  credentials?: { username: string; password: string };
  port?: number;
  /** Largest request body accepted (node-soap buffers the whole body). */
  maxBodyBytes?: number;
}

const WSSE =
  "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest";

type UsernameToken = {
  Username?: string;
  Password?: string | { $value?: string; attributes?: { Type?: string } };
  Nonce?: string | { $value?: string };
  Created?: string;
};

function tokenValue(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  return (v as { $value?: string } | undefined)?.$value;
}

/**
 * A real SOAP server (node-soap `soap.listen`) built from a system's WSDL, with switchable behaviour: up, down
 * (socket closed: connection refused), slow, or faulting (every call answers a SOAP Fault).
 */
export class SoapSimulator implements Simulator {
  readonly received: string[] = [];
  #server: http.Server | null = null;
  #behaviour: Behaviour = { mode: "up" };
  #port = 0;
  readonly #delays = new Delays();

  constructor(private readonly options: SoapSimulatorOptions) {}

  get name(): string {
    return this.options.name;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}${this.options.path}`;
  }

  get wsdlUrl(): string {
    return `${this.url}?wsdl`;
  }

  #services(serviceName: string, portName: string): soap.IServices {
    const methods: Record<string, soap.ISoapServiceMethod> = {};
    for (const [operation, handler] of Object.entries(this.options.handlers)) {
      methods[operation] = async (args: Record<string, unknown>) => {
        this.received.push(operation);
        const b = this.#behaviour;
        if (b.mode === "slow") await this.#delays.wait(b.delayMs);
        if (b.mode === "fault") {
          throw {
            Fault: {
              faultcode: b.code ?? "soap:Server",
              faultstring: b.message ?? "系统日终批处理中，暂停联机服务",
              detail: { ErrCode: "E9001" },
              statusCode: 500,
            },
          };
        }
        return handler(args ?? {});
      };
    }
    return { [serviceName]: { [portName]: methods } };
  }

  async start(): Promise<this> {
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port ?? 0, "127.0.0.1", () => resolve());
    });
    this.#port = (server.address() as AddressInfo).port;
    const wsdl = fs
      .readFileSync(this.options.wsdlFile, "utf8")
      .replace(/location="[^"]*"/, `location="${this.url}"`);
    const serviceName = /<wsdl:service name="([^"]+)"/.exec(wsdl)![1];
    const portName = /<wsdl:port name="([^"]+)"/.exec(wsdl)![1];
    const soapServer = soap.listen(server, {
      path: this.options.path,
      services: this.#services(serviceName, portName),
      xml: wsdl,
      suppressStack: true,
    });
    const credentials = this.options.credentials;
    if (credentials) {
      soapServer.authenticate = (security: { UsernameToken?: UsernameToken } | undefined) => {
        const token = security?.UsernameToken;
        if (!token || token.Username !== credentials.username) return false;
        const password = tokenValue(token.Password);
        const type = typeof token.Password === "object" ? token.Password.attributes?.Type : undefined;
        if (type === WSSE) {
          return (
            password ===
            soap.passwordDigest(tokenValue(token.Nonce) ?? "", token.Created ?? "", credentials.password)
          );
        }
        return password === credentials.password;
      };
    }
    // node-soap installed its own request listener; put a size limit in front of it (it buffers whole bodies).
    const soapListeners = server.listeners("request") as http.RequestListener[];
    server.removeAllListeners("request");
    const limit = this.options.maxBodyBytes ?? 1024 * 1024;
    server.on("request", (req, res) => {
      if (Number(req.headers["content-length"] ?? 0) > limit) {
        res.writeHead(413, { Connection: "close" }).end();
        req.destroy();
        return;
      }
      for (const listener of soapListeners) listener.call(server, req, res);
    });
    this.#server = server;
    return this;
  }

  async behave(behaviour: Behaviour): Promise<void> {
    const wasDown = this.#behaviour.mode === "down";
    this.#behaviour = behaviour;
    if (behaviour.mode === "down" && !wasDown) await this.#close();
    if (behaviour.mode !== "down" && wasDown) await this.#reopen();
  }

  async #close(): Promise<void> {
    this.#delays.cancelAll();
    const server = this.#server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async #reopen(): Promise<void> {
    const server = this.#server!;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.#port, "127.0.0.1", () => resolve());
    });
  }

  async stop(): Promise<void> {
    if (this.#behaviour.mode !== "down") await this.#close();
    this.#server = null;
  }
}
