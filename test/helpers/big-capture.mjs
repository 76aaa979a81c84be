#!/usr/bin/env node
// Writes a netstat -tunap capture of N socket lines to stdout (default 1,000,000), made of real line shapes
// from test/fixtures/captures/published/03-netstat-aeep-centos.txt with the ports and pids varied, for
// the streaming test and for measuring memory. Respects back-pressure; ends by itself.
const n = Number(process.argv[2] ?? 1_000_000);
let i = 0;
process.stdout.write("Active Internet connections (servers and established)\nProto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name\n");
function more() {
  let chunk = "";
  while (i < n && chunk.length < 1 << 20) {
    const k = i++;
    const port = 1024 + (k % 60000);
    const peer = `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`;
    chunk += k % 10 === 0
      ? `udp        0      0 0.0.0.0:${port}            0.0.0.0:*                           ${100 + (k % 50)}/python3\n`
      : `tcp        0      0 192.168.1.5:${port}       ${peer}:443       ESTABLISHED ${200 + (k % 97)}/firefox\n`;
  }
  if (chunk === "") { process.stdout.end(); return; }
  if (process.stdout.write(chunk)) setImmediate(more); else process.stdout.once("drain", more);
}
process.stdout.on("error", () => process.exit(0));
more();
