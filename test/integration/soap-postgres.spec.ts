import { describeSoapSuite } from "./soap.suite";

describeSoapSuite("postgres");
