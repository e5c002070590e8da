'use strict';
// tests/data/record-hars.js - record the HAR files that tests/examples.bats
// feeds to examples/har.jq, from a real browser on loopback:
//
//   chromium.har         Chromium's DevTools front-end (the one bundled
//                        with the browser), through the Network panel's own
//                        "Export HAR (with sensitive data)" action; only the
//                        save-file stream is replaced by one that collects
//                        the text, as there is no file dialog when headless
//   playwright.har       Playwright's recordHar, content embedded (default)
//   playwright-omit.har  Playwright's recordHar with content: 'omit'
//
// A one-page site over HTTPS with HTTP/2 (self-signed, on 127.0.0.1) makes
// the requests: a urlencoded form, a multipart form with a file, one
// without, a JSON fetch (503), a PUT (429), a binary body (503), a fetch
// aborted with AbortController, a stream the server resets, a fetch to a
// port nothing listens on (with its CORS preflight), one to a name that
// does not resolve, and a PATCH answered 408.
//
// Needs chromium (/usr/bin/chromium), openssl and playwright-core:
//
//   mkdir /tmp/pw && cd /tmp/pw && npm install playwright-core
//   NODE_PATH=/tmp/pw/node_modules node tests/data/record-hars.js tests/data
const { chromium } = require('playwright-core');
const http2 = require('http2');
const net = require('net');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const CDP_PORT = 9333;

const PAGE = (refusedPort) => `<!doctype html>
<meta charset="utf-8">
<title>checkout</title>
<iframe name="sink" style="display:none"></iframe>
<form id="f1" method="post" action="/form" target="sink">
  <input name="name" value="Zoë &amp; Co">
  <input name="note" value="50% off; a+b=c ~*'()!">
  <textarea name="lines">line 1
line 2</textarea>
</form>
<form id="f2" method="post" action="/upload" enctype="multipart/form-data" target="sink">
  <input name="title" value="receipt">
  <input type="file" name="file">
</form>
<form id="f3" method="post" action="/profile" enctype="multipart/form-data" target="sink">
  <input name="display" value="Zoë">
  <textarea name="bio">likes "quotes"</textarea>
</form>
<script>
async function go() {
  const log = [];
  const note = (k, p) => p.then(r => log.push(k + ' ' + r.status), e => log.push(k + ' ' + e.name));
  await note('health', fetch('/api/health'));
  await note('orders', fetch('/api/orders', {method: 'POST',
    headers: {'Content-Type': 'application/json', 'Idempotency-Key': 'order-42'},
    body: JSON.stringify({sku: 'A-1', qty: 2, note: 'Zoë'})}));
  await note('limited', fetch('/api/limited', {method: 'PUT',
    headers: {'Content-Type': 'application/json'}, body: '{"n":1}'}));
  await note('blob', fetch('/api/blob', {method: 'POST',
    headers: {'Content-Type': 'application/octet-stream'},
    body: new Uint8Array([0, 1, 2, 0xfe, 0xff, 0x80, 10, 13])}));
  const ac = new AbortController();
  const slow = note('slow', fetch('/api/slow', {method: 'POST', signal: ac.signal,
    headers: {'Content-Type': 'application/json'}, body: '{"wait":true}'}));
  setTimeout(() => ac.abort(), 300);
  await slow;
  await note('reset', fetch('/api/reset', {method: 'POST',
    headers: {'Content-Type': 'text/plain;charset=UTF-8'}, body: 'ping'}));
  await note('refused', fetch('http://127.0.0.1:${refusedPort}/api/orders', {method: 'POST',
    headers: {'Content-Type': 'application/json'}, body: '{"sku":"B-2","qty":1}'}));
  await note('dns', fetch('https://redrive-test.invalid/api/orders', {method: 'POST',
    mode: 'no-cors', body: '{"sku":"C-3","qty":1}'}));
  await note('late', fetch('/api/late', {method: 'PATCH',
    headers: {'Content-Type': 'application/json'}, body: '{"late":true}'}));
  document.title = 'done: ' + log.join(', ');
}
</script>
`;

// A port that refuses connections: bound, then closed.
function closedPort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

