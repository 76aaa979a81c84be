import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { audit } from "../../src/audit/library.js";
import { runAudit } from "../../src/cli/audit.js";
import type { Output } from "../../src/cli/output.js";
import { collectLinux, collectLinuxInParts } from "../../src/collect/linux.js";
import type { Socket } from "../../src/model/socket.js";
import { spawnHolder } from "../helpers/spawn-holder.js";

const tree = fileURLToPath(new URL("../fixtures/proc/debian12-holders/", import.meta.url)).replace(/\/$/, "");

function capture(): Output & { text: () => string; errors: () => string } {
  let out = "", err = "";
  return { out: (t) => { out += t; }, err: (t) => { err += t; }, width: undefined, color: false, text: () => out, errors: () => err };
}

const key = (s: Pick<Socket, "proto" | "local" | "remote" | "state" | "inode">) => `${s.proto} ${s.local.address}:${s.local.port} ${s.remote ? `${s.remote.address}:${s.remote.port}` : "-"} ${s.state} ${s.inode}`;

describe("runAudit --json, streamed", () => {
  it("runAudit --json streams the same sockets, verdicts, warnings and summary as the one-piece snapshot (captured /proc tree)", async () => {
    const io = capture();
    assert.equal(await runAudit({ json: true, procRoot: tree }, io), 0);
    const streamed = JSON.parse(io.text()) as { sockets: Socket[]; warnings: string[]; summary: Record<string, number> };
    const whole = await audit({ procRoot: tree });
    const pack = (list: Socket[]) => list.map((s) => `${key(s)} ${s.direction} ${s.process?.pid ?? "-"} ${s.verdict} ${s.reasons.map((r) => r.rule).join(",")} ${s.explanation}`).sort();
    assert.deepEqual(pack(streamed.sockets), pack(whole.sockets));
    assert.deepEqual(streamed.summary, whole.summary);
    assert.deepEqual(streamed.warnings, whole.warnings);
    assert.ok(streamed.sockets.length > 10);
  });

  it("runAudit --ndjson --only suspicious -t keeps what the flags ask for, and --fail-on counts only those", async () => {
    const io = capture();
    const code = await runAudit({ ndjson: true, procRoot: tree, tcp: true, only: ["suspicious"], failOn: "suspicious" }, io);
    const lines = io.text().trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Socket);
    assert.ok(lines.length > 0);
    assert.ok(lines.every((s) => s.proto === "tcp" && s.verdict === "suspicious"));
    assert.equal(code, 1);
  });

  it("collectLinuxInParts gives listeners first, then the other sockets in batches: together those of collectLinux (live, with a child's sockets)", async () => {
    const { ports, stop } = await spawnHolder();
    try {
      const parts = await collectLinuxInParts();
      assert.ok(parts.listeners.every((s) => s.direction === "listening"));
      const rest: Socket[] = [];
      for (const batch of parts.rest()) {
        assert.ok(batch.length > 0);
        assert.ok(batch.every((s) => s.direction !== "listening"));
        rest.push(...batch);
      }
      const whole = await collectLinux();
      const mine = (s: Socket) => s.process?.pid === ports.pid;
      const pack = (list: Socket[]) => list.filter(mine).map((s) => `${key(s)} ${s.direction} ${s.exposure}`).sort();
      assert.deepEqual(pack([...parts.listeners, ...rest]), pack(whole.sockets));
      assert.ok(pack(whole.sockets).length >= 7);
    } finally {
      stop();
    }
  });
});
