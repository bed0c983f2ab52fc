// Each element is one self-contained ES module (no bare imports, no shared chunks): a host page adds one
// <script type="module" src="/widgets/dual-record.js"> and nothing else.
import resolve from "@rollup/plugin-node-resolve";
import commonjs from "@rollup/plugin-commonjs";
import typescript from "@rollup/plugin-typescript";
import terser from "@rollup/plugin-terser";
import { fileURLToPath } from "node:url";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

const bundle = (name) => ({
  input: here(`src/${name}.ts`),
  output: { file: here(`dist/${name}.js`), format: "es", sourcemap: true },
  plugins: [
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
