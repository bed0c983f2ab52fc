import type { HubConfig } from "../config";
import { EvidenceStore, type StoreAlarm } from "./evidence-store";
import { FilesystemBackend } from "./replica-backend";

export { EvidenceStore, type StoreAlarm } from "./evidence-store";

/** The store over the two configured roots (HUB_STORE_PRIMARY, HUB_STORE_BACKUP). */
export function openEvidenceStore(config: HubConfig, onAlarm: (alarm: StoreAlarm) => void): EvidenceStore {
  return new EvidenceStore(
    [
      new FilesystemBackend("primary", config.storePrimary),
      new FilesystemBackend("backup", config.storeBackup),
    ],
    { minReplicas: config.storeMinReplicas, onAlarm },
  );
}
