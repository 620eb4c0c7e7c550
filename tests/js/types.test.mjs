// The TypeScript declarations (bindings/js/src/index.d.ts) type-check the documented usage and reject misuse.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

test("index.d.ts: tsc --strict accepts types-check.ts", () => {
  const tsc = path.join(here, "node_modules", "typescript", "bin", "tsc");
  let out = "";
  try {
    out = execFileSync(process.execPath, [tsc, "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution",
      "nodenext", "--target", "es2022", "--lib", "es2022,dom", path.join(here, "types-check.ts")],
    { encoding: "utf8", stdio: "pipe" });
  } catch (e) {
    assert.fail(`tsc reported errors:\n${e.stdout}${e.stderr}`);
  }
  assert.equal(out.trim(), "");
});
