import { programOf } from "../model/process.js";
import type { Socket } from "../model/socket.js";
import { ORPHAN_STATES } from "../model/socket-state.js";

/** Linux's default range of ephemeral ports (net.ipv4.ip_local_port_range): clients' ends of connections. */
const EPHEMERAL = { from: 32768, to: 60999 };
/** Whether `port` is in Linux's default ephemeral range (a client's end, chosen at random). */
export const isEphemeralPort = (port: number): boolean => port >= EPHEMERAL.from && port <= EPHEMERAL.to;

/**
 * The service's end of a connection, told from its ports alone: the one outside the ephemeral range
 * (3000 in 127.0.0.1:3000 ↔ 127.0.0.1:45112), else the lower one. The same for both ends of a connection.
 */
export function finishedPort(a: number, b: number): number {
  if (isEphemeralPort(a) !== isEphemeralPort(b)) return isEphemeralPort(a) ? b : a;
  return Math.min(a, b);
}

/** For a finished connection (closing, no holder), the port its identity goes by (finishedPort); null for any other socket. */
export function finishedServicePort(s: Socket): number | null {
  return s.process === null && s.remote !== null && ORPHAN_STATES.has(s.state) ? finishedPort(s.local.port, s.remote.port) : null;
}

/**
 * A socket's stable identity, which survives restarts and ephemeral ports (never a pid, never a client's
 * random port), so that "what changed" ignores a daemon restarting and a browser's next connection:
 *
 *   listener:  L|tcp|631|/usr/sbin/cupsd|root|host
 *   outbound:  O|tcp|/usr/lib/firefox/firefox|https          (the remote service, or its port)
 *   inbound:   I|tcp|22|/usr/sbin/sshd                       (the listener's port and program)
 *   other:     U|tcp|8080|/usr/bin/java
 *   finished:  F|tcp|3000                                   (closing, no holder: by the service's port)
 *
 * The program is the executable path when known, else the process name, else "?"; the namespace kind
 * is "host" or "container" (another network namespace than the host's).
 */
export function identityOf(s: Socket, hostNetns: number | null): string {
  // A finished connection (closing, no holder) is the same thing whichever end it was and whether or not
  // a listener is there at this moment: "F|tcp|3000", by its service's port (finishedPort).
  const finished = finishedServicePort(s);
  if (finished !== null) return `F|${s.proto}|${finished}`;
  const program = programOf(s.process);
  switch (s.direction) {
    case "listening": {
      const user = s.process?.user ?? (s.process?.uid ?? s.uid ?? "?");
      const ns = hostNetns !== null && s.netns !== null && s.netns !== hostNetns ? "container" : "host";
      return `L|${s.proto}|${s.local.port}|${program}|${user}|${ns}`;
    }
    case "outbound": return `O|${s.proto}|${program}|${s.service?.name ?? s.remote?.port ?? "?"}`;
    case "inbound": return `I|${s.proto}|${s.local.port}|${program}`;
    default: return `U|${s.proto}|${s.local.port}|${program}`;
  }
}
