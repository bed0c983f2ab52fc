import { inspect } from "node:util";
import { PluginContractError } from "./errors";
import { resolveSettings, Secret, settingEnvName, type SettingsSpec } from "./settings";

const SPEC: SettingsSpec = {
  wsdlUrl: { type: "url", required: true, description: "WSDL" },
  username: { type: "string", description: "user" },
  password: { type: "string", secret: true, description: "password" },
  poolSize: { type: "integer", default: 4, min: 1, max: 50, description: "pool" },
  verbose: { type: "boolean", default: false, description: "verbose" },
  passwordType: {
    type: "string",
    enum: ["PasswordDigest", "PasswordText"],
    default: "PasswordDigest",
    description: "type",
  },
  schema: { type: "string", default: "CORE", pattern: "[A-Z][A-Z0-9_]*", description: "schema" },
};

function settingsError(work: () => unknown): PluginContractError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(PluginContractError);
    return error as PluginContractError;
  }
  throw new Error("expected HUB_PLUGIN_SETTINGS");
}

describe("plugin settings", () => {
  it("names environment variables HUB_PLUGIN_<NAME>_<SETTING>", () => {
    expect(settingEnvName("core-banking", "wsdlUrl")).toBe("HUB_PLUGIN_CORE_BANKING_WSDL_URL");
    expect(settingEnvName("crm", "password")).toBe("HUB_PLUGIN_CRM_PASSWORD");
    expect(settingEnvName("fund", "maxResponseBytes")).toBe("HUB_PLUGIN_FUND_MAX_RESPONSE_BYTES");
  });

  it("takes the environment over the manifest over the default, converting text to the declared type", () => {
    const s = resolveSettings(
      "core-banking",
      SPEC,
      { wsdlUrl: "http://esb.bank:8080/core?wsdl", poolSize: 8, username: "hub" },
      { HUB_PLUGIN_CORE_BANKING_POOL_SIZE: "12", HUB_PLUGIN_CORE_BANKING_VERBOSE: "on" },
    );
    expect(s.string("wsdlUrl")).toBe("http://esb.bank:8080/core?wsdl");
    expect(s.integer("poolSize")).toBe(12);
    expect(s.boolean("verbose")).toBe(true);
    expect(s.string("passwordType")).toBe("PasswordDigest");
    expect(s.optionalString("username")).toBe("hub");
    expect(s.has("password")).toBe(false);
  });

  it("reads secrets only from the environment and never prints them", () => {
    const s = resolveSettings(
      "crm",
      SPEC,
      { wsdlUrl: "http://crm/ws?wsdl" },
      { HUB_PLUGIN_CRM_PASSWORD: "Pa55-w0rd!" },
    );
    expect(s.secret("password")).toBe("Pa55-w0rd!");
    const printed = [
      JSON.stringify(s),
      inspect(s),
      `${JSON.stringify({ s })}`,
      String(new Secret("Pa55-w0rd!")),
    ].join(" ");
    expect(printed).not.toContain("Pa55-w0rd!");
    expect(s.toJSON()).toMatchObject({ password: "[secret]" });
  });

  it("refuses a secret written in the manifest, naming the variable to use instead", () => {
    const e = settingsError(() =>
      resolveSettings("crm", SPEC, { wsdlUrl: "http://crm/ws?wsdl", password: "x" }, {}),
    );
    expect(e.type).toBe("HUB_PLUGIN_SETTINGS");
    expect(e.data).toEqual({ plugin: "crm", setting: "password" });
    expect(e.message).toContain("HUB_PLUGIN_CRM_PASSWORD");
  });

  it.each([
    ["a missing required setting", {}, {}, "wsdlUrl", /is required.*HUB_PLUGIN_X_WSDL_URL/],
    [
      "an unknown setting",
      { wsdlUrl: "http://a/b", wsdlURL: "x" },
      {},
      "wsdlURL",
      /unknown setting; known: /,
    ],
    ["a mistyped value", { wsdlUrl: "http://a/b", poolSize: "8" }, {}, "poolSize", /must be a whole number/],
    [
      "a number out of range",
      { wsdlUrl: "http://a/b" },
      { HUB_PLUGIN_X_POOL_SIZE: "0" },
      "poolSize",
      /at least 1/,
    ],
    [
      "text that is not a number",
      { wsdlUrl: "http://a/b" },
      { HUB_PLUGIN_X_POOL_SIZE: "four" },
      "poolSize",
      /whole number/,
    ],
    [
      "a value not allowed",
      { wsdlUrl: "http://a/b", passwordType: "Plain" },
      {},
      "passwordType",
      /one of PasswordDigest/,
    ],
    [
      "a value not matching the pattern",
      { wsdlUrl: "http://a/b", schema: "core;drop" },
      {},
      "schema",
      /must match/,
    ],
    ["a malformed URL", { wsdlUrl: "not a url" }, {}, "wsdlUrl", /must be a URL/],
    ["a URL with a password", { wsdlUrl: "http://hub:s3cret@esb/x" }, {}, "wsdlUrl", /HUB_PLUGIN_X_PASSWORD/],
    [
      "a boolean that is not one",
      { wsdlUrl: "http://a/b" },
      { HUB_PLUGIN_X_VERBOSE: "maybe" },
      "verbose",
      /true or false/,
    ],
  ])("refuses %s, naming the setting", (_what, manifest, env, setting, message) => {
    const e = settingsError(() => resolveSettings("x", SPEC, manifest, env));
    expect(e.data).toEqual({ plugin: "x", setting });
    expect(e.message).toMatch(message);
  });

  it("treats a getter of an undeclared or mistyped setting as a plugin bug", () => {
    const s = resolveSettings("x", SPEC, { wsdlUrl: "http://a/b" }, {});
    expect(() => s.string("nothing")).toThrow(TypeError);
    expect(() => s.integer("wsdlUrl")).toThrow(TypeError);
  });
});
