// End-to-end test of `portscope serve` in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core). The browser may load nothing but the server under test: every other request
// is aborted and counted as a failure. Screenshots are kept in tests/artifacts/.
//
// Environment: PORTSCOPE_URL (the server, e.g. http://127.0.0.1:41234), PORTSCOPE_ARTIFACTS (the
// directory for screenshots), CHROMIUM (default /usr/bin/chromium).
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const base = process.env.PORTSCOPE_URL.replace(/\/$/, '');
const artifacts = process.env.PORTSCOPE_ARTIFACTS;
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
fs.mkdirSync(artifacts, { recursive: true });

let passed = 0;
let failed = 0;
function check(cond, what) {
  if (cond) passed++;
  else {
    failed++;
    console.log(`FAIL: ${what}`);
  }
  return cond;
}

const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const profiles = [];
const foreign = [];
const problems = [];
let expect404 = false; // the 404 page is visited on purpose

async function open(opts = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portscope-e2e-profile-'));
  profiles.push(dir);
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath, args, headless: true, viewport: opts.viewport || { width: 1280, height: 900 },
    javaScriptEnabled: opts.javaScriptEnabled !== false, hasTouch: !!opts.hasTouch, timeout: 60000,
  });
  // Only the server under test: anything else is aborted and reported.
  await ctx.route('**/*', (route) => {
    const url = route.request().url();
    if (url === base || url.startsWith(base + '/')) return route.continue();
    if (url.startsWith('data:')) return route.continue();
    foreign.push(url);
    return route.abort();
  });
  const page = ctx.pages()[0] || await ctx.newPage();
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (expect404 && m.text().includes('status of 404')) return;
    problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return { ctx, page };
}

async function shot(page, name, fullPage = true) {
  const file = path.join(artifacts, name);
  await page.screenshot({ path: file, fullPage });
  check(fs.statSync(file).size > 1000, `screenshot ${name} written`);
}

// Landmarks, headings, labels, alternative text: the page is usable without sight.
async function a11y(page, what) {
  const r = await page.evaluate(() => {
    const labelled = (el) => (el.id && document.querySelector(`label[for="${el.id}"]`)) || el.getAttribute('aria-label')
      || el.closest('label') || el.type === 'hidden' || el.type === 'submit';
    return {
      lang: document.documentElement.lang,
      title: document.title,
      h1: document.querySelectorAll('h1').length,
      main: document.querySelectorAll('main').length,
      header: document.querySelectorAll('header').length,
      nav: document.querySelectorAll('nav').length,
      footer: document.querySelectorAll('footer').length,
      imgNoAlt: [...document.querySelectorAll('img')].filter((i) => !i.getAttribute('alt')).length,
      unlabelled: [...document.querySelectorAll('input')].filter((i) => !labelled(i)).length,
      skip: !!document.querySelector('a.skip[href="#main"]'),
      overflow: document.documentElement.scrollWidth - window.innerWidth,
    };
  });
  check(r.lang === 'en' && r.title.length > 0, `${what}: lang and title`);
  check(r.h1 === 1, `${what}: exactly one h1 (${r.h1})`);
  check(r.main === 1 && r.header === 1 && r.nav >= 1 && r.footer === 1, `${what}: landmarks`);
  check(r.imgNoAlt === 0, `${what}: every image has alternative text`);
  check(r.unlabelled === 0, `${what}: every input has a label (${r.unlabelled} without)`);
  check(r.skip, `${what}: skip link`);
  check(r.overflow <= 1, `${what}: no horizontal scrolling (${r.overflow}px too wide)`);
  return r;
}

// WCAG contrast of body text against the page.
async function contrast(page, what) {
  const ratio = await page.evaluate(() => {
    const lum = (c) => {
      const m = c.match(/\d+(\.\d+)?/g).map(Number);
      const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(m[0]) + 0.7152 * f(m[1]) + 0.0722 * f(m[2]);
    };
    const worst = [];
    for (const sel of ['main p', 'main td', 'main dd', 'main a', '.muted', 'footer p', 'header a']) {
      const el = document.querySelector(sel);
      if (!el) continue;
      let bg = null;
      for (let n = el; n && !bg; n = n.parentElement) {
        const b = getComputedStyle(n).backgroundColor;
        if (b && !b.startsWith('rgba(0, 0, 0, 0)') && b !== 'transparent') bg = b;
      }
      bg = bg || 'rgb(255, 255, 255)';
      const a = lum(getComputedStyle(el).color);
      const b = lum(bg);
      worst.push((Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05));
    }
    return Math.min(...worst);
  });
  check(ratio >= 4.5, `${what}: text contrast at least 4.5:1 (${ratio.toFixed(2)})`);
}

