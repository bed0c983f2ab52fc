import { memorySchema } from "../bank-data";
import { SoapSimulator } from "../soap-simulator";
import { compact, decimal, failure, isoDay, OK, present, wsdlOf } from "./support";

/** 柜面系统: QuerySalesByDay over the COUNTER schema's V_SALES_DAY. */
export function counterSimulator(
  options: { port?: number; credentials?: { username: string; password: string } } = {},
): SoapSimulator {
  const db = memorySchema("COUNTER");
  return new SoapSimulator({
    name: "counter",
    wsdlFile: wsdlOf("counter"),
    path: "/services/counter",
    ...options,
    handlers: {
      QuerySalesByDay(args) {
        const day = isoDay(args.TxnDate);
        if (!day) return failure("CT0001", "交易日期格式错误，应为yyyyMMdd");
        const rows = db
          .prepare(
            `SELECT * FROM V_SALES_DAY WHERE TXN_DATE = :day
               AND (:branch IS NULL OR BRANCH_NO = :branch) AND (:teller IS NULL OR TELLER_NO = :teller)
             ORDER BY TXN_SERIAL`,
          )
          .all({ day, branch: args.BranchNo ?? null, teller: args.TellerNo ?? null }) as Record<
          string,
          unknown
        >[];
        return {
          ...OK,
          Sale: rows.map((r) =>
            present({
              TxnSerial: r.TXN_SERIAL,
              TxnDate: compact(r.TXN_DATE),
              TxnTime: String(r.TXN_TIME).replace(/:/g, ""),
              BranchNo: r.BRANCH_NO,
              BranchName: r.BRANCH_NAME,
              TellerNo: r.TELLER_NO,
              CustNo: r.CUST_NO,
              CustName: r.CUST_NAME,
              ProdCode: r.PROD_CODE,
              ProdName: r.PROD_NAME,
              ProdType: r.PROD_TYPE,
              TxnAmt: decimal(r.TXN_AMT),
              TxnStatus: r.TXN_STATUS,
            }),
          ),
        };
      },
    },
  });
}
