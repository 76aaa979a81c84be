import type { HiddenProcess } from "../model/hiding.js";
import { ownerText } from "../model/process.js";
import type { Socket } from "../model/socket.js";

// The words of the rules about what hides (issue 15): how each thing was seen, and what to do next.

const endpoint = (s: Socket): string => `${s.local.address.includes(":") ? `[${s.local.address}]` : s.local.address}:${s.local.port}`;

/**
 * A socket a process holds that neither of the kernel's views lists (hiddenFrom "both", collect/third-view.ts):
 * in a network namespace no process is in, or hidden in one portwatch read (a rootkit).
 */
export function hiddenSocketMessage(s: Socket, emptyNamespaces: readonly number[]): string {
  const p = s.process;
  const holder = p === null ? "a process" : ownerText(p);
  const pid = p?.pid ?? null;
  const what = `${s.proto.toUpperCase()} ${s.state === "LISTEN" ? "listener" : "socket"} ${endpoint(s)}`;
  const inode = s.inode ?? 0;
  const look = pid === null ? "" : `; look at ${holder} with "ps -o pid,user,args -p ${pid}" and "ls -l /proc/${pid}/fd | grep ${inode}"`;
  if (s.netns !== null && emptyNamespaces.includes(s.netns)) {
    return `netstat's view leaves this ${what} out, ss's view leaves it out, but ${holder} holds it (socket:[${inode}] in its fd table): it lives in network namespace ${s.netns}, ` +
      `which no process is in, so ss and netstat, run in any process's namespace, cannot show it (portwatch read that namespace through the socket itself). ` +
      `A program made it there and left, or the namespace's last process handed it over: a way to keep a port out of sight${look}; stopping the holder closes it`;
  }
  return `netstat's view (/proc/net) leaves this ${what} out, ss's view (netlink) leaves it out, read again while portwatch held a copy of it, but ${holder} holds it (socket:[${inode}] in its fd table): ` +
    `rootkits hide their sockets from both views this way${look}; check /etc/ld.so.preload and the kernel modules ("cat /proc/modules"), and check this computer from a rescue system`;
}

/** The advice for a listener without a visible owner while processes hide: which mount or pid to look at. */
export function unownedWhileHiding(s: Socket, hiding: readonly HiddenProcess[]): string {
  const shown = hiding.slice(0, 3).map((h) => (h.how === "mount" && h.mount
    ? `process ${h.pid}, behind a mount over ${h.mount.mountPoint} (see it with "grep ${h.mount.mountPoint} /proc/self/mountinfo", undo it with "umount ${h.mount.mountPoint}")`
    : `process ${h.pid}, which the /proc listing leaves out (${h.how === "kill" ? "it answers kill(pid, 0)" : `process ${h.parent} names it as its child`}; "ls -l /proc/${h.pid}/fd" reads it by name)`));
  const more = hiding.length > 3 ? ` and ${hiding.length - 3} more (see the warnings)` : "";
  return `No process that portwatch can see holds this listener (${s.proto.toUpperCase()} ${endpoint(s)}), and ${hiding.length === 1 ? "a process hides" : "processes hide"} from /proc's view: ` +
    `${shown.join("; ")}${more}. The listener is probably ${hiding.length === 1 ? "its" : "theirs"}; once it can be seen, run portwatch again to name the owner`;
}
