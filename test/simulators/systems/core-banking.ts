import { memorySchema } from "../bank-data";
import { SoapSimulator } from "../soap-simulator";
import { compact, failure, OK, oneKey, present, wsdlOf } from "./support";

/** 核心系统: QueryCustomer and QueryRiskAssessment over the CORE schema, answering in the core's own codes. */
export function coreBankingSimulator(
  options: { port?: number; credentials?: { username: string; password: string } } = {},
): SoapSimulator {
  const db = memorySchema("CORE");
  const cardsOf = db.prepare(
    "SELECT CARD_NO FROM T_CARD_INFO WHERE CUST_NO = ? AND CARD_STATUS = '0' ORDER BY CARD_NO",
  );
  return new SoapSimulator({
    name: "core-banking",
    wsdlFile: wsdlOf("core-banking"),
    path: "/services/core",
    ...options,
    handlers: {
      QueryCustomer(args) {
        const key = oneKey(args, ["CardNo", "CertNo", "CustNo", "CustName"]);
        if (!key)
          return failure("CB1001", "查询条件有误：卡号、证件号码、客户号、客户姓名只能且必须输入一项");
        const where = {
          CardNo: "C.CUST_NO IN (SELECT CUST_NO FROM T_CARD_INFO WHERE CARD_NO = :v AND CARD_STATUS = '0')",
          CertNo: "C.CERT_NO = :v",
          CustNo: "C.CUST_NO = :v",
          CustName: "C.CUST_NAME = :v",
        }[key[0]];
        const rows = db
          .prepare(
            `SELECT * FROM T_CUST_INFO C WHERE ${where} AND C.CUST_STATUS = 'A' ORDER BY C.CUST_NO LIMIT 50`,
          )
          .all({ v: key[1] }) as Record<string, unknown>[];
        return {
          ...OK,
          Customer: rows.map((r) =>
            present({
              CustNo: r.CUST_NO,
              CustName: r.CUST_NAME,
              CertType: r.CERT_TYPE,
              CertNo: r.CERT_NO,
              Mobile: r.MOBILE_NO,
              BirthDate: compact(r.BIRTH_DT),
              OpenBranch: r.OPEN_BRANCH,
              CardNo: (cardsOf.all(r.CUST_NO) as { CARD_NO: string }[]).map((c) => c.CARD_NO),
            }),
          ),
        };
      },
      QueryRiskAssessment(args) {
        if (typeof args.CustNo !== "string" || !args.CustNo) return failure("CB1002", "客户号不能为空");
        const row = db
          .prepare(
            "SELECT * FROM T_RISK_EVAL WHERE CUST_NO = ? ORDER BY EVAL_DATE DESC, EVAL_SEQ DESC LIMIT 1",
          )
          .get(args.CustNo) as Record<string, unknown> | undefined;
        if (!row) return { ...OK };
        return {
          ...OK,
          Assessment: present({
            RiskLevel: row.RISK_LEVEL,
            AssessDate: compact(row.EVAL_DATE),
            ExpireDate: compact(row.EXPIRE_DATE),
            AssessBranch: row.EVAL_BRANCH,
          }),
        };
      },
    },
  });
}
