// braid for JavaScript: runs models exported by braid or MXNet (-symbol.json + .params) with the WebAssembly
// build of braid's core, through the prediction C API (capi/include/braid/c_api.h, braid_predictor_*).
//
//   import * as braid from "braid";
//   const model = await braid.loadModel(symbolJson, paramsBytes, { inputs: { data: [1, 1, 28, 28] } });
//   const { data, shape } = model.predict(pixels, [1, 1, 28, 28]);
//   model.dispose();
import { detectVariant, instantiate } from "./wasm.js";

/** The version of braid this package belongs to (the core reports the same; see init()). */
export const version = "0.1.0";

const STATUS = ["OK", "RUNTIME", "VALUE", "TYPE", "INDEX", "IO", "NOT_IMPLEMENTED", "DEVICE", "MEMORY"];
const BRAID_CPU = 1;

/** An error reported by braid's core; message is the core's, code its kind ("VALUE", "IO", ...). */
export class BraidError extends Error {
  constructor(message, code) {
    super(message);
    this.name = "BraidError";
    this.code = code;
  }
}

let loading = null; // Promise<Core>: the one instance of the core

/**
 * Loads the core once; later calls return the same instance (their options cannot change it).
 * options: variant ("auto" | "simd" | "plain"), wasmDir, locateWasm, wasmBinary (see wasm.js).
 * Resolves to {variant, version, abi, features}.
 */
export async function init(options = {}) {
  if (!loading) {
    loading = instantiate(options).then(({ module, variant }) => new Core(module, variant));
    loading.catch(() => {
      loading = null; // a failed load (missing file, bad URL) may be retried with other options
    });
  }
  const core = await loading;
  if (options.variant && options.variant !== "auto" && options.variant !== core.variant) {
    throw new Error(`braid: the core is already loaded as '${core.variant}', not '${options.variant}'`);
  }
  return core.info();
}

export { detectVariant };

/**
 * Creates a model from a symbol JSON (string, or its bytes) and a .params file (bytes). options.inputs maps
 * each data input to its shape, e.g. {data: [1, 1, 28, 28]}; other options go to init().
 * Rejects with a BraidError carrying the core's message when the files or shapes are bad.
 */
export async function loadModel(symbolJson, paramsBytes, options = {}) {
  const { inputs, ...initOptions } = options;
  await init(initOptions);
  const core = await loading;
  return new Model(core, toText(symbolJson, "symbolJson"), toBytes(paramsBytes, "paramsBytes"), inputs);
}

function toText(v, what) {
  if (typeof v === "string") return v;
  if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return new TextDecoder().decode(v);
  if (v !== null && typeof v === "object") return JSON.stringify(v); // an already parsed symbol
  throw new TypeError(`braid: ${what} must be the symbol JSON text, its bytes or the parsed object`);
}

function toBytes(v, what) {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  throw new TypeError(`braid: ${what} must be an ArrayBuffer or a typed array (the .params file's bytes)`);
}

function checkShape(shape, what) {
  if (!Array.isArray(shape) && !ArrayBuffer.isView(shape)) {
    throw new TypeError(`braid: the shape of ${what} must be an array of sizes, got ${typeof shape}`);
  }
  const s = Array.from(shape, Number);
  for (const d of s) {
    if (!Number.isInteger(d) || d < 0 || d > 0x7fffffff) {
      throw new TypeError(`braid: the shape of ${what} must hold non-negative integers, got [${Array.from(shape)}]`);
    }
  }
  return s;
}

const numel = (shape) => shape.reduce((a, b) => a * b, 1);
const sameShape = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

// One instance of the WebAssembly module and the C calls on it.
class Core {
  constructor(m, variant) {
    this.m = m;
    this.variant = variant;
    const p = m._malloc(16);
    this.check(m._braid_get_version(p, p + 4, p + 8, p + 12), "braid_get_version");
    const v = m.HEAP32.subarray(p >> 2, (p >> 2) + 4);
    this.version = `${v[0]}.${v[1]}.${v[2]}`;
    this.abi = v[3];
    this.check(m._braid_get_features(p), "braid_get_features");
    this.features = m.UTF8ToString(m.HEAP32[p >> 2]);
    m._free(p);
  }

