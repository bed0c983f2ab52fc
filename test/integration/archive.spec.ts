/**
 * Archiving a bound recording copies it to the branch's store (the second replica root, HUB_STORE_BACKUP) when that
 * copy is missing — as when the branch store was unreachable during the upload — and proves both copies equal.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { startHarness, type Harness } from "../support/hub-harness";
import {
  eventually,
  operationXml,
  postSoap,
  readAnswer,
  soapEnvelope,
  submitRecording,
} from "./soap-support";

jest.setTimeout(120_000);

const COUNTER = { username: "sys.counter", password: "Demo-Pass-2026!" };

function sealedFiles(root: string): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".seg"))
        found.set(entry.name, crypto.createHash("sha256").update(fs.readFileSync(full)).digest("hex"));
    }
  };
  if (fs.existsSync(root)) walk(root);
  return found;
}

describe("archive at idle time copies a bound recording to the branch store", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness("embedded-sqlite");
  });
  afterAll(() => h?.stop());

  it("re-creates the branch copy from the outlet's, byte for byte, and marks the recording archived", async () => {
    const primary = path.join(h.dataDir, "evidence", "primary");
    const backup = path.join(h.dataDir, "evidence", "backup");
    const sales = await h.login("sh.pd.sales1");
    const recordingId = await submitRecording(h.url, sales, "C000000001", "WM2026001");
    const outletCopy = sealedFiles(primary);
    expect(outletCopy.size).toBeGreaterThan(0);

    // The branch store lost (or never received) the recording's objects.
    for (const name of outletCopy.keys()) {
      const file = path.join(backup, "sealed", name.slice(0, 2), name);
      expect(fs.existsSync(file)).toBe(true);
      fs.rmSync(file);
    }
    expect(sealedFiles(backup).size).toBe(0);

    const fields = {
      txnId: "ARCH0001",
      sourceSystem: "COUNTER",
      customerNo: "C000000001",
      productCode: "WM2026001",
      amount: "50000.00",
      branchCode: "310100",
      tellerId: "S1002",
      tradeTime: new Date(h.clock.now()).toISOString(),
      status: "SUCCESS",
    };
    const answer = await readAnswer(
      (await postSoap(h.url, soapEnvelope(operationXml("NotifyTransaction", fields), COUNTER))).text,
    );
    expect(answer.NotifyTransactionResponse).toMatchObject({ accepted: "true", recordingStatus: "RECORDED" });

    await eventually(
      async () => {
        const rows = await h.db.query<{ state: string }>(
          h.db.manager,
          'SELECT "state" FROM "recording_archives" WHERE "recording_id" = ?',
          [recordingId],
        );
        return rows[0]?.state === "archived" ? true : undefined;
      },
      30_000,
      "the recording archived",
    );
    expect(sealedFiles(backup)).toEqual(outletCopy);
  });
});
