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
