import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "widgets/*/dist/**", "node_modules/**", "data/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      "@typescript-eslint/no-require-imports": "off",
    },
  },
  {
    // The web components run in the browser, not in Node.
    files: ["widgets/**/src/**/*.ts"],
    ignores: ["widgets/**/*.spec.ts"],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Scripts the browser tests inject into pages (test/support/browser.ts).
    files: ["test/**/*.browser.js"],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Tests read JSON bodies of arbitrary shape; typing each one would add noise, not safety.
    files: ["test/**/*.ts", "**/*.spec.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
