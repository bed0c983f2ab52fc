import { definePlugin, soapClientOf, sqlClientOf } from "../sdk";
import { listSalesByDay } from "./operations/list-sales-by-day.operation";

/** 柜面系统 (counter): the product sales of a day, for reconciliation. README.md says what the bank exposes. */
export default definePlugin({
  name: "counter",
  version: "1.0.0",
  sdk: "^1.0.0",
  system: "柜面系统 (counter)",
  transport: ["soap", "db2", "sql"],
  settings: {
    schema: {
      type: "string",
      default: "COUNTER",
      pattern: "[A-Za-z][A-Za-z0-9_]{0,29}",
      description: "Schema holding the view V_SALES_DAY (db2, sql)",
    },
  },
  operations: { listSalesByDay },
  async health(ctx) {
    if (ctx.transportName === "soap") return soapClientOf(ctx).ping(ctx.callOptions());
    await sqlClientOf(ctx).query(
      `SELECT TXN_SERIAL FROM ${ctx.settings.string("schema")}.V_SALES_DAY WHERE 1 = 0`,
      {},
      ctx.callOptions(),
    );
  },
});
