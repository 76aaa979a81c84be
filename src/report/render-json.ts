import type { Snapshot } from "../model/snapshot.js";
import type { ProcessInfo } from "../model/process.js";
import type { Endpoint, Socket } from "../model/socket.js";
import { jsonSafe } from "./safe-text.js";

const str = (v: string | null): string => (v === null ? "null" : jsonSafe(JSON.stringify(v)));

// Explanations and reason lists are shared between sockets (see evaluate): serialize each once.
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
const listCache = new WeakMap<readonly object[], string>();
function listJson(list: readonly object[]): string {
  if (list.length === 0) return "[]";
  let out = listCache.get(list);
  if (out === undefined) {
    out = jsonSafe(JSON.stringify(list));
    listCache.set(list, out);
  }
  return out;
}

function endpointJson(e: Endpoint | null): string {
  if (e === null) return "null";
  // Addresses repeat (127.0.0.1 in every loopback connection): each is serialized once.
  return e.host === undefined
    ? `{"address":${cachedStr(e.address)},"port":${e.port}}`
    : `{"address":${cachedStr(e.address)},"port":${e.port},"host":${str(e.host)}}`;
}

// One process holds many sockets (a server with 10,000 connections): serialize it once.
const processCache = new WeakMap<ProcessInfo, string>();
function processJson(p: ProcessInfo | null): string {
  if (p === null) return "null";
  let out = processCache.get(p);
  if (out === undefined) {
    out = jsonSafe(JSON.stringify(p));
    processCache.set(p, out);
  }
  return out;
}

/**
 * The JSON form of one socket (the contract in docs/json.md): the same text as JSON.stringify(s) with
 * DEL and C1 escaped, written out field by field because it runs 200,000 times for a busy host.
 */
export function socketJson(s: Socket): string {
  return `{"proto":"${s.proto}","family":${s.family},"local":${endpointJson(s.local)},"remote":${endpointJson(s.remote)},` +
    `"state":"${s.state}","direction":"${s.direction}","exposure":${s.exposure === null ? "null" : `"${s.exposure}"`},` +
    `"netns":${s.netns},"inode":${s.inode},"uid":${s.uid},` +
    `"service":${s.service === null ? "null" : `{"name":${str(s.service.name)},"port":${s.service.port}}`},` +
    `"process":${processJson(s.process)},"sharedWith":${listJson(s.sharedWith)},` +
    `"verdict":"${s.verdict}","reasons":${listJson(s.reasons)},"explanation":${cachedStr(s.explanation)}` +
    (s.hiddenFrom === undefined ? "}" : `,"hiddenFrom":"${s.hiddenFrom}"}`);
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