async function startSite(dir) {
  const key = path.join(dir, 'key.pem');
  const crt = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes',
    '-keyout', key, '-out', crt, '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const refused = await closedPort();
  const server = http2.createSecureServer({
    key: fs.readFileSync(key), cert: fs.readFileSync(crt), allowHTTP1: true,
  }, (req, res) => {
    req.resume();
    req.on('end', () => {
      const json = (status, o, h = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...h });
        res.end(JSON.stringify(o));
      };
      switch (req.url) {
        case '/':
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
          res.end(PAGE(refused));
          break;
        case '/api/health': json(200, { status: 'UP' }); break;
        case '/form': case '/upload': case '/profile': case '/api/orders': case '/api/blob':
          json(503, { error: 'unavailable' });
          break;
        case '/api/limited': json(429, { error: 'slow down' }, { 'retry-after': '5' }); break;
        case '/api/late': json(408, { error: 'request timeout' }); break;
        case '/api/slow':
          setTimeout(() => { if (!res.destroyed) json(200, {}); }, 5000);
          break;
        case '/api/reset':
          if (req.stream) req.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
          else req.socket.destroy();
          break;
        default: json(404, {});
      }
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `https://127.0.0.1:${server.address().port}/` };
}

// Load the page, submit the three forms, run the fetches.
async function exercise(page, site, upload) {
  await page.goto(site.url);
  await page.setInputFiles('#f2 input[type=file]', upload);
  for (const f of ['f1', 'f2', 'f3']) {
    await page.evaluate((id) => document.getElementById(id).submit(), f);
    await page.waitForTimeout(500);
  }
  await page.evaluate(() => go());
  console.log(await page.title());
}

async function playwrightHar(site, upload, harPath, content) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    recordHar: { path: harPath, ...(content ? { content } : {}) },
  });
  await exercise(await context.newPage(), site, upload);
  await context.close();
  await browser.close();
}

async function devtoolsHar(site, upload, harPath) {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [...ARGS, `--remote-debugging-port=${CDP_PORT}`, '--remote-allow-origins=*'],
  });
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  await page.goto('about:blank');
  const target = (await (await fetch(`http://127.0.0.1:${CDP_PORT}/json/list`)).json())
    .find((t) => t.type === 'page' && t.url === 'about:blank');
  const dt = await context.newPage();
  await dt.goto('devtools://devtools/bundled/devtools_app.html'
    + `?ws=127.0.0.1:${CDP_PORT}/devtools/page/${target.id}&panel=network`);
  await dt.waitForFunction(async () => {
    const N = await import('devtools://devtools/bundled/panels/network/network.js');
    return !!N.NetworkPanel.NetworkPanel.instance().networkLogView;
  }, null, { timeout: 20000 });
  // "Preserve log", so that the page's first navigation keeps every entry.
  await dt.evaluate(async () => {
    const Common = await import('devtools://devtools/bundled/core/common/common.js');
    Common.Settings.Settings.instance().moduleSetting('network-log.preserve-log').set(true);
  });
  await exercise(page, site, upload);
  await dt.waitForTimeout(1000);
  const har = await dt.evaluate(async () => {
    const B = 'devtools://devtools/bundled/';
    const N = await import(B + 'panels/network/network.js');
    const Bindings = await import(B + 'models/bindings/bindings.js');
    const stream = Bindings.FileUtils.FileOutputStream.prototype;
    const chunks = [];
    stream.open = async () => true;
    stream.write = async (c) => { chunks.push(c); };
    stream.close = async () => {};
    await N.NetworkPanel.NetworkPanel.instance().networkLogView.exportAll({ sanitize: false });
    return chunks.join('');
  });
  fs.writeFileSync(harPath, har);
  await browser.close();
}

(async () => {
  const out = process.argv[2] || '.';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'record-hars-'));
  const upload = path.join(dir, 'receipt.txt');
  fs.writeFileSync(upload, 'total: 42.00 EUR\n');
  const site = await startSite(dir);
  await devtoolsHar(site, upload, path.join(out, 'chromium.har'));
  await playwrightHar(site, upload, path.join(out, 'playwright.har'));
  await playwrightHar(site, upload, path.join(out, 'playwright-omit.har'), 'omit');
  site.server.close();
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
