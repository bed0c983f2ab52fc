/**
 * "Recording submitted" and "recording bound" on the customer's CRM timeline (capability crm.pushActivity,
 * docs/plugins.md): each written to the plugin outbox inside the transaction that submits or binds the recording,
 * and only when a plugin provides the capability. The activity ids are deterministic, so a push repeated after a
 * crash or a lost answer is a duplicate to the CRM, never a second entry.
 */
import crypto from "node:crypto";
import type { EntityManager } from "typeorm";
import type { CrmPushActivityRequest } from "../../../plugins/sdk";
import { ProductEntity, RecordingEntity, UserEntity, type RecordingRow } from "../../db/entities";
import { BINDABLE_KINDS } from "../../domain/transaction-binding";
import type { HubRuntime } from "../../runtime";
import { enqueuePluginCall, releasePluginCall, withdrawPluginCall } from "./plugin-outbox";

export const CRM_PUSH = "crm.pushActivity" as const;

/**
 * A submit is undone when its manifest cannot be sealed in the audit chain (up to three calls of 30 s): until the
 * seal the push is held back this long, released by the seal, dropped by the undo. A crash in between leaves a
 * submitted recording, and the push goes when the hold runs out.
 */
export const SUBMIT_HOLD_MS = 5 * 60_000;

const TITLE_MAX = 100;
const ACTIVITY_ID_MAX = 64;

/** The hub page that lists and plays the recording for whoever signs in, as the hub's permissions allow. */
export function recordingLink(publicUrl: string, recordingId: string): string {
  return `${publicUrl}/view/recording.html?id=${encodeURIComponent(recordingId)}`;
}

export function submittedActivityId(recordingId: string): string {
  return `RS-${recordingId}`;
}

/** `RB-<recording>-<txnId>`; a txnId too long for the CRM's 64 characters is replaced by its hash. */
export function boundActivityId(recordingId: string, txnId: string): string {
  const plain = `RB-${recordingId}-${txnId}`;
  if (plain.length <= ACTIVITY_ID_MAX) return plain;
  const room = ACTIVITY_ID_MAX - `RB-${recordingId}-`.length;
  return `RB-${recordingId}-${crypto.createHash("sha256").update(txnId).digest("hex").slice(0, room)}`;
}

/** At most 100 characters (code points: a product name may reach beyond the BMP). */
function title(text: string): string {
  const chars = [...text];
  return chars.length <= TITLE_MAX ? text : `${chars.slice(0, TITLE_MAX - 1).join("")}…`;
}

/** What an activity says about its recording. */
export interface ActivityFacts {
  recordingId: string;
  kind: string;
  customerNo: string;
  orgCode: string;
  /** The employee number of the staff who recorded (their user name when they have none). */
  staffNo: string;
  productCode: string;
  productName: string | null;
}

function common(facts: ActivityFacts, publicUrl: string) {
  return {
    customerNo: facts.customerNo,
    orgCode: facts.orgCode,
    staffNo: facts.staffNo,
    productCode: facts.productCode,
    ...(facts.productName ? { productName: facts.productName } : {}),
    recordingUrl: recordingLink(publicUrl, facts.recordingId),
  };
}

export function submittedActivity(
  facts: ActivityFacts,
  occurredAt: string,
  publicUrl: string,
): CrmPushActivityRequest {
  const what = facts.kind === "supplement" ? "补录" : "双录";
  return {
    activityId: submittedActivityId(facts.recordingId),
    kind: "RECORDING_SUBMITTED",
    occurredAt,
    title: title(`${what}已提交：${facts.productName ?? facts.productCode}`),
    ...common(facts, publicUrl),
  };
}

export function boundActivity(
  facts: ActivityFacts,
  txnId: string,
  occurredAt: string,
  publicUrl: string,
): CrmPushActivityRequest {
  return {
    activityId: boundActivityId(facts.recordingId, txnId),
    kind: "RECORDING_BOUND",
    occurredAt,
    saleNo: txnId,
    title: title(`双录已绑定交易${txnId}：${facts.productName ?? facts.productCode}`),
    ...common(facts, publicUrl),
  };
}

async function factsOf(m: EntityManager, recording: RecordingRow): Promise<ActivityFacts> {
  const product = await m.getRepository(ProductEntity).findOneBy({ code: recording.productCode });
  const user = await m.getRepository(UserEntity).findOneBy({ username: recording.createdBy });
  return {
    recordingId: recording.id,
    kind: recording.kind,
    customerNo: recording.customerNo,
    orgCode: recording.orgCode,
    staffNo: user?.employeeNo || recording.createdBy,
    productCode: recording.productCode,
    productName: product?.name ?? null,
  };
}

/** The hooks the recordings service and the transaction store call inside their transactions. */
export interface CrmPushes {
  /** In the transaction that marks the recording submitted: the push, held until the manifest is sealed. */
  recordingSubmitted(m: EntityManager, recordingId: string): Promise<void>;
  /** In the transaction that stores the seal (the manifest's place in the audit chain): the push may go. */
  submitSealed(m: EntityManager, recordingId: string): Promise<void>;
  /** In the transaction that puts the recording back to draft: the push goes too. */
  submitUndone(m: EntityManager, recordingId: string): Promise<void>;
  /** In the transaction that makes a binding `bound`. */
  recordingBound(
    m: EntityManager,
    binding: { txnId: string; recording: RecordingRow; boundAt: string },
  ): Promise<void>;
}

export function crmPushes(rt: Pick<HubRuntime, "plugins" | "config" | "clock">): CrmPushes {
  const enabled = () => rt.plugins.has(CRM_PUSH);
  const pushed = (recording: RecordingRow | null): recording is RecordingRow =>
    recording !== null && BINDABLE_KINDS.includes(recording.kind);
  return {
    async recordingSubmitted(m, recordingId) {
      if (!enabled()) return;
      const recording = await m.getRepository(RecordingEntity).findOneBy({ id: recordingId });
      if (!pushed(recording) || !recording.submittedAt) return;
      const now = rt.clock();
      const payload = submittedActivity(
        await factsOf(m, recording),
        recording.submittedAt,
        rt.config.publicUrl,
      );
      await enqueuePluginCall(
        m,
        {
          capability: CRM_PUSH,
          dedupeKey: payload.activityId,
          payload,
          notBefore: new Date(now.getTime() + SUBMIT_HOLD_MS),
        },
        now,
      );
    },
    async submitSealed(m, recordingId) {
      if (!enabled()) return;
      await releasePluginCall(m, CRM_PUSH, submittedActivityId(recordingId), rt.clock());
    },
    async submitUndone(m, recordingId) {
      // Whether or not a plugin provides it now: a push written earlier must not outlive its submit.
      await withdrawPluginCall(m, CRM_PUSH, submittedActivityId(recordingId));
    },
    async recordingBound(m, { txnId, recording, boundAt }) {
      if (!enabled() || !pushed(recording)) return;
      const payload = boundActivity(await factsOf(m, recording), txnId, boundAt, rt.config.publicUrl);
      await enqueuePluginCall(
        m,
        { capability: CRM_PUSH, dedupeKey: payload.activityId, payload },
        rt.clock(),
      );
    },
  };
}
