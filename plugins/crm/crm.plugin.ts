import { definePlugin } from "../sdk";
import { latestRiskProfile } from "./operations/latest-risk-profile.operation";
import { lookupCustomers } from "./operations/lookup-customers.operation";
import { pushActivity } from "./operations/push-activity.operation";

/** 客户关系管理系统 (CRM): the customer timeline, customers and risk profiles. README.md says what the bank exposes. */
export default definePlugin({
  name: "crm",
  version: "1.0.0",
  sdk: "^1.0.0",
  system: "客户关系管理系统 (CRM)",
  transport: "soap",
  settings: {
    timelineUrl: {
      type: "string",
      pattern: "https?://\\S+",
      description:
        "Deep link into the CRM customer timeline, with {customerNo} and {activityNo}, e.g. " +
        "https://crm.bank.example/customer/{customerNo}/timeline?activity={activityNo}",
    },
  },
  operations: { pushActivity, lookupCustomers, latestRiskProfile },
});
