import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { Socket } from "../../src/model/socket.js";
import { metricLabels, type MetricName } from "../../src/model/socket-fields.js";
import { createMetrics } from "../../src/serve/metrics.js";

function sock(i: number, direction: Socket["direction"]): Socket {
  return {
    proto: i % 7 === 0 ? "udp" : "tcp", family: 4, local: { address: "10.0.0.1", port: direction === "listening" ? 1024 + i : 40000 + (i % 20000) },
    remote: direction === "listening" ? null : { address: `198.51.${(i >> 8) & 255}.${i & 255}`, port: 1024 + (i % 60000) },
    state: direction === "listening" ? "LISTEN" : "ESTABLISHED", direction, exposure: null, netns: 1, inode: i + 1, uid: 0, service: null,
    process: { pid: 100 + (i % 50), name: `prog${i % 50}`, exe: null, exeDeleted: false, cmdline: null, uid: 0, user: "root", containerId: null, netns: 1 },
    sharedWith: [], verdict: i % 1000 === 0 ? "suspicious" : i % 3 === 0 ? "unknown" : "expected",
    reasons: i % 1000 === 0 ? [{ rule: "backdoor-port", verdict: "suspicious", message: "m" }] : [], explanation: null,
  };
}

describe("createMetrics", () => {
  it("createMetrics keeps the number of series bounded with 100,000 connections and 2,000 listeners to 100,000 peers", async () => {
    const metrics = createMetrics();
    const sockets = [...Array.from({ length: 100_000 }, (_, i) => sock(i, "outbound")), ...Array.from({ length: 2000 }, (_, i) => sock(i, "listening"))];
    metrics.update(sockets, 1.25);
    const text = await metrics.registry.metrics();
    const series = text.split("\n").filter((l) => l.startsWith("portwatch_") && !l.startsWith("portwatch_process_") && !l.startsWith("portwatch_nodejs_"));
    const by = (name: string) => series.filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
    assert.ok(by("portwatch_sockets").length <= 4 * 13 * 4 * 3, `${by("portwatch_sockets").length} socket series`);
    assert.equal(by("portwatch_listeners").length, 500, "listener series are capped");
    assert.deepEqual(by("portwatch_suspicious_sockets"), ['portwatch_suspicious_sockets{rule="backdoor-port"} 102']);
    assert.ok(!/198\.51\./.test(text), "no remote address becomes a label");
    assert.match(text, /portwatch_scan_duration_seconds 1\.25/);
    // Node's own metrics under one prefix, not twice: portwatch_process_cpu_seconds_total, not portwatch_process_process_...
    assert.match(text, /^portwatch_process_cpu_seconds_total \d/m);
    assert.match(text, /^portwatch_nodejs_heap_size_used_bytes \d/m);
    assert.doesNotMatch(text, /portwatch_process_process_|portwatch_process_nodejs_/);
    const total = by("portwatch_sockets").reduce((n, l) => n + Number(l.split(" ").pop()), 0);
    assert.equal(total, 102_000);
  });
});

describe("createMetrics labels", () => {
  const labels: [MetricName, string[]][] = [
    ["portwatch_sockets", ["proto", "state", "direction", "verdict"]],
    ["portwatch_listeners", ["proto", "port", "program", "verdict"]],
    ["portwatch_suspicious_sockets", ["rule"]],
  ];
  for (const [metric, names] of labels) {
    it(`createMetrics labels ${metric} with the fields SOCKET_FIELDS names (${names.join(", ")})`, async () => {
      assert.deepEqual(metricLabels(metric).map((l) => l.label), names);
      const m = createMetrics();
      m.update([sock(0, "listening"), sock(1000, "outbound")], 1);
      const line = (await m.registry.metrics()).split("\n").find((l) => l.startsWith(`${metric}{`)) ?? "";
      assert.deepEqual([...line.matchAll(/(\w+)="/g)].map((x) => x[1]), names, line);
    });
  }
  it("createMetrics never labels with a remote field", () => {
    for (const metric of ["portwatch_sockets", "portwatch_listeners", "portwatch_suspicious_sockets"] as const) {
      assert.ok(!metricLabels(metric).some((l) => l.path.startsWith("remote.")), metric);
    }
  });
  it("createMetrics writes a listener's hostile program name as printable ASCII, and no owner as -", async () => {
    const m = createMetrics();
    m.update([{ ...sock(1, "listening"), process: { ...sock(1, "listening").process!, name: "ev\u001bil\u00e9" } }, { ...sock(2, "listening"), process: null }], 1);
    const text = await m.registry.metrics();
    assert.match(text, /program="ev\?il\?"/);
    assert.match(text, /port="1026",program="-"/);
  });
  it("README.md names each metric with the table's labels", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    for (const [metric, names] of labels) assert.ok(readme.includes(`\`${metric}{${metricLabels(metric).map((l) => l.label).join(",")}}\``), `${metric}{${names.join(",")}}`);
  });
});
