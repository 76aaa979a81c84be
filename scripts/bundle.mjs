#!/usr/bin/env node
// Builds dist/portwatch.cjs: the command line (dist/cli/main.js and what it imports) as one CommonJS file,
// which bin/start.cjs compiles with a V8 code cache. Node 20 has no compile cache for ES modules
// (module.enableCompileCache came in Node 22), and loading ~60 ES modules costs more than the look itself
// on a small host. Libraries that only some commands load lazily (policy YAML, validation, SQLite,
// PostgreSQL, metrics) stay outside, loaded from node_modules when a command needs them.
// Then runs one audit (`node bin/start.cjs audit --json`) so that the code cache holds what an audit compiles.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = `${root}dist/portwatch.cjs`;
rmSync(`${out}.cache`, { force: true });
await build({
  entryPoints: [`${root}dist/cli/main.js`],
  outfile: out,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  charset: "ascii",
  external: ["better-sqlite3", "prom-client", "zod", "yaml", "pg"],
  // src/collect/native.ts and fd-walk.ts find the addon and the fd-walk worker relative to their own file
  // (dist/collect/*.js): in the bundle, import.meta.url says the same place.
  define: { "import.meta.url": "__portwatchModuleUrl" },
  banner: {
    js: "var __portwatchModuleUrl = require(\"node:url\").pathToFileURL(require(\"node:path\").join(__dirname, \"collect\", \"bundle.js\")).href;\n" +
      "var __portwatchLazy = (id) => new Proxy({}, { get: (_, key) => require(id)[key] });",
  },
  logLevel: "warning",
});
// Node's child_process (with net, dgram and stream) and crypto cost 15 ms to load, on every start: esbuild
// requires a module's imports when the module is initialized, and the audit path's modules import them for
// what they seldom do (nft -j when netlink fails, a file hash on a cache miss); commander requires
// child_process when it loads, for stand-alone executable subcommands, which portwatch does not have. In the
// bundle they are loaded on first use instead: each such require becomes an object that requires the module
// when asked for a name.
const LAZY_BUILTIN = /\b([\w$]+) = require\("(node:(?:child_process|crypto))"\);/g;
let bundled = readFileSync(out, "latin1");
const lazyImports = bundled.match(LAZY_BUILTIN)?.length ?? 0;
if (lazyImports === 0) process.stderr.write("bundle: no require of node:child_process or node:crypto found to load lazily (esbuild's output changed?)\n");
bundled = bundled.replace(LAZY_BUILTIN, "$1 = __portwatchLazy(\"$2\");");
writeFileSync(out, bundled, "latin1");

// bin/start.cjs reads the bundle as latin1 (one byte per character, no UTF-8 decoding): it must be ASCII.
// esbuild escapes other characters in strings, but not in regular expressions (write \u00f5 there).
const text = readFileSync(out, "latin1");
const odd = /[^\x00-\x7f]/.exec(text);
if (odd) {
  const line = text.slice(0, odd.index).split("\n").length;
  process.stderr.write(`bundle: dist/portwatch.cjs:${line} has a character outside ASCII (in a regular expression? write it as \\u${odd[0].charCodeAt(0).toString(16).padStart(4, "0")})\n`);
  process.exit(1);
}
// Compile the audit path once, so that the cache holds it (bin/start.cjs writes the cache at exit).
// Its output is not needed; a failure only means a slower start (the cache is written on the next run).
const warm = spawnSync(process.execPath, [`${root}bin/start.cjs`, "audit", "--json"], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8", env: { ...process.env, PORTWATCH_CODE_CACHE: "write" }, timeout: 60_000 });
if (warm.status !== 0) process.stderr.write(`bundle: the warm-up audit failed (${warm.error?.message ?? warm.stderr.trim().split("\n").pop()}); the code cache will be written by the first run\n`);
