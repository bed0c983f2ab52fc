import { describeHubSuite } from "./hub.suite";

describeHubSuite("postgres");
