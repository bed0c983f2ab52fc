import { definePlugin } from "../sdk";
import { holdingStatus } from "./operations/holding-status.operation";
import { listProducts } from "./operations/list-products.operation";

/** 理财系统 (wealth management): products and holdings over SOAP. README.md says what the bank exposes. */
export default definePlugin({
  name: "wealth",
  version: "1.0.0",
  sdk: "^1.0.0",
  system: "理财系统 (wealth management)",
  transport: "soap",
  settings: {},
  operations: { listProducts, holdingStatus },
});
