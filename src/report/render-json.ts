import { flatText as flat } from "../model/words.js";
import type { Snapshot } from "../model/snapshot.js";
import type { Socket } from "../model/socket.js";
import { SOCKET_FIELDS, type Field, type FieldType } from "../model/socket-fields.js";
import { jsonSafe } from "./safe-text.js";

/*
 * The JSON form of a socket comes from SOCKET_FIELDS: its keys, their order, which are written only when
 * set. The writers are put together once, when this module loads; each writes what JSON.stringify would,
 * with DEL and C1 escaped too, because socketJson runs 200,000 times for a busy host.
 */

const str = (v: string | null): string => (v === null ? "null" : jsonSafe(JSON.stringify(v)));

// Texts of the socket itself repeat (an explanation shared by a server's clients, 127.0.0.1 in every
// loopback connection): each is serialized once.
const textCache = new Map<string, string>();
function cachedStr(v: string | null): string {
  if (v === null) return "null";
  let out = textCache.get(v);
  if (out === undefined) {
    out = str(v);
    if (textCache.size > 100_000) textCache.clear();
    textCache.set(v, out);
  }
  return out;
}

/** Writes one value of a field as JSON. */
type Write = (v: never) => string;

/**
 * A field's writer. An object or list the table marks shared (one process for 10,000 sockets, one reason
 * list for a server's clients) is serialized once and remembered; what is inside it, field by field.
 */
function fieldWriter(f: Field, inShared: boolean): Write {
  if (!f.shared || inShared) return valueWriter(f.type, f.nullable, inShared);
  const write = valueWriter(f.type, false, true) as (v: object) => string;
  const cache = new WeakMap<object, string>();
  return (v: object | null) => {
    if (v === null) return "null";
    if (Array.isArray(v) && v.length === 0) return "[]";
    let out = cache.get(v);
    if (out === undefined) {
      out = flat(write(v));
      cache.set(v, out);
    }
    return out;
  };
}

/** Words from the table's lists, whole numbers and booleans need no escaping; texts do. */
function valueWriter(t: FieldType, nullable: boolean, inShared: boolean): Write {
  switch (t.kind) {
    case "enum":
      if (typeof t.values[0] === "number") return (v: number | null) => `${v}`;
      return nullable ? (v: string | null) => (v === null ? "null" : `"${v}"`) : (v: string) => `"${v}"`;
    case "int": case "bool": return (v: number | boolean | null) => `${v}`;
    // Inside a shared object a text is written once anyway: it stays out of the cache of repeated texts.
    case "text": return inShared ? str : cachedStr;
    case "object": {
      const write = inShared ? loopWriter(t.fields) : compiledWriter(t.fields);
      return nullable ? (v: object | null) => (v === null ? "null" : write(v)) : write;
    }
    case "list": {
      const item = valueWriter(t.of, false, inShared) as (v: unknown) => string;
      return (v: readonly unknown[] | null) => {
        if (v === null) return "null";
        let out = "";
        for (let i = 0; i < v.length; i++) out += (i === 0 ? "" : ",") + item(v[i]);
        return `[${out}]`;
      };
    }
  }
}

/**
 * The writer of an object inside a shared one (written once each, so speed does not matter): a loop over
 * its fields that leaves out a field whose value is undefined, as JSON.stringify does.
 */
function loopWriter(fields: readonly Field[]): (o: object) => string {
  const plan = fields.map((f) => ({ key: f.name, prefix: JSON.stringify(f.name) + ":", write: fieldWriter(f, true) as (v: unknown) => string }));
  return (o) => {
    let out = "";
    for (const p of plan) {
      const v = (o as Record<string, unknown>)[p.key];
      if (v !== undefined) out += (out === "" ? "" : ",") + p.prefix + p.write(v);
    }
    return `{${out}}`;
  };
}

