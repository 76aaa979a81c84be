import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { TaskPool } from "./pool.js";

/** Options of the syslog sink. */
export interface SyslogOptions {
  socket?: string;
  onProblem?: (m: string) => void;
  timeoutMs?: number;
  /** The largest message sent, in bytes (default: syslogLimit()). */
  maxBytes?: number;
}

/** Sends alerts to syslog; `send` never waits for logger (see TaskPool). */
export interface SyslogSink {
  send(json: string, severity: "warning" | "crit"): Promise<void>;
  /** Waits up to `ms` for the messages still being sent; returns how many were left. */
  close(ms: number): Promise<number>;
}

/** Room for the RFC 5424 header (priority, time, host, tag, pid, msgid) before the alert. */
const HEADER_BYTES = 512;

/**
 * The largest alert one datagram can carry: a Unix datagram must fit in the sender's send buffer
 * (net.core.wmem_default, 212,992 bytes on Debian 12), less the kernel's own bookkeeping; capped at
 * 64 KiB, which is also far under the 128 KiB a single program argument may have (logger takes it as one).
 */
export function syslogLimit(wmemDefault = readWmemDefault()): number {
  return Math.max(2048, Math.min(65_536, wmemDefault - 8192)) - HEADER_BYTES;
}

function readWmemDefault(): number {
  try { return Number(readFileSync("/proc/sys/net/core/wmem_default", "utf8").trim()) || 212_992; } catch { return 212_992; }
}

/**
 * The alert as it fits in `maxBytes`: whole when it fits; otherwise a shorter alert that is still valid
 * JSON (the kind of change, identity, verdict, addresses and owner, long texts cut) with a "note" saying
 * so, never a JSON cut in the middle.
 */
export function fitAlert(json: string, maxBytes: number): string {
  const size = Buffer.byteLength(json);
  if (size <= maxBytes) return json;
  const cut = (v: unknown, n: number) => (typeof v === "string" && v.length > n ? `${v.slice(0, n)}…` : v);
  let a: Record<string, unknown>;
  try { a = JSON.parse(json) as Record<string, unknown>; } catch { a = {}; }
  const s = (a["socket"] ?? {}) as Record<string, unknown>;
  const p = (s["process"] ?? null) as Record<string, unknown> | null;
  const note = `alert of ${size} bytes shortened to fit syslog's ${maxBytes}-byte limit: the command line, reasons and other long texts are left out or cut; the whole alert goes to --webhook and --exec, and "portwatch history" keeps the identity`;
  const short = {
    ...(a["id"] !== undefined ? { id: a["id"] } : {}), type: a["type"], identity: cut(a["identity"], 1024), note,
    socket: { proto: s["proto"], local: s["local"], remote: s["remote"], state: s["state"], direction: s["direction"], verdict: s["verdict"],
      process: p ? { pid: p["pid"], name: cut(p["name"], 256), exe: cut(p["exe"], 1024), user: cut(p["user"], 64) } : null },
    ...(a["was"] !== undefined ? { was: a["was"] } : {}), ...(a["while"] !== undefined ? { while: a["while"] } : {}), at: a["at"],
  };
  const text = JSON.stringify(short);
  if (Buffer.byteLength(text) <= maxBytes) return text;
  return JSON.stringify({ ...(a["id"] !== undefined ? { id: cut(a["id"], 64) } : {}), type: cut(a["type"], 32), note, at: cut(a["at"], 40) });
}

/**
 * Sends each alert to syslog in RFC 5424 format through the local socket (/dev/log by default). Node
 * cannot write to a Unix datagram socket itself, so util-linux's `logger` does it (always present on
 * Debian: bsdutils is essential); it runs without a shell, the alert given as one argument, bounded in
 * time. logger cuts messages at 1,024 bytes unless told otherwise: it is given the datagram's real limit,
 * and an alert larger than that is shortened to valid JSON (fitAlert).
 */
export function syslogSink(options: SyslogOptions = {}): SyslogSink {
  const socket = options.socket ?? "/dev/log";
  const maxBytes = options.maxBytes ?? syslogLimit();
  const pool = new TaskPool({ concurrency: 2, queueLimit: 1000, name: "syslog", ...(options.onProblem ? { onProblem: options.onProblem } : {}) });
  const one = (json: string, severity: "warning" | "crit") => new Promise<void>((done) => {
    const message = fitAlert(json, maxBytes);
    const args = ["--rfc5424=notq", "--tag", "portwatch", "--priority", `auth.${severity}`, "--msgid", "portwatch-alert", "--socket", socket, "--socket-errors=on",
      "--size", String(maxBytes + HEADER_BYTES), "--", message];
    const child = spawn("logger", args, { stdio: ["ignore", "ignore", "pipe"], shell: false });
    let err = "";
    const timer = setTimeout(() => { if (child.pid !== undefined) { try { process.kill(child.pid, "SIGKILL"); } catch { /* gone */ } } }, options.timeoutMs ?? 5000);
    child.stderr.on("data", (d: Buffer) => { if (err.length < 300) err += d; });
    child.on("error", (e) => { clearTimeout(timer); options.onProblem?.(`syslog: cannot run logger (${e.message}); install util-linux's bsdutils`); done(); });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code !== 0) options.onProblem?.(`syslog: logger could not write to ${socket}${err ? `: ${err.trim()}` : ""}`);
      done();
    });
  });
  return {
    send: (json, severity) => pool.add(() => one(json, severity)),
    async close(ms) { const left = await pool.settle(ms); pool.cancel(); return left; },
  };
}
