import type { EntryDraft } from "../domain/audit-chain";
import type { HubMetrics } from "../metrics/metrics";
import type { StoreAlarm } from "../storage";

/**
 * A replica copy found missing, corrupt or unavailable: logged, counted and written to the audit chain, so that
 * operators see it on their dashboards and auditors in the trail. Reads and repairs go on meanwhile.
 */
/** A damaged copy read by every Range request of a playback raises one alarm, not hundreds. */
const REPEAT_AFTER_MS = 10 * 60_000;

/** Where the alarm is written: the audit service in a hub, the chain in the database for the command line. */
export type AuditAppend = (draft: EntryDraft) => Promise<unknown>;

export function alarmSink(
  append: AuditAppend,
  logger: () => { error(...args: unknown[]): void },
  metrics: HubMetrics,
  clock: () => Date,
): (alarm: StoreAlarm) => void {
  const lastRaised = new Map<string, number>();
  return (alarm) => {
    const key = `${alarm.objectId}:${alarm.replica}:${alarm.verdict}:${alarm.during}`;
    const now = clock().getTime();
    if (now - (lastRaised.get(key) ?? -Infinity) < REPEAT_AFTER_MS) return;
    lastRaised.set(key, now);
    if (lastRaised.size > 10_000) lastRaised.clear();
    logger().error(
      `evidence alarm: object ${alarm.objectId} on replica ${alarm.replica} is ${alarm.verdict} (${alarm.during}): ${alarm.detail}`,
    );
    metrics.evidenceAlarms.inc({ replica: alarm.replica, verdict: alarm.verdict, during: alarm.during });
    append({
      at: clock().toISOString(),
      kind: "audit",
      actor: null,
      role: null,
      org: null,
      action: "evidence.alarm",
      target: alarm.objectId,
      result: "failed",
      ip: null,
      details: { replica: alarm.replica, verdict: alarm.verdict, during: alarm.during, detail: alarm.detail },
    }).catch((err: unknown) => logger().error("evidence alarm not audited", err));
  };
}
