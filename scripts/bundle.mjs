// Bundles the ESM build (dist/*.js, from tsc) with esbuild, so that a thread loads a few files
// instead of ~60 modules (each module costs file system calls and a compile; a Pool worker or a
// spawned child loads the library anew). Called by scripts/build.mjs after tsc.
//
// The entry points keep their paths and their exports: the public entries (package.json
// "exports"), the worker entries (started by URL), and the modules found by URL at run time
// (dynamic imports, kGlobalRef marks, registerModule). Code they share goes to chunks in dist/_/.
// A module that is not an entry point is left as tsc wrote it (importing it directly loads a copy
// of its own; nothing in the library does).
//
// The library finds its own files from its own location (`import.meta.url`, or callerUrl() for
// the CommonJS build): in a bundle, each module is told the URL it had before bundling, so that
// every path it derives from it (worker entries, library root, module names of its functions)
// stays as it was.
import { build } from "esbuild";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist");
const out = join(root, "dist-bundle");

/** Modules found by URL at run time, besides the package's exports. */
const byUrl = [
  "process.js",
  "worker/bootstrap.js",
  "worker/pool_host.js",
  "worker/pool_worker.js",
  "worker/manager_server.js",
  "worker/connection_host.js",
  "worker/distributed_host.js",
  "worker/distributed_worker.js",
  "worker/distributed_task.js",
  "shared/ctypes.js",
  "shared/pickle.js",
  "shared/codec.js",
  "managers/proxies.js",
  "managers/proxy_types.js",
  "managers/remote_server.js",
  "connection/framing.js",
];

const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const publicEntries = Object.values(pkg.exports)
  .map((e) => e?.import?.default)
  .filter((p) => typeof p === "string" && p.startsWith("./dist/") && !p.startsWith("./dist/cjs/"))
  .map((p) => p.slice("./dist/".length));
const entries = [...new Set([...publicEntries, ...byUrl])];

const kBase = "__MULTIPROCESSING_TS_DIST__/";

/** Each module's `import.meta.url` and callerUrl() become the URL the module had in dist/. */
const ownUrl = {
  name: "own-url",
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(dist + sep) || args.path.startsWith(join(dist, "cjs") + sep)) return undefined;
      const rel = relative(dist, args.path).split(sep).join("/");
      let text = readFileSync(args.path, "utf8");
      const self = `new URL(${JSON.stringify(kBase + rel)}, import.meta.url).href`;
      text = text.replace(/\bimport\.meta\.url\b/g, self);
      // location.ts defines callerUrl(); everywhere else a call of it asks for the module's own URL.
      if (rel !== "shared/location.js") text = text.replace(/\bcallerUrl\(\)/g, self);
      // A dynamic import of a library module: at run time, by URL, of the entry point (esbuild
      // would make it an entry point of its own, which splits the chunks that it shares).
      text = text.replace(/\bimport\((["'])(\.\.?\/[^"']+)\1\)/g, (_m, _q, spec) => `import(new URL(${JSON.stringify(spec)}, ${self}).href)`);
      return { contents: text, loader: "js", resolveDir: dirname(args.path) };
    });
  },
};

/**
 * Worker entries that do not load the library (a host thread: a few modules of its own). Every
 * other entry point also imports index.js, so that esbuild, which puts code in one chunk per set
 * of entry points that reach it, puts the whole library in one chunk (tens of chunks otherwise).
 * index.js reaches every module they reach, and loading one of them loads the library: a child
 * does at once, and a program that imports a submodule gets it whole from one file.
 */
const standalone = new Set(["worker/pool_host.js", "worker/connection_host.js", "worker/distributed_host.js", "worker/distributed_worker.js"]);

/**
 * Entry points that load only what they import, as before bundling: the package's exports (a
 * program that imports `multiprocessing-ts/py` does not load the managers, and what those
 * register) and the modules the tests import alone.
 */
const plain = new Set(["index.js", "py.js", "shared/pickle.js", "shared/codec.js", "connection/framing.js"]);

/** Virtual entry modules: `import "./index.js"; export * from "./<entry>"` (and its default export). */
const withLibrary = {
  name: "with-library",
  setup(b) {
    b.onResolve({ filter: /^mp-entry:/ }, (args) => ({ path: args.path.slice("mp-entry:".length), namespace: "mp-entry" }));
    b.onLoad({ filter: /.*/, namespace: "mp-entry" }, (args) => {
      const file = join(dist, args.path);
      const text = readFileSync(file, "utf8");
      const spec = JSON.stringify("./" + args.path);
      const hasDefault = /\bexport\s+default\b|\bas\s+default\b/.test(text);
      return {
        contents: `import "./index.js";\nexport * from ${spec};\n${hasDefault ? `export { default } from ${spec};\n` : ""}`,
        loader: "js",
        resolveDir: dist,
      };
    });
  },
};

rmSync(out, { recursive: true, force: true });
// Host threads: one self-contained file each (they share no module state with a library thread).
const hosts = await build({
  entryPoints: [...standalone].map((e) => ({ out: e.replace(/\.js$/, ""), in: join(dist, e) })),
  outdir: out,
  outbase: dist,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  keepNames: true,
  packages: "external",
  minifyWhitespace: true,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
  plugins: [ownUrl],
});
const result = await build({
  entryPoints: entries.filter((e) => !standalone.has(e)).map((e) => ({ out: e.replace(/\.js$/, ""), in: plain.has(e) ? join(dist, e) : `mp-entry:${e}` })),
  outdir: out,
  outbase: dist,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // Class and function names are part of the behaviour (reprs, pickling by name, error names):
  // without it esbuild renames those that collide across modules (`Connection` -> `_Connection`).
  keepNames: true,
  packages: "external",
  entryNames: "[dir]/[name]",
  // Without comments and indentation the library chunk is ~30% smaller: every thread that loads
  // it parses less (names stay: no identifier is renamed).
  minifyWhitespace: true,
  legalComments: "none",
  chunkNames: "_/[name]-[hash]",
  sourcemap: false,
  metafile: true,
  logLevel: "warning",
  plugins: [withLibrary, ownUrl],
});

// The placeholder is relative to each output file: "../" per level below dist/.
let files = 0;
for (const file of [...Object.keys(hosts.metafile.outputs), ...Object.keys(result.metafile.outputs)]) {
  const abs = join(root, file);
  const rel = relative(out, abs).split(sep).join("/");
  const up = "../".repeat(rel.split("/").length - 1) || "./";
  const text = readFileSync(abs, "utf8").split(kBase).join(up);
  mkdirSync(dirname(join(dist, rel)), { recursive: true });
  writeFileSync(join(dist, rel), text);
  files++;
  // tsc's source map no longer matches the bundled file.
  rmSync(join(dist, rel + ".map"), { force: true });
}
rmSync(out, { recursive: true, force: true });
process.stderr.write(`bundle: ${entries.length} entries, ${files} files\n`);
if (process.env.BUNDLE_DEBUG) {
  // Which entry points import each chunk.
  for (const [file, o] of Object.entries(result.metafile.outputs)) {
    if (!file.includes("/_/")) continue;
    const importers = Object.entries(result.metafile.outputs).filter(([, p]) => p.imports.some((i) => i.path === file)).map(([f]) => f.replace(/^dist-bundle\//, ""));
    process.stderr.write(`${file} ${o.bytes} <- ${importers.join(" ")}\n   ${Object.keys(o.inputs).slice(0, 6).join(" ")}\n`);
  }
}