  info() {
    return { variant: this.variant, version: this.version, abi: this.abi, features: this.features };
  }

  check(status, what) {
    if (status !== 0) {
      const msg = this.m.UTF8ToString(this.m._braid_get_last_error()) || `${what} failed`;
      throw new BraidError(msg, STATUS[status] ?? String(status));
    }
  }

  malloc(bytes) {
    const p = this.m._malloc(Math.max(bytes, 8));
    if (!p) throw new BraidError(`braid: out of WebAssembly memory (asked for ${bytes} bytes)`, "MEMORY");
    return p;
  }

  cstring(s) {
    const n = this.m.lengthBytesUTF8(s) + 1;
    const p = this.malloc(n);
    this.m.stringToUTF8(s, p, n);
    return p;
  }

  // Runs fn(alloc) and frees everything alloc(bytes) handed out, whatever happens.
  scoped(fn) {
    const ptrs = [];
    try {
      return fn((bytes) => {
        const p = this.malloc(bytes);
        ptrs.push(p);
        return p;
      }, (s) => {
        const p = this.cstring(s);
        ptrs.push(p);
        return p;
      });
    } finally {
      for (const p of ptrs) this.m._free(p);
    }
  }

  // The names of a symbol's outputs (which = 1) or inputs (which = 3), as the core lists them.
  symbolNames(json, which) {
    return this.scoped((alloc, str) => {
      const out = alloc(8);
      this.check(this.m._braid_symbol_from_json(str(json), out), "braid_symbol_from_json");
      const sym = this.m.HEAP32[out >> 2];
      try {
        this.check(this.m._braid_symbol_list(sym, which, out, out + 4), "braid_symbol_list");
        const n = this.m.HEAP32[out >> 2], arr = this.m.HEAP32[(out + 4) >> 2];
        const names = [];
        for (let i = 0; i < n; ++i) names.push(this.m.UTF8ToString(this.m.HEAP32[(arr >> 2) + i]));
        return names;
      } finally {
        this.m._braid_symbol_free(sym);
      }
    });
  }

  // Marshals {name: shape} for braid_predictor_create / _reshape and calls make(n, names, ndims, dims, out).
  withShapes(shapes, make) {
    return this.scoped((alloc, str) => {
      const names = Object.keys(shapes);
      const namePtrs = alloc(4 * names.length), ndims = alloc(4 * names.length);
      const total = names.reduce((a, k) => a + shapes[k].length, 0);
      const dims = alloc(8 * total), out = alloc(4);
      let d = dims >> 2;
      names.forEach((k, i) => {
        this.m.HEAP32[(namePtrs >> 2) + i] = str(k);
        this.m.HEAP32[(ndims >> 2) + i] = shapes[k].length;
        for (const v of shapes[k]) {
          this.m.HEAP32[d++] = v; // int64 little-endian: low word, then a zero high word (sizes < 2^31)
          this.m.HEAP32[d++] = 0;
        }
      });
      this.check(make(names.length, namePtrs, ndims, dims, out), "braid_predictor");
      return this.m.HEAP32[out >> 2];
    });
  }
}

// What a model holds in the core: its predictors (one per input shapes) and its buffers in WebAssembly memory.
function release({ core, handles, ptrs }) {
  for (const h of handles.values()) core.m._braid_predictor_free(h);
  for (const p of ptrs) if (p) core.m._free(p);
  handles.clear();
  ptrs.length = 0;
}

// Frees the core memory of models that were dropped without dispose().
const finalizer = typeof FinalizationRegistry === "function" ? new FinalizationRegistry(release) : null;

// Plans kept per model besides the load-time one; the least recently added goes first.
const MAX_PLANS = 16;

