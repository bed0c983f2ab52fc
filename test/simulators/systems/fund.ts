import { memorySchema } from "../bank-data";
import { SoapSimulator } from "../soap-simulator";
import { customersBy, decimal, failure, OK, present, wsdlOf } from "./support";

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** 基金销售系统: investors, risk surveys, funds and shares over the FUNDSALE schema's views. */
export function fundSimulator(
  options: { port?: number; credentials?: { username: string; password: string } } = {},
): SoapSimulator {
  const db = memorySchema("FUNDSALE");
  return new SoapSimulator({
    name: "fund",
    wsdlFile: wsdlOf("fund"),
    path: "/services/fund",
    ...options,
    handlers: {
      QueryInvestor(args) {
        const investors = customersBy(db, "V_FUND_INVESTOR", args);
        return investors ? { ...OK, Investor: investors } : failure("FD1001", "查询条件有误");
      },
      QueryRiskSurvey(args) {
        const row = db
          .prepare(
            "SELECT * FROM V_FUND_RISK WHERE CUST_NO = ? ORDER BY ASSESS_DATE DESC, SURVEY_NO DESC LIMIT 1",
          )
          .get(String(args.CustNo ?? "")) as Record<string, unknown> | undefined;
        if (!row) return { ...OK };
        return {
          ...OK,
          Survey: present({
            RiskLevel: row.RISK_LEVEL,
            SurveyDate: row.ASSESS_DATE,
            ValidTo: row.EXPIRE_DATE,
            BranchNo: row.BRANCH_NO,
          }),
        };
      },
      QueryFundList(args) {
        if (!DAY.test(String(args.ModifiedSince ?? "")))
          return failure("FD1003", "日期格式错误，应为YYYY-MM-DD");
        const rows = db
          .prepare("SELECT * FROM V_FUND_PRODUCT WHERE MODIFY_DATE >= ? ORDER BY FUND_CODE")
          .all(args.ModifiedSince) as Record<string, unknown>[];
        return {
          ...OK,
          Fund: rows.map((r) =>
            present({
              FundCode: r.FUND_CODE,
              FundName: r.FUND_NAME,
              RiskGrade: r.RISK_GRADE,
              Manager: r.MANAGER_NAME,
              SetupDate: r.SETUP_DATE,
              EndDate: r.END_DATE,
              SaleStatus: r.SALE_STATUS,
              ModifyDate: r.MODIFY_DATE,
            }),
          ),
        };
      },
      QueryFundShare(args) {
        const row = db
          .prepare("SELECT * FROM V_FUND_HOLDING WHERE CUST_NO = ? AND FUND_CODE = ?")
          .get(String(args.CustNo ?? ""), String(args.FundCode ?? "")) as Record<string, unknown> | undefined;
        if (!row) return { ...OK };
        return {
          ...OK,
          Share: present({
            TotalShare: decimal(row.TOTAL_SHARE),
            FirstBuyDate: row.FIRST_BUY_DATE,
            FullRedeemDate: row.FULL_REDEEM_DATE,
            RedeemSerial: row.REDEEM_SERIAL,
          }),
        };
      },
    },
  });
}
