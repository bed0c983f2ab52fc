import { memorySchema } from "../bank-data";
import { SoapSimulator } from "../soap-simulator";
import { customersBy, failure, OK, present, wsdlOf } from "./support";

/**
 * CRM: customers, risk profiles and the customer timeline (T_CRM_ACTIVITY), idempotent on ExtId. `activities()` is
 * the timeline; `pushes()` every PushActivity answered, duplicates included (what a test counts deliveries by).
 */
export function crmSimulator(
  options: { port?: number; credentials?: { username: string; password: string } } = {},
): SoapSimulator & {
  activities(): Record<string, unknown>[];
  pushes(): Array<{ extId: string; duplicate: boolean }>;
} {
  const db = memorySchema("CRM");
  let seq = 0;
  const pushes: Array<{ extId: string; duplicate: boolean }> = [];
  const simulator = new SoapSimulator({
    name: "crm",
    wsdlFile: wsdlOf("crm"),
    path: "/services/crm",
    ...options,
    handlers: {
      QueryCustomer(args) {
        const customers = customersBy(db, "T_CRM_CUSTOMER", args);
        return customers ? { ...OK, Customer: customers } : failure("CRM101", "查询条件有误");
      },
      QueryRiskProfile(args) {
        const row = db
          .prepare("SELECT * FROM T_CRM_RISK WHERE CUST_NO = ?")
          .get(String(args.CustNo ?? "")) as Record<string, unknown> | undefined;
        if (!row) return { ...OK };
        return {
          ...OK,
          Profile: present({
            RiskLevel: row.RISK_LEVEL,
            EvalDate: row.EVAL_DATE,
            ExpireDate: row.EXPIRE_DATE,
            BranchNo: row.BRANCH_NO,
          }),
        };
      },
      PushActivity(args) {
        const extId = String(args.ExtId ?? "");
        const existing = db.prepare("SELECT ACTIVITY_NO FROM T_CRM_ACTIVITY WHERE EXT_ID = ?").get(extId) as
          { ACTIVITY_NO: string } | undefined;
        if (existing) {
          pushes.push({ extId, duplicate: true });
          return { ...OK, ActivityNo: existing.ACTIVITY_NO, Duplicate: true };
        }
        const known = db
          .prepare("SELECT 1 FROM T_CRM_CUSTOMER WHERE CUST_NO = ?")
          .get(String(args.CustNo ?? ""));
        if (!known) return failure("CRM404", `客户${String(args.CustNo)}不存在`);
        seq += 1;
        const activityNo = `ACT2026${String(seq).padStart(8, "0")}`;
        db.prepare(
          `INSERT INTO T_CRM_ACTIVITY VALUES (:no, :ext, :cust, :type, :title, :link, :at, :org, :staff, :prod, :sale)`,
        ).run({
          no: activityNo,
          ext: extId,
          cust: args.CustNo,
          type: args.ActType,
          title: args.Title,
          link: args.LinkUrl,
          at: args.OccurTime,
          org: args.OrgCode,
          staff: args.StaffNo,
          prod: args.ProdCode,
          sale: args.SaleNo ?? null,
        });
        pushes.push({ extId, duplicate: false });
        return { ...OK, ActivityNo: activityNo, Duplicate: false };
      },
    },
  });
  return Object.assign(simulator, {
    activities: () =>
      db.prepare("SELECT * FROM T_CRM_ACTIVITY ORDER BY ACTIVITY_NO").all() as Record<string, unknown>[],
    pushes: () => [...pushes],
  });
}
