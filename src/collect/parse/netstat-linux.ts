import { ProblemList } from "../../model/problem.js";
import type { Endpoint, Family, Proto, Socket, SocketState } from "../../model/socket.js";
import {
  CUT_AT, ID_MAX, processPool, own, captureSocket, lineProblem, readCount, readHost, readPort, readState, UNIX_PID_MAX, type CaptureOptions, type LineReader,
} from "./capture-common.js";

/*
 * Linux net-tools netstat (-a -n -p -e -o -W -l -t -u -w, any mix), e.g. `sudo netstat -tunaep`:
 *
 *   Active Internet connections (servers and established)
 *   Proto Recv-Q Send-Q Local Address           Foreign Address         State       User       Inode      PID/Program name
 *   tcp        0      0 localhost:smtp          0.0.0.0:*               LISTEN      root       22606      1489/master
 *   tcp6       0      0 localhost:ssh           localhost:38134         ESTABLISHED root       63129      6492/sshd: kbrazil
 *   udp        0      0 0.0.0.0:bootpc          0.0.0.0:*                           root       20830      1029/dhclient
 *   raw6       0      0 [::]:ipv6-icmp          [::]:*                  7           root       20819      878/NetworkManager
 *   Active UNIX domain sockets (servers and established)
 *   unix  2      [ ACC ]     STREAM     LISTENING     8981     1/systemd            /run/systemd/journal/stdout
 *
 * UDP rows may have no State; raw rows have a number; -o adds a Timer column ("off (0.00/0/0)"). Without -n,
 * ports are service names and hosts are names cut to fit ("tc-in-f19.google.co:www"): the part after the last
 * colon is always whole. Program names may hold spaces ("sshd: kbrazil") and are cut to 19 characters.
 * Split on runs of white space, so text whose spacing was collapsed (pasted from a web page) reads the same.
 */

const PROTOS: Record<string, [Proto, Family]> = {
  tcp: ["tcp", 4], tcp6: ["tcp", 6], udp: ["udp", 4], udp6: ["udp", 6], raw: ["raw", 4], raw6: ["raw", 6],
  udpl: ["udp", 4], udpl6: ["udp", 6],
};
const TIMER = /\s+(off|on|keepalive|timewait|probe|unkn-\d+)\s+\([^)]*\)\s*$/;

/** Splits "host:port" at the last colon (netstat never cuts the port). */
export function splitColon(text: string): [string, string] | null {
  const at = text.lastIndexOf(":");
  return at < 0 ? null : [text.slice(0, at), text.slice(at + 1)];
}

// Addresses repeat (every connection of a server has its local address): keep one copy of each.
const addresses = new Map<string, string>();
function intern(text: string): string {
  const had = addresses.get(text);
  if (had !== undefined) return had;
  if (addresses.size > 200_000) addresses.clear();
  const flat = (" " + text).slice(1); // a copy, so the capture line it was cut from can be freed
  addresses.set(flat, flat);
  return flat;
}

/** Reads one address column into an endpoint, or a reason why not. */
export function readEndpoint(text: string, proto: Proto, family: Family, split: (t: string) => [string, string] | null, options: CaptureOptions): { endpoint: Endpoint; family: Family } | string {
  const parts = split(text);
  if (parts === null) return `"${text}" is not an address:port`;
  const host = readHost(parts[0], family);
  if (typeof host === "string") return host;
  const port = readPort(parts[1], proto, options.servicePort);
  if (port === null && /^\d+$/.test(parts[1])) return `port ${parts[1].length > 12 ? `${parts[1].slice(0, 9)}...` : parts[1]} in "${text.slice(0, 80)}" is out of range (from 0 to 65535)`;
  if (port === null) return `unknown service name "${parts[1]}" in "${text}" (a capture made with -n has numbers instead)`;
  const address = intern(host.address);
  const endpoint: Endpoint = host.host === undefined ? { address, port } : { address, port, host: address };
  return { endpoint, family: host.family };
}

/** Whether an endpoint means "no peer": wildcard address and no port. */
export function isNoPeer(e: Endpoint): boolean {
  return e.port === 0 && (e.address === "0.0.0.0" || e.address === "::");
}

