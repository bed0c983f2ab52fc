import { loadConfig } from "./config";
import { DEMO_USERS } from "./demo/seed";
import { startHub, type Hub } from "./hub";

function banner(hub: Hub): string {
  const lines = [`双录中台已启动 Dual-record hub is running`];
  if (hub.url) {
    lines.push(
      `  URL:      ${hub.url}/`,
      `  API:      ${hub.url}/api/v1/openapi.json`,
      `  Ready:    ${hub.url}/health/ready`,
    );
  }
  lines.push(`  Node:     ${hub.broker.nodeID}  services: ${hub.config.services.join(", ")}`);
  if (hub.config.database.type === "sqlite") lines.push(`  Database: SQLite ${hub.config.database.file}`);
  else lines.push(`  Database: ${hub.config.database.type}`);
  if (hub.plugins) {
    const plugins = hub.plugins.plugins.map((p) => `${p.name} (${p.transport})`);
    lines.push(`  Plugins:  ${plugins.length ? plugins.join(", ") : "none (HUB_PLUGINS, docs/plugins.md)"}`);
  }
  if (hub.demo) {
    lines.push("  演示账户 Demo users:");
    for (const u of DEMO_USERS) lines.push(`    ${u.username.padEnd(15)} ${u.role.padEnd(15)} ${u.orgCode}`);
    if (hub.demo.password) {
      lines.push(
        `  演示密码 Demo password (generated now, also saved to ${hub.demo.credentialsFile}): ${hub.demo.password}`,
      );
    } else if (hub.demo.passwordSource === "HUB_DEMO_PASSWORD") {
      lines.push("  演示密码 Demo password: the value of HUB_DEMO_PASSWORD");
    } else {
      lines.push(`  演示密码 Demo password: see ${hub.demo.credentialsFile} (generated at first start)`);
    }
  }
  return lines.join("\n");
}

/** `npm start`: one node on the configuration from the environment, until SIGINT/SIGTERM. */
export async function runHub(): Promise<void> {
  const hub = await startHub(loadConfig());
  console.log(banner(hub));
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    hub.broker.logger.info(`${signal} received, stopping`);
    await hub.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

if (require.main === module) {
  runHub().catch((err) => {
    console.error(`启动失败 Failed to start: ${err.message}`);
    process.exit(1);
  });
}
