import type { Problem } from "../model/problem.js";
import type { Family, Proto, Socket } from "../model/socket.js";
import { isListening } from "./classify.js";
import { parseProcNet } from "./parse/proc-net.js";
import { CHUNK, errCode, readLines } from "./proc-files.js";

// The text view of a namespace's sockets (what netstat reads): /proc/<dir>/net/{tcp,tcp6,udp,udp6,raw,raw6}.
// Read for every socket without the addon, and for the listeners by the cross-view check.

const TABLES: readonly { file: string; proto: Proto; family: Family }[] = [
  { file: "tcp", proto: "tcp", family: 4 }, { file: "tcp6", proto: "tcp", family: 6 },
  { file: "udp", proto: "udp", family: 4 }, { file: "udp6", proto: "udp", family: 6 },
  { file: "raw", proto: "raw", family: 4 }, { file: "raw6", proto: "raw", family: 6 },
];

/**
 * Reads one namespace's six tables through `base` (e.g. /proc/self/net) into `sockets`. With
 * `listenersOnly` (the cross-view check): only the TCP and UDP listeners, and each TCP table only up to
 * its first connection, since the kernel prints TCP listeners first.
 */
export function readNamespaceTables(base: string, netns: number | null, littleEndian: boolean, sockets: Socket[], problems: Problem[], listenersOnly = false): void {
  for (const t of TABLES) {
    if (listenersOnly && t.proto === "raw") continue;
    const source = `${base}/${t.file}`;
    const from = sockets.length;
    const upToFirstConnection = listenersOnly && t.proto === "tcp";
    try {
      readLines(source, (text, firstLine) => {
        parseProcNet(text, { proto: t.proto, family: t.family, source, netns, littleEndian, firstLine, records: sockets, problems });
        return upToFirstConnection && sockets.length > from && (sockets[sockets.length - 1] as Socket).state !== "LISTEN";
      }, upToFirstConnection ? 1 << 16 : CHUNK);
    } catch (e) {
      // Kernels without IPv6 or raw sockets have no such tables; tcp and udp must be there.
      if (errCode(e) === "ENOENT" && (t.family === 6 || t.proto === "raw")) continue;
      throw e;
    }
    if (listenersOnly) keepListeners(sockets, from);
  }
}

/** Drops the sockets from index `from` on that are not listeners, in place. */
function keepListeners(sockets: Socket[], from: number): void {
  let kept = from;
  for (let i = from; i < sockets.length; i++) if (isListening(sockets[i] as Socket)) sockets[kept++] = sockets[i] as Socket;
  sockets.length = kept;
}
