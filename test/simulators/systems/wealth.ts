import { memorySchema } from "../bank-data";
import { SoapSimulator } from "../soap-simulator";
import { decimal, failure, OK, present, wsdlOf } from "./support";

/** 理财系统: products and holdings over the WEALTH schema. */
export function wealthSimulator(
  options: { port?: number; credentials?: { username: string; password: string } } = {},
): SoapSimulator {
  const db = memorySchema("WEALTH");
  return new SoapSimulator({
    name: "wealth",
    wsdlFile: wsdlOf("wealth"),
    path: "/services/wealth",
    ...options,
    handlers: {
      QueryProductList(args) {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(String(args.UpdatedSince ?? "")))
          return failure("WM2001", "日期格式错误");
        const rows = db
          .prepare("SELECT * FROM T_WM_PRODUCT WHERE UPDATE_DATE >= ? ORDER BY PRD_CODE")
          .all(args.UpdatedSince) as Record<string, unknown>[];
        return {
          ...OK,
          Product: rows.map((r) =>
            present({
              PrdCode: r.PRD_CODE,
              PrdName: r.PRD_NAME,
              PrdType: r.PRD_TYPE,
              RiskLevel: r.RISK_LEVEL,
              Issuer: r.ISSUER,
              StartDate: r.START_DATE,
              EndDate: r.END_DATE,
              Status: r.PRD_STATUS,
              UpdateDate: r.UPDATE_DATE,
            }),
          ),
        };
      },
      QueryHolding(args) {
        const row = db
          .prepare("SELECT * FROM T_WM_HOLDING WHERE CUST_NO = ? AND PRD_CODE = ?")
          .get(String(args.CustNo ?? ""), String(args.PrdCode ?? "")) as Record<string, unknown> | undefined;
        if (!row) return { ...OK };
        return {
          ...OK,
          Holding: present({
            Balance: decimal(row.BALANCE),
            FirstBuyDate: row.FIRST_BUY_DATE,
            ClearDate: row.CLEAR_DATE,
            ClearSerial: row.CLEAR_SERIAL,
          }),
        };
      },
    },
  });
}
