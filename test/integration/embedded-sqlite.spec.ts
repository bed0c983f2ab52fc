import { describeHubSuite } from "./hub.suite";

describeHubSuite("embedded-sqlite");
