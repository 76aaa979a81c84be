import type { Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";

/**
 * What one dashboard server lets its clients hold. A client that stops reading, or never finishes its
 * request, must cost a bounded amount of memory and must not lock the token holder out.
 */
export interface ServeLimits {
  /** Open connections at most; when full, the oldest connection that never showed the token is closed. */
  maxConnections: number;
  /** Event-stream (/api/events) clients at most; one more gets 503. */
  maxEventClients: number;
  /** Bytes waiting to be sent to one event-stream client at most; a client over it is dropped (it reconnects). */
  clientBufferBytes: number;
  /** Bytes waiting to be sent to all event-stream clients together at most. */
  totalBufferBytes: number;
  /** A request's headers must arrive within this time (slowloris). */
  headersTimeoutMs: number;
  /** A whole request must arrive within this time. */
  requestTimeoutMs: number;
  /** A connection with nothing sent or received for this long is closed. */
  idleTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  keepAliveTimeoutMs: number;
  /** A comment line is sent to event-stream clients this often, so the idle timeout spares them. */
  heartbeatMs: number;
}

/**
 * The defaults: 512 connections stay well under the 1,024 descriptors a service gets by default
 * (systemd's soft LimitNOFILE), with room for the history database and the token holder.
 */
export const DEFAULT_LIMITS: ServeLimits = {
  maxConnections: 512,
  maxEventClients: 64,
  clientBufferBytes: 1024 * 1024,
  totalBufferBytes: 32 * 1024 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 120_000,
  keepAliveTimeoutMs: 5_000,
  heartbeatMs: 15_000,
};

/** The connection guard of one server. */
export interface ConnectionGuard {
  /** Marks a connection that showed the token: it is never closed to make room. */
  trust(socket: Socket): void;
  /** Open connections now. */
  size(): number;
}

/**
 * Caps the open connections of `server`. When the cap is reached, a new connection closes the oldest one
 * that has not shown the token (a slow or idle stranger), so 1,000 half-sent requests cannot keep the
 * token holder out; when every open connection has shown the token, the new one is closed instead.
 */
export function guardConnections(server: Server, maxConnections: number): ConnectionGuard {
  // In arrival order (a Map keeps insertion order; trusting one later does not move it).
  const open = new Map<Socket, boolean>();
  server.on("connection", (socket: Socket) => {
    if (open.size >= maxConnections) {
      let stranger: Socket | null = null;
      for (const [s, trusted] of open) if (!trusted) { stranger = s; break; }
      if (stranger === null) { socket.destroy(); return; }
      open.delete(stranger);
      stranger.destroy();
    }
    open.set(socket, false);
    socket.once("close", () => open.delete(socket));
  });
  return {
    trust: (socket) => { if (open.has(socket)) open.set(socket, true); },
    size: () => open.size,
  };
}

/** The event-stream clients of one server. */
export interface EventHub {
  /** Adds a client whose headers were sent; false when there are too many (answer 503). */
  add(res: ServerResponse): boolean;
  /** Sends one piece of the stream to every client; a client that would hold too much is dropped. */
  send(text: string): void;
  size(): number;
  /** Ends every stream. */
  close(): void;
}

/**
 * Event-stream clients with bounded buffers. Before each write the bytes still waiting for the client
 * (`writableLength`) are checked: a client that stopped reading is disconnected, not buffered for, and
 * its browser reconnects and reads the identities again (the page does that on every `open`).
 */
export function createEventHub(limits: Pick<ServeLimits, "maxEventClients" | "clientBufferBytes" | "totalBufferBytes">): EventHub {
  const clients = new Set<ServerResponse>();
  return {
    add(res) {
      if (clients.size >= limits.maxEventClients) return false;
      clients.add(res);
      res.once("close", () => clients.delete(res));
      return true;
    },
    send(text) {
      let total = 0;
      for (const res of clients) total += res.writableLength;
      for (const res of clients) {
        const waiting = res.writableLength;
        if (waiting + text.length > limits.clientBufferBytes || total + text.length > limits.totalBufferBytes) {
          clients.delete(res);
          total -= waiting;
          res.destroy();
          continue;
        }
        res.write(text);
        total += text.length;
      }
    },
    size: () => clients.size,
    close() {
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}

/** Writes `chunks` to `res` as fast as the client reads them (never more than one chunk ahead), then ends it. */
export async function pour(res: ServerResponse, chunks: Iterable<string>): Promise<void> {
  for (const chunk of chunks) {
    if (res.destroyed) return;
    if (!res.write(chunk)) {
      await new Promise<void>((ok) => {
        const done = () => { res.off("drain", done); res.off("close", done); ok(); };
        res.once("drain", done);
        res.once("close", done);
      });
    }
  }
  if (!res.destroyed) res.end();
}
