import { Catalog1795400000000 } from "./1795400000000-catalog";
import { Foundation1795392000000 } from "./1795392000000-foundation";
import { HoldingsChecks1795460000000 } from "./1795460000000-holdings-checks";
import { ImportJobs1795410000000 } from "./1795410000000-import-jobs";
import { PluginOutbox1795450000000 } from "./1795450000000-plugin-outbox";
import { Recordings1795420000000 } from "./1795420000000-recordings";
import { Retention1795430000000 } from "./1795430000000-retention";
import { Transactions1795440000000 } from "./1795440000000-transactions";

/** Applied in this order on every backend; never edit one that has shipped, add the next (TypeORM wants a timestamp in the name). */
export const MIGRATIONS = [
  Foundation1795392000000,
  Catalog1795400000000,
  ImportJobs1795410000000,
  Recordings1795420000000,
  Retention1795430000000,
  Transactions1795440000000,
  PluginOutbox1795450000000,
  HoldingsChecks1795460000000,
];
