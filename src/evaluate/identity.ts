import { programOf } from "../model/process.js";
import type { Socket } from "../model/socket.js";

/**
 * A socket's stable identity, which survives restarts and ephemeral ports (never a pid, never a client's
 * random port), so that "what changed" ignores a daemon restarting and a browser's next connection:
 *
 *   listener:  L|tcp|631|/usr/sbin/cupsd|root|host
 *   outbound:  O|tcp|/usr/lib/firefox/firefox|https          (the remote service, or its port)
 *   inbound:   I|tcp|22|/usr/sbin/sshd                       (the listener's port and program)
 *   other:     U|tcp|8080|/usr/bin/java
 *
 * The program is the executable path when known, else the process name, else "?"; the namespace kind
 * is "host" or "container" (another network namespace than the host's).
 */
export function identityOf(s: Socket, hostNetns: number | null): string {
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
