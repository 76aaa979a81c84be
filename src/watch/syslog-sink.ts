import { spawn } from "node:child_process";

/**
 * Sends each alert to syslog in RFC 5424 format through the local socket (/dev/log by default). Node
 * cannot write to a Unix datagram socket itself, so util-linux's `logger` does it (always present on
 * Debian: bsdutils is essential); it runs without a shell, the alert given as one argument, bounded in time.
 */
export function syslogSink(options: { socket?: string; onProblem?: (m: string) => void; timeoutMs?: number } = {}): (json: string, severity: "warning" | "crit") => Promise<void> {
  const socket = options.socket ?? "/dev/log";
  return (json, severity) => new Promise((done) => {
    const args = ["--rfc5424=notq", "--tag", "portwatch", "--priority", `auth.${severity}`, "--msgid", "portwatch-alert", "--socket", socket, "--socket-errors=on", "--", json];
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
}
