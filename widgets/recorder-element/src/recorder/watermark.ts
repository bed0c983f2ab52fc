/**
 * The watermark burnt into every frame (pure). Its time is the hub's, never the PC's alone: the element measures
 * the offset of the PC's clock against GET /api/v1/time and adds it, so a PC with a wrong clock still stamps the
 * true time. Times are shown in Beijing time (UTC+8), which is what the bank and a court read.
 */
export interface WatermarkFacts {
  /** Hub time, ms since the epoch. */
  hubTime: number;
  outlet: string;
  staff: string;
  customerNo: string | null;
  productCode: string | null;
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** `2026-11-23 18:45:12.345 +08:00` for an instant, in Beijing time. */
export function beijingTime(ms: number): string {
  const d = new Date(ms + 8 * 3600_000);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)} +08:00`
  );
}

/** The lines drawn in the frame's corner, in a fixed order so a court can read any frame the same way. */
export function watermarkLines(f: WatermarkFacts): string[] {
  return [
    beijingTime(f.hubTime),
    `网点 ${f.outlet}  工号 ${f.staff}`,
    `客户 ${f.customerNo ?? "—"}  产品 ${f.productCode ?? "—"}`,
  ];
}
