import os from "node:os";
import path from "node:path";
import fs from "node:fs";
import type { Behaviour, Simulator } from "./behaviour";
import {
  createPostgresBank,
  createSqliteBank,
  sqliteViewSwitch,
  type BankSchema,
  type ViewSwitch,
} from "./bank-data";
import { TcpProxy } from "./tcp-proxy";

/**
 * A bank's DB2- or Oracle-shaped schemas on SQLite (files) or PostgreSQL (a fresh database behind a TCP proxy).
 * Faulting takes the views offline (SQL errors: no such table / 42P01); PostgreSQL can also be down or slow
 * (through the proxy). SQLite runs in the hub's process and so cannot be "down" or "slow".
 */
export class SqlSimulator implements Simulator {
  readonly received: string[] = [];
  #behaviour: Behaviour = { mode: "up" };

  private constructor(
    readonly name: string,
    readonly url: string,
    readonly settings: Record<string, string>,
    private readonly views: ViewSwitch[],
    private readonly proxy: TcpProxy | null,
    private readonly cleanup: () => Promise<void>,
  ) {}

  static async sqlite(schemas: readonly BankSchema[], dir?: string): Promise<SqlSimulator> {
    const where = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "dr-sim-"));
    const bank = createSqliteBank(where, schemas);
    return new SqlSimulator(
      `sqlite ${schemas.join(",")}`,
      bank.url,
      { url: bank.url, schemas: bank.schemas },
      schemas.map((s) => sqliteViewSwitch(where, s)),
      null,
      async () => {
        if (!dir) fs.rmSync(where, { recursive: true, force: true });
      },
    );
  }

  static async postgres(adminUrl: string, schemas: readonly BankSchema[]): Promise<SqlSimulator> {
    const bank = await createPostgresBank(adminUrl, schemas);
    const target = new URL(bank.url);
    const proxy = await new TcpProxy(target.hostname, Number(target.port || 5432)).start();
    const proxied = new URL(bank.url);
    proxied.hostname = "127.0.0.1";
    proxied.port = String(proxy.port);
    return new SqlSimulator(
      `postgres ${schemas.join(",")}`,
      proxied.toString(),
      { url: proxied.toString() },
      schemas.map((s) => bank.viewSwitch(s)),
      proxy,
      async () => {
        await proxy.stop();
        await bank.drop();
      },
    );
  }

  async behave(behaviour: Behaviour): Promise<void> {
    const before = this.#behaviour;
    if ((behaviour.mode === "down" || behaviour.mode === "slow") && !this.proxy) {
      throw new Error(`${this.name}: SQLite cannot be ${behaviour.mode}; use the PostgreSQL simulator`);
    }
    if (before.mode === "fault" && behaviour.mode !== "fault") for (const v of this.views) await v.online();
    if (behaviour.mode === "fault" && before.mode !== "fault") for (const v of this.views) await v.offline();
    await this.proxy?.behave(behaviour.mode === "fault" ? { mode: "up" } : behaviour);
    this.#behaviour = behaviour;
  }

  async stop(): Promise<void> {
    await this.cleanup();
  }
}
