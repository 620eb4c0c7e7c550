// Loads the WebAssembly build of braid's core: picks the artefact the engine can run (feature detection),
// finds its .wasm (next to the package by default, or where the caller says) and instantiates emscripten's
// module factory. Works in Node 18+ (the bytes are read from disk) and in browsers (streamed from a URL).

// Smallest modules that use a feature; WebAssembly.validate tells whether the engine has it.
// Each is: magic + version, a type section, a function section and a code section with one body.
const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
// () -> v128 { i32.const 0; i32x4.splat }
const SIMD_PROBE = new Uint8Array([
  ...HEADER,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type 0: func () -> v128
  0x03, 0x02, 0x01, 0x00, // function 0 has type 0
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x11, 0x0b, // body: no locals, i32.const 0, i32x4.splat, end
]);
// () -> () { try catch_all end }: the exception-handling instructions emscripten's -fwasm-exceptions emits.
const EH_PROBE = new Uint8Array([
  ...HEADER,
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type 0: func () -> ()
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x06, 0x40, 0x19, 0x0b, 0x0b, // body: try (void) catch_all end end
]);

const VARIANTS = ["simd", "plain"];

/** Which artefact this engine runs: "simd" needs SIMD128 and exception handling, "plain" only WebAssembly 1.0. */
export function detectVariant() {
  if (typeof WebAssembly !== "object" || typeof WebAssembly.validate !== "function") {
    throw new Error("braid: this JavaScript engine has no WebAssembly support");
  }
  return WebAssembly.validate(SIMD_PROBE) && WebAssembly.validate(EH_PROBE) ? "simd" : "plain";
}

const isNode =
  typeof process === "object" && process !== null && typeof process.versions === "object" && !!process.versions.node;

function wasmLocation(opts, variant) {
  const file = `braid-${variant}.wasm`;
  if (opts.locateWasm !== undefined) return opts.locateWasm(variant, file);
  if (opts.wasmDir !== undefined) return new URL(file, toDirUrl(opts.wasmDir));
  return new URL(`../dist/${file}`, import.meta.url);
}

// A location string or URL taken as a folder (a trailing slash is added so that relative resolution keeps it).
function toDirUrl(where) {
  let s = String(where instanceof URL ? where.href : where);
  if (!s.endsWith("/")) s += "/";
  const base = isNode ? `file://${process.cwd()}/` : globalThis.location ? globalThis.location.href : undefined;
  return new URL(s, base);
}

async function readBytes(url) {
  const u = url instanceof URL ? url : new URL(String(url), isNode ? `file://${process.cwd()}/` : globalThis.location.href);
  if (isNode && u.protocol === "file:") {
    const { readFile } = await import("node:fs/promises");
    try {
      return new Uint8Array(await readFile(u));
    } catch (e) {
      throw new Error(`braid: cannot read the WebAssembly file ${u.pathname} (${e.code || e.message}); ` +
        "build it with `make js-build`, or tell braid.init() where it is ({wasmDir})");
    }
  }
  const res = await fetch(u);
  if (!res.ok) throw new Error(`braid: cannot fetch the WebAssembly file ${u.href} (HTTP ${res.status})`);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * Instantiates the core. opts: variant ("auto" | "simd" | "plain"); where the .wasm is: wasmDir (a folder URL
 * or path holding braid-<variant>.wasm), locateWasm(variant, fileName) -> URL, or wasmBinary (the bytes).
 * Returns {module, variant}.
 */
export async function instantiate(opts = {}) {
  const want = opts.variant ?? "auto";
  if (want !== "auto" && !VARIANTS.includes(want)) {
    throw new Error(`braid: unknown variant '${want}'; use "auto", "simd" or "plain"`);
  }
  const variant = want === "auto" ? detectVariant() : want;
  if (variant === "simd" && detectVariant() !== "simd") {
    throw new Error("braid: this engine lacks WebAssembly SIMD or exception handling; use variant 'plain'");
  }
  const { default: factory } = await import(`../dist/braid-${variant}.mjs`).catch((e) => {
    throw new Error(`braid: the ${variant} build is missing from dist/ (${e.message}); build it with \`make js-build\``);
  });
  const settings = {
    // Emscripten prints aborts here; they also reach the caller as rejected promises or thrown errors.
    print: () => {},
    printErr: opts.printErr ?? (() => {}),
  };
  if (opts.wasmBinary !== undefined) {
    settings.wasmBinary = opts.wasmBinary instanceof Uint8Array ? opts.wasmBinary : new Uint8Array(opts.wasmBinary);
  } else {
    const loc = wasmLocation(opts, variant);
    if (isNode) {
      settings.wasmBinary = await readBytes(loc);
    } else {
      settings.locateFile = (path) => (path.endsWith(".wasm") ? String(loc) : path);
    }
  }
  const module = await factory(settings);
  return { module, variant };
}
