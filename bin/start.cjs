#!/usr/bin/env node
"use strict";
// Starts portwatch's command line (bin/portwatch runs this file).
//
// dist/portwatch.cjs is the whole command line in one CommonJS file (scripts/bundle.mjs). It is compiled
// here with a V8 code cache (dist/portwatch.cjs.cache), so a start reads two files instead of resolving,
// reading and compiling ~60 ES modules: on Node 20 that is most of a small audit's time (Node 22's
// module.enableCompileCache does the same for ES modules). The cache is V8's own format: V8 refuses it
// after a Node upgrade, and it is not used when the bundle changed since it was written (size and
// modification time differ). A refused or missing cache costs only speed; it is then rewritten at exit.
// Without the bundle (only `tsc` was run), the ES modules in dist/ run as they are.
const { closeSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } = require("node:fs");
const { join } = require("node:path");
const { pathToFileURL } = require("node:url");
const vm = require("node:vm");

// bin/portwatch set NODE_EXTRA_CA_CERTS aside (see there): the programs that portwatch starts get it back.
if (process.env.PORTWATCH_EXTRA_CA_CERTS !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = process.env.PORTWATCH_EXTRA_CA_CERTS;
  delete process.env.PORTWATCH_EXTRA_CA_CERTS;
}

const dist = join(__dirname, "..", "dist");
const bundle = join(dist, "portwatch.cjs");
const cacheFile = `${bundle}.cache`;

/** The bundle's identity, as written in the first line of its cache. */
function stamp(stat) {
  return `portwatch-code-cache ${process.version} ${stat.size} ${stat.mtimeMs}\n`;
}

/** The cached code for this bundle, or undefined when there is none or it belongs to another build. */
function readCache(expected) {
  let data;
  try {
    data = readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  const head = Buffer.byteLength(expected);
  return data.length > head && data.toString("latin1", 0, head) === expected ? data.subarray(head) : undefined;
}

/** Writes the cache beside the bundle, atomically; a read-only install just keeps starting without it. */
function writeCache(expected, script) {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, "wx", 0o644); // "wx": never through a file or link that is already there
    try {
      writeSync(fd, expected);
      writeSync(fd, script.createCachedData());
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, cacheFile);
  } catch {
    rmSync(tmp, { force: true });
  }
}

function run() {
  let source;
  let stat;
  try {
    source = readFileSync(bundle, "latin1"); // ASCII (scripts/bundle.mjs checks): no UTF-8 decoding
    stat = statSync(bundle);
  } catch {
    return import(pathToFileURL(join(dist, "cli", "main.js")).href);
  }
  const mode = process.env.PORTWATCH_CODE_CACHE; // "write" (scripts/bundle.mjs), "off", or unset
  const expected = stamp(stat);
  const cachedData = mode === "off" ? undefined : readCache(expected);
  // "#!" → "//": the same length and lines, so error positions stay right.
  const body = source.startsWith("#!") ? `//${source.slice(2)}` : source;
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${body}\n})`, {
    filename: bundle,
    ...(cachedData ? { cachedData } : {}),
  });
  if (mode === "write" || (mode !== "off" && (cachedData === undefined || script.cachedDataRejected) && process.execArgv.length === 0)) {
    // At exit, the cache also holds the functions this run compiled (V8 compiles each on first call).
    process.once("exit", (code) => {
      if (code === 0 || mode === "write") writeCache(expected, script);
    });
  }
  if (process.env.PORTWATCH_TIMINGS === "1") {
    process.stderr.write(`code cache: ${cachedData === undefined ? "none" : script.cachedDataRejected ? "refused by V8" : "used"}\n`);
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, require, module, bundle, dist);
  return undefined;
}

run();
