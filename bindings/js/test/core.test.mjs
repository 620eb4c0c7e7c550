// Loading the core: version, variant choice, where the .wasm comes from, and a failed load that can be retried.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";

import { braid, init, root, variant } from "./helpers.mjs";

test("the core reports the package's version and the variant that runs", async () => {
  const info = await init();
  assert.equal(info.version, braid.version);
  assert.ok(info.abi >= 1);
  assert.equal(typeof info.features, "string");
  assert.equal(info.variant, variant === "auto" ? braid.detectVariant() : variant);
  // Node 18+ has SIMD and exception handling: auto-detection must choose the SIMD build there.
  assert.equal(braid.detectVariant(), "simd");
  // A later init() returns the same core; asking for the other variant then is an error, not a silent switch.
  assert.deepEqual(await braid.init(), info);
  const other = info.variant === "simd" ? "plain" : "simd";
  await assert.rejects(braid.init({ variant: other }), /already loaded as/);
});

test("an unknown variant is refused", async () => {
  const pkg = path.join(root, "bindings", "js", "src", "index.js");
  const code = `import(${JSON.stringify(pkg)}).then(b => b.init({variant: "avx"})).then(() => process.exit(3),
    e => { console.log(e.message); process.exit(0); });`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" });
  assert.match(out, /unknown variant 'avx'/);
});

// Each of these runs in a fresh process, since a process holds one core.
function freshInit(optionsSource) {
  const pkg = path.join(root, "bindings", "js", "src", "index.js");
  const code = `
    const braid = await import(${JSON.stringify(pkg)});
    const out = [];
    try { await braid.init(${optionsSource}); out.push("loaded"); } catch (e) { out.push("error: " + e.message); }
    try { out.push((await braid.init({ variant: ${JSON.stringify(variant)} })).variant); } catch (e) { out.push("retry error: " + e.message); }
    console.log(JSON.stringify(out));`;
  return JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" }));
}

test("a missing .wasm rejects with a clear error, and a later init with good options works", () => {
  const [first, second] = freshInit(`{ variant: ${JSON.stringify(variant === "auto" ? "simd" : variant)}, wasmDir: "/nonexistent/dir" }`);
  assert.match(first, /^error: braid: cannot read the WebAssembly file \/nonexistent\/dir\/braid-(simd|plain)\.wasm/);
  assert.ok(second === "simd" || second === "plain", second);
});

test("the .wasm location is configurable: wasmDir, locateWasm and wasmBinary", () => {
  const dist = path.join(root, "bindings", "js", "dist");
  const v = variant === "auto" ? "simd" : variant;
  assert.deepEqual(freshInit(`{ variant: "${v}", wasmDir: ${JSON.stringify(dist)} }`), ["loaded", v]);
  assert.deepEqual(freshInit(`{ variant: "${v}", locateWasm: (variant, file) => ${JSON.stringify(dist)} + "/" + file }`), ["loaded", v]);
  const bytes = `(await import("node:fs")).readFileSync(${JSON.stringify(path.join(dist, `braid-${v}.wasm`))})`;
  assert.deepEqual(freshInit(`{ variant: "${v}", wasmBinary: ${bytes} }`), ["loaded", v]);
  assert.ok(readFileSync(path.join(dist, `braid-${v}.wasm`)).length > 0);
});
