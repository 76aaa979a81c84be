import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "bin/portwatch");
const tree = fileURLToPath(new URL("../fixtures/proc/debian12-holders/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "pw-launcher-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const env = (extra: Record<string, string> = {}) => {
  const e: Record<string, string | undefined> = { ...process.env };
  delete e["PORTWATCH_CODE_CACHE"];
  return { ...e, ...extra };
};
const run = (argv: string[], extra: Record<string, string> = {}) => spawnSync(argv[0] as string, argv.slice(1), { encoding: "utf8", timeout: 30_000, maxBuffer: 1 << 28, env: env(extra) });
const withoutTime = (json: string) => JSON.parse(json.replace(/"collectedAt":"[^"]*"/, '"collectedAt":""'));

describe("bin/portwatch (the launcher)", () => {
  it("bin/portwatch prints what the ES modules in dist/ print", () => {
    const bundled = run([bin, "audit", "--json", "--proc-root", tree]);
    const modules = run([process.execPath, join(root, "dist/cli/main.js"), "audit", "--json", "--proc-root", tree]);
    assert.equal(bundled.status, 0, bundled.stderr);
    assert.equal(modules.status, 0, modules.stderr);
    assert.deepEqual(withoutTime(bundled.stdout), withoutTime(modules.stdout));
    assert.equal(bundled.stderr, modules.stderr);
  });

  it("bin/portwatch sets NODE_EXTRA_CA_CERTS aside, except for the commands that speak TLS (watch, lists, history, fleet), by command not by argument text", () => {
    // Node warns at start-up when it cannot load that file: the warning shows whether Node saw the variable.
    const ca = { NODE_EXTRA_CA_CERTS: join(dir, "missing-ca.pem") };
    const plain = run([bin, "--version"], ca);
    assert.equal(plain.status, 0, plain.stderr);
    assert.equal(plain.stdout, "0.1.0\n");
    assert.doesNotMatch(plain.stderr, /extra certs/);
    const webhook = run([bin, "watch", "--webhook=https://127.0.0.1:9/", "--help"], ca);
    assert.equal(webhook.status, 0, webhook.stderr);
    assert.match(webhook.stderr, /Ignoring extra certs from .*missing-ca\.pem/);
    for (const command of ["fleet", "history"]) { // --store to a PostgreSQL with TLS
      const store = run([bin, command, "--help"], ca);
      assert.equal(store.status, 0, store.stderr);
      assert.match(store.stderr, /Ignoring extra certs from .*missing-ca\.pem/, command);
    }
    // "--webhook" as another command's option value is not the watch command.
    const other = run([bin, "audit", "--proc-root", tree, "--policy", " --webhook=x"], ca);
    assert.equal(other.status, 2, other.stderr);
    assert.doesNotMatch(other.stderr, /extra certs/);
  });

  it("bin/portwatch runs through a symbolic link (npm's node_modules/.bin) and passes arguments unchanged", () => {
    const link = join(dir, "portwatch-link");
    symlinkSync(bin, link);
    const r = run([link, "explain", "6667/tcp"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /6667/);
    const odd = run([link, "--from", join(dir, "no such file; $(touch x)")]);
    assert.equal(odd.status, 2);
    assert.match(odd.stderr, /no such file; \$\(touch x\)/);
    assert.equal(existsSync(join(dir, "x")), false);
  });
});

/** A copy of bin/start.cjs in `name`/bin, with an empty `name`/dist beside it for the test to fill. */
function installCopy(name: string): string {
  const copy = join(dir, name);
  mkdirSync(join(copy, "bin"), { recursive: true });
  mkdirSync(join(copy, "dist"), { recursive: true });
  copyFileSync(join(root, "bin/start.cjs"), join(copy, "bin/start.cjs"));
  return copy;
}

describe("bin/start.cjs (the code cache)", () => {
  // A copy of the launcher and the bundle, so that the test can write, spoil and refresh the cache.
  const copy = installCopy("install");
  copyFileSync(join(root, "dist/portwatch.cjs"), join(copy, "dist/portwatch.cjs"));
  const start = join(copy, "bin/start.cjs");
  const cacheFile = join(copy, "dist/portwatch.cjs.cache");
  const version = (extra: Record<string, string> = {}) => {
    const r = run([process.execPath, start, "--version"], { PORTWATCH_TIMINGS: "1", ...extra });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "0.1.0\n");
    return /code cache: (.*)/.exec(r.stderr)?.[1];
  };

  it("the bundle loads node:child_process and node:crypto only when used: not for --version or an audit of a captured tree, yes to hash programs", () => {
    const probe = join(dir, "loaded.cjs");
    writeFileSync(probe, 'process.on("exit", () => process.stderr.write("\\nloaded: " + process.moduleLoadList.filter((m) => /^NativeModule (child_process|crypto)$/.test(m)).join(",") + "\\n"));\n');
    const loaded = (r: ReturnType<typeof run>) => /loaded: (.*)/.exec(r.stderr)?.[1];
    const start = join(root, "bin/start.cjs");
    const version = run([process.execPath, "--require", probe, start, "--version"]);
    assert.equal(version.status, 0, version.stderr);
    assert.equal(loaded(version), "");
    const audit = run([process.execPath, "--require", probe, start, "audit", "--json", "--proc-root", tree]);
    assert.equal(audit.status, 0, audit.stderr);
    assert.equal(loaded(audit), "");
    assert.ok(JSON.parse(audit.stdout).sockets.length > 0);
    // an audit of this host with no provenance cache yet hashes the holders' programs: crypto comes when asked for
    const state = mkdtempSync(join(dir, "state-"));
    const live = run([process.execPath, "--require", probe, start, "audit", "--json"], { PORTWATCH_STATE_DIR: state });
    assert.ok(live.status === 0 || live.status === 1, live.stderr);
    assert.match(loaded(live) ?? "", /crypto/);
    assert.ok(Array.isArray(JSON.parse(live.stdout).sockets));
  });

  it("start.cjs writes the cache on the first run and uses it on the next", () => {
    assert.equal(version(), "none");
    assert.ok(existsSync(cacheFile));
    assert.equal(version(), "used");
  });

  it("start.cjs rewrites a cache that V8 refuses, or that another build of the bundle left", () => {
    const good = readFileSync(cacheFile);
    const head = good.indexOf(10) + 1;
    writeFileSync(cacheFile, Buffer.concat([good.subarray(0, head), Buffer.alloc(good.length - head, 7)]));
    assert.equal(version(), "refused by V8");
    assert.equal(version(), "used");
    const later = new Date(Date.now() + 5000);
    utimesSync(join(copy, "dist/portwatch.cjs"), later, later); // a rebuilt bundle
    assert.equal(version(), "none");
    assert.equal(version(), "used");
  });

  it("start.cjs with PORTWATCH_CODE_CACHE=off neither reads nor writes the cache", () => {
    rmSync(cacheFile);
    assert.equal(version({ PORTWATCH_CODE_CACHE: "off" }), "none");
    assert.equal(existsSync(cacheFile), false);
  });

  it("start.cjs without the bundle runs the ES modules in dist/", () => {
    const bare = installCopy("bare");
    symlinkSync(join(root, "dist/cli"), join(bare, "dist/cli"));
    const r = run([process.execPath, join(bare, "bin/start.cjs"), "--version"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "0.1.0\n");
  });
});
