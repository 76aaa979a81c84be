import { ProblemList } from "../../model/problem.js";
import type { SharedHolder } from "../../model/process.js";
import type { Family, Proto, Socket, SocketState } from "../../model/socket.js";
import { CUT_AT, ID_MAX, processPool, captureSocket, lineProblem, own, readCount, readState, UNIX_PID_MAX, type CaptureOptions, type LineReader } from "./capture-common.js";
import { isNoPeer, readEndpoint } from "./netstat-linux.js";

/*
 * iproute2 ss (-t -u -w -a -l -n -p -e -o -i -m), e.g. `sudo ss -tulpen`:
 *
 *   Netid State    Recv-Q   Send-Q       Local Address:Port      Peer Address:Port
 *   udp   UNCONN   0        0            127.0.0.53%lo:53             0.0.0.0:*      users:(("systemd-resolve",pid=1117,fd=12)) uid:101 ino:29400 sk:7 <->
 *   udp   UNCONN   0        0                  0.0.0.0:4789           0.0.0.0:*      ino:58296 sk:1 <->
 *   tcp   LISTEN   0        128                   [::]:22                [::]:*      users:(("sshd",pid=1127,fd=4)) ino:30187 sk:11 v6only:1 <->
 *   tcp   ESTAB    0        0      [::ffff:10.0.0.5]:22    [::ffff:10.0.0.9]:50000  users:(("sshd",pid=9,fd=3),("sshd",pid=12,fd=3))
 *
 * Without -t/-u mixing, older and single-protocol outputs have no Netid column ("State Recv-Q ..."); the
 * newer header says "Process" at the end. "*" is the wildcard of a dual-stack socket; "%lo" a scope.
 * Extra fields after the addresses (users:, uid:, ino:, sk:, timer:, cgroup:, -i/-m blocks) may follow
 * on the same line or, with -i/-m, on indented continuation lines, which are skipped.
 */

const NETIDS: Record<string, Proto | null> = {
  tcp: "tcp", udp: "udp", raw: "raw", mptcp: "tcp", icmp6: "raw",
  u_str: null, u_dgr: null, u_seq: null, p_raw: null, p_dgr: null, nl: null, v_str: null, v_dgr: null, sctp: null, xdp: null, tipc: null,
};
const USERS = /\("((?:[^"\\]|\\.)*)",pid=(\d+),fd=\d+\)/g;

/** Splits an ss address at the last colon, keeping [v6] brackets and %zone with the host. */
function splitSs(text: string): [string, string] | null {
  const at = text.lastIndexOf(":");
  return at < 0 ? null : [text.slice(0, at), text.slice(at + 1)];
}

/** A line reader for `ss` output. */
export function ssReader(options: CaptureOptions): LineReader {
  const records: Socket[] = [];
  const problems = new ProblemList(options.source);
  const notes: string[] = [];
  const processOf = processPool();
  let hasNetid: boolean | null = null;
  return {
    line(raw, n) {
      const text = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      const t = text.trim();
      if (t === "") return;
      if (/^(Netid\s+)?State\s+Recv-Q/.test(t)) { hasNetid = t.startsWith("Netid"); return; }
      if (/^\s/.test(text) && !/^\s*(tcp|udp|raw)\s/.test(text)) return; // -i/-m/-e continuation lines
      const tokens = t.split(/\s+/);
      let at = 0;
      let proto: Proto | null;
      const firstIsNetid = Object.hasOwn(NETIDS, tokens[0] ?? "");
      if (hasNetid === true || (hasNetid === null && firstIsNetid)) {
        const netid = tokens[at++] as string;
        if (!Object.hasOwn(NETIDS, netid)) { problems.push(lineProblem(options.source, n, text, `unknown Netid "${netid}"`)); return; }
        proto = own(NETIDS, netid) ?? null;
        if (proto === null) return; // unix, packet, netlink, sctp...: not portwatch's
      } else {
        proto = null; // decided from the state below
      }
      const stateWord = tokens[at++] ?? "";
      const state0 = readState(stateWord);
      if (state0 === null) { problems.push(lineProblem(options.source, n, text, `unknown state "${stateWord}"`)); return; }
      proto ??= state0 === "UNCONN" ? "udp" : "tcp";
      if (!/^\d+$/.test(tokens[at] ?? "") || !/^\d+$/.test(tokens[at + 1] ?? "")) {
        problems.push(lineProblem(options.source, n, text, "expected Recv-Q and Send-Q numbers after the state"));
        return;
      }
      at += 2;
      const family0: Family = 4;
      const localText = tokens[at++] ?? "", peerText = tokens[at++] ?? "";
      const local = readEndpoint(localText, proto, family0, splitSs, options);
      const peer = readEndpoint(peerText, proto, family0, splitSs, options);
      if (typeof local === "string" || typeof peer === "string") {
        problems.push(lineProblem(options.source, n, text, typeof local === "string" ? local : (peer as string)));
        return;
      }
      // "*" is ss's dual-stack wildcard: a v6 socket bound to [::] that also takes IPv4.
      const family: Family = localText.startsWith("*:") || localText.startsWith("[") || local.family === 6 || peer.family === 6 ? 6 : 4;
      if (family === 6 && local.endpoint.address === "0.0.0.0") local.endpoint.address = "::";
      const extra = tokens.slice(at).join(" ");
      const holders: { pid: number; name: string }[] = [];
      const bad: string[] = [];
      for (const m of extra.matchAll(USERS)) {
        const pid = readCount(m[2] as string, "pid", 1, UNIX_PID_MAX);
        if (typeof pid === "string") bad.push(pid);
        else holders.push({ pid, name: (m[1] as string).replace(/\\(.)/g, "$1") });
      }
      const seen = new Set<number>();
      const unique = holders.filter((h) => !seen.has(h.pid) && seen.add(h.pid)).sort((a, b) => a.pid - b.pid);
      const uidText = /\buid:(\d+)/.exec(extra)?.[1];
      const inoText = /\bino:(\d+)/.exec(extra)?.[1];
      const uid = uidText === undefined ? null : readCount(uidText, "uid", 0, ID_MAX);
      const ino = inoText === undefined ? null : readCount(inoText, "inode", 0, Number.MAX_SAFE_INTEGER);
      for (const x of [uid, ino]) if (typeof x === "string") bad.push(x);
      if (bad.length > 0) { problems.push(lineProblem(options.source, n, text, bad[0] as string)); return; }
      const main = unique[0];
      const process = main ? processOf(main.pid, main.name, null, uid as number | null, main.name !== null && main.name.length >= CUT_AT.comm) : null;
      const sharedWith: SharedHolder[] = unique.slice(1).map((h) => ({ pid: h.pid, name: h.name }));
      const noPeer = isNoPeer(peer.endpoint) || (peer.endpoint.port === 0 && peer.endpoint.address === "::");
      let state: SocketState = state0;
      if (proto !== "tcp" && state === "CLOSE") state = "UNCONN";
      records.push(captureSocket(proto, family, local.endpoint, noPeer ? null : peer.endpoint, state, process, { inode: ino as number | null, uid: uid as number | null, sharedWith }));
    },
    finish: () => ({ records, problems: problems.list(), notes }),
  };
}