async function feedbackCount(page, pagePath) {
  await page.goto(`${base}/stats`);
  return page.evaluate((p) => {
    for (const tr of document.querySelectorAll('#feedback-table tbody tr')) {
      if (tr.querySelector('a')?.getAttribute('href') === p) return Number(tr.querySelector('td.yes').textContent);
    }
    return 0;
  }, pagePath);
}

async function main() {
  const { ctx, page } = await open();
  try {
    // Home
    let resp = await page.goto(`${base}/`);
    check(resp.status() === 200, 'home page 200');
    check((await page.textContent('h1')).includes('What runs on that port'), 'home page heading');
    await a11y(page, 'home');
    await contrast(page, 'home');
    await shot(page, 'home.png');

    // Search from the home page's form
    await page.fill('#q', 'ssh');
    await Promise.all([page.waitForURL(/\/search\?q=ssh/), page.press('#q', 'Enter')]);
    const results = await page.locator('ol.results li').count();
    check(results > 0, `search for ssh lists results (${results})`);
    check(await page.locator('ol.results a[href="/services/ssh"]').count() > 0, 'search links to /services/ssh');
    await a11y(page, 'search');
    await shot(page, 'search-ssh.png');
    await Promise.all([page.waitForURL(/\/services\/ssh$/), page.locator('ol.results a[href="/services/ssh"]').first().click()]);
    check((await page.textContent('h1')).includes('ssh'), 'the service page opens');
    check(await page.locator('a[href="/ports/22"]').count() > 0, 'the service page links port 22');
    await shot(page, 'service-ssh.png');

    // A port number typed into the search goes to its page
    await page.goto(`${base}/`);
    await page.fill('#q', '625');
    await Promise.all([page.waitForURL(/\/ports\/625$/), page.press('#q', 'Enter')]);
    check(true, 'searching 625 opens /ports/625');

    // Port pages
    for (const port of [625, 250]) {
      resp = await page.goto(`${base}/ports/${port}`);
      check(resp.status() === 200, `/ports/${port} 200`);
      check((await page.textContent('h1')).trim() === `Port ${port}`, `/ports/${port} heading`);
      const sections = await page.$$eval('h2', (hs) => hs.map((h) => h.textContent));
      for (const want of ['In short', 'In the registry', 'Unofficial uses', 'Observed on the Internet',
        'Nearby ports', 'How to check', 'If something is listening', 'Questions', 'References']) {
        check(sections.some((s) => s.includes(want)), `/ports/${port} has "${want}"`);
      }
      // The explanation comes first: it starts on the first screen, and says whether nmap scans it.
      const top = await page.locator('section.explain').boundingBox();
      check(top && top.y < 700, `/ports/${port}: the explanation starts on the first screen (y=${top && top.y})`);
      const explain = await page.textContent('section.explain');
      check(/default TCP scan \(top 1,000 TCP ports\): (yes, rank|no)/.test(explain), `/ports/${port}: nmap's default scan`);
      // All columns stay behind a toggle until asked for.
      const allcols = page.locator('details.allcols');
      check(!(await allcols.evaluate((d) => d.open)), `/ports/${port}: all columns closed at first`);
      await allcols.locator('summary').click();
      check(await allcols.evaluate((d) => d.open) && await allcols.locator('dl').first().isVisible(),
        `/ports/${port}: "Show all columns" opens the full rows`);
      await allcols.locator('summary').click();
      const checks = await page.$$eval('h3', (hs) => hs.map((h) => h.textContent));
      check(['Linux', 'macOS', 'Windows (PowerShell)'].every((w) => checks.includes(w)), `/ports/${port}: Linux, macOS, Windows`);
      await a11y(page, `/ports/${port}`);
      await contrast(page, `/ports/${port}`);
      await shot(page, `port-${port}.png`);
    }

    // The map: hovering names the port, clicking opens it.
    await page.goto(`${base}/map`);
    const img = page.locator('#portmap');
    await img.waitFor();
    await page.waitForFunction(() => { const i = document.getElementById('portmap'); return i.complete && i.naturalWidth === 512; });
    const box = await img.boundingBox();
    const at = (port) => ({ x: box.x + ((port % 256) + 0.5) * box.width / 256, y: box.y + (Math.floor(port / 256) + 0.5) * box.height / 256 });
    let p = at(625);
    await page.mouse.move(p.x, p.y);
    await page.waitForFunction(() => document.getElementById('map-info').textContent.replace(/[\u2066-\u2069]/g, '').startsWith('Port 625'), null, { timeout: 5000 })
      .catch(() => {});
    const info = (await page.textContent('#map-info')).replace(/[\u2066-\u2069]/g, ''); // isolates around 625/tcp
    check(info.startsWith('Port 625'), `hovering the map shows the port ("${info}")`);
    check(/assigned|reserved|unassigned|unofficial/.test(info), `and its status ("${info}")`);
    await shot(page, 'map-hover.png', false);
    p = at(443);
    await page.mouse.move(p.x, p.y);
    await Promise.all([page.waitForURL(/\/ports\/443$/), page.mouse.click(p.x, p.y)]);
    check(true, 'clicking the map opens /ports/443');
    check((await page.textContent('h1')).trim() === 'Port 443', 'port 443 page after the click');

    // The map by keyboard: Tab reaches it with a visible ring, arrows move a cursor, Enter opens the port.
    await page.goto(`${base}/map`);
    await page.waitForFunction(() => { const i = document.getElementById('portmap'); return i.complete && i.naturalWidth === 512; });
    await page.focus('#map-link');
    const ringStyle = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    check(ringStyle !== 'none', `the focused map has a visible ring (${ringStyle})`);
    for (const k of ['ArrowRight', 'ArrowRight', 'ArrowDown', 'ArrowDown', 'ArrowLeft']) await page.keyboard.press(k);
    await page.waitForFunction(() => document.getElementById('map-info').textContent.includes('\u2014 assigned \u2014'), null,
      { timeout: 5000 }).catch(() => {});
    const kinfo = (await page.textContent('#map-info')).replace(/[\u2066-\u2069]/g, '');
    check(kinfo.startsWith('Port 513/tcp'), `arrows move the cursor: right, right, down, down, left is port 513 ("${kinfo}")`);
    check(await page.locator('#map-cursor').isVisible(), 'the cursor is drawn on the map');
    await shot(page, 'map-keyboard.png', false);
    await Promise.all([page.waitForURL(/\/ports\/513$/), page.keyboard.press('Enter')]);
    check(true, 'Enter opens /ports/513');
    // Hover names the service; the udp map is one click away.
    await page.goto(`${base}/map`);
    await page.waitForFunction(() => { const i = document.getElementById('portmap'); return i.complete && i.naturalWidth === 512; });
    const mbox = await page.locator('#portmap').boundingBox();
    await page.mouse.move(mbox.x + (22 % 256 + 0.5) * mbox.width / 256, mbox.y + 0.5 * mbox.height / 256);
    await page.waitForFunction(() => document.getElementById('map-info').textContent.includes('ssh'), null, { timeout: 5000 })
      .catch(() => {});
    const sinfo = await page.textContent('#map-info');
    check(sinfo.includes('ssh'), `hovering names the service ("${sinfo}")`);
    await Promise.all([page.waitForURL(/\/map\?proto=udp$/), page.click('nav.toggle a[href="/map?proto=udp"]')]);
    check((await page.getAttribute('#portmap', 'src')) === '/map.png?proto=udp', 'the toggle shows the udp map');
    await shot(page, 'map-udp.png', false);

    // Feedback: click "Yes" and see the count change.
    const before = await feedbackCount(page, '/ports/250');
    await page.goto(`${base}/ports/250`);
    await Promise.all([page.waitForURL(/\/feedback\?page=/), page.click('aside.feedback button[value="yes"]')]);
    const thanks = await page.textContent('#feedback-counts');
    check(thanks.includes(`${before + 1}`), `the thank-you page shows ${before + 1} ("${thanks.trim()}")`);
    await shot(page, 'feedback-thanks.png');
    const after = await feedbackCount(page, '/ports/250');
    check(after === before + 1, `"helpful" count went from ${before} to ${after}`);
    await shot(page, 'stats.png');

    // Not found
    expect404 = true;
    resp = await page.goto(`${base}/ports/70000`);
    check(resp.status() === 404, '/ports/70000 is 404');
    await a11y(page, '404');
    expect404 = false;

    // Ranges
    resp = await page.goto(`${base}/ranges`);
    check(resp.status() === 200 && (await page.locator('section h2').count()) === 3, '/ranges has three ranges');
    await shot(page, 'ranges.png');
  } finally {
    await ctx.close();
  }

  // A phone: the port page still fits the screen.
  {
    const { ctx: phone, page: pp } = await open({ viewport: { width: 390, height: 844 }, hasTouch: true });
    try {
      await pp.goto(`${base}/ports/625`);
      await a11y(pp, 'phone /ports/625');
      await shot(pp, 'port-625-phone.png', false);
      // Tapping the map: the first tap shows the port, a second tap on it opens it.
      await pp.goto(`${base}/map`);
      await pp.waitForFunction(() => { const i = document.getElementById('portmap'); return i.complete && i.naturalWidth === 512; });
      const mb = await pp.locator('#portmap').boundingBox();
      const tx = mb.x + (22 % 256 + 0.5) * mb.width / 256;
      const ty = mb.y + (Math.floor(22 / 256) + 0.5) * mb.height / 256;
      await pp.touchscreen.tap(tx, ty);
      const shown = (await pp.textContent('#map-info')).replace(/[\u2066-\u2069]/g, '');
      check(shown.startsWith('Port 22') && pp.url().endsWith('/map'), `a tap shows the port ("${shown}")`);
      await shot(pp, 'map-phone.png', false);
      const fit = await pp.evaluate(() => ({ right: document.getElementById('portmap').getBoundingClientRect().right,
        width: window.innerWidth, over: document.documentElement.scrollWidth - window.innerWidth }));
      check(fit.right <= fit.width && fit.over <= 1, `the map fits a phone (right edge ${fit.right} of ${fit.width})`);
      await Promise.all([pp.waitForURL(/\/ports\/22$/), pp.touchscreen.tap(tx, ty)]);
      check(true, 'a second tap opens /ports/22');
    } finally {
      await phone.close();
    }
  }

  // Without JavaScript the map still works: a server-side image map.
  {
    const { ctx: nojs, page: np } = await open({ javaScriptEnabled: false });
    try {
      await np.goto(`${base}/map`);
      const b = await np.locator('#portmap').boundingBox();
      const port = 22;
      await Promise.all([np.waitForURL(/\/ports\/\d+$/),
        np.mouse.click(b.x + (port % 256) * 2 + 1, b.y + Math.floor(port / 256) * 2 + 1)]);
      check(np.url().endsWith(`/ports/${port}`), `without JavaScript a click on the map opens /ports/${port} (${np.url()})`);
      await np.goto(`${base}/ports/250`);
      check(await np.locator('aside.feedback button[name="vote"]').count() === 3, 'three faces without JavaScript (a plain form)');
      await np.fill('#fb-note', 'the <b>port</b> of my printer');
      await Promise.all([np.waitForURL(/\/feedback\?page=/), np.click('aside.feedback button[value="somewhat"]')]);
      check((await np.textContent('#feedback-counts')).includes('somewhat'), 'a vote with a note, without JavaScript');
      await np.goto(`${base}/stats`);
      check((await np.locator('#feedback-notes q').first().textContent()) === 'the <b>port</b> of my printer',
        'the note is shown as text on /stats');
    } finally {
      await nojs.close();
    }
  }

  // axe-core on every page family, at desktop and phone widths: no violations. The script is
  // evaluated through the debugging protocol, so the page's CSP stays as it is.
  for (const viewport of [{ width: 1280, height: 900 }, { width: 390, height: 844 }]) {
    const { ctx: ax, page: ap } = await open({ viewport });
    try {
      for (const pth of ['/', '/search?q=ssh', '/search', '/ports/625', '/ports/80', '/ports/250', '/services/ssh', '/ranges',
        '/map', '/stats', '/feedback?page=%2Fports%2F625', '/ports/70000']) {
        expect404 = pth === '/ports/70000';
        await ap.goto(`${base}${pth}`);
        await ap.evaluate(axeSource);
        const v = await ap.evaluate(async () => {
          const r = await window.axe.run(document, { resultTypes: ['violations'] });
          return r.violations.map((x) => `${x.id} (${x.impact}): ${x.nodes.slice(0, 2).map((n) => n.target.join(' ')).join(', ')}`);
        });
        check(v.length === 0, `axe at ${viewport.width}px on ${pth}: 0 violations (${v.join(' | ')})`);
      }
      expect404 = false;
      // The focus ring stands out against the page: at least 3:1.
      await ap.goto(`${base}/ports/625`);
      await ap.keyboard.press('Tab');
      await ap.keyboard.press('Tab');
      const ring = await ap.evaluate(() => {
        const el = document.activeElement;
        const cs = getComputedStyle(el);
        const lum = (c) => {
          const m = c.match(/\d+(\.\d+)?/g).map(Number);
          const f = (x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; };
          return 0.2126 * f(m[0]) + 0.7152 * f(m[1]) + 0.0722 * f(m[2]);
        };
        let bg = null;
        for (let n = el; n && !bg; n = n.parentElement) {
          const b = getComputedStyle(n).backgroundColor;
          if (b && !b.startsWith('rgba(0, 0, 0, 0)') && b !== 'transparent') bg = b;
        }
        const a = lum(cs.outlineColor);
        const b = lum(bg || 'rgb(255, 255, 255)');
        return { style: cs.outlineStyle, width: parseFloat(cs.outlineWidth), ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) };
      });
      check(ring.style !== 'none' && ring.width >= 2 && ring.ratio >= 3,
        `${viewport.width}px: a visible focus ring with contrast ${ring.ratio.toFixed(2)}:1 (>= 3)`);
    } finally {
      await ax.close();
    }
  }

  // Right to left: /he/ and /ar/ pages at desktop and phone widths. lang and dir come from the
  // language table (they hold before any catalogue is translated); the layout mirrors, port
  // numbers and commands stay left to right, the switcher is reachable by keyboard; axe finds
  // nothing; the page is written in Hebrew or Arabic (the catalogues are complete:
  // test_i18n_catalogues).
  const translated = true;
  for (const viewport of [{ width: 1280, height: 900 }, { width: 390, height: 844 }]) {
    const { ctx: rc, page: rp } = await open({ viewport });
    try {
      for (const code of ['he', 'ar']) {
        const pth = `/${code}/ports/625`;
        const resp = await rp.goto(`${base}${pth}`);
        check(resp.status() === 200, `${pth} at ${viewport.width}px: 200`);
        const m = await rp.evaluate(() => {
          const html = document.documentElement;
          const h1 = document.querySelector('h1').getBoundingClientRect();
          const main = document.querySelector('main').getBoundingClientRect();
          const range = document.createRange();
          range.selectNodeContents(document.querySelector('h1'));
          const text = range.getBoundingClientRect();
          const bdi = document.querySelector('h1 bdi');
          const pre = document.querySelector('pre');
          const dd = document.querySelector('dl.row dd[lang="en"]');
          const cur = document.querySelector('nav.langs a[aria-current]');
          const prev = document.querySelector('nav.pager a[rel="prev"]').getBoundingClientRect();
          const next = document.querySelector('nav.pager a[rel="next"]').getBoundingClientRect();
          return {
            lang: html.lang, dir: html.dir, docDir: getComputedStyle(document.body).direction,
            textRight: text.right, textLeft: text.left, mainRight: main.right, mainLeft: main.left, h1Right: h1.right,
            bdiDir: bdi ? getComputedStyle(bdi).direction : null, bdiText: bdi ? bdi.textContent : null,
            preDir: pre ? getComputedStyle(pre).direction : null, ddDir: dd ? getComputedStyle(dd).direction : null,
            current: cur ? cur.getAttribute('hreflang') : null, prevRight: prev.right, nextLeft: next.left,
            hasHebrew: /[\u0590-\u05ff]/.test(document.querySelector('main').innerText),
            hasArabic: /[\u0600-\u06ff]/.test(document.querySelector('main').innerText),
            overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
          };
        });
        check(m.lang === code && m.dir === 'rtl' && m.docDir === 'rtl', `${pth}: lang=${m.lang} dir=${m.dir}, laid out rtl`);
        // The heading's text hugs the right edge of main (within its padding), far from the left.
        check(m.mainRight - m.textRight < 40 && m.textLeft - m.mainLeft > 40,
          `${pth} at ${viewport.width}px: the heading is right-aligned (text ${m.textLeft.toFixed(0)}-${m.textRight.toFixed(0)}, main ${m.mainLeft.toFixed(0)}-${m.mainRight.toFixed(0)})`);
        check(m.prevRight > m.nextLeft, `${pth}: the previous port's link is on the right, the next on the left`);
        check(m.bdiText === '625' && m.preDir === 'ltr' && m.ddDir === 'ltr',
          `${pth}: the port number is isolated, commands and registry text stay ltr (${m.bdiText}, ${m.preDir}, ${m.ddDir})`);
        check(m.current === code, `${pth}: the switcher marks ${code} current`);
        check(m.overflow <= 1, `${pth} at ${viewport.width}px: no horizontal scrolling (${m.overflow}px)`);
        if (translated)
          check(code === 'he' ? m.hasHebrew : m.hasArabic, `${pth}: written in ${code === 'he' ? 'Hebrew' : 'Arabic'} (needs po/${code}.po)`);
        await shot(rp, `port-625-${code}-${viewport.width}.png`);
        await rp.evaluate(axeSource);
        const v = await rp.evaluate(async () => {
          const r = await window.axe.run(document, { resultTypes: ['violations'] });
          return r.violations.map((x) => `${x.id} (${x.impact}): ${x.nodes.slice(0, 2).map((n) => n.target.join(' ')).join(', ')}`);
        });
        check(v.length === 0, `axe at ${viewport.width}px on ${pth}: 0 violations (${v.join(' | ')})`);
      }
      // The switcher by keyboard: Tab reaches the English link; Enter opens the English page.
      await rp.goto(`${base}/he/ports/625`);
      let reached = false;
      for (let i = 0; i < 40 && !reached; i++) {
        await rp.keyboard.press('Tab');
        reached = await rp.evaluate(() => document.activeElement && document.activeElement.getAttribute('hreflang') === 'en'
          && !!document.activeElement.closest('nav.langs'));
      }
      check(reached, `${viewport.width}px: the language switcher is reachable by keyboard`);
      if (reached) {
        await Promise.all([rp.waitForNavigation(), rp.keyboard.press('Enter')]);
        check(rp.url() === `${base}/en/ports/625`, `Enter on English opens /en/ports/625 (${rp.url()})`);
      }
      // The Arabic map: a map still (0 at the left), its axis labels mirrored to the image's side.
      await rp.goto(`${base}/ar/map`);
      const mp = await rp.evaluate(() => {
        const img = document.getElementById('portmap').getBoundingClientRect();
        const x0 = document.querySelector('.axis-x .x0').getBoundingClientRect();
        const x255 = document.querySelector('.axis-x .x255').getBoundingClientRect();
        const y = document.querySelector('.axis-y').getBoundingClientRect();
        return { x0: x0.left, x255: x255.left, imgLeft: img.left, imgRight: img.right, yLeft: y.left };
      });
      check(mp.x0 < mp.x255 && mp.yLeft >= mp.imgRight - 1, `/ar/map at ${viewport.width}px: +0 left of +255, the port axis on the right`);
      await shot(rp, `map-ar-${viewport.width}.png`, false);
    } finally {
      await rc.close();
    }
  }

  check(foreign.length === 0, `nothing but the server was requested (${foreign.slice(0, 3).join(', ')})`);
  check(problems.length === 0, `no console errors or CSP violations (${problems.slice(0, 3).join(' | ')})`);
}

try {
  await main();
} catch (e) {
  failed++;
  console.log(`FAIL: ${e.stack || e}`);
} finally {
  for (const d of profiles) fs.rmSync(d, { recursive: true, force: true });
}
console.log(`screenshots in ${artifacts}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
