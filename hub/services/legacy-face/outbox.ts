/**
 * What happens to a notification after it was answered. Its outbox row was committed with it; a pass every
 * HUB_OUTBOX_INTERVAL seconds hands each row on:
 * - one process (no transporter): the pass processes the row itself (binds, then deletes the row);
 * - a cluster: the pass publishes the row to the JetStream channel and marks it published; a `legacy-face` node's
 *   consumer processes it and deletes the row. A row published but still there after a while is published again
 *   (processing is idempotent), so nothing acknowledged is lost between the database and the stream.
 * The same pass re-checks purchases that recordings submitted since the previous pass may now record.
 */
import type { Middleware, ServiceBroker } from "moleculer";
import { Middleware as ChannelsMiddleware } from "@moleculer/channels";
import type { TransactionOutboxRow } from "../../db/entities";
import { SUPPLEMENT_DAYS } from "../../domain/transaction-binding";
import type { TransactionStore } from "./transaction-store";
import { repeat, type Repeating } from "../repeat";

/** The channel (stream `<namespace>_transactions` in JetStream) carrying stored notifications to be processed. */
export const TRANSACTIONS_CHANNEL = "transactions";

/** A published row still in the outbox after this long is published again. */
export const REPUBLISH_AFTER_MS = 2 * 60_000;

const BATCH = 100;
const DAY_MS = 86_400_000;

export interface ChannelMessage {
  outboxId: string;
  txnId: string;
}

/** @moleculer/channels over NATS JetStream, on the transporter's server (credentials in its URL are kept). */
export function transactionChannels(transporter: string): Middleware {
  const url = new URL(transporter);
  const connectionOptions = url.username
    ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
    : {};
  const options = {
    adapter: {
      type: "NATS",
      options: {
        nats: {
          url: transporter,
          connectionOptions,
          // Kept on disk for a week at most; a processed message is acknowledged, its row gone from the outbox.
          streamConfig: { storage: "file", max_age: 7 * DAY_MS * 1_000_000 },
        },
      },
    },
  };
  // The package's option types require every option; the defaults are what we want for the rest.
  return ChannelsMiddleware(options as never) as unknown as Middleware;
}

type ChannelBroker = ServiceBroker & {
  sendToChannel(name: string, payload: unknown, opts?: object): Promise<void>;
  channelAdapter?: { connected: boolean };
};

/** Publishes one outbox row; null until the channel adapter has connected (the broker's start connects it). */
export function channelPublisher(broker: ServiceBroker) {
  const b = broker as ChannelBroker;
  return {
    ready: () => b.channelAdapter?.connected === true,
    publish: (row: TransactionOutboxRow) =>
      b.sendToChannel(TRANSACTIONS_CHANNEL, { outboxId: row.id, txnId: row.txnId } satisfies ChannelMessage, {
        // JetStream drops a second copy of the same publication within its duplicate window.
        msgID: `${row.id}.${row.attempts}`,
      }),
  };
}

export interface OutboxDeps {
  store: TransactionStore;
  now(): Date;
  /** In a cluster: hands a row to the channel. Null in one process: rows are processed here. */
  channel: { ready(): boolean; publish(row: TransactionOutboxRow): Promise<void> } | null;
  log(level: "debug" | "info" | "warn" | "error", message: string, facts?: object): void;
}

export interface OutboxPass {
  processed: number;
  published: number;
  failed: number;
  rechecked: number;
}

export class OutboxWorker {
  private repeating: Repeating | null = null;
  /** Recordings submitted after this are looked at by the next re-check; a fresh start looks back a week. */
  private since: Date;

  constructor(private readonly deps: OutboxDeps) {
    this.since = new Date(deps.now().getTime() - (SUPPLEMENT_DAYS + 2) * DAY_MS);
  }

  async pass(): Promise<OutboxPass> {
    const { store, channel, log } = this.deps;
    const result: OutboxPass = { processed: 0, published: 0, failed: 0, rechecked: 0 };
    if (!channel || channel.ready()) {
      for (;;) {
        const rows = await store.dueOutbox(BATCH, channel ? REPUBLISH_AFTER_MS : null);
        const failed: Array<{ row: TransactionOutboxRow; err: unknown }> = [];
        if (channel) {
          for (const row of rows) {
            try {
              await channel.publish(row);
              await store.markPublished(row);
              result.published++;
            } catch (err) {
              failed.push({ row, err });
            }
          }
        } else {
          failed.push(...(await store.processBatch(rows)));
          result.processed += rows.length - failed.length;
        }
        for (const { row, err } of failed) {
          result.failed++;
          log("warn", "notification not handed on; retried later", { txnId: row.txnId, error: String(err) });
          await store.markFailed(row, err);
        }
        if (rows.length < BATCH) break;
      }
    }
    const started = this.deps.now();
    for (const txnId of await store.purchasesToRecheck(this.since)) {
      await store.processTransaction(txnId, null);
      result.rechecked++;
    }
    this.since = started;
    return result;
  }

  /** A pass every `intervalMs` (never two at once), the first one now. */
  start(intervalMs: number): void {
    this.repeating = repeat(intervalMs, () =>
      this.pass()
        .then((r) => {
          if (r.processed || r.published || r.failed || r.rechecked) this.deps.log("debug", "outbox pass", r);
        })
        .catch((err) =>
          this.deps.log("error", "outbox pass failed; tried again next pass", { error: String(err) }),
        ),
    );
  }

  async stop(): Promise<void> {
    await this.repeating?.stop();
    this.repeating = null;
  }
}
