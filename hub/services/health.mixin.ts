import type { ServiceSchema } from "moleculer";
import { HubError } from "../errors/hub-error";
import type { HubRuntime } from "../runtime";

/** `<service>.health`: database reachable and migrations applied, asked by the gateway's /health/ready. */
export function healthAction(rt: HubRuntime): Partial<ServiceSchema> {
  return {
    actions: {
      health: {
        visibility: "public",
        async handler() {
          try {
            await rt.db.ping();
          } catch (err) {
            throw new HubError("HUB_SERVICE_UNAVAILABLE", `database unreachable: ${(err as Error).message}`);
          }
          if (await rt.db.pendingMigrations()) {
            throw new HubError("HUB_SERVICE_UNAVAILABLE", "database migrations are pending");
          }
          return { database: "ok", migrations: "ok" };
        },
      },
    },
  };
}
