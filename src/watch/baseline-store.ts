import { homedir } from "node:os";
import { join } from "node:path";
import { InputError } from "../model/errors.js";
import { readFields } from "../model/read-fields.js";
import { NETWORK_OWNER_FIELDS, SOCKET_FIELDS } from "../model/socket-fields.js";
import { VERDICTS } from "../model/verdict.js";
import type { Seen } from "./diff.js";
import { readTrustedFile, UnsafePlaceError, writeFileAtomic } from "../collect/safe-file-store.js";

/** The baseline file: what this host normally has, by identity (see evaluate/identity.ts). */
export interface Baseline {
  schema: 1;
  savedAt: string;
  hostname: string | null;
  entries: Seen[];
}

/**
 * Checks a parsed baseline file by hand (zod would cost 90 ms of start-up on every run), and rebuilds
 * each entry's socket from SOCKET_FIELDS; names the first bad field.
 */
function checkBaseline(data: unknown): string | null {
  if (typeof data !== "object" || data === null) return "(top): expected an object";
  const d = data as Record<string, unknown>;
  if (d["schema"] !== 1) return `schema: expected 1, found ${JSON.stringify(d["schema"])}`;
  if (typeof d["savedAt"] !== "string") return "savedAt: expected a date text";
  if (d["hostname"] !== null && typeof d["hostname"] !== "string") return "hostname: expected a text or null";
  if (!Array.isArray(d["entries"])) return "entries: expected a list";
  for (const [i, e] of (d["entries"] as unknown[]).entries()) {
    const entry = e as Record<string, unknown> | null;
    if (typeof entry !== "object" || entry === null) return `entries.${i}: expected an object`;
    if (typeof entry["identity"] !== "string" || entry["identity"].length < 3) return `entries.${i}.identity: expected an identity like "L|tcp|22|/usr/sbin/sshd|root|host"`;
    if (!(VERDICTS as readonly unknown[]).includes(entry["verdict"])) return `entries.${i}.verdict: expected one of ${VERDICTS.join(", ")}`;
    // The socket is evidence, shown and written again: read with the table's fields only, each checked.
    const socket = readFields(SOCKET_FIELDS, entry["socket"], `entries.${i}.socket.`);
    if (!socket.ok) return socket.reason;
    entry["socket"] = socket.value;
    // The networks of an outbound identity (baselines saved with the network owners' database; older ones have none).
    if (entry["networks"] !== undefined) {
      if (!Array.isArray(entry["networks"])) return `entries.${i}.networks: expected a list of {"number", "org"}`;
      const networks: unknown[] = [];
      for (const [k, n] of (entry["networks"] as unknown[]).entries()) {
        const r = readFields(NETWORK_OWNER_FIELDS, n, `entries.${i}.networks.${k}.`);
        if (!r.ok) return r.reason;
        networks.push(r.value);
      }
      entry["networks"] = networks;
    }
  }
  return null;
}

/** Where the baseline lives by default: /var/lib/portwatch as root, the user's state directory otherwise. */
export function defaultBaselinePath(): string {
  if (process.getuid?.() === 0) return "/var/lib/portwatch/baseline.json";
  const state = process.env["XDG_STATE_HOME"] || join(homedir(), ".local", "state");
  return join(state, "portwatch", "baseline.json");
}

/** Reads and checks a baseline file; a bad one is an InputError that names the file and the field. */
export function loadBaseline(path: string): Baseline {
  let text: string;
  try { text = readTrustedFile(path); } catch (e) {
    if (e instanceof UnsafePlaceError) throw new InputError(`Cannot load baseline "${path}": ${e.message}`);
    const code = (e as { code?: string }).code;
    throw new InputError(`Cannot load baseline "${path}": ${code ?? String(e)}${code === "ENOENT" ? ' (save one first with "portwatch baseline save")' : ""}`);
  }
  let data: unknown;
  try { data = JSON.parse(text); } catch (e) { throw new InputError(`Cannot load baseline "${path}": not JSON (${(e as Error).message})`); }
  const problem = checkBaseline(data);
  if (problem !== null) throw new InputError(`Cannot load baseline "${path}": ${problem}`);
  return data as Baseline;
}

/**
 * Writes a baseline atomically and safely (safe-file-store.ts: a checked folder, made when missing; a new
 * file under a random name, O_EXCL|O_NOFOLLOW, renamed over the old one).
 */
export function saveBaseline(path: string, baseline: Baseline): void {
  try {
    writeFileAtomic(path, `${JSON.stringify(baseline)}\n`);
  } catch (e) {
    if (e instanceof UnsafePlaceError) throw new InputError(`Cannot save the baseline to "${path}": ${e.message}`);
    throw new InputError(`Cannot save the baseline to "${path}": ${(e as { code?: string }).code ?? (e as Error).message} (choose another place with --file)`);
  }
}

/** A baseline from the sockets of one look at the host. */
export function baselineOf(seen: ReadonlyMap<string, Seen>, hostname: string | null, savedAt: string): Baseline {
  return { schema: 1, savedAt, hostname, entries: [...seen.values()].sort((a, b) => (a.identity < b.identity ? -1 : 1)) };
}
