// contrib/grafana/portwatch.json must chart what `portwatch serve` exports: every PromQL query of the
// dashboard (panel targets and template variables) names only metrics that src/serve/metrics.ts writes to
// /metrics, or the one series Prometheus makes itself for every target (up). A renamed metric otherwise
// leaves an empty panel that nobody notices.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createMetrics } from "../../src/serve/metrics.js";

const dashboardFile = fileURLToPath(new URL("../../contrib/grafana/portwatch.json", import.meta.url));

/** Series Prometheus adds to every scrape target itself (https://prometheus.io/docs/concepts/jobs_instances/). */
const PROMETHEUS_OWN = ["up"];

const KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "and", "or", "unless", "atan2", "inf", "nan"]);

/**
 * The metric names a PromQL expression reads: identifiers that are not functions or aggregations (followed
 * by "("), keywords, label names inside {…}, by (…)/without (…)/on (…)/ignoring (…) lists, ranges in […],
 * strings or Grafana variables ($instance).
 */
function metricNamesOf(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\$\{?\w+\}?/g, " ");
  const names: string[] = [];
  for (const m of bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const after = bare.slice((m.index ?? 0) + m[0].length).trimStart();
    if (after.startsWith("(") || KEYWORDS.has(m[0].toLowerCase())) continue;
    names.push(m[0]);
  }
  return names;
}

/** Every query string of a Grafana dashboard: panel targets (rows' panels too) and query variables. */
function queriesOf(dashboard: { panels?: unknown[]; templating?: { list?: unknown[] } }): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  const walk = (panels: unknown[] = []) => {
    for (const p of panels as { title?: string; targets?: { expr?: string }[]; panels?: unknown[] }[]) {
      for (const t of p.targets ?? []) if (typeof t.expr === "string") out.push({ where: `panel "${p.title}"`, expr: t.expr });
      walk(p.panels);
    }
  };
  walk(dashboard.panels);
  for (const v of (dashboard.templating?.list ?? []) as { name?: string; type?: string; query?: string | { query?: string } }[]) {
    if (v.type !== "query") continue;
    const q = typeof v.query === "string" ? v.query : v.query?.query ?? "";
    out.push({ where: `variable "${v.name}"`, expr: q.replace(/^label_values\((.*),\s*\w+\)$/, "$1").replace(/^label_values\((\w+)\)$/, "$1") });
  }
  return out;
}

/** The metric names /metrics exports, from its # TYPE lines (a histogram's series: _bucket, _sum, _count). */
async function exportedNames(): Promise<Set<string>> {
  const metrics = createMetrics();
  metrics.update([], 0.5);
  const names = new Set(PROMETHEUS_OWN);
  for (const line of (await metrics.registry.metrics()).split("\n")) {
    const m = /^# TYPE (\S+) (\w+)$/.exec(line);
    if (!m) continue;
    const [, name = "", type] = m;
    names.add(name);
    if (type === "histogram" || type === "summary") for (const s of ["_bucket", "_sum", "_count"]) names.add(name + s);
  }
  return names;
}

describe("metricNamesOf", () => {
  const cases: [string, string[]][] = [
    ['sum by (instance, verdict) (portwatch_sockets{job=~"$job", verdict!="expected"})', ["portwatch_sockets"]],
    ["rate(portwatch_scans_total[5m]) * 60", ["portwatch_scans_total"]],
    ["count(up{instance=~\"$instance\"} == 0)", ["up"]],
    ["portwatch_process_resident_memory_bytes / 1048576 and on (instance) portwatch_scans_total", ["portwatch_process_resident_memory_bytes", "portwatch_scans_total"]],
    ['histogram_quantile(0.9, sum by (le) (rate(portwatch_nodejs_gc_duration_seconds_bucket[5m])))', ["portwatch_nodejs_gc_duration_seconds_bucket"]],
    ['portwatch_socket{rule="by"}', ["portwatch_socket"]],
  ];
  for (const [expr, names] of cases) it(`metricNamesOf reads ${names.join(", ")} from ${expr}`, () => assert.deepEqual(metricNamesOf(expr), names));
});

describe("contrib/grafana/portwatch.json", () => {
  const dashboard = JSON.parse(readFileSync(dashboardFile, "utf8")) as { uid?: string; title?: string; panels?: unknown[]; templating?: { list?: unknown[] } };

  it("contrib/grafana/portwatch.json is a dashboard with a uid, a title and panels that each query something", () => {
    assert.equal(typeof dashboard.uid, "string");
    assert.equal(typeof dashboard.title, "string");
    const panels = (dashboard.panels ?? []) as { title?: string; targets?: unknown[] }[];
    assert.ok(panels.length >= 5, `${panels.length} panels`);
    for (const p of panels) assert.ok((p.targets ?? []).length > 0, `panel "${p.title}" has no query`);
  });

  it("every query of contrib/grafana/portwatch.json names only metrics that portwatch serve exports", async () => {
    const exported = await exportedNames();
    assert.ok(exported.has("portwatch_sockets") && exported.has("portwatch_scans_total"), "the metrics' own names are read");
    const queries = queriesOf(dashboard);
    assert.ok(queries.length > 5);
    for (const { where, expr } of queries) {
      const names = metricNamesOf(expr);
      assert.ok(names.length > 0, `${where}: no metric in ${expr}`);
      for (const name of names) assert.ok(exported.has(name), `${where}: ${name} is not a metric of /metrics (${expr})`);
    }
  });

  it("the export check of contrib/grafana/portwatch.json fails on a metric name /metrics lacks", async () => {
    const exported = await exportedNames();
    assert.ok(!metricNamesOf("sum(portwatch_socket{verdict=\"unknown\"})").every((n) => exported.has(n)));
  });
});
