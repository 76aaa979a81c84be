import { ProblemList } from "../../model/problem.js";
import type { Proto, Socket } from "../../model/socket.js";
import { captureProcess, captureSocket, lineProblem, readCount, readState, WINDOWS_PID_MAX, type CaptureOptions, type LineReader } from "./capture-common.js";
import { isNoPeer, readEndpoint, splitColon } from "./netstat-linux.js";

/*
 * Windows netstat -ano / -an / -abno (CRLF line ends; headers in the system's language):
 *
 *   Active Connections
 *
 *     Proto  Local Address          Foreign Address        State           PID
 *     TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1712
 *     RpcSs
 *    [svchost.exe]
 *     TCP    0.0.0.0:445            0.0.0.0:0              LISTENING       4
 *    Can not obtain ownership information
 *     TCP    [::1]:49669            [::]:0                 LISTENING       3340
 *     UDP    0.0.0.0:500            *:*                                    4380
 *
 * With -b, the lines after a row name its Windows service ("RpcSs") and its executable ("[svchost.exe]").
 * UDP rows have no State. PID 4 is the kernel ("System"); 0 the idle process.
 *
 * Without -o there is no PID column; without -n, hosts are names (the foreign address of a listener is
 * whatever the hosts file calls 0.0.0.0: "adclick:0", "DESKTOP-ON7BJGL:0") and well-known ports are
 * service names ("40.67.251.132:https"). `netstat -a -b` in French:
 *
 *     Proto  Adresse locale         Adresse distante       État
 *     TCP    0.0.0.0:135            adclick:0              LISTENING
 *     RpcSs
 *    [svchost.exe]
 *     TCP    0.0.0.0:445            adclick:0              LISTENING
 *    Impossible d’obtenir les informations de propriétaire
 *     TCP    192.168.0.15:54598     wn-in-f188:5228        ESTABLISHED
 *    [chrome.exe]
 *
 * A name cannot be turned back into an address offline: it stays a name (in `host` too, see readHost).
 * An owner named by -b without -o has no process id: it gets pid 0 (the model has no unknown pid) and a
 * note says so.
 */

// "Can not obtain ownership information" in the languages whose captures we have seen (’ or ').
const NO_OWNER = /^(Can not obtain ownership information|Impossible d['\u2019]obtenir|Keine Besitzer|No se puede obtener)/i;
const HEADER = /^(Proto|Active|Aktive|Connexions|Conexiones|Conex\u00f5es|Connessioni)\b/i;

/** A line reader for Windows netstat output. */
export function windowsNetstatReader(options: CaptureOptions): LineReader {
  const records: Socket[] = [];
  const problems = new ProblemList(options.source);
  const notes: string[] = [];
  let last: Socket | null = null;
  let lastHasPid = false;
  let services: string[] = [];
  let names = false; // a host or port printed as a name (made without -n)
  let noPid = false; // an owner named on a row without a PID (made with -b, without -o)
  const settle = () => {
    if (last?.process && services.length) last.process.name = `${last.process.name ?? "?"} (${services.join(", ")})`;
    services = [];
  };
  return {
    line(raw, n) {
      const text = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      const t = text.trim();
      if (t === "") return;
      const tokens = t.split(/\s+/);
      const head = (tokens[0] ?? "").toUpperCase();
      if (head === "TCP" || head === "UDP" || head === "TCPV6" || head === "UDPV6") {
        settle();
        const proto: Proto = head.startsWith("TCP") ? "tcp" : "udp";
        const local = readEndpoint(tokens[1] ?? "", proto, 4, splitColon, options);
        const remote = readEndpoint(tokens[2] ?? "", proto, 4, splitColon, options);
        if (typeof local === "string" || typeof remote === "string") {
          problems.push(lineProblem(options.source, n, text, typeof local === "string" ? local : (remote as string)));
          last = null;
          return;
        }
        let at = 3;
        let state = proto === "tcp" ? readState(tokens[at] ?? "") : null;
        if (state !== null) at++;
        if (proto === "tcp" && state === null) { problems.push(lineProblem(options.source, n, text, `unknown TCP state "${tokens[3] ?? ""}"`)); last = null; return; }
        const pidText = tokens[at];
        const pid = pidText !== undefined && /^\d+$/.test(pidText) ? readCount(pidText, "pid", 0, WINDOWS_PID_MAX) : null;
        if (typeof pid === "string") { problems.push(lineProblem(options.source, n, text, pid)); last = null; return; }
        // A peer on port 0 is no peer, whatever the address is called ("0.0.0.0", "[::]", "*", "adclick").
        const noPeer = state === "LISTEN" || isNoPeer(remote.endpoint) || remote.endpoint.port === 0;
        state ??= noPeer ? "UNCONN" : "ESTABLISHED";
        if (local.endpoint.host !== undefined || (!noPeer && remote.endpoint.host !== undefined) || !/:\d+$/.test(tokens[1] ?? "") || (!noPeer && !/:\d+$/.test(tokens[2] ?? ""))) names = true;
        const family = local.family === 6 || (tokens[1] ?? "").startsWith("[") ? 6 : 4;
        const name = pid === 4 ? "System" : pid === 0 ? "System Idle Process" : null;
        last = captureSocket(proto, family, local.endpoint, noPeer ? null : remote.endpoint, state, pid === null ? null : captureProcess(pid, name));
        lastHasPid = pid !== null;
        records.push(last);
        return;
      }
      // -b annotations belong to the row above them: services first, the executable last.
      const exe = /^\[(.+)\]$/.exec(t);
      if (exe && last !== null) {
        if (last.process) last.process.name = exe[1] as string;
        else if (!lastHasPid) { last.process = captureProcess(0, exe[1] as string); noPid = true; }
        return;
      }
      if (NO_OWNER.test(t)) return;
      if (last !== null && tokens.length === 1 && /^[A-Za-z][\w.-]*$/.test(t)) { services.push(t); return; }
      // Headers and titles in any language: "Active Connections", "Aktive Verbindungen", "Proto  Local Address ...".
      // (/\d\.\d/, not /\d+\.\d+/: the latter takes time quadratic in a run of digits.)
      if (HEADER.test(t) || (/^\S+\s+\S+\s+\S+/.test(t) && !/\d\.\d|:\d/.test(t))) { settle(); last = null; return; }
      problems.push(lineProblem(options.source, n, text, "not a Windows netstat line"));
    },
    finish: () => {
      settle();
      if (names) notes.push("The capture was made without -n: some hosts and ports are printed as names; hosts stay names (they cannot be turned back into addresses without the network), ports are read back through the service names");
      if (noPid) notes.push("The capture was made with -b but without -o: owners are named by their program only; they have no process id (shown as pid 0)");
      return { records, problems: problems.list(), notes };
    },
  };
}
