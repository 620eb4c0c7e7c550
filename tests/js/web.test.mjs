// End-to-end: the web example (examples/web) in headless Chromium. The page loads the demo's exported model with
// braid's WebAssembly build, classifies the sample test images, and must give Python's labels; drawing and
// uploading an image classify too. Runs once per WebAssembly build (SIMD, picked automatically, and plain).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";

import { chromium } from "playwright-core";

import { startServer } from "../../examples/web/server.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const modelDir = path.join(root, "demo_out");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

let server, url, context, profile;
let meta, samples;

before(async () => {
  meta = JSON.parse(readFileSync(path.join(modelDir, "samples.json"), "utf8"));
  const raw = readFileSync(path.join(modelDir, "samples.f32"));
  samples = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  ({ server, url } = await startServer({ port: 0, model: modelDir }));
  profile = mkdtempSync(path.join(os.tmpdir(), "braid-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
});

after(async () => {
  await context?.close();
  server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function openPage(variant) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && !/favicon/.test(m.text()) && errors.push(m.text()));
  await page.goto(`${url}?variant=${variant}`);
  await page.waitForSelector('#status[data-state="ready"], #status[data-state="error"]', { timeout: 60000 });
  const state = await page.getAttribute("#status", "data-state");
  assert.equal(state, "ready", `page status: ${await page.textContent("#status")}`);
  return { page, errors };
}

for (const [variant, expected] of [["auto", "simd"], ["plain", "plain"]]) {
  test(`the page classifies the test images as Python does (${variant} -> ${expected} build)`, async () => {
    const { page, errors } = await openPage(variant);
    assert.equal(await page.getAttribute("#status", "data-variant"), expected);
    const cards = await page.$$eval(".card", (els) => els.map((e) => ({
      index: Number(e.dataset.index), predicted: Number(e.dataset.predicted), label: Number(e.dataset.label),
      probability: Number(e.dataset.probability),
    })));
    assert.equal(cards.length, meta.shape[0]);
    for (const c of cards) {
      assert.equal(c.predicted, meta.python_predictions[c.index], `image ${c.index}: label`);
      assert.equal(c.label, meta.labels[c.index]);
      const want = meta.python_probs[c.index][c.predicted];
      assert.ok(Math.abs(c.probability - want) <= 1e-5 + 1e-5 * want, `image ${c.index}: p ${c.probability} vs ${want}`);
    }
    assert.equal(await page.getAttribute("#status", "data-agree"), String(meta.shape[0]));
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test("drawing on the canvas classifies the drawing", async () => {
  const { page, errors } = await openPage("auto");
  const box = await page.locator("#draw").boundingBox();
  // A trouser-like shape: two long vertical strokes joined at the top.
  const strokes = [[[0.35, 0.1], [0.65, 0.1]], [[0.38, 0.1], [0.32, 0.9]], [[0.62, 0.1], [0.68, 0.9]]];
  for (const s of strokes) {
    await page.mouse.move(box.x + s[0][0] * box.width, box.y + s[0][1] * box.height);
    await page.mouse.down();
    await page.mouse.move(box.x + s[1][0] * box.width, box.y + s[1][1] * box.height, { steps: 12 });
    await page.mouse.up();
  }
  await page.waitForSelector("#own-prediction[data-predicted]");
  const k = Number(await page.getAttribute("#own-prediction", "data-predicted"));
  assert.ok(k >= 0 && k < 10);
  const probs = await page.$$eval("#own-probs span[data-class]", (els) => els.map((e) => parseFloat(e.textContent)));
  assert.equal(probs.length, 10);
  assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 100) < 0.1, `probabilities sum to ${probs.reduce((a, b) => a + b, 0)}%`);
  assert.deepEqual(errors, []);
  await page.close();
});

test("an uploaded picture of a test image gets Python's label", async () => {
  const { page, errors } = await openPage("auto");
  // The most confident sample, as an 8-bit grayscale PNG of its original pixels.
  const conf = meta.python_probs.map((p, i) => [Math.max(...p), i]).sort((a, b) => b[0] - a[0]);
  const i = conf[0][1];
  const pixels = new Uint8Array(784);
  for (let j = 0; j < 784; ++j) pixels[j] = Math.round((samples[i * 784 + j] * meta.std + meta.mean) * 255);
  await page.setInputFiles("#upload", { name: "sample.png", mimeType: "image/png", buffer: grayPng(28, 28, pixels) });
  await page.waitForFunction(() => document.querySelector("#own-prediction")?.dataset.predicted !== undefined);
  assert.equal(Number(await page.getAttribute("#own-prediction", "data-predicted")), meta.python_predictions[i]);
  assert.equal(await page.isChecked("#invert"), false, "a dark background must not be inverted");
  assert.deepEqual(errors, []);
  await page.close();
});

// ---- a minimal PNG writer (8-bit grayscale) --------------------------------------------------------------------
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; ++k) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "ascii");
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
function grayPng(w, h, pixels) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grayscale
  const rows = Buffer.alloc(h * (w + 1));
  for (let y = 0; y < h; ++y) Buffer.from(pixels.subarray(y * w, (y + 1) * w)).copy(rows, y * (w + 1) + 1); // filter 0
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(rows)), chunk("IEND", Buffer.alloc(0))]);
}
