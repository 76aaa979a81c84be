import type { Problem } from "../../model/problem.js";
import type { Proto, Socket } from "../../model/socket.js";
import { captureProcess, captureSocket, lineProblem, readState, type CaptureOptions, type LineReader } from "./capture-common.js";
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
 */

/** A line reader for Windows netstat output. */
export function windowsNetstatReader(options: CaptureOptions): LineReader {
  const records: Socket[] = [];
  const problems: Problem[] = [];
  const notes: string[] = [];
  let last: Socket | null = null;
  let services: string[] = [];
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
        const pid = pidText !== undefined && /^\d+$/.test(pidText) ? Number(pidText) : null;
        const noPeer = isNoPeer(remote.endpoint) || (remote.endpoint.port === 0 && !/[1-9]/.test(remote.endpoint.address));
        state ??= noPeer ? "UNCONN" : "ESTABLISHED";
        const family = local.family === 6 || (tokens[1] ?? "").startsWith("[") ? 6 : 4;
        const name = pid === 4 ? "System" : pid === 0 ? "System Idle Process" : null;
        last = captureSocket(proto, family, local.endpoint, noPeer ? null : remote.endpoint, state, pid === null ? null : captureProcess(pid, name));
        records.push(last);
        return;
      }
      // -b annotations belong to the row above them.
      const exe = /^\[(.+)\]$/.exec(t);
      if (exe && last?.process) { last.process.name = exe[1] as string; return; }
      if (/^Can not obtain ownership information$|^Impossible d'obtenir|^Keine Besitzer|^No se puede obtener/i.test(t)) return;
      if (last?.process && tokens.length === 1 && /^[A-Za-z][\w.-]*$/.test(t)) { services.push(t); return; }
      // Headers and titles in any language: "Active Connections", "Aktive Verbindungen", "Proto  Local Address ...".
      if (/^(Proto|Active|Aktive|Connexions|Conexiones|Conex\u00f5es|Connessioni)\b/i.test(t) || /^\S+\s+\S+\s+\S+/.test(t) && !/\d+\.\d+|:\d/.test(t)) { settle(); last = null; return; }
      problems.push(lineProblem(options.source, n, text, "not a Windows netstat line"));
    },
    finish: () => { settle(); return { records, problems, notes }; },
  };
}
