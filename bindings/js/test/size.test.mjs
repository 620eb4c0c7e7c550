// The WebAssembly artefacts stay small enough for the web: each .wasm under 1 MB gzipped (gzip -9).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";

import { root } from "./helpers.mjs";

const LIMIT = 1_000_000;

for (const v of ["simd", "plain"]) {
  test(`braid-${v}.wasm is under 1 MB gzipped`, () => {
    const bytes = readFileSync(path.join(root, "bindings", "js", "dist", `braid-${v}.wasm`));
    const gz = gzipSync(bytes, { level: 9 }).length;
    assert.ok(gz < LIMIT, `braid-${v}.wasm: ${gz} bytes gzipped (${bytes.length} raw), over ${LIMIT}`);
    // Valid WebAssembly of the right kind: the SIMD build uses SIMD, the plain one must not.
    assert.ok(WebAssembly.validate(bytes), `braid-${v}.wasm does not validate`);
  });
}
