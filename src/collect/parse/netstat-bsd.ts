import { ProblemList } from "../../model/problem.js";
import type { Family, Proto, Socket, SocketState } from "../../model/socket.js";
import { captureSocket, lineProblem, own, readState, type CaptureOptions, type LineReader } from "./capture-common.js";
import { isNoPeer, readEndpoint } from "./netstat-linux.js";

/*
 * BSD and macOS netstat -an (and netstat without -n), the port after the last dot:
 *
 *   Active Internet connections (including servers)
 *   Proto Recv-Q Send-Q Local Address          Foreign Address        (state)
 *   tcp4       0      0 192.168.71.163.22      192.168.71.1.56321     ESTABLISHED
 *   tcp4       0      0 127.0.0.1.25           *.*                    LISTEN
 *   tcp6       0      0 *.22                   *.*                    LISTEN
 *   tcp46      0      0 *.631                  *.*                    LISTEN
 *   udp4       0      0 *.514                  *.*
 *   tcp6       0      0  kbrazil-mac.attl.62978 2620:1ec:42::132.https ESTABLISHED
 *
 * Other sections (UNIX, kctl, kevt, multipath) are skipped. Host names are cut to fit.
 */

const PROTOS: Record<string, [Proto, Family]> = {
  tcp4: ["tcp", 4], tcp6: ["tcp", 6], tcp46: ["tcp", 6], tcp: ["tcp", 4], udp4: ["udp", 4], udp6: ["udp", 6], udp46: ["udp", 6], udp: ["udp", 4],
  icm4: ["raw", 4], icm6: ["raw", 6], rip6: ["raw", 6], ip4: ["raw", 4],
};

function splitDot(text: string): [string, string] | null {
  const at = text.lastIndexOf(".");
  return at < 0 ? null : [text.slice(0, at), text.slice(at + 1)];
}

/** A line reader for BSD/macOS netstat output. */
export function bsdNetstatReader(options: CaptureOptions): LineReader {
  const records: Socket[] = [];
  const problems = new ProblemList(options.source);
  let inet = true;
  return {
    line(raw, n) {
      const text = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      const t = text.trim();
      if (t === "") return;
      if (/^Active\b|^Registered\b/.test(t)) { inet = /^Active (Internet|IPv[46])/.test(t); return; }
      if (t.startsWith("Proto") || t.startsWith("Address")) return;
      const tokens = t.split(/\s+/);
      const proto = own(PROTOS, tokens[0] ?? "");
      // A socket line reads the same in any section; other lines count only inside the Internet section.
      if (!proto) { if (inet) problems.push(lineProblem(options.source, n, text, "not a BSD netstat socket line")); return; }
      const [p, family0] = proto;
      if (!/^\d+$/.test(tokens[1] ?? "") || !/^\d+$/.test(tokens[2] ?? "")) { problems.push(lineProblem(options.source, n, text, "expected Recv-Q and Send-Q numbers")); return; }
      const local = readEndpoint(tokens[3] ?? "", p, family0, splitDot, options);
      const remote = readEndpoint(tokens[4] ?? "", p, family0, splitDot, options);
      if (typeof local === "string" || typeof remote === "string") {
        problems.push(lineProblem(options.source, n, text, typeof local === "string" ? local : (remote as string)));
        return;
      }
      const word = tokens[5];
      let state: SocketState | null = word === undefined ? null : readState(word);
      if (word !== undefined && state === null && p === "tcp") { problems.push(lineProblem(options.source, n, text, `unknown state "${word}"`)); return; }
      const noPeer = isNoPeer(remote.endpoint);
      state ??= noPeer ? "UNCONN" : "ESTABLISHED";
      if (p !== "tcp" && state === "CLOSE") state = "UNCONN";
      const family = local.family === 6 || remote.family === 6 ? 6 : family0;
      if (family === 6 && local.endpoint.address === "0.0.0.0") local.endpoint.address = "::";
      records.push(captureSocket(p, family, local.endpoint, noPeer ? null : remote.endpoint, state, null));
    },
    finish: () => ({ records, problems: problems.list(), notes: [] }),
  };
}
