import { Errors } from "moleculer";
import { HubError, ValidationError } from "../../errors/hub-error";
import { toErrorResponse } from "./http-errors";

describe("HTTP error shape", () => {
  it("keeps a hub error's code, status and details, in zh-CN by default and in English on request", () => {
    const err = new ValidationError([{ field: "body.orgCode", code: "pattern", message: "must match" }]);
    expect(toErrorResponse(err, "zh")).toEqual({
      status: 422,
      body: {
        error: {
          code: "HUB_VALIDATION_FAILED",
          message: "请求数据校验未通过: body.orgCode: must match",
          details: [{ field: "body.orgCode", code: "pattern", message: "must match" }],
        },
      },
    });
    expect(toErrorResponse(new HubError("HUB_AUTH_LOCKED"), "en").body.error.message).toBe(
      "Too many failed logins; the account is locked for a while",
    );
  });

  it("maps body-parser, routing and broker errors onto hub codes", () => {
    const parse = Object.assign(new Error("Unexpected token"), { type: "entity.parse.failed", status: 400 });
    expect(toErrorResponse(parse, "zh").body.error.code).toBe("HUB_BAD_JSON");
    const tooLarge = Object.assign(new Error("request entity too large"), {
      type: "entity.too.large",
      status: 413,
    });
    expect(toErrorResponse(tooLarge, "zh")).toMatchObject({
      status: 413,
      body: { error: { code: "HUB_BODY_TOO_LARGE" } },
    });
    expect(toErrorResponse(new Errors.ServiceNotFoundError({ action: "access.login" }), "zh")).toMatchObject({
      status: 503,
    });
    expect(toErrorResponse(new Errors.RequestTimeoutError({ action: "x", nodeID: "n" }), "zh").status).toBe(
      503,
    );
  });

  it("answers the evidence store's codes with their own statuses, 460 and 507 included", () => {
    const cases = [
      ["HUB_UPLOAD_CHECKSUM_MISMATCH", 460],
      ["HUB_STORE_FULL", 507],
      ["HUB_UPLOAD_OFFSET_MISMATCH", 409],
      ["HUB_UPLOAD_TOO_LARGE", 413],
      ["HUB_UPLOAD_TYPE_NOT_ALLOWED", 415],
      ["HUB_STORE_REPLICA_UNAVAILABLE", 503],
      ["HUB_UPLOAD_NOT_FOUND", 404],
      ["HUB_STORE_CORRUPT", 500],
      ["HUB_RECORDING_NO_REPLAY", 403],
      ["HUB_RECORDING_RELATED_INVALID", 422],
    ] as const;
    for (const [code, status] of cases) {
      const res = toErrorResponse(new HubError(code, "specific"), "en");
      expect({ code: res.body.error.code, status: res.status }).toEqual({ code, status });
      expect(res.body.error.message).toMatch(/: specific$/);
    }
    expect(new HubError("HUB_STORE_REPLICA_UNAVAILABLE").retryable).toBe(true);
    expect(new HubError("HUB_STORE_FULL").retryable).toBe(false);
  });

  it("says nothing about an internal error beyond that it happened", () => {
    const res = toErrorResponse(
      new TypeError("Cannot read properties of undefined (reading 'x') at /srv/hub.js:1"),
      "zh",
    );
    expect(res).toEqual({ status: 500, body: { error: { code: "HUB_INTERNAL", message: "系统内部错误" } } });
  });
});
