import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

/**
 * A local HTTPS server for download tests: a self-signed certificate for localhost and 127.0.0.1 made with
 * openssl in `dir`, the server on a free loopback port. `cert` is the file to trust (NODE_EXTRA_CA_CERTS).
 */
export async function startHttpsServer(dir: string, serve: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; base: string; cert: string }> {
  const key = join(dir, "key.pem"), cert = join(dir, "cert.pem");
  const r = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], { encoding: "utf8", timeout: 30_000 });
  if (r.status !== 0) throw new Error(`openssl could not make a certificate: ${r.stderr}`);
  const server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, serve);
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return { server, base: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, cert };
}
