import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import type { Socket } from "../model/socket.js";

/** The Prometheus metrics of `portwatch serve`, on a registry of their own. */
export interface Metrics {
  registry: Registry;
  /** Updates every gauge from one look; label sets stay bounded however many connections there are. */
  update(sockets: readonly Socket[], scanSeconds: number): void;
  scanError(): void;
}

const MAX_LISTENER_SERIES = 500;

/**
 * Sockets by proto, state, direction and verdict; listeners by port and program (listeners only, at
 * most 500 series); suspicious sockets by rule; scan duration and errors. No remote address or port is
 * ever a label, so 100k connections make no more series than 10.
 */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "portwatch_process_" });
  const sockets = new Gauge({ name: "portwatch_sockets", help: "Sockets on this host by protocol, state, direction and verdict", labelNames: ["proto", "state", "direction", "verdict"] as const, registers: [registry] });
  const listeners = new Gauge({ name: "portwatch_listeners", help: "Listening sockets by protocol, port, program and verdict", labelNames: ["proto", "port", "program", "verdict"] as const, registers: [registry] });
  const suspicious = new Gauge({ name: "portwatch_suspicious_sockets", help: "Suspicious sockets by the rule that called them so", labelNames: ["rule"] as const, registers: [registry] });
  const duration = new Gauge({ name: "portwatch_scan_duration_seconds", help: "How long the last look at the host took", registers: [registry] });
  const scans = new Counter({ name: "portwatch_scans_total", help: "Looks at the host", registers: [registry] });
  const errors = new Counter({ name: "portwatch_scan_errors_total", help: "Looks at the host that failed", registers: [registry] });
  return {
    registry,
    update(list, scanSeconds) {
      sockets.reset(); listeners.reset(); suspicious.reset();
      const counts = new Map<string, number>();
      for (const s of list) {
        const k = `${s.proto}\u0000${s.state}\u0000${s.direction}\u0000${s.verdict}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      for (const [k, n] of counts) {
        const [proto = "", state = "", direction = "", verdict = ""] = k.split("\u0000");
        sockets.set({ proto, state, direction, verdict }, n);
      }
      let series = 0;
      const seen = new Set<string>();
      for (const s of list) {
        if (s.direction !== "listening" || series >= MAX_LISTENER_SERIES) continue;
        const program = (s.process?.name ?? "-").replace(/[^\x20-\x7e]/g, "?");
        const k = `${s.proto}/${s.local.port}/${program}/${s.verdict}`;
        if (seen.has(k)) { listeners.inc({ proto: s.proto, port: String(s.local.port), program, verdict: s.verdict }); continue; }
        seen.add(k);
        series++;
        listeners.set({ proto: s.proto, port: String(s.local.port), program, verdict: s.verdict }, 1);
      }
      for (const s of list) {
        if (s.verdict !== "suspicious") continue;
        for (const r of s.reasons) if (r.verdict === "suspicious") suspicious.inc({ rule: r.rule });
      }
      duration.set(scanSeconds);
      scans.inc();
    },
    scanError() { errors.inc(); },
  };
}
