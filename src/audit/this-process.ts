import { readFileSync } from "node:fs";
import { hostname } from "node:os";

/** What the auditor needs to know about the process it runs in (the only place it asks). */
export interface ThisProcess {
  pid: number;
  /** Running as root: every owner is visible, so an unowned listener means something. */
  asRoot: boolean;
  hostname: string;
}

/** This process: its pid, whether it is root, the host's name. */
export function thisProcess(): ThisProcess {
  return { pid: process.pid, asRoot: process.getuid?.() === 0, hostname: hostname() };
}

/** The text of /etc/services (service names beyond portwatch's own and IANA's), or null when there is none. */
export function etcServicesText(path = "/etc/services"): string | null {
  try { return readFileSync(path, "utf8"); } catch { return null; }
}

/**
 * This host's stable id for the fleet store: /etc/machine-id (systemd's, made once at install), else
 * D-Bus's copy, else null (then --host-id is needed).
 */
export function machineId(paths: readonly string[] = ["/etc/machine-id", "/var/lib/dbus/machine-id"]): string | null {
  for (const p of paths) {
    try { const id = readFileSync(p, "utf8").trim(); if (id !== "") return id; } catch { /* next */ }
  }
  return null;
}
