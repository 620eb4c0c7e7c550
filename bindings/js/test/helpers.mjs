// Shared by the package's tests: the variant under test, the repository's model files, a closeness check.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

import * as braid from "../src/index.js";

export { braid };
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
/** The build under test: BRAID_JS_VARIANT=simd|plain|auto (default auto). */
export const variant = process.env.BRAID_JS_VARIANT || "auto";

export async function init() {
  return braid.init({ variant });
}

/** The symbol JSON text and .params bytes of a model saved as PREFIX-symbol.json / PREFIX-0000.params. */
export function modelFiles(prefix) {
  return { json: readFileSync(`${prefix}-symbol.json`, "utf8"), params: readFileSync(`${prefix}-0000.params`) };
}

export const fixtures = path.join(root, "tests", "fixtures", "mxnet_models");

/** The demo's exported model and samples (demo_out/, written by `make demo` or examples/web/make_standin_model.py). */
export function demo() {
  const dir = path.join(root, "demo_out");
  if (!existsSync(path.join(dir, "samples.json"))) {
    throw new Error(`${dir}/samples.json is missing: run \`make js-demo-model\` (or \`make demo\`) first`);
  }
  const meta = JSON.parse(readFileSync(path.join(dir, "samples.json"), "utf8"));
  const raw = readFileSync(path.join(dir, "samples.f32"));
  const samples = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  return { dir, meta, samples, ...modelFiles(path.join(dir, "fashion_mnist")) };
}

/** |a - b| <= atol + rtol * |b| elementwise (numpy's assert_allclose rule). */
export function assertClose(actual, expected, { rtol = 1e-5, atol = 1e-5, what = "values" } = {}) {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length}, expected ${expected.length}`);
  let worst = -1, worstErr = 0;
  for (let i = 0; i < expected.length; ++i) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= atol + rtol * Math.abs(expected[i])) && err >= worstErr) {
      worst = i;
      worstErr = err;
    }
  }
  assert.equal(worst, -1, `${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (|diff| ${worstErr})`);
}

export const argmax = (a) => a.reduce((best, v, i) => (v > a[best] ? i : best), 0);
