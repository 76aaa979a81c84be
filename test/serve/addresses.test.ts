import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { NetworkInterfaceInfo } from "node:os";
import { checkAllowedHost, checkBind, servedHosts } from "../../src/serve/addresses.js";

// os.networkInterfaces() of a Debian 12 VM (test/fixtures/network-interfaces/README.md).
const interfaces = JSON.parse(readFileSync(new URL("../fixtures/network-interfaces/debian12-sandbox.json", import.meta.url), "utf8")) as NodeJS.Dict<NetworkInterfaceInfo[]>;

describe("checkBind", () => {
  const cases: [string, boolean, RegExp | null][] = [
    ["127.0.0.1", false, null],
    ["127.1.2.3", false, null],
    ["::1", false, null],
    ["localhost", false, null],
    ["0.0.0.0", true, null],
    ["192.0.2.2", true, null],
    ["0.0.0.0", false, /^Refusing to serve on "0\.0\.0\.0": .*add --expose/],
    ["::", false, /^Refusing to serve on "::": .*add --expose/],
    ["192.0.2.2", false, /add --expose/],
    ["127.foo", false, /^Cannot serve on "127\.foo": --host takes an IP address/],
    ["127.foo", true, /^Cannot serve on "127\.foo": --host takes an IP address/],
    ["127.1", false, /--host takes an IP address/],
    ["dash.example.org", true, /--host takes an IP address/],
  ];
  for (const [host, exposed, error] of cases) {
    it(`checkBind ${error ? "refuses" : "accepts"} "${host}"${exposed ? " with --expose" : ""}`, () => {
      if (error) assert.throws(() => checkBind(host, exposed), (e: Error) => e.name === "InputError" && error.test(e.message));
      else assert.doesNotThrow(() => checkBind(host, exposed));
    });
  }
});

describe("checkAllowedHost", () => {
  it("checkAllowedHost takes host names and addresses, in lower case, and refuses a scheme, a port or a path", () => {
    assert.equal(checkAllowedHost("Dash.Example.org"), "dash.example.org");
    assert.equal(checkAllowedHost("aspire"), "aspire");
    assert.equal(checkAllowedHost("[fd00::2]"), "fd00::2");
    assert.equal(checkAllowedHost("192.0.2.2"), "192.0.2.2");
    for (const bad of ["http://dash", "dash:8080", "dash/x", "", "-dash", "dash..org", "a b"]) {
      assert.throws(() => checkAllowedHost(bad), /^InputError: Cannot use --allow-host .*without scheme or port/, bad);
    }
  });
});

describe("servedHosts", () => {
  it("servedHosts on 0.0.0.0 accepts the host's IPv4 addresses in Host and prints one URL per non-loopback address", () => {
    const { allowed, urls } = servedHosts("0.0.0.0", 8080, [], interfaces);
    assert.deepEqual(urls, ["http://192.0.2.2:8080/"]);
    assert.ok(allowed.has("192.0.2.2:8080"));
    assert.ok(allowed.has("127.0.0.1:8080") && allowed.has("localhost:8080"));
    assert.ok(!allowed.has("[fd00::2]:8080"), "an IPv4 bind does not answer IPv6 names");
    assert.ok(!allowed.has("evil.example:8080"));
  });

  it("servedHosts on :: accepts both families' addresses, but no link-local one (it needs a zone)", () => {
    const { allowed, urls } = servedHosts("::", 8080, [], interfaces);
    assert.deepEqual(urls, ["http://192.0.2.2:8080/", "http://[fd00::2]:8080/"]);
    assert.ok(allowed.has("[fd00::2]:8080") && allowed.has("192.0.2.2:8080"));
    assert.ok(![...allowed].some((h) => h.startsWith("[fe80")));
  });

  it("servedHosts with --allow-host names accepts them and prints them instead of addresses", () => {
    const { allowed, urls } = servedHosts("0.0.0.0", 9469, ["dash.example.org", "fd00::2"], interfaces);
    assert.deepEqual(urls, ["http://dash.example.org:9469/", "http://[fd00::2]:9469/"]);
    assert.ok(allowed.has("dash.example.org:9469") && allowed.has("[fd00::2]:9469") && allowed.has("192.0.2.2:9469"));
    assert.ok(!allowed.has("dash.example.org"), "without the port only on port 80");
    assert.ok(servedHosts("0.0.0.0", 80, ["dash.example.org"], interfaces).allowed.has("dash.example.org"));
  });

  it("servedHosts on a loopback or one address prints that address, never 0.0.0.0", () => {
    assert.deepEqual(servedHosts("127.0.0.1", 1234, [], interfaces).urls, ["http://127.0.0.1:1234/"]);
    assert.deepEqual(servedHosts("::1", 1234, [], interfaces).urls, ["http://[::1]:1234/"]);
    assert.deepEqual(servedHosts("0.0.0.0", 1234, [], { lo: interfaces["lo"] }).urls, ["http://127.0.0.1:1234/"]);
  });
});
