import { definePlugin } from "../sdk";
import { listInsuranceProducts } from "./operations/list-insurance-products.operation";
import { policyStatus } from "./operations/policy-status.operation";

/** 银保通 (bancassurance): insurance products and policy status. README.md says what the bank exposes. */
export default definePlugin({
  name: "bancassurance",
  version: "1.0.0",
  sdk: "^1.0.0",
  system: "银保通 (bancassurance)",
  transport: ["http-xml", "soap"],
  settings: {
    bankCode: {
      type: "string",
      default: "0102",
      pattern: "[0-9A-Za-z]{1,10}",
      description: "银行代码 in every 银保通 header (http-xml)",
    },
    zoneNo: {
      type: "string",
      default: "00",
      pattern: "[0-9A-Za-z]{1,10}",
      description: "地区代码 in the header (http-xml)",
    },
    nodeNo: {
      type: "string",
      default: "000000",
      pattern: "[0-9A-Za-z]{1,12}",
      description: "网点代码 in the header: the hub's own (http-xml)",
    },
    tellerNo: {
      type: "string",
      default: "DRHUB",
      pattern: "[0-9A-Za-z]{1,16}",
      description: "柜员号 the insurer's side assigned to the hub (http-xml)",
    },
  },
  operations: { listInsuranceProducts, policyStatus },
});
