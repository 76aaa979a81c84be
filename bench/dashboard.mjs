// Opens portwatch serve in headless Debian chromium on whatever load the host has (start bench/sockets.mjs N
// first) and prints how long the first rows take, how scrolling and search feel, and how many rows are in
// the page (only the visible ones should be). Needs /usr/bin/chromium. Usage: node bench/dashboard.mjs
import { chromium } from "playwright-core";
import { spawn } from "node:child_process";
const serve = spawn(process.execPath, [new URL("../dist/cli/main.js", import.meta.url).pathname, "serve", "--interval", "3s", "--for", "90s"], { stdio: ["ignore", "pipe", "inherit"] });
const url = await new Promise((ok) => serve.stdout.on("data", (d) => { const m = /(http:\S+token=\w+)/.exec(String(d)); if (m) ok(m[1]); }));
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"] });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  let t = Date.now();
  await page.goto(url);
  await page.waitForSelector("#rows .row");
  console.log("first rows after", Date.now() - t, "ms;", await page.textContent("#shown"), "; sockets", await page.textContent("#n-sockets"));
  t = Date.now();
  for (let i = 0; i < 20; i++) await page.evaluate(() => { document.getElementById("list").scrollTop += 2000; });
  console.log("20 scrolls", Date.now() - t, "ms; rows in DOM", await page.$$eval("#rows .row", (e) => e.length));
  t = Date.now();
  await page.fill("#f-search", "node");
  console.log("search", Date.now() - t, "ms;", await page.textContent("#shown"));
  await page.screenshot({ path: "/tmp/portwatch-dashboard-bench.png" });
} finally { await browser.close(); serve.kill("SIGTERM"); }
