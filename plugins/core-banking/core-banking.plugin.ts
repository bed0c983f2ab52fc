import { definePlugin, soapClientOf, sqlClientOf } from "../sdk";
import { latestAssessment } from "./operations/latest-assessment.operation";
import { lookupCustomers } from "./operations/lookup-customers.operation";

/** 核心系统 (core banking): customers and their risk assessments. README.md says what the bank exposes. */
export default definePlugin({
  name: "core-banking",
  version: "1.0.0",
  sdk: "^1.0.0",
  system: "核心系统 (core banking)",
  transport: ["db2", "soap", "sql"],
  settings: {
    schema: {
      type: "string",
      default: "CORE",
      pattern: "[A-Za-z][A-Za-z0-9_]{0,29}",
      description: "Schema holding V_CUSTOMER, V_CUSTOMER_CARD and V_RISK_ASSESSMENT (db2, sql)",
    },
  },
  operations: { lookupCustomers, latestAssessment },
  async health(ctx) {
    if (ctx.transportName === "soap") return soapClientOf(ctx).ping(ctx.callOptions());
    await sqlClientOf(ctx).query(
      `SELECT CUST_NO FROM ${ctx.settings.string("schema")}.V_CUSTOMER WHERE 1 = 0`,
      {},
      ctx.callOptions(),
    );
  },
});
