import { describeHubSuite } from "./hub.suite";

// Runs only where ORACLE_URL=oracle://user:password@host:1521/service names an empty schema (see docs/operations.md).
describeHubSuite("oracle");
