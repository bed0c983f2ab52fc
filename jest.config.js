/** Unit specs sit beside the code; cross-service flows live in test/. */
const transform = {
  "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" } }],
  // ESM-only packages (tus server and its HTTP adapter), compiled to CommonJS for Jest; Node loads them natively.
  "^.+\\.m?js$": ["@swc/jest", { jsc: { target: "es2022" }, module: { type: "commonjs" } }],
};
const transformIgnorePatterns = ["/node_modules/(?!(@tus|srvx)/)"];
const moduleFileExtensions = ["ts", "js", "mjs", "cjs", "json", "node"];

module.exports = {
  reporters: ["default", "<rootDir>/test/support/closing-line.reporter.js"],
  globalSetup: "<rootDir>/test/support/probe-services.js",
  // Top level: Jest ignores testTimeout inside a project. Integration tests hash passwords (scrypt) and may run
  // on a loaded 2-core machine.
  testTimeout: 60000,
  projects: [
    {
      displayName: "unit",
      testEnvironment: "node",
      transform,
      transformIgnorePatterns,
      moduleFileExtensions,
      testMatch: [
        "<rootDir>/hub/**/*.spec.ts",
        "<rootDir>/plugins/**/*.spec.ts",
        "<rootDir>/test/unit/**/*.spec.ts",
        "<rootDir>/widgets/**/src/**/*.spec.ts",
      ],
    },
    {
      displayName: "integration",
      testEnvironment: "node",
      transform,
      transformIgnorePatterns,
      moduleFileExtensions,
      testMatch: ["<rootDir>/test/integration/**/*.spec.ts"],
    },
    {
      // Chromium with a fake camera against a real hub (test/support/browser.ts); each spec sets its own long
      // timeouts (jest.setTimeout), since the top-level testTimeout is too short for recording and uploading.
      displayName: "browser",
      testEnvironment: "node",
      transform,
      transformIgnorePatterns,
      moduleFileExtensions,
      testMatch: ["<rootDir>/test/browser/**/*.spec.ts"],
    },
  ],
};
