import { ProblemList } from "../../model/problem.js";
import type { Family, Proto, Socket, SocketState } from "../../model/socket.js";
import { CUT_AT, ID_MAX, processPool, captureSocket, lineProblem, readCount, readState, UNIX_PID_MAX, type CaptureOptions, type LineReader } from "./capture-common.js";
import { isNoPeer, readEndpoint, splitColon } from "./netstat-linux.js";

/*
 * lsof -i (with or without -n -P), e.g. `sudo lsof -nP -i`:
 *
 *   COMMAND     PID            USER   FD   TYPE DEVICE SIZE/OFF NODE NAME
 *   systemd-r   885 systemd-resolve   12u  IPv4  20795      0t0  UDP 127.0.0.53:53
 *   sshd       1127            root    3u  IPv4  23871      0t0  TCP *:22 (LISTEN)
 *   sshd       1127            root    4u  IPv6  23873      0t0  TCP *:22 (LISTEN)
 *   firefox    4242            anna   88u  IPv4 811310      0t0  TCP 192.168.1.5:50432->142.250.1.1:443 (ESTABLISHED)
 *   avahi-dae   810           avahi   12u  IPv4  22064      0t0  UDP *:mdns
 *   cupsd      812            root    7u  IPv6  23115      0t0  TCP [::1]:ipp (LISTEN)
 *
 * COMMAND is cut to 9 characters (spaces shown as \x20); without -P ports are service names, without -n
 * hosts are names. The same socket held by several processes is listed once per process, with the same
 * DEVICE (the kernel's address of the socket): those rows become one socket with `sharedWith`.
 * Leading lines like "lsof: WARNING: can't stat() fuse file system" are notes.
 */

/** A line reader for `lsof -i` output. */
export function lsofReader(options: CaptureOptions): LineReader {
  const records: Socket[] = [];
  const problems = new ProblemList(options.source);
  const notes: string[] = [];
  const processOf = processPool();
  const byDevice = new Map<string, Socket>();
  return {
    line(raw, n) {
      const text = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      const t = text.trim();
      if (t === "") return;
      if (t.startsWith("COMMAND")) return; // the header (with or without TID/TASKCMD columns: found by shape below)
      if (t.startsWith("lsof:") || t.startsWith("Output information may be incomplete")) { notes.push(`The capture says: ${t}`); return; }
      const tokens = t.split(/\s+/);
      // COMMAND PID [TID [TASKCMD]] USER FD TYPE DEVICE SIZE/OFF NODE NAME...
      const typeAt = tokens.findIndex((x, i) => i >= 3 && (x === "IPv4" || x === "IPv6"));
      if (typeAt < 0 || !/^\d+$/.test(tokens[1] ?? "") || tokens.length < typeAt + 4) {
        problems.push(lineProblem(options.source, n, text, "not an lsof -i line (expected COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME)"));
        return;
      }
      const command = (tokens[0] as string).replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
      const pid = readCount(tokens[1] as string, "pid", 1, UNIX_PID_MAX);
      if (typeof pid === "string") { problems.push(lineProblem(options.source, n, text, pid)); return; }
      const user = tokens[typeAt - 2] ?? null;
      const family: Family = tokens[typeAt] === "IPv6" ? 6 : 4;
      const device = tokens[typeAt + 1] as string;
      // NODE is TCP/UDP (or a raw protocol); NAME follows it.
      let nodeAt = typeAt + 2;
      while (nodeAt < tokens.length && !/^(TCP|UDP|UDPLITE|RAW|raw|ICMP|ICMPV6|\d+)$/.test(tokens[nodeAt] as string)) nodeAt++;
      const node = tokens[nodeAt];
      const nameText = tokens.slice(nodeAt + 1).join(" ");
      if (node === undefined || nameText === "") { problems.push(lineProblem(options.source, n, text, "no NODE and NAME columns")); return; }
      const proto: Proto = node === "TCP" ? "tcp" : node === "UDP" || node === "UDPLITE" ? "udp" : "raw";
      const m = /^(\S+?)(?:->(\S+))?(?:\s+\(([A-Z_-]+)\))?$/.exec(nameText);
      if (!m) { problems.push(lineProblem(options.source, n, text, `cannot read the NAME "${nameText}"`)); return; }
      const local = readEndpoint(m[1] as string, proto, family, splitColon, options);
      const remote = m[2] ? readEndpoint(m[2], proto, family, splitColon, options) : null;
      if (typeof local === "string" || typeof remote === "string") {
        problems.push(lineProblem(options.source, n, text, typeof local === "string" ? local : (remote as string)));
        return;
      }
      let state: SocketState | null = m[3] ? readState(m[3]) : null;
      if (state === null) state = proto === "tcp" ? (remote ? "ESTABLISHED" : "CLOSE") : remote ? "ESTABLISHED" : "UNCONN";
      const uid = user !== null && /^\d+$/.test(user) ? readCount(user, "uid", 0, ID_MAX) : null;
      if (typeof uid === "string") { problems.push(lineProblem(options.source, n, text, uid)); return; }
      const process = processOf(pid, command, uid === null ? user : null, uid, command.length === CUT_AT.lsof || command.length >= CUT_AT.comm);
      const key = `${device}/${proto}`;
      const had = /^0x[0-9a-f]+$|^\d+$/i.test(device) ? byDevice.get(key) : undefined;
      if (had) {
        // The same socket in another process (a forked server): one socket, several holders.
        if (had.process && had.process.pid !== pid && !had.sharedWith.some((h) => h.pid === pid)) {
          had.sharedWith = [...had.sharedWith, { pid, name: command }];
        }
        return;
      }
      const s = captureSocket(proto, local.family === 6 ? 6 : family, local.endpoint, remote && !isNoPeer(remote.endpoint) ? remote.endpoint : null, state, process, { uid });
      byDevice.set(key, s);
      records.push(s);
    },
    finish: () => ({ records, problems: problems.list(), notes }),
  };
}
