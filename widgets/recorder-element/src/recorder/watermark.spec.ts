import { beijingTime, watermarkLines } from "./watermark";

describe("watermark", () => {
  it("shows the instant in Beijing time with milliseconds and the zone", () => {
    expect(beijingTime(Date.UTC(2026, 10, 23, 10, 45, 12, 345))).toBe("2026-11-23 18:45:12.345 +08:00");
    // Past midnight in Beijing while still the previous day in UTC.
    expect(beijingTime(Date.UTC(2026, 11, 31, 16, 0, 0, 5))).toBe("2027-01-01 00:00:00.005 +08:00");
  });

  it("names outlet, staff, customer and product, with a dash for what is not known yet", () => {
    const base = { hubTime: Date.UTC(2026, 0, 2, 1, 2, 3, 4), outlet: "310100", staff: "E1001" };
    expect(watermarkLines({ ...base, customerNo: "C000000001", productCode: "WM2026001" })).toEqual([
      "2026-01-02 09:02:03.004 +08:00",
      "网点 310100  工号 E1001",
      "客户 C000000001  产品 WM2026001",
    ]);
    expect(watermarkLines({ ...base, customerNo: null, productCode: null })[2]).toBe("客户 —  产品 —");
  });
});
