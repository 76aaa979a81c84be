import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { captureSocket } from "../../src/collect/parse/capture-common.js";
import { stateName } from "../../src/collect/parse/proc-net.js";
import { SOCKET_STATES } from "../../src/model/socket.js";
import { allFields, describeType, metricLabels, POLICY_OPERANDS, SOCKET_FIELDS, type FieldType } from "../../src/model/socket-fields.js";

describe("allFields", () => {
  it("allFields lists the socket's fields, then each object's and list item's, by dotted path", () => {
    const paths = allFields().map((f) => f.path);
    assert.deepEqual(paths.filter((p) => !p.includes(".")), SOCKET_FIELDS.map((f) => f.name));
    for (const p of ["local.port", "remote.host", "process.containerId", "sharedWith[].pid", "reasons[].message", "service.name"]) assert.ok(paths.includes(p), p);
    assert.equal(new Set(paths).size, paths.length, "no path twice");
  });
  it("allFields: every field has a one-line description", () => {
    for (const { path, field } of allFields()) assert.ok(field.description.length > 5 && !field.description.includes("\n"), path);
  });
});

describe("SOCKET_FIELDS", () => {
  it("SOCKET_FIELDS' initial values are what a freshly collected socket has", () => {
    const fresh = captureSocket("tcp", 4, { address: "127.0.0.1", port: 1 }, null, "LISTEN", null) as unknown as Record<string, unknown>;
    for (const f of SOCKET_FIELDS) if (f.setBy !== "collect") assert.deepEqual(fresh[f.name], f.initial, f.name);
  });
  it("SOCKET_STATES is in the kernel's order: TCP state code n is SOCKET_STATES[n - 1]", () => {
    for (let code = 1; code <= 12; code++) assert.equal(stateName("tcp", code), SOCKET_STATES[code - 1], String(code));
  });
});

describe("POLICY_OPERANDS", () => {
  it("POLICY_OPERANDS are the fields a policy has always matched, each with how", () => {
    assert.deepEqual(POLICY_OPERANDS.map((o) => `${o.path}:${o.match}`), [
      "proto:one-of", "local.address:address", "local.port:port", "remote.address:address", "remote.port:port", "remote.lists:glob",
      "remote.listCategory:glob", "remote.asn:asn", "remote.org:words", "state:one-of", "direction:one-of", "process.name:glob", "process.exe:glob", "process.user:glob", "reach.kind:one-of",
    ]);
    for (const o of POLICY_OPERANDS) assert.equal(o.values === null, o.match !== "one-of", o.path);
  });
});

describe("metricLabels", () => {
  const cases: [Parameters<typeof metricLabels>[0], string[]][] = [
    ["portwatch_sockets", ["proto:proto", "state:state", "direction:direction", "verdict:verdict"]],
    ["portwatch_listeners", ["proto:proto", "port:local.port", "program:process.name", "verdict:verdict"]],
    ["portwatch_suspicious_sockets", ["rule:reasons[].rule"]],
  ];
  for (const [metric, want] of cases) it(`metricLabels(${metric})`, () => assert.deepEqual(metricLabels(metric).map((l) => `${l.label}:${l.path}`), want));
  it("metricLabels of a metric no field labels is empty", () => assert.deepEqual(metricLabels("portwatch_nothing" as never), []));
});

describe("describeType", () => {
  const cases: [FieldType, string][] = [
    [{ kind: "enum", values: ["tcp", "udp"] }, '"tcp" | "udp"'],
    [{ kind: "enum", values: [4, 6] }, "4 | 6"],
    [{ kind: "int", min: 0, max: 65535 }, "a whole number from 0 to 65535"],
    [{ kind: "int", min: 0, max: Number.MAX_SAFE_INTEGER }, "a whole number (0 or more)"],
    [{ kind: "text" }, "text"],
    [{ kind: "text", pattern: /^x$/, what: "an x" }, "an x"],
    [{ kind: "bool" }, "true or false"],
    [{ kind: "list", of: { kind: "text" } }, "a list of text"],
    [{ kind: "object", fields: [] }, "an object {}"],
    [{ kind: "list", of: { kind: "object", fields: [] } }, "a list of objects"],
  ];
  for (const [t, want] of cases) it(`describeType(${JSON.stringify(t)}) is ${want}`, () => assert.equal(describeType(t), want));
});
