/**
 * An acknowledged NotifyTransaction survives the hub's death: a hub in a child process is killed (SIGKILL, nothing
 * flushed) right after answering, while the notification is still only a row in the outbox; started again, the hub
 * binds the recording. On SQLite (one process), PostgreSQL, and a node with a transporter (the JetStream channel).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { connect } from "nats";
import { Client } from "pg";
import { parseDatabaseUrl } from "../../hub/config";
import { openDatabase } from "../../hub/db/database";
import {
  RecordingArchiveEntity,
  RecordingEntity,
  TransactionBindingEntity,
  TransactionOutboxEntity,
} from "../../hub/db/entities";
import { businessDay } from "../../hub/domain/business-day";
import { DEMO_PASSWORD, requiresServices, topologyAvailable, type Topology } from "../support/hub-harness";
import { startHubProcess, type HubProcess } from "../support/hub-process";
import {
  eventually,
  login,
  operationXml,
  postSoap,
  readAnswer,
  soapEnvelope,
  submitRecording,
} from "./soap-support";

jest.setTimeout(180_000);

const COUNTER = { username: "sys.counter", password: DEMO_PASSWORD };
const PG_URL = () => process.env.HUB_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

async function pg(work: (c: Client) => Promise<unknown>): Promise<void> {
  const client = new Client({ connectionString: PG_URL() });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

async function inDatabase<T>(
  env: Record<string, string>,
  work: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>,
) {
  const db = await openDatabase(parseDatabaseUrl(env.DATABASE_URL, env.HUB_DATA_DIR));
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

describe.each<Topology>(["embedded-sqlite", "postgres", "cluster-nats-postgres"])(
  "SOAP durability (%s)",
  (topology) => {
    const itIf = topologyAvailable(topology) ? it : it.skip;
    let hub: HubProcess | null = null;
    const run = crypto.randomBytes(4).toString("hex");
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `soap-kill-${topology}-`));
    const schema = `soap_kill_${run}`;
    const env: Record<string, string> = {
      HUB_DATA_DIR: dataDir,
      HUB_DEMO_PASSWORD: DEMO_PASSWORD,
      HUB_NAMESPACE: `soap-kill-${run}`,
      HUB_SCRUB_INTERVAL: "0",
      HUB_ARCHIVE_MAX_DEFER: "3",
    };

    afterAll(async () => {
      await hub?.kill();
      if (topologyAvailable(topology) && requiresServices(topology).pg)
        await pg((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
      if (topologyAvailable(topology) && topology === "cluster-nats-postgres") {
        const nc = await connect({ servers: env.TRANSPORTER.replace(/^nats:\/\//, "") });
        await (
          await nc.jetstreamManager()
        ).streams
          .delete(`${env.HUB_NAMESPACE}_transactions`)
          .catch(() => undefined);
        await nc.close();
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    itIf("binds the recording after a SIGKILL right after NotifyTransaction was acknowledged", async () => {
      if (requiresServices(topology).pg) {
        await pg((c) => c.query(`CREATE SCHEMA ${schema}`));
        env.DATABASE_URL = `${PG_URL()}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      } else env.DATABASE_URL = `sqlite:${path.join(dataDir, "hub.sqlite")}`;
      if (topology === "cluster-nats-postgres")
        env.TRANSPORTER = process.env.HUB_TEST_NATS_URL ?? "nats://127.0.0.1:4222";

      // An hour between outbox passes: after the pass at start, nothing is processed (or published) before the kill.
      hub = await startHubProcess({ ...env, HUB_OUTBOX_INTERVAL: "3600" });
      const sales = await login(hub.url, "sh.pd.sales1", DEMO_PASSWORD);
      const recordingId = await submitRecording(hub.url, sales, "C000000001", "WM2026003");
      const tradeTime = new Date().toISOString();
      const notify = soapEnvelope(
        operationXml("NotifyTransaction", {
          txnId: `KILL-${run}`,
          sourceSystem: "CORE",
          customerNo: "C000000001",
          productCode: "WM2026003",
          amount: "20000",
          branchCode: "310100",
          tellerId: "T0001",
          tradeTime,
          status: "SUCCESS",
        }),
        COUNTER,
      );
      const acknowledged = await postSoap(hub.url, notify);
      await hub.kill();
      expect(acknowledged.status).toBe(200);
      expect((await readAnswer(acknowledged.text)).NotifyTransactionResponse).toMatchObject({
        accepted: "true",
        recordingStatus: "RECORDED",
        recordingIds: { recordingId },
      });

      // Only the outbox row holds what is left to do.
      await inDatabase(env, async (db) => {
        expect(
          await db.manager.getRepository(TransactionOutboxEntity).countBy({ txnId: `KILL-${run}` }),
        ).toBe(1);
        expect(
          await db.manager.getRepository(TransactionBindingEntity).countBy({ txnId: `KILL-${run}` }),
        ).toBe(0);
      });

      hub = await startHubProcess(env);
      const query = soapEnvelope(
        operationXml("QueryRecordingStatus", {
          customerNo: "C000000001",
          productCode: "WM2026003",
          tradeDate: businessDay(new Date(tradeTime)),
        }),
        COUNTER,
      );
      const url = hub.url;
      const bound = await eventually(
        async () => {
          const answer = (await readAnswer((await postSoap(url, query)).text)).QueryRecordingStatusResponse;
          return answer.recordings?.recording?.bound === "true" && answer.recordingStatus === "RECORDED"
            ? answer
            : undefined;
        },
        30_000,
        "binding after restart",
      );
      expect(bound.transactions.transaction).toMatchObject({
        txnId: `KILL-${run}`,
        recordingStatus: "RECORDED",
      });

      await eventually(
        () =>
          inDatabase(env, async (db) => {
            const archive = await db.manager.getRepository(RecordingArchiveEntity).findOneBy({ recordingId });
            return archive?.state === "archived" ? archive : undefined;
          }),
        30_000,
        "archive after restart",
      );
      await inDatabase(env, async (db) => {
        expect(
          await db.manager.getRepository(TransactionOutboxEntity).countBy({ txnId: `KILL-${run}` }),
        ).toBe(0);
        const recording = await db.manager
          .getRepository(RecordingEntity)
          .findOneByOrFail({ id: recordingId });
        expect(recording.purchaseDate).toBe(businessDay(new Date(tradeTime)));
      });
      if (topology === "cluster-nats-postgres") {
        const nc = await connect({ servers: env.TRANSPORTER.replace(/^nats:\/\//, "") });
        try {
          const info = await (await nc.jetstreamManager()).streams.info(`${env.HUB_NAMESPACE}_transactions`);
          expect(info.state.messages).toBeGreaterThanOrEqual(1);
        } finally {
          await nc.close();
        }
      }
      await hub.stop();
      hub = null;
    });
  },
);
