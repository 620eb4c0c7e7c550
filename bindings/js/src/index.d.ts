// Type declarations of the `braid` package (bindings/js/src/index.js).

/** The version of braid this package belongs to; the loaded core reports the same (see init()). */
export declare const version: string;

/** Which WebAssembly build runs: "simd" (SIMD128 + exceptions) or "plain" (WebAssembly 1.0). */
export type Variant = "simd" | "plain";

export interface InitOptions {
  /** "auto" (default) picks "simd" when the engine supports it, else "plain". */
  variant?: Variant | "auto";
  /** A folder (URL or path) holding braid-simd.wasm / braid-plain.wasm; default: the package's dist/. */
  wasmDir?: string | URL;
  /** Where the .wasm of a variant is, for layouts wasmDir cannot express (a CDN, renamed files). */
  locateWasm?: (variant: Variant, fileName: string) => string | URL;
  /** The .wasm bytes themselves (then nothing is fetched or read). */
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** Receives the WebAssembly runtime's error output (nothing is printed by default). */
  printErr?: (text: string) => void;
}

export interface CoreInfo {
  variant: Variant;
  /** The core's version, "major.minor.patch". */
  version: string;
  /** The C ABI revision. */
  abi: number;
  /** Build features, space-separated ("" in the WebAssembly builds). */
  features: string;
}

/** A tensor: float32 values in C order and their shape. */
export interface Tensor {
  data: Float32Array;
  shape: number[];
}

export type Shape = number[] | ArrayLike<number>;
export type Data = Float32Array | ArrayLike<number>;

export interface LoadOptions extends InitOptions {
  /** Every data input of the model with its shape, e.g. {data: [1, 1, 28, 28]}. */
  inputs: Record<string, Shape>;
}

/** An error reported by braid's core: message is the core's, code its kind. */
export declare class BraidError extends Error {
  readonly code: "RUNTIME" | "VALUE" | "TYPE" | "INDEX" | "IO" | "NOT_IMPLEMENTED" | "DEVICE" | "MEMORY" | string;
}

/** A loaded model. Calls are synchronous and run on the calling thread. */
export declare class Model {
  private constructor();
  /** The data inputs, in the order given to loadModel. */
  readonly inputNames: string[];
  /** The input shapes given to loadModel. */
  readonly inputShapes: Record<string, number[]>;
  /** The graph's outputs, as the core names them ("softmax0_output"). */
  readonly outputNames: string[];
  /** The output shapes for the input shapes given to loadModel. */
  readonly outputShapes: number[][];
  /**
   * Runs a one-input model. shape defaults to the load-time shape; a new shape (batch size) is planned once and
   * kept. Returns the output as {data, shape} for a one-output model, else the outputs by name.
   * Throws a BraidError with the core's message for data of the wrong length or a shape the model cannot take.
   */
  predict(data: Data, shape?: Shape): Tensor | Record<string, Tensor>;
  /** Runs a model with several inputs: {name: {data, shape}} (shape optional) or {name: data}. */
  predict(inputs: Record<string, Data | { data: Data; shape?: Shape }>): Tensor | Record<string, Tensor>;
  /** Frees the model's memory in the core; later calls throw. */
  dispose(): void;
}

/** Loads the WebAssembly core once; later calls return the same instance. */
export declare function init(options?: InitOptions): Promise<CoreInfo>;

/** Which variant this engine can run. */
export declare function detectVariant(): Variant;

/**
 * Creates a model from an exported symbol (the -symbol.json text, its bytes or the parsed object) and its
 * .params bytes. Rejects with a BraidError (the core's message) for a bad file or shapes.
 */
export declare function loadModel(
  symbolJson: string | ArrayBuffer | ArrayBufferView | object,
  paramsBytes: ArrayBuffer | ArrayBufferView,
  options: LoadOptions,
): Promise<Model>;
