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

  it("says nothing about an internal error beyond that it happened", () => {
    const res = toErrorResponse(
      new TypeError("Cannot read properties of undefined (reading 'x') at /srv/hub.js:1"),
      "zh",
    );
    expect(res).toEqual({ status: 500, body: { error: { code: "HUB_INTERNAL", message: "系统内部错误" } } });
  });
});
