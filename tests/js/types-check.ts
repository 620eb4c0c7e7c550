// Compiled (never run) by types.test.mjs: the package's TypeScript declarations accept the documented usage and
// reject misuse (each @ts-expect-error line must be an error, or tsc fails).
import * as braid from "../../bindings/js/src/index.js";
import { BraidError, Model, type Tensor } from "../../bindings/js/src/index.js";

export async function classify(symbolJson: string, params: Uint8Array, pixels: Float32Array): Promise<number> {
  const info: braid.CoreInfo = await braid.init({ variant: "auto", wasmDir: "/braid/dist/" });
  const v: "simd" | "plain" = info.variant;
  const version: string = braid.version;
  const model: Model = await braid.loadModel(symbolJson, params, { inputs: { data: [1, 1, 28, 28] } });
  const out = model.predict(pixels, [1, 1, 28, 28]) as Tensor;
  const probs: Float32Array = out.data;
  const shape: number[] = out.shape;
  const named = model.predict({ data: { data: pixels, shape: [1, 1, 28, 28] } }) as Record<string, Tensor>;
  const names: string[] = model.outputNames;
  model.dispose();
  try {
    await braid.loadModel(symbolJson, new ArrayBuffer(8), { inputs: { data: [1, 784] } });
  } catch (e) {
    if (e instanceof BraidError) console.log(e.code, e.message);
  }
  void [v, version, shape, named, names];
  return probs.indexOf(Math.max(...probs));
}

export async function misuse(model: Model) {
  // @ts-expect-error inputs are required
  await braid.loadModel("{}", new Uint8Array(), {});
  // @ts-expect-error there is no such variant
  await braid.init({ variant: "avx512" });
  // @ts-expect-error the .params file is bytes, not a string
  await braid.loadModel("{}", "model.params", { inputs: { data: [1] } });
  // @ts-expect-error predict takes numbers
  model.predict("pixels");
  // @ts-expect-error version is read-only
  braid.version = "2";
}
