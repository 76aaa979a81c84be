#!/usr/bin/env node
// Writes the field reference of docs/json.md, between "<!-- fields -->" and "<!-- /fields -->", from
// SOCKET_FIELDS (src/model/socket-fields.ts), the one description of each socket field. Run it after
// changing the table and `npm run build` (it reads dist/): `npm run docs:json`; with --check it only
// says whether the doc is current (exit 1 when not). test/scripts/json-doc.test.ts checks the doc
// against the source table on every test run.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const START = "<!-- fields -->";
const END = "<!-- /fields -->";

// In a table cell, | ends the cell and <pid> would be read as an HTML tag.
const cell = (text) => text.replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const code = (text) => `\`${text}\``;

/**
 * The reference as a Markdown table: one row per field, by path ("local.port", "reasons[].rule"), with
 * its values, its meaning, who sets it, and whether a policy rule can match it or it labels a metric.
 * `table` is socket-fields.ts as a module: { allFields, describeType }.
 */
export function fieldReference(table) {
  const rows = [
    "| Field | Values | Meaning | Set by | Policy rules match | Metric label |",
    "|---|---|---|---|---|---|",
  ];
  for (const { path, field } of table.allFields()) {
    const t = field.type;
    // An object's or a list's fields have rows of their own, just below.
    let values = t.kind === "object" ? "object" : t.kind === "list" && t.of.kind === "object" ? "list of objects" : table.describeType(t);
    if (field.nullable) values += " or null";
    if (field.presence === "when-set") values += "; absent unless set";
    const setBy = field.setBy === undefined ? "" : field.setBy === "collect" ? "collection" : field.setBy;
    // An operand with a name of its own (remote.org for remote.asn.org) says it.
    const policy = field.policy ? `${field.policy.path ? `as operand ${code(field.policy.path)}: ` : ""}${field.policy.how}` : "";
    const metric = field.metric ? `${code(field.metric.label)} of ${field.metric.in.map(code).join(", ")}` : "";
    rows.push(`| ${code(path)} | ${cell(values)} | ${cell(field.description)} | ${setBy} | ${cell(policy)} | ${metric} |`);
  }
  return rows.join("\n");
}

/** The first socket of the doc's jsonc example, comments removed, parsed. */
function exampleSocket(doc) {
  const m = /```jsonc\n([\s\S]*?)\n```/.exec(doc);
  if (!m) throw new Error("docs/json.md has no jsonc example");
  // A comment starts at "//" outside a string.
  const json = m[1].split("\n").map((line) => {
    let inString = false;
    for (let i = 0; i < line.length; i++) {
      if (line[i] === "\\" && inString) i++;
      else if (line[i] === '"') inString = !inString;
      else if (!inString && line.startsWith("//", i)) return line.slice(0, i);
    }
    return line;
  }).join("\n");
  return JSON.parse(json).sockets[0];
}

/** Every key path of a JSON value: "local.port", "reasons[].rule" (a list's items share one path). */
function keyPaths(v, prefix, out) {
  if (Array.isArray(v)) { for (const item of v) keyPaths(item, `${prefix}[]`, out); return out; }
  if (v === null || typeof v !== "object") return out;
  for (const [k, item] of Object.entries(v)) {
    const path = prefix === "" ? k : `${prefix}.${k}`;
    out.add(path);
    keyPaths(item, path, out);
  }
  return out;
}

/**
 * What is wrong with the doc's example socket, against the table: a key that is no field, a field
 * missing (every field that is always present, where its object is), keys out of the table's order.
 */
export function exampleProblems(doc, table) {
  const socket = exampleSocket(doc);
  const shown = [...keyPaths(socket, "", new Set())];
  const fields = table.allFields();
  const known = new Map(fields.map((f, i) => [f.path, i]));
  const problems = shown.filter((p) => !known.has(p)).map((p) => `the example shows "${p}", which is no field`);
  // A field is due where the example shows its object: the socket, or an object or list item with keys shown ("remote" is null).
  const due = (path) => {
    const container = path.slice(0, path.lastIndexOf(".") + 1);
    return container === "" || shown.some((p) => p.startsWith(container));
  };
  for (const { path, field } of fields) {
    if (field.presence === "always" && !shown.includes(path) && due(path)) problems.push(`the example leaves out "${path}"`);
  }
  const order = shown.filter((p) => known.has(p)).map((p) => known.get(p));
  if (order.some((n, i) => i > 0 && n < order[i - 1])) problems.push("the example's keys are not in the table's order");
  return problems;
}

/** `doc` with the text between the markers replaced by `reference`. */
export function withReference(doc, reference) {
  const a = doc.indexOf(START), b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`docs/json.md has no "${START}" ... "${END}" section`);
  return `${doc.slice(0, a + START.length)}\n${reference}\n${doc.slice(b)}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = fileURLToPath(new URL("../docs/json.md", import.meta.url));
  const table = await import("../dist/model/socket-fields.js");
  const doc = readFileSync(file, "utf8");
  const next = withReference(doc, fieldReference(table));
  const problems = exampleProblems(doc, table);
  if (problems.length > 0) {
    console.error(`docs/json.md: ${problems.join("; ")}`);
    process.exit(1);
  }
  if (process.argv.includes("--check")) {
    if (next !== doc) {
      console.error("docs/json.md is not current with SOCKET_FIELDS: run npm run docs:json");
      process.exit(1);
    }
    console.log("docs/json.md is current");
  } else if (next !== doc) {
    writeFileSync(file, next);
    console.log("docs/json.md: field reference rewritten");
  } else {
    console.log("docs/json.md is current");
  }
}
