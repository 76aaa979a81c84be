import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import type { Socket } from "../model/socket.js";
import { metricLabels, type MetricName } from "../model/socket-fields.js";

/** The Prometheus metrics of `portwatch serve`, on a registry of their own. */
export interface Metrics {
  registry: Registry;
  /** Updates every gauge from one look; label sets stay bounded however many connections there are. */
  update(sockets: readonly Socket[], scanSeconds: number): void;
  scanError(): void;
}

const MAX_LISTENER_SERIES = 500;

/**
 * A metric's label names (SOCKET_FIELDS says which fields are labels), and the label values of a socket
 * as one string joined by NUL, to count by: no array or object per socket (this runs for every socket of
 * every look). A missing value is "-"; a text (a process name: whatever the process chose) keeps printable ASCII only.
 */
function labelsOf(metric: MetricName): { names: string[]; key(s: Socket): string; values(key: string): Record<string, string> } {
  const labels = metricLabels(metric);
  const printable = new Map<string, string>();
  const readers = labels.map(({ path, field }) => {
    // A field of the socket ("proto") or of one of its objects ("process.name").
    const [outer = "", inner] = path.split(".");
    const read = inner === undefined
      ? (s: Socket) => (s as unknown as Record<string, unknown>)[outer]
      : (s: Socket) => ((s as unknown as Record<string, Record<string, unknown> | null>)[outer] ?? undefined)?.[inner];
    const text = field.type.kind === "text";
    return (s: Socket): string => {
      const v = read(s);
      if (v === null || v === undefined) return "-";
      if (!text) return String(v);
      let p = printable.get(v as string);
      if (p === undefined) { p = (v as string).replace(/[^\x20-\x7e]/g, "?"); if (printable.size < 10_000) printable.set(v as string, p); }
      return p;
    };
  });
  const names = labels.map((l) => l.label);
  return {
    names,
    key(s) {
      let k = "";
      for (let i = 0; i < readers.length; i++) k += (i === 0 ? "" : "\u0000") + (readers[i] as (s: Socket) => string)(s);
      return k;
    },
    values(key) {
      const parts = key.split("\u0000");
      return Object.fromEntries(names.map((n, i) => [n, parts[i] ?? ""]));
    },
  };
}

/**
 * Sockets by proto, state, direction and verdict; listeners by port and program (listeners only, at
 * most 500 series); suspicious sockets by rule; scan duration and errors. No remote address or port is
 * ever a label, so 100k connections make no more series than 10.
 */
export function createMetrics(): Metrics {
  const registry = new Registry();
  // prom-client's own names start with process_ and nodejs_: prefixed portwatch_process_cpu_seconds_total, portwatch_nodejs_heap_size_used_bytes...
  collectDefaultMetrics({ register: registry, prefix: "portwatch_" });
  const socketLabels = labelsOf("portwatch_sockets"), listenerLabels = labelsOf("portwatch_listeners");
  // One label, the rule of each suspicious reason ("reasons[].rule"): counted reason by reason, below.
  const ruleLabel = metricLabels("portwatch_suspicious_sockets")[0]?.label ?? "rule";
  const sockets = new Gauge({ name: "portwatch_sockets", help: "Sockets on this host by protocol, state, direction and verdict", labelNames: socketLabels.names, registers: [registry] });
  const listeners = new Gauge({ name: "portwatch_listeners", help: "Listening sockets by protocol, port, program and verdict", labelNames: listenerLabels.names, registers: [registry] });
  const suspicious = new Gauge({ name: "portwatch_suspicious_sockets", help: "Suspicious sockets by the rule that called them so", labelNames: [ruleLabel], registers: [registry] });
  const duration = new Gauge({ name: "portwatch_scan_duration_seconds", help: "How long the last look at the host took", registers: [registry] });
  const scans = new Counter({ name: "portwatch_scans_total", help: "Looks at the host", registers: [registry] });
  const errors = new Counter({ name: "portwatch_scan_errors_total", help: "Looks at the host that failed", registers: [registry] });
  return {
    registry,
    update(list, scanSeconds) {
      sockets.reset(); listeners.reset(); suspicious.reset();
      const counts = new Map<string, number>();
      for (const s of list) {
        const k = socketLabels.key(s);
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      for (const [k, n] of counts) sockets.set(socketLabels.values(k), n);
      let series = 0;
      const seen = new Set<string>();
      for (const s of list) {
        if (s.direction !== "listening" || series >= MAX_LISTENER_SERIES) continue;
        const k = listenerLabels.key(s);
        if (seen.has(k)) { listeners.inc(listenerLabels.values(k)); continue; }
        seen.add(k);
        series++;
        listeners.set(listenerLabels.values(k), 1);
      }
      for (const s of list) {
        if (s.verdict !== "suspicious") continue;
        for (const r of s.reasons) if (r.verdict === "suspicious") suspicious.inc({ [ruleLabel]: r.rule });
      }
      duration.set(scanSeconds);
      scans.inc();
    },
    scanError() { errors.inc(); },
  };
}
