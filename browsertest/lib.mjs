// The shared part of every browser path: Debian's Chromium driven by
// playwright-core, an axe-core accessibility check and a screenshot of
// every page visited, and a failure for every Content-Security-Policy
// violation or script error the page reports.
//
// A path script calls start(), visits pages with visit() or after a click,
// calls check(label) on each, and ends with finish(), which prints what
// failed and sets the exit code. browser_test.go runs the scripts.
import { chromium } from 'playwright-core';
import { createHmac } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const base = process.env.DERBES_URL;
if (!base) throw new Error('DERBES_URL is not set: run through go test ./browsertest');
const shotDir = process.env.DERBES_SCREENSHOTS || 'screenshots';
export const fixture = process.env.DERBES_FIXTURE ? JSON.parse(readFileSync(process.env.DERBES_FIXTURE, 'utf8')) : {};

// Flags from the machine notes: without the background-networking ones
// Chromium keeps dialing Google on a closed network.
const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function start(name, { width = 1280, height = 900 } = {}) {
  mkdirSync(shotDir, { recursive: true });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: flags });
  const context = await browser.newContext({ viewport: { width, height }, locale: 'kk-KZ', timezoneId: 'Asia/Almaty' });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  const failures = [];
  let n = 0;
  // A failed load is reported by its address (the console message for it
  // names none); other console errors, CSP violations among them, by text.
  page.on('response', (r) => {
    if (r.status() >= 400 && r.request().resourceType() !== 'document') failures.push(`${page.url()}: ${r.url()} answered ${r.status()}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) failures.push(`${page.url()}: console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => failures.push(`${page.url()}: script error: ${e.message}`));

  const run = {
    page,
    failures,
    // visit opens path (relative to the server) and checks the page.
    async visit(path, label) {
      const res = await page.goto(new URL(path, base).href);
      if (!res || res.status() >= 400) failures.push(`${path}: HTTP ${res && res.status()}`);
      await run.check(label);
      return res;
    },
    // check runs axe-core on the current page (serious and critical
    // violations fail), looks for untranslated messages and keeps a
    // screenshot. page.evaluate goes through the DevTools protocol, so the
    // page's CSP (no inline script) needs no loosening for axe.
    async check(label) {
      n++;
      const file = join(shotDir, `${name}-${String(n).padStart(2, '0')}-${label}.png`);
      await page.screenshot({ path: file, fullPage: true });
      await page.evaluate(axeSource + '\n;0');
      const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
      for (const v of result.violations) {
        if (v.impact === 'serious' || v.impact === 'critical') {
          const where = v.nodes.slice(0, 3).map((x) => x.target.join(' ')).join('; ');
          failures.push(`${label} (${page.url()}): axe ${v.impact} ${v.id}: ${v.help} at ${where}`);
        }
      }
      const text = await page.evaluate(() => document.documentElement.outerHTML);
      const missing = text.match(/⟦missing:[^⟧]*⟧/g);
      if (missing) failures.push(`${label} (${page.url()}): untranslated ${[...new Set(missing)].join(', ')}`);
      console.log(`ok   ${label}  ${page.url()}  (${result.violations.length} axe findings below serious)`.replace(/\(0 axe.*\)/, ''));
    },
    // expect fails the path with message unless cond holds.
    expect(cond, message) {
      if (!cond) failures.push(message);
    },
    async finish() {
      await browser.close();
      if (failures.length) {
        console.error(`${name}: ${failures.length} failure(s):\n  ` + failures.join('\n  '));
        process.exit(1);
      }
      console.log(`${name}: passed, screenshots in ${shotDir}`);
    },
  };
  return run;
}

// totp is the current RFC 6238 code (SHA-1, 30 s, 6 digits) for a secret
// given in hex: what the responsible person's authenticator app shows.
export function totp(hexSecret, at = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac('sha1', Buffer.from(hexSecret, 'hex')).update(counter).digest();
  const off = mac[mac.length - 1] & 15;
  const n = (mac.readUInt32BE(off) & 0x7fffffff) % 1000000;
  return String(n).padStart(6, '0');
}

// lastMessage is the newest message derbes sent to an address (a phone
// number or an e-mail), from the test's outbox.
export async function lastMessage(to) {
  const res = await fetch(`${fixture.outbox}/?to=${encodeURIComponent(to)}`);
  if (!res.ok) throw new Error(`no message was sent to the resident (outbox answered ${res.status})`);
  return res.json();
}
