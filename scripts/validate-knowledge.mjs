#!/usr/bin/env node
// Validates the knowledge files that ship with portwatch against src/knowledge/schema.ts (run by
// `npm run build`): a bad entry fails the build with the file, the field and what is allowed.
import { readFileSync } from "node:fs";
import { validateKnowledgeData } from "../dist/knowledge/schema.js";

const read = (name) => JSON.parse(readFileSync(new URL(`../src/knowledge/data/${name}`, import.meta.url), "utf8"));
try {
  const data = validateKnowledgeData({ ports: read("ports.json"), indicators: read("indicators.json"), programs: read("programs.json"), interpreters: read("interpreters.json") });
  console.log(`knowledge valid: ${data.ports.ports.length} ports, ${Object.values(data.indicators).filter((l) => typeof l === "object").reduce((n, l) => n + l.entries.length, 0)} indicator entries, ${Object.keys(data.interpreters.families).length} command-line grammars`);
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
