import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { quoteValue, readFields } from "../../src/model/read-fields.js";
import { ENDPOINT_FIELDS, PROCESS_FIELDS, type Field } from "../../src/model/socket-fields.js";

describe("readFields", () => {
  const read: [string, readonly Field[], unknown, unknown][] = [
    ["an endpoint, keys in the table's order", ENDPOINT_FIELDS, { port: 22, address: "::" }, { address: "::", port: 22 }],
    ["a when-set field when present", ENDPOINT_FIELDS, { address: "::1", port: 1, host: "h" }, { address: "::1", port: 1, host: "h" }],
    ["keys the table does not have are dropped", ENDPOINT_FIELDS, { address: "::1", port: 1, evil: "x", __proto__: { y: 1 } }, { address: "::1", port: 1 }],
    ["absent fields: null, false, or stays absent", PROCESS_FIELDS, { pid: 1 }, { pid: 1, name: null, exe: null, exeDeleted: false, cmdline: null, uid: null, user: null, containerId: null, netns: null }],
  ];
  for (const [what, fields, input, want] of read) it(`readFields reads ${what}`, () => assert.deepEqual(readFields(fields, input), { ok: true, value: want }));

  const refused: [string, readonly Field[], unknown, string, string][] = [
    ["not an object", ENDPOINT_FIELDS, "x", "", 'the value must be an object, not "x"'],
    ["not an object, with its place", ENDPOINT_FIELDS, [1], "local.", 'field "local" must be an object, not [1]'],
    ["a missing field that has no unknown value", ENDPOINT_FIELDS, { address: "::" }, "remote.", 'field "remote.port" is missing'],
    ["null where null is not allowed", ENDPOINT_FIELDS, { address: null, port: 1 }, "", 'field "address" must be an IPv4 or IPv6 address or a host name (no spaces, control or formatting characters), not null'],
    ["a number that is not whole", ENDPOINT_FIELDS, { address: "::", port: 1.5 }, "", 'field "port" must be a whole number from 0 to 65535, not 1.5'],
    ["a boolean given as text", PROCESS_FIELDS, { pid: 1, exeDeleted: "no" }, "process.", 'field "process.exeDeleted" must be true or false, not "no"'],
    ["a long value, cut", PROCESS_FIELDS, { pid: "x".repeat(100) }, "", `field "pid" must be a whole number from 0 to 4294967295, not "${"x".repeat(36)}...`],
  ];
  for (const [what, fields, input, prefix, reason] of refused) {
    it(`readFields refuses ${what}`, () => assert.deepEqual(readFields(fields, input, prefix), { ok: false, reason }));
  }
});

describe("quoteValue", () => {
  const cases: [unknown, string][] = [["a", '"a"'], [5, "5"], [null, "null"], [undefined, "undefined"], [{ a: 1 }, '{"a":1}'], ["y".repeat(50), `"${"y".repeat(36)}...`]];
  for (const [v, want] of cases) it(`quoteValue(${String(v).slice(0, 10)}) is ${want.slice(0, 12)}`, () => assert.equal(quoteValue(v), want));
});