/** A loaded model: predict() runs it on float32 data. Not thread-safe; one call at a time. */
export class Model {
  constructor(core, json, params, inputs) {
    if (inputs === undefined || inputs === null || typeof inputs !== "object" || !Object.keys(inputs).length) {
      throw new TypeError("braid: options.inputs must name every data input with its shape, e.g. {data: [1, 784]}");
    }
    this._core = core;
    this.inputNames = Object.keys(inputs);
    this.inputShapes = {};
    for (const k of this.inputNames) this.inputShapes[k] = checkShape(inputs[k], `input '${k}'`);
    this.outputNames = core.symbolNames(json, 1);
    const m = core.m;
    const handle = core.scoped((alloc, str) => {
      const js = str(json);
      const pb = alloc(params.length);
      m.HEAPU8.set(params, pb);
      return core.withShapes(this.inputShapes, (n, names, ndims, dims, out) =>
        m._braid_predictor_create(js, pb, params.length, BRAID_CPU, 0, n, names, ndims, dims, out));
    });
    this._base = handle;
    // Predictors by input shapes, the input names as C strings and a scratch buffer for inputs and outputs
    // (ptrs[0]); the finalizer frees them when the model is dropped without dispose().
    this._res = { core, handles: new Map([[shapeKey(this.inputShapes), handle]]), ptrs: [0] };
    if (finalizer) finalizer.register(this, this._res, this);
    this._namePtrs = this.inputNames.map((k) => core.cstring(k));
    this._res.ptrs.push(...this._namePtrs);
    this._bufBytes = 0;
    this._outShapeCache = new Map(); // output shapes per predictor handle
    this.outputShapes = this._outShapesFor(handle);
  }

  /** Frees the model's memory in the core; the model cannot be used afterwards. */
  dispose() {
    if (!this._core) return;
    if (finalizer) finalizer.unregister(this);
    release(this._res);
    this._core = null;
  }

  /**
   * Runs the model. With one data input: predict(data, shape?) where data is a Float32Array (or any array of
   * numbers) and shape defaults to the shape given at load time. With several: predict({name: {data, shape}}),
   * shape optional per input. A new shape (another batch size) plans the model for it once and keeps that plan.
   * Returns {data: Float32Array, shape: number[]} for a one-output model, else {outputName: {data, shape}}.
   */
  predict(data, shape) {
    const core = this._core;
    if (!core) throw new Error("braid: this model has been disposed");
    const feeds = this._feeds(data, shape);
    const shapes = this._shapesOf(feeds);
    const handle = this._predictor(shapes);
    const m = core.m;
    let need = 0;
    for (const k of this.inputNames) need = Math.max(need, feeds[k].data.length * 4);
    const outShapes = this._outShapesFor(handle);
    for (const s of outShapes) need = Math.max(need, numel(s) * 4);
    const buf = this._scratch(need);
    this.inputNames.forEach((k, i) => {
      const d = feeds[k].data;
      m.HEAPF32.set(d, buf >> 2); // the core copies the input, so one buffer serves every input in turn
      core.check(m._braid_predictor_set_input(handle, this._namePtrs[i], buf, d.length), "braid_predictor_set_input");
    });
    core.check(m._braid_predictor_forward(handle), "braid_predictor_forward");
    const results = outShapes.map((s, i) => {
      const n = numel(s);
      core.check(m._braid_predictor_get_output(handle, i, buf, n), "braid_predictor_get_output");
      return { data: m.HEAPF32.slice(buf >> 2, (buf >> 2) + n), shape: s.slice() };
    });
    if (results.length === 1) return results[0];
    const named = {};
    results.forEach((r, i) => (named[this.outputNames[i] ?? `output${i}`] = r));
    return named;
  }

