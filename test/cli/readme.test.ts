import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { statePaths } from "../../src/audit/state-dir.js";
import * as library from "../../src/index.js";
import { metricLabels, POLICY_OPERANDS, type MetricName } from "../../src/model/socket-fields.js";

// The facts README.md states that a program can check: counts, exit codes, options, file names, sample
// output, and the systemd unit's paths. A change that makes one untrue fails here, so the README is
// corrected in the same change.

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const readme = readFileSync(root("README.md"), "utf8");
const main = root("bin/portwatch");
const run = (...args: string[]) => spawnSync(main, args, { encoding: "utf8", timeout: 30_000, maxBuffer: 1 << 26, env: { ...process.env, FORCE_COLOR: "", NO_COLOR: "1", COLUMNS: "" } });
const flat = (text: string) => text.replace(/\s+/g, " ");

/** The fenced blocks of the README that follow a heading, by heading. */
function blocksUnder(heading: string): string[] {
  const section = readme.split(/^## /m).find((s) => s.startsWith(heading)) ?? "";
  return [...section.matchAll(/^```\w*\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
}

describe("README.md", () => {
  it("README.md counts the known ports as src/knowledge/data/ports.json has them", () => {
    const m = /`ports\.json` \((\d+)\s+ports and services/.exec(readme);
    assert.ok(m, "the README names the number of known ports");
    const { ports } = JSON.parse(readFileSync(root("src/knowledge/data/ports.json"), "utf8")) as { ports: unknown[] };
    assert.equal(Number(m[1]), ports.length);
  });

  it("README.md lists the exit codes that --help lists: 0, 1, 2 and 3", () => {
    const m = /^Exit codes: ([^]*?)\n\n/m.exec(readme);
    assert.ok(m, "the README has an exit codes sentence");
    const codes = (text: string) => [...text.matchAll(/(?:^|[;,:] )(\d) /g)].map((c) => Number(c[1]));
    assert.deepEqual(codes(flat(m[1] as string)), [0, 1, 2, 3]);
    const help = /Exit codes: ([^\n]*)/.exec(run("--help").stdout);
    assert.ok(help);
    assert.deepEqual(codes(`: ${help[1] as string}`), [0, 1, 2, 3]);
  });

  it("README.md names the Node.js version of package.json's engines", () => {
    const m = /Needs Node\.js (\d+\.\d+) or later/.exec(readme);
    const engines = (JSON.parse(readFileSync(root("package.json"), "utf8")) as { engines: { node: string } }).engines.node;
    assert.ok(m);
    assert.equal(engines, `>=${m[1] as string}`);
  });

  it("README.md names the policy's fields as the field table defines them, no more and no fewer", () => {
    const m = /Fields: ((?:`[a-zA-Z.]+`[^`]*?)+)\. See/.exec(flat(readme));
    assert.ok(m, "the README lists the policy's fields");
    const named = [...(m[1] as string).matchAll(/`([a-zA-Z.]+)`/g)].map((f) => f[1]).sort();
    assert.deepEqual(named, POLICY_OPERANDS.map((o) => o.path).sort());
  });

  it("README.md names the metrics and their labels as /metrics has them", () => {
    const metrics = readFileSync(root("src/serve/metrics.ts"), "utf8");
    const named = [...readme.matchAll(/`(portwatch_[a-z_]+)(?:\{([a-z,]+)\})?`/g)];
    assert.ok(named.length >= 5);
    for (const [, name, labels] of named) {
      assert.ok(metrics.includes(`name: "${name as string}"`), `${name as string} is a metric`);
      if (labels !== undefined) assert.deepEqual(labels.split(","), metricLabels(name as MetricName).map((l) => l.label), name);
    }
  });

  it("README.md's links and the paths it quotes name files of this repository", () => {
    const paths = [
      ...[...readme.matchAll(/\]\(([^)#]+)\)/g)].map((m) => m[1] as string),
      ...[...readme.matchAll(/`((?:docs|contrib|scripts|bench|test|src|native|bin)\/[^`\s]*)`/g)].map((m) => m[1] as string),
    ].filter((p) => !/^https?:/.test(p));
    assert.ok(paths.length >= 10);
    for (const p of paths) assert.ok(existsSync(root(p)), p);
  });

  it("README.md's library example imports names that the library exports", () => {
    for (const name of ["audit", "watch", "createAuditor"]) assert.equal(typeof (library as Record<string, unknown>)[name], "function", name);
  });

  it("README.md's command lines use only options that the command's --help lists", () => {
    const commands = ["audit", "baseline", "watch", "history", "fleet", "serve", "explain"];
    const lines = [...blocksUnder("Usage"), ...blocksUnder("Baseline and watch"), ...blocksUnder("A fleet in PostgreSQL")].join("\n").split("\n").filter((l) => l.startsWith("portwatch"));
    assert.ok(lines.length >= 20);
    const helps = new Map<string, string>();
    const helpOf = (words: string[]) => {
      const key = words.join(" ");
      if (!helps.has(key)) helps.set(key, run(...words, "--help").stdout);
      return helps.get(key) as string;
    };
    for (const line of lines) {
      const words = (line.split(/\s+#/)[0] as string).replace(/'[^']*'/g, "ARG").split(/\s+/).slice(1);
      const command = commands.includes(words[0] ?? "") ? (words[0] === "baseline" || words[0] === "fleet" ? words.slice(0, 2) : words.slice(0, 1)) : ["audit"];
      const help = helpOf(command);
      assert.ok(help.length > 0, line);
      for (const w of words.filter((x) => x.startsWith("-"))) {
        if (w.startsWith("--")) assert.match(help, new RegExp(`(^|[ ,])${w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}[ ,<[=\\n]`, "m"), `${line}: ${w}`);
        else for (const letter of w.slice(1)) assert.ok(new RegExp(`(^| )-${letter},`, "m").test(help) || (command[0] === "audit" && "anpW".includes(letter) && /-a, -n, -p and -W are accepted/.test(flat(help))), `${line}: -${letter}`);
      }
    }
  });

  it("README.md's sample output is what the command prints for the captured tree", () => {
    const sample = blocksUnder("Usage").find((b) => b.startsWith("$ portwatch --proc-root"));
    assert.ok(sample, "the README has a sample");
    const [command, ...shown] = sample.trimEnd().split("\n");
    const args = (command as string).slice("$ portwatch ".length).split(" ").map((a) => (a.startsWith("test/") ? root(a) : a));
    const r = run(...args);
    assert.equal(r.status, 0, r.stderr);
    const printed = r.stdout.split("\n");
    const upTo = shown.at(-1) === "..." ? shown.length - 1 : shown.length;
    assert.deepEqual(printed.slice(0, upTo), shown.slice(0, upTo));
  });
});

describe("contrib/systemd/portwatch-watch.service", () => {
  const unit = readFileSync(root("contrib/systemd/portwatch-watch.service"), "utf8");
  const setting = (key: string) => new RegExp(`^${key}=(.*)$`, "m").exec(unit)?.[1];

  it("portwatch-watch.service starts portwatch by name, which systemd finds where npm install -g puts it on this host", (t) => {
    const exec = setting("ExecStart")?.split(" ") ?? [];
    assert.equal(exec[0], "portwatch", "a bare name: systemd looks in /usr/local/bin and /usr/bin");
    const search = spawnSync("systemd-path", ["search-binaries-default"], { encoding: "utf8" });
    const prefix = spawnSync("npm", ["prefix", "-g"], { encoding: "utf8", timeout: 30_000 });
    if (search.status !== 0 || prefix.status !== 0) return t.skip("systemd-path or npm is not installed here");
    const bin = `${prefix.stdout.trim()}/bin`;
    if (!["/usr", "/usr/local"].includes(prefix.stdout.trim())) return t.skip(`npm's prefix here is ${prefix.stdout.trim()}: the unit's comment says to write the full path`);
    assert.ok(search.stdout.trim().split(":").includes(bin), `${bin} is in systemd's search path ${search.stdout.trim()}`);
  });

  it("portwatch-watch.service runs a watch command that portwatch accepts", () => {
    const exec = setting("ExecStart")?.split(" ").slice(1) ?? [];
    const dir = mkdtempSync(join(tmpdir(), "pw-unit-"));
    try {
      const r = run(...exec, "--count", "1", "--no-history", "--state-dir", dir, "--proc-root", root("test/fixtures/proc/debian12-holders"));
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /^watching /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("portwatch-watch.service lets portwatch write root's state directory and names files that exist", () => {
    const state = statePaths(undefined, {}, 0).dir;
    assert.equal(setting("ReadWritePaths"), state);
    assert.equal(`/var/lib/${setting("StateDirectory") ?? ""}`, state);
    for (const [, path] of unit.matchAll(/\b((?:contrib|bin|dist)\/[\w./-]+)/g)) assert.ok(existsSync(root(path as string)), path);
  });
});
