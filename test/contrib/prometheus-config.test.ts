// contrib/prometheus/portwatch-scrape.yaml is the example scrape config of `portwatch serve`'s /metrics: it
// must be YAML that Prometheus takes, scrape the path and port the serve unit uses, and send the token the
// way serve reads it (Authorization: Bearer), from a file (serve --token-file keeps the same token across
// restarts, so a file survives them; a token written into the config would not be rotated with it).
// promtool (Debian's prometheus package, installed by scripts/test-deps.sh) checks it as Prometheus would.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const dir = fileURLToPath(new URL("../../contrib/prometheus/", import.meta.url));
const scrapeFile = join(dir, "portwatch-scrape.yaml");
const serveUnit = readFileSync(fileURLToPath(new URL("../../contrib/systemd/portwatch-serve.service", import.meta.url)), "utf8");

interface ScrapeConfig {
  job_name?: unknown;
  metrics_path?: unknown;
  scheme?: unknown;
  bearer_token?: unknown;
  bearer_token_file?: unknown;
  authorization?: { type?: unknown; credentials?: unknown; credentials_file?: unknown };
  static_configs?: { targets?: unknown[] }[];
}

function scrapeConfigs(text: string): ScrapeConfig[] {
  const doc = parse(text) as { scrape_configs?: ScrapeConfig[] } | null;
  assert.ok(doc && Array.isArray(doc.scrape_configs), "a scrape_configs list");
  return doc.scrape_configs;
}

describe("contrib/prometheus/portwatch-scrape.yaml", () => {
  const text = readFileSync(scrapeFile, "utf8");

  it("portwatch-scrape.yaml scrapes /metrics of the port the serve unit listens on, over http on loopback", () => {
    const [job, ...more] = scrapeConfigs(text);
    assert.equal(more.length, 0);
    assert.equal(job?.job_name, "portwatch");
    assert.equal(job?.metrics_path ?? "/metrics", "/metrics");
    const port = /--port (\d+)/.exec(serveUnit)?.[1];
    assert.ok(port, "the serve unit names its port");
    assert.deepEqual(job?.static_configs?.flatMap((s) => s.targets ?? []), [`127.0.0.1:${port}`]);
  });

  it("portwatch-scrape.yaml sends a Bearer token read from a file, never one written in the config", () => {
    const [job] = scrapeConfigs(text);
    assert.equal(job?.authorization?.type ?? "Bearer", "Bearer");
    assert.equal(typeof job?.authorization?.credentials_file, "string");
    assert.equal(job?.authorization?.credentials, undefined);
    assert.equal(job?.bearer_token, undefined);
  });

  it("portwatch-scrape.yaml and portwatch-alerts.yaml pass promtool's checks", () => {
    const promtool = spawnSync("promtool", ["--version"], { encoding: "utf8" });
    assert.equal(promtool.error, undefined, "promtool is missing: apt-get install prometheus (scripts/test-deps.sh does)");
    // promtool also checks that the token file exists: a copy of the config that names a planted one.
    const tmp = mkdtempSync(join(tmpdir(), "pw-prom-"));
    try {
      const token = join(tmp, "portwatch.token");
      writeFileSync(token, "0123456789abcdef0123456789abcdef\n", { mode: 0o600 });
      const [job] = scrapeConfigs(text);
      const copy = text.replaceAll(String(job?.authorization?.credentials_file), token);
      writeFileSync(join(tmp, "prometheus.yml"), copy);
      copyFileSync(join(dir, "portwatch-alerts.yaml"), join(tmp, "portwatch-alerts.yaml"));
      const check = spawnSync("promtool", ["check", "config", join(tmp, "prometheus.yml")], { encoding: "utf8", timeout: 30_000 });
      assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
      assert.match(check.stdout, /SUCCESS: 1 rule files found/);
      writeFileSync(join(tmp, "broken.yml"), copy.replace(/^(\s+)credentials_file:/m, "$1credential_file:"));
      const broken = spawnSync("promtool", ["check", "config", join(tmp, "broken.yml")], { encoding: "utf8", timeout: 30_000 });
      assert.notEqual(broken.status, 0, "promtool refuses a misspelt field (the check can fail)");
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
