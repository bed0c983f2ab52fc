import { randomInt } from "node:crypto";
import { LegacyFaultError, text, type OperationContext, type HttpXmlClient } from "../sdk";

/** 银保通 days and times are Beijing time, yyyyMMdd and HHmmss. */
function beijingNow(): { date: string; time: string } {
  const iso = new Date(Date.now() + 8 * 3600_000).toISOString();
  return { date: iso.slice(0, 10).replace(/-/g, ""), time: iso.slice(11, 19).replace(/:/g, "") };
}

/**
 * One 银保通 transaction: `TranData` with the bank's header (bank code, zone, outlet, teller, a unique TranNo) and
 * `body`; resolves to the answer's Body. `Head.Flag` other than 0 is a LegacyFaultError carrying `ErrCode`.
 */
export async function ybtTransaction(
  ctx: OperationContext<HttpXmlClient>,
  tranCode: string,
  body: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const now = beijingNow();
  const answer = await ctx.transport.exchange(
    {
      TranData: {
        Head: {
          TranCode: tranCode,
          BankCode: ctx.settings.string("bankCode"),
          ZoneNo: ctx.settings.string("zoneNo"),
          NodeNo: ctx.settings.string("nodeNo"),
          TellerNo: ctx.settings.string("tellerNo"),
          TranNo: `DR${now.date}${now.time}${String(randomInt(0, 1_000_000)).padStart(6, "0")}`,
          TranDate: now.date,
          TranTime: now.time,
        },
        Body: body,
      },
    },
    ctx.callOptions(),
  );
  const head = (answer.Head ?? {}) as Record<string, unknown>;
  if (text(head.Flag) !== "0") {
    const code = text(head.ErrCode) ?? `FLAG_${text(head.Flag) ?? "MISSING"}`;
    throw new LegacyFaultError(`银保通 ${tranCode} failed: ${text(head.Desc) ?? "no description"}`, {
      faultCode: code,
    });
  }
  return (answer.Body ?? {}) as Record<string, unknown>;
}
