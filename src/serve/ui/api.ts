// What the dashboard reads from the server (src/serve/server.ts; one host of a fleet: src/serve/fleet-server.ts): the shapes of /api/* and of the
// server-sent events. Sockets are the JSON contract of docs/json.md, which is the Socket type.
import type { ChangeEvent, HistoryEntry } from "../../model/change.js";
import type { Socket } from "../../model/socket.js";
import type { Verdict } from "../../model/verdict.js";

/** Sockets per verdict at one look (the `summary` event, the points of the timeline). */
export interface Summary {
  expected: number;
  unknown: number;
  suspicious: number;
  sockets: number;
  at?: string;
}

/** One identity (sockets that are the same thing, see evaluate/identity.ts), with one of its sockets. */
export interface IdentityRow {
  identity: string;
  verdict: Verdict;
  /** How many sockets have this identity now. */
  count: number;
  socket: Socket;
}

/** GET /api/identities */
export interface IdentitiesResponse {
  hostname: string;
  at: string;
  /** The number of the look shown (change events carry theirs). */
  seq: number;
  summary: Summary;
  timeline: Summary[];
  identities: IdentityRow[];
  /** Set by the fleet view (serve --store): this host's last look in the store, shown as it was written. */
  fleet?: { hostId: string; lastLook: string; notReportingSince: string | null };
}

/** GET /api/identity?id=… */
export interface IdentityResponse {
  identity: string;
  count: number;
  history: HistoryEntry | null;
  /** The identities of the first socket's process. */
  process: { identity: string; direction: Socket["direction"]; verdict: Verdict; count: number }[];
  /** Up to 200 sockets with this identity; none when it is gone. */
  sockets: Socket[];
}

/** GET /api/baseline-diff */
export type BaselineDiffResponse = { available: false; note?: string } | { available: true; savedAt: string; events: ChangeEvent[] };

/** The `change` event: a change with the number of sockets its identity has now. */
export type LiveChange = ChangeEvent & { count?: number; seq: number };

/** GET a JSON document of this server (the token is in the session cookie). */
export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: "application/json" } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${res.statusText}`);
  return (await res.json()) as T;
}
