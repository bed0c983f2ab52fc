import type { HubConfig } from "../config";
import { EvidenceStore, type StoreAlarm } from "./evidence-store";
import { FilesystemBackend } from "./replica-backend";

export { EvidenceStore, type StoreAlarm } from "./evidence-store";
export {
  RECYCLE_BIN_DAYS,
  RetentionLockedError,
  type LockChange,
  type LockRefusalReason,
  type RetentionLock,
} from "./retention-lock";

/**
 * The store over the two configured roots (HUB_STORE_PRIMARY, HUB_STORE_BACKUP). `clock` decides the day of
 * retention checks, in the store and in both roots (default: the system's).
 */
export function openEvidenceStore(
  config: HubConfig,
  onAlarm: (alarm: StoreAlarm) => void,
  clock?: () => Date,
): EvidenceStore {
  return new EvidenceStore(
    [
      new FilesystemBackend("primary", config.storePrimary, { clock }),
      new FilesystemBackend("backup", config.storeBackup, { clock }),
    ],
    { minReplicas: config.storeMinReplicas, onAlarm, clock },
  );
}
