// The web example: classifies Fashion-MNIST images with braid's WebAssembly core. The model and the sample
// images are the demo's (demo_out/, served under /model/); the braid package is served under /braid/.
// Query parameters: ?variant=simd|plain|auto picks the WebAssembly build (auto by default).
import * as braid from "/braid/src/index.js";

const $ = (id) => document.getElementById(id);
const status = $("status");

function setStatus(text, state) {
  status.textContent = text;
  status.dataset.state = state;
}

async function fetchOk(url, how) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${(await res.text()).trim()}`);
  return how === "json" ? res.json() : how === "text" ? res.text() : new Uint8Array(await res.arrayBuffer());
}

// ---- drawing helpers -------------------------------------------------------------------------------------

// Paints a normalized (1, 28, 28) image into a 28x28 canvas.
function paint(canvas, x, meta) {
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; ++i) {
    const v = Math.max(0, Math.min(255, Math.round((x[i] * meta.std + meta.mean) * 255)));
    img.data.set([v, v, v, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
}

function showProbs(container, probs, classes) {
  container.replaceChildren();
  const order = [...probs.keys()].sort((a, b) => probs[b] - probs[a]);
  for (const k of order) {
    const name = document.createElement("span");
    name.textContent = classes[k];
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.style.width = `${(probs[k] * 100).toFixed(1)}%`;
    const pct = document.createElement("span");
    pct.textContent = `${(probs[k] * 100).toFixed(2)}%`;
    pct.dataset.class = String(k);
    container.append(name, bar, pct);
  }
}

const argmax = (a) => a.reduce((best, v, i) => (v > a[best] ? i : best), 0);

// ---- the page ----------------------------------------------------------------------------------------------

async function main() {
  const params = new URLSearchParams(location.search);
  const variant = params.get("variant") || "auto";
  const t0 = performance.now();
  // The .wasm location is an option of init(); here it is the package's dist/ as the server mounts it.
  const info = await braid.init({ variant, wasmDir: new URL("/braid/dist/", location.href) });
  const [json, paramsBytes, meta, samplesBytes] = await Promise.all([
    fetchOk("/model/fashion_mnist-symbol.json", "text"),
    fetchOk("/model/fashion_mnist-0000.params"),
    fetchOk("/model/samples.json", "json"),
    fetchOk("/model/samples.f32"),
  ]);
  const model = await braid.loadModel(json, paramsBytes, { inputs: { data: [1, 1, 28, 28] } });
  const loadMs = performance.now() - t0;
  const samples = new Float32Array(samplesBytes.buffer, samplesBytes.byteOffset, samplesBytes.byteLength / 4);
  const classes = meta.classes;
  const n = meta.shape[0];

  // Test images, one predict() call each.
  const grid = $("samples");
  const cards = [];
  let correct = 0, agree = 0;
  const t1 = performance.now();
  for (let i = 0; i < n; ++i) {
    const x = samples.subarray(i * 784, (i + 1) * 784);
    const { data: probs } = model.predict(x);
    const pred = argmax(probs);
    const card = document.createElement("div");
    card.className = `card ${pred === meta.labels[i] ? "right" : "wrong"}`;
    card.dataset.index = String(i);
    card.dataset.predicted = String(pred);
    card.dataset.label = String(meta.labels[i]);
    card.dataset.probability = String(probs[pred]);
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 28;
    paint(canvas, x, meta);
    const caption = document.createElement("div");
    caption.textContent = `${classes[pred]} ${pred === meta.labels[i] ? "✓" : `✗ (${classes[meta.labels[i]]})`}`;
    const p = document.createElement("div");
    p.textContent = `${(probs[pred] * 100).toFixed(1)}%`;
    card.append(canvas, caption, p);
    card.addEventListener("click", () => {
      $("details-title").textContent = `Probabilities of test image ${i} (true: ${classes[meta.labels[i]]})`;
      showProbs($("details"), probs, classes);
    });
    grid.append(card);
    cards.push(card);
    correct += pred === meta.labels[i];
    agree += pred === meta.python_predictions[i];
  }
  const perImage = (performance.now() - t1) / n;
  cards[0]?.click();

  // Timing of the steady state: the first calls include compiling the model's code paths.
  const x0 = samples.subarray(0, 784);
  const t2 = performance.now();
  const reps = 50;
  for (let r = 0; r < reps; ++r) model.predict(x0);
  const steady = (performance.now() - t2) / reps;
  setStatus(
    `braid ${info.version} (${info.variant} build) · loaded in ${loadMs.toFixed(0)} ms · ${n} test images: ` +
      `${correct} right, ${agree}/${n} labels as in Python · ${perImage.toFixed(2)} ms per image at first, ` +
      `${steady.toFixed(3)} ms steady`,
    "ready",
  );
  status.dataset.variant = info.variant;
  status.dataset.agree = String(agree);

  setupOwnImage(model, meta);
}

// ---- draw or upload ------------------------------------------------------------------------------------------

function setupOwnImage(model, meta) {
  const draw = $("draw"), ctx = draw.getContext("2d");
  const clear = () => {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, draw.width, draw.height);
  };
  clear();
  let last = null;
  const pos = (e) => {
    const r = draw.getBoundingClientRect();
    return [((e.clientX - r.left) * draw.width) / r.width, ((e.clientY - r.top) * draw.height) / r.height];
  };
  draw.addEventListener("pointerdown", (e) => {
    last = pos(e);
    draw.setPointerCapture(e.pointerId);
  });
  draw.addEventListener("pointermove", (e) => {
    if (!last) return;
    const p = pos(e);
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = 22;
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(...last);
    ctx.lineTo(...p);
    ctx.stroke();
    last = p;
  });
  const end = () => {
    if (last) classify();
    last = null;
  };
  draw.addEventListener("pointerup", end);
  draw.addEventListener("pointercancel", end);
  $("clear").addEventListener("click", () => {
    clear();
    $("own-prediction").textContent = "";
    $("own-probs").replaceChildren();
  });
  $("classify").addEventListener("click", classify);
  $("invert").addEventListener("change", classify);
  $("upload").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    try {
      const bitmap = await createImageBitmap(file);
      // Fit the picture into the square, centred, on black.
      clear();
      const s = Math.min(draw.width / bitmap.width, draw.height / bitmap.height);
      const w = bitmap.width * s, h = bitmap.height * s;
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(bitmap, (draw.width - w) / 2, (draw.height - h) / 2, w, h);
      // A light background means a dark object: Fashion-MNIST has light objects on black, so invert.
      $("invert").checked = borderBrightness(bitmap) > 127;
      classify();
    } catch (err) {
      $("own-prediction").textContent = `cannot read ${file.name}: ${err.message}`;
    }
    e.target.value = "";
  });

  function classify() {
    // Downscale to the model's 28 x 28 and normalize as in training.
    const preview = $("preview"), pctx = preview.getContext("2d", { willReadFrequently: true });
    pctx.imageSmoothingEnabled = true;
    pctx.imageSmoothingQuality = "high";
    pctx.drawImage(draw, 0, 0, 28, 28);
    const px = pctx.getImageData(0, 0, 28, 28).data;
    const x = new Float32Array(784);
    const invert = $("invert").checked;
    for (let i = 0; i < 784; ++i) {
      let v = (0.299 * px[4 * i] + 0.587 * px[4 * i + 1] + 0.114 * px[4 * i + 2]) / 255;
      if (invert) v = 1 - v;
      x[i] = (v - meta.mean) / meta.std;
    }
    paint(preview, x, meta);
    try {
      const { data: probs } = model.predict(x);
      const k = argmax(probs);
      const out = $("own-prediction");
      out.textContent = `${meta.classes[k]} (${(probs[k] * 100).toFixed(1)}%)`;
      out.dataset.predicted = String(k);
      showProbs($("own-probs"), probs, meta.classes);
    } catch (err) {
      $("own-prediction").textContent = `error: ${err.message}`;
    }
  }
}

// Mean brightness of a picture's outer pixels.
function borderBrightness(bitmap) {
  const c = document.createElement("canvas");
  c.width = 32;
  c.height = 32;
  const g = c.getContext("2d", { willReadFrequently: true });
  g.drawImage(bitmap, 0, 0, 32, 32);
  const d = g.getImageData(0, 0, 32, 32).data;
  let sum = 0, count = 0;
  for (let y = 0; y < 32; ++y) {
    for (let x = 0; x < 32; ++x) {
      if (x > 0 && x < 31 && y > 0 && y < 31) continue;
      const i = 4 * (y * 32 + x);
      sum += 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
      ++count;
    }
  }
  return sum / count;
}

main().catch((err) => {
  console.error(err);
  setStatus(`error: ${err.message}`, "error");
});
