// Each element is one self-contained ES module (no bare imports, no shared chunks): a host page adds one
// <script type="module" src="/widgets/dual-record.js"> and nothing else.
import resolve from "@rollup/plugin-node-resolve";
import commonjs from "@rollup/plugin-commonjs";
import typescript from "@rollup/plugin-typescript";
import terser from "@rollup/plugin-terser";
import { fileURLToPath } from "node:url";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

/**
 * tus-js-client pulls in two Node-era helpers the browser has built in: `url-parse` (it only resolves a Location
 * header against the endpoint: the WHATWG URL does that) and `js-base64` (it only encodes metadata values as UTF-8
 * base64: TextEncoder + btoa). Swapping them keeps the element's bundle about 4 KB (gzipped) smaller.
 */
const SHIMS = {
  "url-parse": "export default URL;",
  "js-base64": `export const Base64 = {
    encode: (s) => btoa(Array.from(new TextEncoder().encode(s), (b) => String.fromCharCode(b)).join("")),
  };`,
};
const browserShims = {
  name: "browser-shims",
  resolveId: (id) => (id in SHIMS ? `\0shim:${id}` : null),
  load: (id) => (id.startsWith("\0shim:") ? SHIMS[id.slice(6)] : null),
};

const bundle = (name) => ({
  input: here(`src/${name}.ts`),
  output: { file: here(`dist/${name}.js`), format: "es", sourcemap: true },
  plugins: [
    browserShims,
    resolve({ browser: true, rootDir: here("../..") }),
    commonjs(),
    typescript({ tsconfig: here("tsconfig.json"), noEmit: false, outputToFilesystem: false }),
    terser({ format: { comments: false }, ecma: 2021, module: true }),
  ],
  onwarn(warning, warn) {
    if (warning.code === "THIS_IS_UNDEFINED") return; // tus-js-client's Babel helpers
    warn(warning);
  },
});

export default [bundle("dual-record"), bundle("dual-record-library")];
