import { loadConfig } from "./config";
import { openDatabase } from "./db/database";
import { loadAuditPublicKey } from "./keys";
import { bootstrapHeadOffice } from "./bootstrap";
import { openRuntime } from "./hub";
import { runHub } from "./main";
import { PACKAGE_VERSION } from "./paths";
import { runtimeAppender, verifyStoredChain } from "./services/audit/chain-store";
import type { EntryDraft } from "./domain/audit-chain";
import { alarmSink } from "./services/evidence-alarms";
import { scrubRecordings } from "./services/recordings/scrubber";
import { openEvidenceStore } from "./storage";
import { businessDay } from "./domain/business-day";
import { isIsoDay } from "./domain/retention";
import { sweepDeps } from "./services/retention/retention.service";
import { sweepRetention } from "./services/retention/sweep";

const HELP = `dual-record ${PACKAGE_VERSION} — 双录中台 command line

Usage: dual-record <command>

  start           run a hub node on the configuration from the environment (as npm start)
  migrate         apply pending database migrations and exit
  bootstrap --org-code CODE --org-name NAME --admin USERNAME
                  on an empty database (HUB_DEMO=off): create the head office and its first hq_admin;
                  prints a one-time password that must be changed at first login
  audit verify    re-hash the whole audit chain and check its signed checkpoints offline;
                  prints {"ok","entries","brokenAt"?} and exits 1 when the chain is broken
  evidence verify [--id ID]
                  re-hash both replicas of every submitted recording (or only ID) against its manifest;
                  repairs a missing or corrupt copy from the good one (an alarm each), prints
                  {"ok","recordings","objects","repaired","failed"} and exits 1 when a recording has no good copy
  retention sweep [--as-of YYYY-MM-DD]
                  the daily retention sweep now, as of a day (default today, Beijing time; never later):
                  recomputes every recording's retention, brings the evidence store's locks in step, moves
                  recordings past retention to the recycle bin and destroys those 30 days in it (tombstones
                  in the audit chain); idempotent. Prints progress to stderr and the counts as JSON
  help            this text

Configuration comes from environment variables (README.md, "Configuration").`;

type Out = { log: (s: string) => void; error: (s: string) => void };

async function migrate(out: Out): Promise<number> {
  const config = loadConfig();
  const db = await openDatabase(config.database);
  try {
    const applied = await db.migrate();
    out.log(applied.length ? `applied: ${applied.join(", ")}` : "database is up to date");
    return 0;
  } finally {
    await db.close();
  }
}

async function auditVerify(out: Out): Promise<number> {
  const config = loadConfig();
  const publicKey = loadAuditPublicKey(config);
  const db = await openDatabase(config.database);
  try {
    const result = await verifyStoredChain(db, publicKey, (n) => out.error(`verified ${n} entries…`));
    out.log(JSON.stringify(result));
    return result.ok ? 0 : 1;
  } finally {
    await db.close();
  }
}

/** The scrubber's pass, run offline on this host's replica roots; alarms go to the log and the chain as in a hub. */
async function evidenceVerify(args: readonly string[], out: Out): Promise<number> {
  const id = args.includes("--id") ? option(args, "--id") : undefined;
  if (id === "") {
    out.error("evidence verify: --id needs a recording id");
    return 2;
  }
  const runtime = await openRuntime(loadConfig(), () => new Date());
  runtime.metrics.stop();
  try {
    const appendMany = runtimeAppender(runtime);
    const append = (draft: EntryDraft) => appendMany([draft]);
    const store = openEvidenceStore(
      runtime.config,
      alarmSink(
        append,
        () => ({ error: (message: unknown) => out.error(String(message)) }),
        runtime.metrics,
        runtime.clock,
      ),
    );
    const report = await scrubRecordings(runtime.db, store, {
      id,
      onProgress: (n) => {
        if (n % 100 === 0) out.error(`verified ${n} recordings…`);
      },
    });
    out.log(JSON.stringify(report));
    return report.ok ? 0 : 1;
  } finally {
    await runtime.db.close();
    await runtime.plugins.close();
  }
}

