// A small static server for the web example: the page (examples/web), the braid package (bindings/js, with its
// WebAssembly builds in dist/) and the demo's exported model (demo_out/). Node's http module only.
//
//   node examples/web/server.mjs [--port 8080] [--host 127.0.0.1] [--model demo_out]
//
// .wasm is served as application/wasm (so browsers compile it while it downloads), and every response carries
// the cross-origin isolation headers, which a threaded WebAssembly build (SharedArrayBuffer) would need.
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..");

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".ts": "text/plain; charset=utf-8",
};

/** URL prefix -> folder. The first matching prefix wins. */
export function mounts(modelDir) {
  return [
    ["/braid/", path.join(root, "bindings", "js")],
    ["/model/", path.resolve(modelDir)],
    ["/", here],
  ];
}

function resolve(urlPath, table) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  for (const [prefix, dir] of table) {
    if (!decoded.startsWith(prefix)) continue;
    const rel = decoded.slice(prefix.length) || "index.html";
    const file = path.resolve(dir, rel);
    // Nothing outside the mounted folder (no "..", no absolute paths).
    if (file !== dir && !file.startsWith(dir + path.sep)) return null;
    return file;
  }
  return null;
}

/** Starts the server; resolves to {server, url} once it listens (port 0 picks a free port). */
export function startServer({ port = 8080, host = "127.0.0.1", model = path.join(root, "demo_out") } = {}) {
  const table = mounts(model);
  const server = createServer((req, res) => {
    const headers = {
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "require-corp",
      "Cache-Control": "no-cache",
    };
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { ...headers, Allow: "GET, HEAD" }).end();
      return;
    }
    const urlPath = new URL(req.url, "http://localhost").pathname;
    let file = resolve(urlPath, table);
    if (file && existsSync(file) && statSync(file).isDirectory()) file = path.join(file, "index.html");
    if (!file || !existsSync(file)) {
      const hint = urlPath.startsWith("/model/")
        ? " (the demo model is missing: run `make demo` or `make js-demo-model`)"
        : urlPath.startsWith("/braid/dist/") ? " (the WebAssembly build is missing: run `make js-build`)" : "";
      res.writeHead(404, { ...headers, "Content-Type": "text/plain; charset=utf-8" }).end(`not found: ${urlPath}${hint}\n`);
      return;
    }
    const type = MIME[path.extname(file).toLowerCase()] ?? "application/octet-stream";
    res.writeHead(200, { ...headers, "Content-Type": type, "Content-Length": statSync(file).size });
    if (req.method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const addr = server.address();
      resolvePromise({ server, url: `http://${host.includes(":") ? `[${host}]` : host}:${addr.port}/` });
    });
  });
}

function parseArgs(argv) {
  const opts = { port: Number(process.env.PORT || 8080), host: process.env.HOST || "127.0.0.1", model: path.join(root, "demo_out") };
  for (let i = 0; i < argv.length; ++i) {
    const k = argv[i], v = argv[i + 1];
    if (k === "--port") opts.port = Number(v), ++i;
    else if (k === "--host") opts.host = v, ++i;
    else if (k === "--model") opts.model = v, ++i;
    else if (k === "-h" || k === "--help") {
      console.log("usage: node examples/web/server.mjs [--port 8080] [--host 127.0.0.1] [--model demo_out]");
      process.exit(0);
    } else throw new Error(`unknown argument ${k}`);
  }
  return opts;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2));
  for (const f of ["fashion_mnist-symbol.json", "samples.json"]) {
    if (!existsSync(path.join(opts.model, f))) console.warn(`warning: ${path.join(opts.model, f)} is missing: run \`make demo\` first`);
  }
  for (const f of ["braid-simd.wasm", "braid-plain.wasm"]) {
    if (!existsSync(path.join(root, "bindings", "js", "dist", f))) console.warn(`warning: bindings/js/dist/${f} is missing: run \`make js-build\``);
  }
  const { url } = await startServer(opts);
  console.log(`braid web example: ${url}  (Ctrl-C stops it)`);
}
