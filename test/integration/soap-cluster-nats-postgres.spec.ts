import { describeSoapSuite } from "./soap.suite";

describeSoapSuite("cluster-nats-postgres");
