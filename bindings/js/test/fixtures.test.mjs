// Parity with MXNet 1.9.1 on the models it exported (tests/fixtures/mxnet_models): the same outputs as MXNet
// within 1e-5, for the whole batch and image by image (a second plan of the same model).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";

import { assertClose, braid, fixtures, init, modelFiles, root } from "./helpers.mjs";

const ioDir = path.join(root, "bindings", "js", "test", "fixtures");

for (const name of ["mlp", "cnn", "resblock", "embedding"]) {
  test(`MXNet fixture '${name}': outputs match MXNet's`, async () => {
    await init();
    const { json, params } = modelFiles(path.join(fixtures, name));
    const io = JSON.parse(readFileSync(path.join(ioDir, `${name}-io.json`), "utf8"));
    const model = await braid.loadModel(json, params, { inputs: { data: io.x.shape } });
    try {
      assert.deepEqual(model.outputShapes, [io.y.shape]);
      const out = model.predict(Float32Array.from(io.x.data));
      assert.deepEqual(out.shape, io.y.shape);
      assertClose(out.data, io.y.data, { what: `${name} batch` });
      // One row at a time: a new input shape, planned on first use.
      const n = io.x.shape[0], xs = io.x.data.length / n, ys = io.y.data.length / n;
      for (let i = 0; i < n; ++i) {
        const one = model.predict(io.x.data.slice(i * xs, (i + 1) * xs), [1, ...io.x.shape.slice(1)]);
        assert.deepEqual(one.shape, [1, ...io.y.shape.slice(1)]);
        assertClose(one.data, io.y.data.slice(i * ys, (i + 1) * ys), { what: `${name} row ${i}` });
      }
    } finally {
      model.dispose();
    }
  });
}
