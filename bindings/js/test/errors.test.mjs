// Bad model files, bad inputs and disposed models: each fails with the core's message (a rejected promise from
// loadModel, a thrown error from predict), and the module keeps working afterwards.
import assert from "node:assert/strict";
import { test } from "node:test";

import { argmax, assertClose, braid, demo, init } from "./helpers.mjs";

// After every failure the same good model must still give Python's answer.
async function stillWorks() {
  const { json, params, meta, samples } = demo();
  const model = await braid.loadModel(json, params, { inputs: { data: [1, 1, 28, 28] } });
  const out = model.predict(samples.subarray(0, 784));
  assertClose(out.data, meta.python_probs[0], { what: "after an error" });
  assert.equal(argmax(out.data), meta.python_predictions[0]);
  model.dispose();
}

test("a truncated or invalid symbol JSON rejects with the core's parse error", async () => {
  await init();
  const { json, params } = demo();
  await assert.rejects(braid.loadModel(json.slice(0, json.length / 2), params, { inputs: { data: [1, 1, 28, 28] } }),
    (e) => e instanceof braid.BraidError && e.code !== "OK" && /json|JSON|unexpected|end/i.test(e.message));
  await assert.rejects(braid.loadModel('{"nodes": 5}', params, { inputs: { data: [1, 1, 28, 28] } }),
    (e) => e instanceof braid.BraidError && e.message.length > 0);
  const unknownOp = json.replace('"Convolution"', '"NoSuchOp"');
  await assert.rejects(braid.loadModel(unknownOp, params, { inputs: { data: [1, 1, 28, 28] } }),
    (e) => e instanceof braid.BraidError && /NoSuchOp/.test(e.message));
  await stillWorks();
});

test("a corrupt or truncated .params file rejects with the core's IO error", async () => {
  await init();
  const { json, params } = demo();
  await assert.rejects(braid.loadModel(json, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), { inputs: { data: [1, 1, 28, 28] } }),
    (e) => e instanceof braid.BraidError && e.code === "IO" && /NDArray|magic|bytes/.test(e.message));
  await assert.rejects(braid.loadModel(json, params.subarray(0, params.length - 100), { inputs: { data: [1, 1, 28, 28] } }),
    (e) => e instanceof braid.BraidError && e.code === "IO");
  // A parameter file of another model: the missing parameter is named.
  const empty = new Uint8Array(32);
  new DataView(empty.buffer).setBigUint64(0, 0x112n, true);
  await assert.rejects(braid.loadModel(json, empty, { inputs: { data: [1, 1, 28, 28] } }),
    (e) => e instanceof braid.BraidError && /conv0_weight/.test(e.message));
  await stillWorks();
});

test("input names and shapes the model cannot take reject at load time", async () => {
  await init();
  const { json, params } = demo();
  await assert.rejects(braid.loadModel(json, params, { inputs: { image: [1, 1, 28, 28] } }),
    (e) => e instanceof braid.BraidError && /no input 'image'/.test(e.message));
  await assert.rejects(braid.loadModel(json, params, { inputs: { data: [1, 3, 28, 28] } }),
    (e) => e instanceof braid.BraidError && /Convolution|weight|shape/.test(e.message));
  await assert.rejects(braid.loadModel(json, params, {}), TypeError);
  await assert.rejects(braid.loadModel(json, "not bytes", { inputs: { data: [1, 1, 28, 28] } }), TypeError);
  await stillWorks();
});

test("predict: wrong data length or shape throws the core's message; the model stays usable", async () => {
  await init();
  const { json, params, meta, samples } = demo();
  const model = await braid.loadModel(json, params, { inputs: { data: [1, 1, 28, 28] } });
  const good = samples.subarray(0, 784);
  assert.throws(() => model.predict(new Float32Array(100)),
    (e) => e instanceof braid.BraidError && e.code === "VALUE" && /784 values\), got 100 values/.test(e.message));
  assert.throws(() => model.predict(new Float32Array(3 * 784), [1, 3, 28, 28]),
    (e) => e instanceof braid.BraidError && /shape/.test(e.message));
  assert.throws(() => model.predict(good, [1, 1, 28]), (e) => e instanceof braid.BraidError);
  assert.throws(() => model.predict(good, [1, 1, -28, -28]), TypeError);
  assert.throws(() => model.predict("pixels"), TypeError);
  assert.throws(() => model.predict({ image: good }), /not a data input/);
  assertClose(model.predict(good).data, meta.python_probs[0], { what: "after the errors" });
  model.dispose();
  model.dispose(); // twice is harmless
  assert.throws(() => model.predict(good), /disposed/);
  await stillWorks();
});

test("models with several inputs and outputs take and return them by name", async () => {
  await init();
  const sym = {
    nodes: [
      { op: "null", name: "a", inputs: [] },
      { op: "null", name: "b", inputs: [] },
      { op: "elemwise_add", name: "sum", inputs: [[0, 0, 0], [1, 0, 0]] },
      { op: "elemwise_mul", name: "prod", inputs: [[0, 0, 0], [1, 0, 0]] },
    ],
    arg_nodes: [0, 1],
    node_row_ptr: [0, 1, 2, 3, 4],
    heads: [[2, 0, 0], [3, 0, 0]],
    attrs: { mxnet_version: ["int", 10901] },
  };
  const noParams = new Uint8Array(32); // an MXNet NDArray list with no arrays
  new DataView(noParams.buffer).setBigUint64(0, 0x112n, true);
  const model = await braid.loadModel(sym, noParams, { inputs: { a: [2, 3], b: [2, 3] } });
  assert.deepEqual(model.inputNames, ["a", "b"]);
  assert.deepEqual(model.outputNames, ["sum_output", "prod_output"]);
  const a = [1, 2, 3, 4, 5, 6], b = [0.5, -1, 2, 0, 3, 10];
  const out = model.predict({ a: { data: a, shape: [2, 3] }, b: Float32Array.from(b) });
  assert.deepEqual(Object.keys(out), ["sum_output", "prod_output"]);
  assert.deepEqual(Array.from(out.sum_output.data), a.map((v, i) => v + b[i]));
  assert.deepEqual(Array.from(out.prod_output.data), a.map((v, i) => v * b[i]));
  assert.deepEqual(out.prod_output.shape, [2, 3]);
  // Several inputs need names; a missing one is named.
  assert.throws(() => model.predict(Float32Array.from(a)), /2 inputs \(a, b\)/);
  assert.throws(() => model.predict({ a }), /no data for input 'b'/);
  // Mismatched shapes between the inputs: the core's inference error.
  assert.throws(() => model.predict({ a: { data: a, shape: [2, 3] }, b: { data: [1, 2, 3], shape: [1, 3] } }),
    (e) => e instanceof braid.BraidError);
  model.dispose();
});
