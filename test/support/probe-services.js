const net = require("node:net");

function reachable(host, port, timeoutMs = 1500) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Tells the suites whether PostgreSQL and NATS are up (HUB_TEST_PG / HUB_TEST_NATS = "up" | "down").
 * Under CI=true the suites that need them run regardless, and so fail loudly when a server is missing.
 */
module.exports = async function probeServices() {
  const pgUrl = process.env.HUB_TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
  const natsUrl = process.env.HUB_TEST_NATS_URL || "nats://127.0.0.1:4222";
  process.env.HUB_TEST_DATABASE_URL = pgUrl;
  process.env.HUB_TEST_NATS_URL = natsUrl;
  const pg = new URL(pgUrl);
  const nats = new URL(natsUrl);
  process.env.HUB_TEST_PG = (await reachable(pg.hostname, Number(pg.port || 5432))) ? "up" : "down";
  process.env.HUB_TEST_NATS = (await reachable(nats.hostname, Number(nats.port || 4222))) ? "up" : "down";
  const missing = [
    process.env.HUB_TEST_PG === "down" && "PostgreSQL",
    process.env.HUB_TEST_NATS === "down" && "NATS",
  ].filter(Boolean);
  if (missing.length) {
    const what =
      process.env.CI === "true"
        ? "CI=true: the suites that need them will FAIL"
        : "their suites are skipped on this machine";
    process.stdout.write(`\n${missing.join(" and ")} unreachable (${pgUrl}, ${natsUrl}); ${what}.\n`);
  }
};
