// The demo's Fashion-MNIST LeNet (exported by Python): the same probabilities as Python within 1e-5 and the
// same predicted labels, image by image and as one batch.
import assert from "node:assert/strict";
import { test } from "node:test";

import { argmax, assertClose, braid, demo, init } from "./helpers.mjs";

test("demo model: per-image probabilities and labels match Python's", async () => {
  await init();
  const { json, params, meta, samples } = demo();
  const [n, c, h, w] = meta.shape;
  const size = c * h * w;
  const model = await braid.loadModel(json, params, { inputs: { data: [1, c, h, w] } });
  try {
    assert.deepEqual(model.outputShapes, [[1, 10]]);
    assert.equal(model.outputNames.length, 1);
    for (let i = 0; i < n; ++i) {
      const out = model.predict(samples.subarray(i * size, (i + 1) * size));
      assert.deepEqual(out.shape, [1, 10]);
      assertClose(out.data, meta.python_probs[i], { what: `image ${i}` });
      assert.equal(argmax(out.data), meta.python_predictions[i], `image ${i}: label`);
    }
    // The whole batch through a plan for its shape.
    const all = model.predict(samples, meta.shape);
    assert.deepEqual(all.shape, [n, 10]);
    assertClose(all.data, meta.python_probs.flat(), { what: "batch" });
    // Plain arrays and float64 input are converted to float32.
    const asArray = model.predict(Array.from(samples.subarray(0, size)));
    assertClose(asArray.data, meta.python_probs[0], { what: "Array input" });
    const asF64 = model.predict(Float64Array.from(samples.subarray(size, 2 * size)));
    assertClose(asF64.data, meta.python_probs[1], { what: "Float64Array input" });
  } finally {
    model.dispose();
  }
});

test("demo model: the symbol may be given as bytes or as the parsed object", async () => {
  await init();
  const { json, params, meta, samples } = demo();
  for (const sym of [new TextEncoder().encode(json), JSON.parse(json)]) {
    const model = await braid.loadModel(sym, params.buffer.slice(params.byteOffset, params.byteOffset + params.length), {
      inputs: { data: [1, 1, 28, 28] },
    });
    assertClose(model.predict(samples.subarray(0, 784)).data, meta.python_probs[0], { what: typeof sym });
    model.dispose();
  }
});

test("demo model: a large batch grows the WebAssembly memory and still matches", async () => {
  await init();
  const { json, params, meta, samples } = demo();
  const n = meta.shape[0], reps = 20; // 320 images: the convolution's buffers outgrow the initial 16 MB
  const big = new Float32Array(samples.length * reps);
  for (let r = 0; r < reps; ++r) big.set(samples, r * samples.length);
  const model = await braid.loadModel(json, params, { inputs: { data: [n * reps, 1, 28, 28] } });
  const out = model.predict(big);
  assert.deepEqual(out.shape, [n * reps, 10]);
  for (let r = 0; r < reps; r += 7) {
    assertClose(out.data.subarray(r * n * 10, (r + 1) * n * 10), meta.python_probs.flat(), { what: `repeat ${r}` });
  }
  // Many batch sizes: plans beyond the kept number are dropped and made again when needed.
  for (const b of [...Array(24).keys()].map((i) => i + 1).concat([1, 2, 3])) {
    const o = model.predict(big.subarray(0, b * 784), [b, 1, 28, 28]);
    assert.deepEqual(o.shape, [b, 10]);
    assertClose(o.data.subarray(0, 10), meta.python_probs[0], { what: `batch ${b}` });
  }
  assertClose(model.predict(big).data.subarray(0, 10), meta.python_probs[0], { what: "load-time plan kept" });
  model.dispose();
});
