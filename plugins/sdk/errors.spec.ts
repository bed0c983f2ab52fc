import {
  LegacyFaultError,
  LegacyTimeoutError,
  LegacyUnavailableError,
  PluginContractError,
  isLegacyFailure,
} from "./errors";

describe("legacy errors", () => {
  it("carry their HUB_* code, HTTP status and retryable flag", () => {
    expect(new LegacyUnavailableError("x")).toMatchObject({
      type: "HUB_LEGACY_UNAVAILABLE",
      code: 503,
      retryable: true,
    });
    expect(new LegacyTimeoutError("x")).toMatchObject({
      type: "HUB_LEGACY_TIMEOUT",
      code: 504,
      retryable: true,
    });
    expect(new LegacyFaultError("x")).toMatchObject({
      type: "HUB_LEGACY_FAULT",
      code: 502,
      retryable: false,
    });
    expect(
      new PluginContractError("HUB_PLUGIN_SETTINGS", "x", { plugin: "crm", setting: "timelineUrl" }),
    ).toMatchObject({
      type: "HUB_PLUGIN_SETTINGS",
      code: 500,
      data: { plugin: "crm", setting: "timelineUrl" },
    });
  });

  it("keep the driver's error as a cause that does not travel with the error", () => {
    const cause = Object.assign(new Error("password authentication failed for user hub"), { code: "28P01" });
    const e = new LegacyUnavailableError("PostgreSQL refused", { plugin: "fund" }, { cause });
    expect(e.cause).toBe(cause);
    expect(JSON.stringify(e)).not.toContain("password");
    expect(Object.keys(e)).not.toContain("cause");
  });

  describe("fromSoapFault", () => {
    it("reads a SOAP 1.1 Fault and keeps the faultcode and detail", () => {
      const e = LegacyFaultError.fromSoapFault(
        { faultcode: "soap:Server", faultstring: "日终批处理中", detail: { ErrCode: "E9001" } },
        { plugin: "counter" },
      );
      expect(e).toBeInstanceOf(LegacyFaultError);
      expect(e.message).toBe("SOAP Fault soap:Server: 日终批处理中");
      expect(e.faultCode).toBe("soap:Server");
      expect(e.data).toEqual({
        plugin: "counter",
        faultCode: "soap:Server",
        faultDetail: { ErrCode: "E9001" },
      });
    });

    it("reads a SOAP 1.2 Fault with a subcode, and $value-wrapped text", () => {
      const e = LegacyFaultError.fromSoapFault({
        Code: { Value: "soap:Sender", Subcode: { Value: "rpc:BadArguments" } },
        Reason: { Text: { $value: "客户号不存在" } },
      });
      expect(e.faultCode).toBe("soap:Sender/rpc:BadArguments");
      expect(e.message).toBe("SOAP Fault soap:Sender/rpc:BadArguments: 客户号不存在");
    });

    it("survives an empty fault", () => {
      expect(LegacyFaultError.fromSoapFault(undefined).faultCode).toBe("soap:Server");
    });
  });

  describe("fromSqlState", () => {
    it.each(["08001", "08004", "08006", "08S01", "40003", "57P01", "57P03"])(
      "makes %s (no connection) unavailable",
      (state) => {
        const e = LegacyFaultError.fromSqlState(state, "link down", { plugin: "core-banking" });
        expect(e).toBeInstanceOf(LegacyUnavailableError);
        expect(e.data).toMatchObject({ sqlState: state, plugin: "core-banking" });
      },
    );

    it.each([
      ["42704", 'SQL0204N  "CORE.V_CUSTOMER" is an undefined name.'],
      ["42P01", 'relation "counter.v_sales_day" does not exist'],
      ["23505", "duplicate key"],
    ])("makes %s a fault that keeps the SQLSTATE", (state, message) => {
      const e = LegacyFaultError.fromSqlState(state, message) as LegacyFaultError;
      expect(e).toBeInstanceOf(LegacyFaultError);
      expect(e.sqlState).toBe(state);
      expect(e.message).toBe(`SQLSTATE ${state}: ${message}`);
    });

    it("files a malformed state under HY000", () => {
      expect((LegacyFaultError.fromSqlState("oops", "?") as LegacyFaultError).sqlState).toBe("HY000");
    });
  });

  it("counts unavailable, timeout and fault as legacy failures, not contract errors", () => {
    expect(isLegacyFailure(new LegacyUnavailableError("x"))).toBe(true);
    expect(isLegacyFailure(new LegacyTimeoutError("x"))).toBe(true);
    expect(isLegacyFailure(new LegacyFaultError("x"))).toBe(true);
    expect(isLegacyFailure(new PluginContractError("HUB_PLUGIN_SCHEMA", "x"))).toBe(false);
    expect(isLegacyFailure(new Error("x"))).toBe(false);
  });
});
