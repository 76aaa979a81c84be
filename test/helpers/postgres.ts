// A throwaway PostgreSQL for the fleet store's tests: Debian's postgresql-15 binaries (scripts/test-deps.sh
// installs the package), a cluster made with initdb in a temporary folder owned by the postgres user
// (PostgreSQL refuses to run as root; setpriv drops to it and execs, so the pid we hold is the server's),
// listening on 127.0.0.1 only, on a port that was free a moment before. The superuser's password is in a
// file; TCP connections need a password (scram-sha-256), so the tests use the store's password options.
// Every wait is bounded; stop() ends only the server this helper started, by its pid.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

const BIN = ["/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"].find((d) => existsSync(join(d, "initdb")))
  ?? (existsSync("/usr/lib/postgresql") ? readdirSync("/usr/lib/postgresql").map((v) => `/usr/lib/postgresql/${v}/bin`).find((d) => existsSync(join(d, "initdb"))) : undefined);

/** Whether the tests can make a cluster here (the postgresql package is installed); the reason when not. */
export const postgresMissing: string | false = BIN === undefined ? "PostgreSQL is not installed (apt-get install postgresql; scripts/test-deps.sh does it as root)" : false;

export interface TestPostgres {
  port: number;
  /** The superuser's password file (mode 600, owned by root: the tests run as root). */
  passwordFile: string;
  password: string;
  /** postgres://USER@127.0.0.1:PORT/DB (no password in it). */
  url(user?: string, db?: string): string;
  /** A client as the superuser (or `user` with `password`). */
  client(user?: string, password?: string): Promise<pg.Client>;
  /** Stops the server (fast shutdown), bounded; starts it again on the same port with `start`. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** With `tls`: the self-signed certificate the server presents (for 127.0.0.1), to give as sslrootcert. */
  certificate?: string;
  /** Stops and deletes the cluster. */
  destroy(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => { const a = s.address(); s.close(() => ok(typeof a === "object" && a ? a.port : 0)); });
  });
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/**
 * Makes and starts a cluster (bounded: 60 s for initdb, 20 s for the start). `tls`: with a self-signed
 * certificate for 127.0.0.1 (openssl), so clients can connect with sslmode=verify-full&sslrootcert=it.
 */
export async function startPostgres(options: { tls?: boolean } = {}): Promise<TestPostgres> {
  if (BIN === undefined) throw new Error(postgresMissing as string);
  const uid = Number(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout.trim());
  const gid = Number(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout.trim());
  const dir = mkdtempSync(join(tmpdir(), "pw-pg-"));
  chownSync(dir, uid, gid);
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const pwfile = join(dir, "initdb-password");
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  chownSync(pwfile, uid, gid);
  const passwordFile = join(mkdtempSync(join(tmpdir(), "pw-pgpass-")), "password");
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  // --pdeathsig: should this test process die without its after() (killed), the server is asked to stop too.
  const asPostgres = ["--reuid", String(uid), "--regid", String(gid), "--clear-groups", "--pdeathsig", "SIGINT", "--"];
  const data = join(dir, "data");
  const init = spawnSync("setpriv", [...asPostgres, join(BIN, "initdb"), "-D", data, "-U", "postgres", "--pwfile", pwfile, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync"],
    { encoding: "utf8", timeout: 60_000, cwd: dir, env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin" } });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}${init.error ?? ""}`);
  const tls: string[] = [];
  let certificate: string | undefined;
  if (options.tls) {
    certificate = join(dir, "server.crt");
    const key = join(dir, "server.key");
    const made = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=portwatch-test", "-addext", "subjectAltName=IP:127.0.0.1",
      "-days", "2", "-keyout", key, "-out", certificate], { encoding: "utf8", timeout: 30_000 });
    if (made.status !== 0) throw new Error(`openssl could not make a certificate: ${made.stderr}`);
    chownSync(key, uid, gid);
    chownSync(certificate, uid, gid);
    tls.push("-c", "ssl=on", "-c", `ssl_cert_file=${certificate}`, "-c", `ssl_key_file=${key}`);
  }
  const port = await freePort();
  let server: ChildProcess | null = null;
  let log = "";
  const url = (user = "postgres", db = "postgres") => `postgres://${user}@127.0.0.1:${port}/${db}`;
  const client = async (user = "postgres", pass = password) => {
    const c = new pg.Client({ host: "127.0.0.1", port, user, database: "postgres", password: pass, connectionTimeoutMillis: 3000 });
    c.on("error", () => undefined);
    try { await c.connect(); } catch (e) { await c.end().catch(() => undefined); throw e; }
    return c;
  };
  const start = async () => {
    log = "";
    server = spawn("setpriv", [...asPostgres, join(BIN, "postgres"), "-D", data, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1",
      "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=50", ...tls], { cwd: dir, stdio: ["ignore", "ignore", "pipe"], env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin" } });
    server.stderr?.on("data", (d: Buffer) => { log += d.toString(); });
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (server.exitCode !== null) throw new Error(`postgres exited with ${server.exitCode}: ${log}`);
      try { const c = await client(); await c.end(); return; } catch (e) {
        if (Date.now() > deadline) throw new Error(`postgres did not answer in 20 s: ${(e as Error).message}\n${log}`);
      }
      await sleep(100);
    }
  };
  const stop = async () => {
    const s = server;
    if (s === null || s.exitCode !== null || s.pid === undefined) return;
    const exited = new Promise<void>((ok) => s.once("exit", () => ok()));
    process.kill(s.pid, "SIGINT"); // fast shutdown: sessions are ended
    if (await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)])) return;
    process.kill(s.pid, "SIGKILL");
    await Promise.race([exited, sleep(5000)]);
  };
  await start();
  return {
    port, passwordFile, password, url, client, stop, start, ...(certificate !== undefined ? { certificate } : {}),
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
      rmSync(join(passwordFile, ".."), { recursive: true, force: true });
    },
  };
}