/** A line reader for Linux netstat output. */
export function linuxNetstatReader(options: CaptureOptions): LineReader {
  const records: Socket[] = [];
  const problems = new ProblemList(options.source);
  const notes: string[] = [];
  const processOf = processPool();
  let section: "inet" | "other" | "none" = "none";
  let cols = { user: false, inode: false, pid: false };
  return {
    line(raw, n) {
      const text = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      const t = text.trim();
      if (t === "") return;
      if (t.startsWith("Active ")) { section = /Internet/i.test(t) ? "inet" : "other"; return; }
      if (t.startsWith("Proto ")) {
        cols = { user: /\bUser\b/.test(t), inode: /\bInode\b/.test(t), pid: /PID\/Program/.test(t) };
        return;
      }
      if (t.startsWith("(")) { notes.push(`The capture says: ${t}`); return; }
      const tokens = t.split(/\s+/);
      const head = tokens[0] ?? "";
      const proto = own(PROTOS, head);
      if (proto === undefined) {
        if (section === "other" || /^(unix|bluetooth|l2cap|rfcomm|sco|ax25|netrom|rose|ipx|ddp|x25)\b/.test(head)) return; // other socket families
        if (/^(netstat|warning|Kernel)\b/i.test(t)) { notes.push(`The capture says: ${t}`); return; }
        problems.push(lineProblem(options.source, n, text, "not a netstat socket line"));
        return;
      }
      const [p, family0] = proto; // a socket line reads the same whatever section header (maybe damaged) came before
      if (tokens.length < 5 || !/^\d+$/.test(tokens[1] ?? "") || !/^\d+$/.test(tokens[2] ?? "")) {
        problems.push(lineProblem(options.source, n, text, "expected Proto, Recv-Q, Send-Q, Local Address and Foreign Address"));
        return;
      }
      const local = readEndpoint(tokens[3] as string, p, family0, splitColon, options);
      const remote = readEndpoint(tokens[4] as string, p, family0, splitColon, options);
      if (typeof local === "string" || typeof remote === "string") {
        problems.push(lineProblem(options.source, n, text, typeof local === "string" ? local : (remote as string)));
        return;
      }
      // After the addresses: [State] [User Inode] [PID/Program name] [Timer]
      let rest = tokens.slice(5).join(" ").replace(TIMER, "");
      let state: SocketState | null = null;
      const first = rest.split(" ")[0] ?? "";
      if (first !== "" && (readState(first) !== null || (p === "raw" && /^\d+$/.test(first)))) {
        state = p === "raw" && /^\d+$/.test(first) ? (first === "1" ? "ESTABLISHED" : "UNCONN") : readState(first);
        rest = rest.slice(first.length).trim();
      }
      if (state === null) {
        if (p === "tcp") { problems.push(lineProblem(options.source, n, text, `a TCP line needs a state; found "${first}"`)); return; }
        state = isNoPeer(remote.endpoint) ? "UNCONN" : "ESTABLISHED";
      } else if (p !== "tcp" && state === "CLOSE") state = "UNCONN";
      // [User Inode] then [PID/Program name]: found by shape, so a damaged header line costs nothing.
      let user: string | null = null, inode: number | null = null;
      const words = rest === "" ? [] : rest.split(" ");
      const pidAt = words.findIndex((w) => /^(\d+\/|-$)/.test(w));
      const before = pidAt < 0 ? words : words.slice(0, pidAt);
      const owner = pidAt < 0 ? "" : words.slice(pidAt).join(" ");
      let inodeText: string | null = null;
      if (before.length === 2 && /^\d+$/.test(before[1] as string)) { user = before[0] as string; inodeText = before[1] as string; }
      else if (before.length === 1 && /^\d+$/.test(before[0] as string) && cols.inode && !cols.user) inodeText = before[0] as string;
      else if (before.length === 1 && !cols.inode) user = before[0] as string;
      else if (before.length > 0) { problems.push(lineProblem(options.source, n, text, `cannot read the columns after the state: "${before.join(" ")}"`)); return; }
      // Numbers a kernel can give: a pid from 1, a uid and an inode that fit their types.
      const uid = user !== null && /^\d+$/.test(user) ? readCount(user, "uid", 0, ID_MAX) : null;
      if (inodeText !== null) inode = readCount(inodeText, "inode", 0, Number.MAX_SAFE_INTEGER) as number;
      const badNumber = [uid, inode].find((x) => typeof x === "string");
      if (badNumber !== undefined) { problems.push(lineProblem(options.source, n, text, badNumber as string)); return; }
      let process = null;
      const m = /^(\d+)\/(.*)$/.exec(owner);
      if (m) {
        const pid = readCount(m[1] as string, "pid", 1, UNIX_PID_MAX);
        if (typeof pid === "string") { problems.push(lineProblem(options.source, n, text, pid)); return; }
        process = processOf(pid, m[2] || null, user !== null && uid === null ? user : null, uid as number | null, owner.length >= CUT_AT.netstatPidName);
      } else if (owner !== "" && owner !== "-") { problems.push(lineProblem(options.source, n, text, `cannot read the PID/Program column "${owner}"`)); return; }
      const family = local.family === 6 || remote.family === 6 ? 6 : family0;
      const noPeer = isNoPeer(remote.endpoint);
      records.push(captureSocket(p, family, local.endpoint, noPeer ? null : remote.endpoint, state, process, { inode, uid: uid as number | null }));
    },
    finish: () => ({ records, problems: problems.list(), notes }),
  };
}
