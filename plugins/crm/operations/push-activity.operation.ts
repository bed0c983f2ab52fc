import {
  checkReturnCode,
  defineOperation,
  text,
  type CrmPushActivityRequest,
  type CrmPushActivityResponse,
  type OperationContext,
  type SoapClient,
} from "../../sdk";

const ACTIVITY_TYPES: Readonly<Record<CrmPushActivityRequest["kind"], string>> = {
  RECORDING_SUBMITTED: "DR_SUBMITTED",
  RECORDING_BOUND: "DR_BOUND",
};

/** The deep link into the CRM customer timeline: the `timelineUrl` template with {customerNo} and {activityNo}. */
function timelineUrl(template: string | undefined, customerNo: string, activityNo: string): string | null {
  if (!template) return null;
  return template
    .replace(/\{customerNo\}/g, encodeURIComponent(customerNo))
    .replace(/\{activityNo\}/g, encodeURIComponent(activityNo));
}

async function fromService(
  ctx: OperationContext<SoapClient>,
  request: CrmPushActivityRequest,
): Promise<CrmPushActivityResponse> {
  const answer = await ctx.transport.call(
    "PushActivity",
    {
      ExtId: request.activityId,
      CustNo: request.customerNo,
      ActType: ACTIVITY_TYPES[request.kind],
      Title: request.title,
      LinkUrl: request.recordingUrl,
      OccurTime: request.occurredAt,
      OrgCode: request.orgCode,
      StaffNo: request.staffNo,
      ProdCode: request.productCode,
      ...(request.productName ? { ProdName: request.productName } : {}),
      ...(request.saleNo ? { SaleNo: request.saleNo } : {}),
    },
    ctx.callOptions(),
  );
  checkReturnCode(answer);
  const activityNo = text(answer.ActivityNo) ?? "";
  return {
    activityNo,
    duplicate: answer.Duplicate === true || text(answer.Duplicate) === "true",
    timelineUrl: timelineUrl(ctx.settings.optionalString("timelineUrl"), request.customerNo, activityNo),
  };
}

/**
 * 客户活动推送: "录音录像已提交" / "录音录像已关联交易" on the customer's CRM timeline, linking to the recording in the
 * hub. Retryable: the CRM keeps the first push of an activityId and answers later ones as duplicates.
 */
export const pushActivity = defineOperation({
  capability: "crm.pushActivity",
  description:
    "Puts a dual-recording event on the customer's timeline (PushActivity, idempotent on activityId)",
  timeoutMs: 10_000,
  retryable: true,
  run: { soap: fromService },
});