/**
 * The writer of an object written for every socket (the socket, its endpoints), compiled from the table
 * into one function returning one string expression: as fast as a hand-written template, where a loop
 * over the fields takes twice as long at 100,000 sockets. The source holds only the table's field names
 * (checked to be plain identifiers) and calls to the field writers: no value of a socket becomes code.
 */
function compiledWriter(fields: readonly Field[]): (o: object) => string {
  if (fields[0]?.presence !== "always") throw new Error("the first field of an object in SOCKET_FIELDS must always be present");
  const writers: Write[] = [];
  const parts = fields.map((f, i) => {
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(f.name)) throw new Error(`a field name in SOCKET_FIELDS is not a plain identifier: "${f.name}"`);
    const key = JSON.stringify(`${i === 0 ? "{" : ","}"${f.name}":`);
    const v = `o.${f.name}`;
    let value: string;
    if (f.type.kind === "enum" && typeof f.type.values[0] === "string") value = f.nullable ? `(${v} === null ? "null" : '"' + ${v} + '"')` : `'"' + ${v} + '"'`;
    else if (f.type.kind === "enum" || f.type.kind === "int" || f.type.kind === "bool") value = v;
    else { writers.push(fieldWriter(f, false)); value = `w[${writers.length - 1}](${v})`; }
    return f.presence === "when-set" ? `(${v} === undefined ? "" : ${key} + ${value})` : `${key} + ${value}`;
  });
  return new Function("w", `return function write(o) { return "" + ${parts.join(" + ")} + "}"; };`)(writers) as (o: object) => string;
}

const writeSocket = compiledWriter(SOCKET_FIELDS);

/** The JSON form of one socket (the contract in docs/json.md): the same text as JSON.stringify(s) with DEL and C1 escaped. */
export function socketJson(s: Socket): string {
  return writeSocket(s);
}

// Pieces stay under V8's large-object size (128 KiB), so each dies young instead of piling up in the old generation.
const BATCH = 100;

/** The start of `portwatch audit --json`, up to the opening of the sockets list. */
export function renderJsonHead(snapshot: Pick<Snapshot, "schema" | "host">): string {
  return `{"schema":${snapshot.schema},"host":${jsonSafe(JSON.stringify(snapshot.host))},"sockets":[`;
}

/** Sockets of the JSON list in pieces; `first` tells whether they open the list (no comma before the first). */
export function* renderJsonSockets(sockets: readonly Socket[], first: boolean): Generator<string> {
  for (let i = 0; i < sockets.length; i += BATCH) {
    let out = "";
    const end = Math.min(sockets.length, i + BATCH);
    for (let j = i; j < end; j++) out += (first && j === 0 ? "\n" : ",\n") + socketJson(sockets[j] as Socket);
    yield out;
  }
}

/** The end of `portwatch audit --json`: closes the sockets list, then the warnings and the summary. */
export function renderJsonTail(snapshot: Pick<Snapshot, "warnings" | "summary">): string {
  return `\n],"warnings":${jsonSafe(JSON.stringify(snapshot.warnings))},"summary":${JSON.stringify(snapshot.summary)}}\n`;
}

/** `portwatch audit --json`: one object, yielded in pieces so 200k sockets never sit in memory as one string. */
export function* renderJsonChunks(snapshot: Snapshot): Generator<string> {
  yield renderJsonHead(snapshot);
  yield* renderJsonSockets(snapshot.sockets, true);
  yield renderJsonTail(snapshot);
}

/** `portwatch audit --json` as one string. */
export function renderJson(snapshot: Snapshot): string {
  return [...renderJsonChunks(snapshot)].join("");
}

/** `portwatch audit --ndjson`: one socket per line, in pieces. */
export function* renderNdjsonChunks(sockets: readonly Socket[]): Generator<string> {
  for (let i = 0; i < sockets.length; i += BATCH) {
    let out = "";
    const end = Math.min(sockets.length, i + BATCH);
    for (let j = i; j < end; j++) out += `${socketJson(sockets[j] as Socket)}\n`;
    yield out;
  }
}