/** The retention sweep, run offline on this host's database and replica roots (as the hub's daily one). */
async function retentionSweep(args: readonly string[], out: Out): Promise<number> {
  const asOfGiven = args.includes("--as-of");
  const asOf = asOfGiven ? option(args, "--as-of") : undefined;
  const runtime = await openRuntime(loadConfig(), () => new Date());
  runtime.metrics.stop();
  const today = businessDay(runtime.clock());
  if (asOfGiven && (!asOf || !isIsoDay(asOf))) {
    out.error("retention sweep: --as-of needs a day YYYY-MM-DD");
    await runtime.db.close();
    await runtime.plugins.close();
    return 2;
  }
  if (asOf && asOf > today) {
    out.error(
      `retention sweep: --as-of ${asOf} is after today (${today}); nothing is swept ahead of its day`,
    );
    await runtime.db.close();
    await runtime.plugins.close();
    return 2;
  }
  const store = openEvidenceStore(
    runtime.config,
    alarmSink(
      (draft) => runtimeAppender(runtime)([draft]),
      () => ({ error: (message: unknown) => out.error(String(message)) }),
      runtime.metrics,
      runtime.clock,
    ),
    runtime.clock,
  );
  try {
    const result = await sweepRetention(sweepDeps(runtime, store), {
      asOf: asOf ?? today,
      onProgress: (p) => out.error(`examined ${p.examined} sales, ${p.recomputed} recomputed…`),
    });
    out.log(
      JSON.stringify({
        ...result,
        refused: result.refused.slice(0, 50),
        refusedCount: result.refused.length,
      }),
    );
    return 0;
  } finally {
    await store.close();
    await runtime.db.close();
    await runtime.plugins.close();
  }
}

function option(args: readonly string[], name: string): string {
  const at = args.indexOf(name);
  return at >= 0 && at + 1 < args.length ? args[at + 1] : "";
}

async function bootstrap(args: readonly string[], out: Out): Promise<number> {
  const runtime = await openRuntime(loadConfig(), () => new Date());
  runtime.metrics.stop();
  try {
    const { password } = await bootstrapHeadOffice(runtime, {
      orgCode: option(args, "--org-code"),
      orgName: option(args, "--org-name"),
      username: option(args, "--admin"),
    });
    out.log(`created head office ${option(args, "--org-code")} and hq_admin ${option(args, "--admin")}`);
    out.log(`one-time password (change it at first login): ${password}`);
    return 0;
  } finally {
    await runtime.db.close();
    await runtime.plugins.close();
  }
}

/** Runs one command; returns the process exit code (start never returns while the hub runs). */
export async function main(argv: readonly string[], out: Out = console): Promise<number> {
  const [command, sub] = argv;
  try {
    switch (command) {
      case "start":
        await runHub();
        return -1;
      case "migrate":
        return await migrate(out);
      case "bootstrap":
        return await bootstrap(argv.slice(1), out);
      case "audit":
        if (sub === "verify") return await auditVerify(out);
        out.error(`unknown audit command "${sub ?? ""}"; try: dual-record audit verify`);
        return 2;
      case "evidence":
        if (sub === "verify") return await evidenceVerify(argv.slice(2), out);
        out.error(`unknown evidence command "${sub ?? ""}"; try: dual-record evidence verify [--id ID]`);
        return 2;
      case "retention":
        if (sub === "sweep") return await retentionSweep(argv.slice(2), out);
        out.error(
          `unknown retention command "${sub ?? ""}"; try: dual-record retention sweep [--as-of YYYY-MM-DD]`,
        );
        return 2;
      case "--version":
      case "-v":
        out.log(PACKAGE_VERSION);
        return 0;
      case undefined:
      case "help":
      case "--help":
      case "-h":
        out.log(HELP);
        return 0;
      default:
        out.error(`unknown command "${command}"\n\n${HELP}`);
        return 2;
    }
  } catch (err) {
    const details = (err as { data?: unknown }).data;
    out.error(
      `dual-record ${command}: ${(err as Error).message}` +
        (Array.isArray(details) ? `\n${JSON.stringify(details)}` : ""),
    );
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    if (code >= 0) process.exit(code);
  });
}
