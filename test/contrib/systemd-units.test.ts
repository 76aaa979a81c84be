// The systemd units under contrib/systemd must let portwatch open every kind of socket its code opens:
// AF_NETLINK (sock_diag, native/portwatch.c: how the tables are read), AF_INET and AF_INET6 (the
// dashboard, the webhook, --host), AF_UNIX (--syslog, /dev/log). A unit that lacks one works in a test
// but fails, or silently falls back, under systemd (RestrictAddressFamilies).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";

const root = fileURLToPath(new URL("../../", import.meta.url));
const unitsDir = join(root, "contrib/systemd");
const USED = ["AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK"];

/**
 * Whether a unit's RestrictAddressFamilies settings allow `family` (systemd.exec(5)): allow lists add up,
 * a list starting with "~" denies, an empty assignment resets; no setting allows every family.
 */
function allowsFamily(unitText: string, family: string): boolean {
  let allow: Set<string> | null = null;
  let deny = new Set<string>();
  let section = "";
  for (const raw of unitText.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("[")) { section = line; continue; }
    if (section !== "[Service]" || line.startsWith("#")) continue;
    const m = /^RestrictAddressFamilies\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    const value = (m[1] ?? "").trim();
    if (value === "") { allow = null; deny = new Set(); continue; }
    if (value === "none") { allow = new Set(); continue; }
    if (value.startsWith("~")) for (const f of value.slice(1).trim().split(/\s+/)) deny.add(f);
    else { allow ??= new Set(); for (const f of value.split(/\s+/)) allow.add(f); }
  }
  return (allow === null || allow.has(family)) && !deny.has(family);
}

describe("systemd units", () => {
  it("allowsFamily reads allow lists, deny lists and resets as systemd does", () => {
    const unit = (lines: string) => `[Unit]\nRestrictAddressFamilies=AF_PACKET\n[Service]\n${lines}\n`;
    assert.equal(allowsFamily(unit(""), "AF_NETLINK"), true);
    assert.equal(allowsFamily(unit("RestrictAddressFamilies=AF_UNIX AF_INET"), "AF_NETLINK"), false);
    assert.equal(allowsFamily(unit("RestrictAddressFamilies=AF_UNIX\nRestrictAddressFamilies=AF_NETLINK"), "AF_NETLINK"), true);
    assert.equal(allowsFamily(unit("RestrictAddressFamilies=~AF_NETLINK"), "AF_NETLINK"), false);
    assert.equal(allowsFamily(unit("RestrictAddressFamilies=AF_UNIX\nRestrictAddressFamilies="), "AF_NETLINK"), true);
  });

  it("every unit under contrib/systemd allows every address family portwatch's code uses, the native addon's included", () => {
    const native = readFileSync(join(root, "native/portwatch.c"), "utf8");
    const used = new Set(USED);
    for (const m of native.matchAll(/socket\(\s*(AF_[A-Z0-9]+)/g)) used.add(m[1] as string);
    assert.ok(used.has("AF_NETLINK") && native.includes("AF_NETLINK"), "the addon reads the tables through netlink");
    const units = readdirSync(unitsDir).filter((f) => f.endsWith(".service"));
    assert.deepEqual(units.sort(), ["portwatch-agent.service", "portwatch-serve.service", "portwatch-watch.service"]);
    for (const unit of units) {
      const text = readFileSync(join(unitsDir, unit), "utf8");
      for (const family of used) assert.ok(allowsFamily(text, family), `${unit} does not allow ${family}`);
    }
  });

  it("every unit's ExecStart runs a portwatch command with options that command's --help lists", () => {
    for (const unit of readdirSync(unitsDir).filter((f) => f.endsWith(".service"))) {
      const exec = /^ExecStart=portwatch (\w+)(.*)$/m.exec(readFileSync(join(unitsDir, unit), "utf8"));
      assert.ok(exec, `${unit} starts portwatch`);
      const help = spawnSync(process.execPath, [join(root, "dist/cli/main.js"), exec[1] as string, "--help"], { encoding: "utf8", timeout: 30_000 });
      assert.equal(help.status, 0, `${unit}: portwatch ${exec[1]} --help: ${help.stderr}`);
      for (const option of (exec[2] ?? "").match(/--[a-z-]+/g) ?? []) assert.ok(help.stdout.includes(`${option} `) || help.stdout.includes(`${option}\n`), `${unit}: ${option} is not an option of portwatch ${exec[1]}`);
    }
  });

  it("the agent unit holds the agent's budget and takes the store and its password from files, not its command line", () => {
    const text = readFileSync(join(unitsDir, "portwatch-agent.service"), "utf8");
    const setting = (key: string) => [...text.matchAll(new RegExp(`^${key}=(.*)$`, "gm"))].map((m) => (m[1] ?? "").trim());
    // osquery's restrictive watchdog: 18% of one core sustained (bench/RESULTS-agent.md measures the agent against it).
    assert.deepEqual(setting("CPUQuota"), ["18%"]);
    assert.equal(setting("MemoryMax").length, 1);
    assert.ok(text.includes("bench/RESULTS-agent.md"), "the unit says where its figures come from");
    assert.match(setting("ExecStart")[0] ?? "", /^portwatch watch\b/);
    assert.doesNotMatch(setting("ExecStart")[0] ?? "", /postgres|password|--store/i, "the store's URL and password stay off the command line");
    const envFile = setting("EnvironmentFile")[0] ?? "";
    assert.match(envFile, /^\/etc\/portwatch\//);
    assert.ok(text.includes(`PORTWATCH_STORE=postgres://`), "the install notes say what the EnvironmentFile holds");
    const [credential] = setting("LoadCredential");
    assert.match(credential ?? "", /^pgpass:\/etc\/portwatch\/pgpass$/);
    assert.deepEqual(setting("Environment").filter((e) => e.startsWith("PGPASSFILE=")), ["PGPASSFILE=%d/pgpass"], "pg reads the password from the credential systemd hands over");
  });
});
