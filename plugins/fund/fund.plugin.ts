import { definePlugin, soapClientOf, sqlClientOf } from "../sdk";
import { fundRedemption } from "./operations/fund-redemption.operation";
import { latestRiskSurvey } from "./operations/latest-risk-survey.operation";
import { listFunds } from "./operations/list-funds.operation";
import { lookupInvestors } from "./operations/lookup-investors.operation";

/** 基金销售系统 (fund): investors, risk surveys, funds and holdings. README.md says what the bank exposes. */
export default definePlugin({
  name: "fund",
  version: "1.0.0",
  sdk: "^1.0.0",
  system: "基金销售系统 (fund)",
  transport: ["oracle", "soap", "sql"],
  settings: {
    schema: {
      type: "string",
      default: "FUNDSALE",
      pattern: "[A-Za-z][A-Za-z0-9_]{0,29}",
      description:
        "Schema holding V_FUND_INVESTOR, V_FUND_RISK, V_FUND_PRODUCT and V_FUND_HOLDING (oracle, sql)",
    },
  },
  operations: { lookupInvestors, latestRiskSurvey, listFunds, fundRedemption },
  async health(ctx) {
    if (ctx.transportName === "soap") return soapClientOf(ctx).ping(ctx.callOptions());
    await sqlClientOf(ctx).query(
      `SELECT FUND_CODE FROM ${ctx.settings.string("schema")}.V_FUND_PRODUCT WHERE 1 = 0`,
      {},
      ctx.callOptions(),
    );
  },
});