  _feeds(data, shape) {
    const one = this.inputNames.length === 1;
    const isArrayLike = Array.isArray(data) || ArrayBuffer.isView(data);
    let map;
    if (isArrayLike) {
      if (!one) {
        throw new TypeError(`braid: the model has ${this.inputNames.length} inputs (${this.inputNames.join(", ")}); ` +
          "pass {name: {data, shape}}");
      }
      map = { [this.inputNames[0]]: { data, shape } };
    } else if (data !== null && typeof data === "object") {
      if (shape !== undefined) throw new TypeError("braid: with named inputs, give each shape beside its data");
      map = {};
      for (const [k, v] of Object.entries(data)) {
        map[k] = Array.isArray(v) || ArrayBuffer.isView(v) ? { data: v } : v;
      }
      for (const k of Object.keys(map)) {
        if (!this.inputNames.includes(k)) {
          throw new TypeError(`braid: '${k}' is not a data input of the model (inputs: ${this.inputNames.join(", ")})`);
        }
      }
    } else {
      throw new TypeError("braid: predict() takes a Float32Array (or an array of numbers) or {name: {data, shape}}");
    }
    const feeds = {};
    for (const k of this.inputNames) {
      const f = map[k];
      if (!f || f.data === undefined) throw new TypeError(`braid: no data for input '${k}'`);
      let d = f.data;
      if (!(d instanceof Float32Array)) {
        if (!Array.isArray(d) && !ArrayBuffer.isView(d)) throw new TypeError(`braid: the data of '${k}' must be an array`);
        d = Float32Array.from(d);
      }
      feeds[k] = { data: d, shape: f.shape === undefined ? this.inputShapes[k] : checkShape(f.shape, `input '${k}'`) };
    }
    return feeds;
  }

  // The input shapes of a call: the load-time object itself when every shape is the load-time one (no lookup).
  _shapesOf(feeds) {
    let same = true;
    const shapes = {};
    for (const k of this.inputNames) {
      shapes[k] = feeds[k].shape;
      same = same && (shapes[k] === this.inputShapes[k] || sameShape(shapes[k], this.inputShapes[k]));
    }
    return same ? this.inputShapes : shapes;
  }

  _predictor(shapes) {
    if (shapes === this.inputShapes) return this._base;
    const key = shapeKey(shapes);
    const plans = this._res.handles;
    let h = plans.get(key);
    if (h === undefined) {
      const core = this._core;
      h = core.withShapes(shapes, (n, names, ndims, dims, out) =>
        core.m._braid_predictor_reshape(this._base, n, names, ndims, dims, out));
      if (plans.size > MAX_PLANS) {
        for (const [k, old] of plans) {
          if (old === this._base) continue;
          core.m._braid_predictor_free(old);
          plans.delete(k);
          this._outShapeCache.delete(old);
          break;
        }
      }
      plans.set(key, h);
    }
    return h;
  }

  _outputShapes(handle) {
    const core = this._core, m = core.m;
    return core.scoped((alloc) => {
      const p = alloc(8);
      core.check(m._braid_predictor_num_outputs(handle, p), "braid_predictor_num_outputs");
      const n = m.HEAP32[p >> 2];
      const shapes = [];
      for (let i = 0; i < n; ++i) {
        core.check(m._braid_predictor_output_shape(handle, i, p, p + 4), "braid_predictor_output_shape");
        const nd = m.HEAP32[p >> 2], dims = m.HEAP32[(p + 4) >> 2] >> 2;
        const s = [];
        for (let j = 0; j < nd; ++j) s.push(m.HEAP32[dims + 2 * j]); // low word of an int64 size
        shapes.push(s);
      }
      return shapes;
    });
  }

  _outShapesFor(handle) {
    let s = this._outShapeCache.get(handle);
    if (!s) {
      s = this._outputShapes(handle);
      this._outShapeCache.set(handle, s);
    }
    return s;
  }

  _scratch(bytes) {
    const ptrs = this._res.ptrs;
    if (bytes > this._bufBytes) {
      if (ptrs[0]) this._core.m._free(ptrs[0]);
      ptrs[0] = 0;
      this._bufBytes = 0;
      ptrs[0] = this._core.malloc(bytes);
      this._bufBytes = bytes;
    }
    return ptrs[0];
  }
}

function shapeKey(shapes) {
  return Object.keys(shapes)
    .sort()
    .map((k) => `${k}:${shapes[k].join("x")}`)
    .join(";");
}
