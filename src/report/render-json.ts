import type { Snapshot } from "../model/snapshot.js";
import type { Socket } from "../model/socket.js";
import { jsonSafe } from "./safe-text.js";

/** The JSON form of one socket (the contract in docs/json.md). */
export function socketJson(s: Socket): string {
  return jsonSafe(JSON.stringify(s));
}

const BATCH = 2000;

/** `portwatch audit --json`: one object, yielded in pieces so 200k sockets never sit in memory as one string. */
export function* renderJsonChunks(snapshot: Snapshot): Generator<string> {
  yield `{"schema":${snapshot.schema},"host":${jsonSafe(JSON.stringify(snapshot.host))},"sockets":[`;
  const { sockets } = snapshot;
  for (let i = 0; i < sockets.length; i += BATCH) {
    let out = "";
    const end = Math.min(sockets.length, i + BATCH);
    for (let j = i; j < end; j++) out += (j === 0 ? "\n" : ",\n") + socketJson(sockets[j] as Socket);
    yield out;
  }
  yield `\n],"warnings":${jsonSafe(JSON.stringify(snapshot.warnings))},"summary":${JSON.stringify(snapshot.summary)}}\n`;
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
