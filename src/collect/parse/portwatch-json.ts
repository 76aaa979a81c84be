import type { Problem } from "../../model/problem.js";
import { NONE, type Socket } from "../../model/socket.js";
import type { CaptureOptions, LineReader } from "./capture-common.js";
import { lineProblem } from "./capture-common.js";

/*
 * portwatch's own output, read back: `portwatch audit --json` writes one socket per line between a
 * header and a footer, and --ndjson one socket per line, so both stream line by line:
 *
 *   {"schema":1,"host":{"hostname":"aspire","source":"live","collectedAt":"..."},"sockets":[
 *   {"proto":"tcp","family":4,"local":{"address":"127.0.0.1","port":631},...}
 *   ,{"proto":"udp",...}
 *   ],"warnings":[...],"summary":{...}}
 *
 * A JSON object on one line is also accepted whole (pretty-printed JSON is not: re-run with --json).
 */

function isSocket(v: unknown): v is Socket {
  if (typeof v !== "object" || v === null) return false;
  const s = v as Record<string, unknown>;
  const local = s["local"] as Record<string, unknown> | undefined;
  return (s["proto"] === "tcp" || s["proto"] === "udp" || s["proto"] === "raw") && (s["family"] === 4 || s["family"] === 6) &&
    typeof local === "object" && local !== null && typeof local["address"] === "string" && typeof local["port"] === "number" && typeof s["state"] === "string";
}

/** A line reader for portwatch's --json and --ndjson output. */
export function portwatchJsonReader(options: CaptureOptions): LineReader & { hostname(): string | null } {
  const records: Socket[] = [];
  const problems: Problem[] = [];
  let hostname: string | null = null;
  const take = (v: unknown, n: number, text: string) => {
    if (!isSocket(v)) { problems.push(lineProblem(options.source, n, text, "a JSON object that is not a portwatch socket")); return; }
    const { hiddenFrom, ...rest } = v;
    records.push({
      ...rest, remote: v.remote ?? null, process: v.process ?? null, netns: v.netns ?? null, inode: v.inode ?? null, uid: v.uid ?? null,
      service: null, sharedWith: Array.isArray(v.sharedWith) && v.sharedWith.length ? v.sharedWith : NONE,
      direction: "unknown", exposure: null, verdict: "unknown", reasons: NONE, explanation: null,
      // What the capturing host's cross-view check found stays evidence; any other value is dropped.
      ...(hiddenFrom === "proc" || hiddenFrom === "netlink" ? { hiddenFrom } : {}),
    });
  };
  return {
    line(raw, n) {
      let t = raw.trim();
      if (t === "" || t === "]," || t.startsWith("],\"warnings\"") || t === "]" || t === "}") return;
      if (t.startsWith("{\"schema\"")) {
        const m = /"hostname":("(?:[^"\\]|\\.)*"|null)/.exec(t);
        if (m) hostname = JSON.parse(m[1] as string) as string | null;
        if (t.endsWith("}")) {
          try { for (const s of (JSON.parse(t) as { sockets?: unknown[] }).sockets ?? []) take(s, n, t); } catch (e) { problems.push(lineProblem(options.source, n, raw, `not valid JSON: ${(e as Error).message}`)); }
        }
        return;
      }
      if (t.startsWith(",")) t = t.slice(1);
      if (t.endsWith(",")) t = t.slice(0, -1);
      try { take(JSON.parse(t), n, raw); } catch (e) {
        problems.push(lineProblem(options.source, n, raw, `not valid JSON: ${(e as Error).message}`));
      }
    },
    finish: () => ({ records, problems, notes: [] }),
    hostname: () => hostname,
  };
}
