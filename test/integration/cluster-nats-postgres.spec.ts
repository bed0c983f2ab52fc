import { describeHubSuite } from "./hub.suite";

describeHubSuite("cluster-nats-postgres");
