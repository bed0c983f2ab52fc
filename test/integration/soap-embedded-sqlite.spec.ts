import { describeSoapSuite } from "./soap.suite";

describeSoapSuite("embedded-sqlite");
