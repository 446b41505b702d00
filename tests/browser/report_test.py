#!/usr/bin/python3
"""Browser test of the HTML report that `rebuy report` writes.

Opens the report in Debian's headless Chromium, drives it through the DevTools
protocol (a websocket; the python3-websocket package) and checks it against the
report's HTML contract:

1. Clean load: no console error/warning/assert, no uncaught exception, no
   browser log entry of level error or warning, and no network request other
   than the report file itself and data: URLs (the report is self-contained).
2. Structure: <html lang> is the language asked for; every expected section
   (section.rb-section#sec-NAME[data-section=NAME], with an <h2>) is there
   exactly once; an absent one (data-absent="1") gives a non-empty
   p.rb-absent reason and is not one of --expect-present; every
   figure.rb-chart has a data-chart id (unique), one inline <svg> and a
   non-empty <figcaption>, and its svg draws marks (a visible element other
   than text whose bounding box has an area, or a path/polyline of non-zero
   extent: a flat data line); every present section has such a chart; every
   --expect-charts id is there.
3. Numbers: every [data-key] element is a <data class="rb-num">; its value
   (RAW) equals the value at the key's dot path (list items by index:
   periods.1.crr) in `rebuy summary --format json`: integers exactly, others
   to a relative 1e-9; JSON null is an empty RAW (or null/NaN) shown as "–".
   Its text (SHOWN) reads back, in the page's language and the element's
   data-fmt (int, decimal, percent, compact, money; inferred when absent),
   to RAW (percent: RAW*100) within half a unit of its last digit, with as
   many decimals as data-decimals says (money: 2 unless it says otherwise).
   en: 1,234.5  12.5%  1.23M  45.6k; ru: 1 234,5  12,5 %  1,23 млн
   45,6 тыс. where every space is U+00A0 (a plain space fails); money may
   carry any non-numeric prefix/suffix ($, ₽, USD). At least --min-numbers
   (12) such elements, among them customers, orders, revenue,
   repeat_purchase_rate, aov and repeat_revenue_share.
4. Layout, at 1280 and at 820 CSS pixels wide: no horizontal page scroll;
   in each svg no two text.rb-tick (nor two text.rb-legend) boxes overlap,
   boxes taken with their transforms (rotated labels are quadrilaterals);
   every svg text lies inside its svg's box; no table sticks out of its
   section.
5. Output: one PNG per section, clipped to it (OUT/NN-NAME.png), the same in
   dark mode (prefers-color-scheme: dark, OUT/NN-NAME-dark.png), and the
   page printed to OUT/report.pdf (non-empty, starts with %PDF).

Usage:
  report_test.py --rebuy build/rebuy --input orders.csv [--input-args "..."]
                 [--lang en|ru] --out DIR
      runs `rebuy report INPUT --lang L -o DIR/report.html` and
      `rebuy summary INPUT --format json` (both with the input args) and
      checks the page; --gen "ARGS" first writes the input with
      `rebuy gen ARGS -o DIR/orders.csv`. Give values that start with "--"
      with "=": --input-args="--columns customer,date,amount".
  report_test.py --html page.html --summary-json summary.json --out DIR
      checks a given page (the self-test uses tests/browser/fixture.html).

Exit status: 0 all checks pass; 1 a check failed (one "FAIL:" line per
failure, all listed); 2 usage; 77 skipped (no chromium, no python3-websocket,
or --skip-if-missing and the input is absent). Everything runs under one
deadline (--timeout, 120 s); chromium is always killed and its temporary
profile removed (--keep leaves the profile). Standard library + websocket
only; run it with /usr/bin/python3.
"""

import argparse
import base64
import glob
import json
import math
import os
import pathlib
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

SKIP = 77
INSTALL_HINT = "(apt-get install chromium python3-websocket)"
DEFAULT_SECTIONS = ("kpis,growth,retention,cohorts,distributions,rfm,model,"
                    "retention_value,forecast,quality")
REQUIRED_KEYS = ("customers", "orders", "revenue", "repeat_purchase_rate", "aov",
                 "repeat_revenue_share")
NBSP = "\u00a0"
NULL_SHOWN = "\u2013"  # en dash
MINUS = "-\u2212"
COMPACT = {
    "en": {"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "bn": 1e9, "T": 1e12},
    "ru": {"тыс.": 1e3, "тыс": 1e3, "млн": 1e6, "млн.": 1e6, "млрд": 1e9,
           "млрд.": 1e9, "трлн": 1e12, "трлн.": 1e12},
}
LANG_SEP = {"en": (",", "."), "ru": (NBSP, ",")}  # (thousands, decimal)


class Deadline(Exception):
    pass


class Harness(Exception):
    """The test could not run (as opposed to a check that failed)."""


PHASE = ["start"]
TIMES = []  # [phase, start, then seconds]


def phase(name):
    now = time.monotonic()
    if TIMES:
        TIMES[-1][1] = now - TIMES[-1][1]
    TIMES.append([name, now])
    PHASE[0] = name


def remaining(deadline):
    left = deadline - time.monotonic()
    if left <= 0:
        raise Deadline()
    return left


# ---------------------------------------------------------------- chromium

class Chromium:
    """A headless chromium with a temporary profile, killed on close()."""

    def __init__(self, exe, deadline, keep=False):
        self.deadline = deadline
        self.keep = keep
        self.proc = None
        self.tmp = tempfile.mkdtemp(prefix="rebuy-chromium-")
        self.log_path = os.path.join(self.tmp, "chromium.log")
        args = [exe, "--headless=new", "--no-sandbox", "--disable-gpu",
                "--remote-debugging-port=0", "--user-data-dir=" + self.tmp,
                "--window-size=1280,900", "--hide-scrollbars", "--no-first-run",
                "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-sync",
                "--disable-component-update", "--disable-default-apps",
                "--disable-breakpad", "--disable-crash-reporter",
                "--no-proxy-server", "--mute-audio", "--password-store=basic",
                "--use-mock-keychain", "--disable-dev-shm-usage",
                "--metrics-recording-only", "--disable-client-side-phishing-detection",
                "--disable-features=Translate,MediaRouter,OptimizationHints,"
                "AutofillServerCommunication,CertificateTransparencyComponentUpdater",
                "about:blank"]
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def log_tail(self, n=15):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join("  chromium: " + line for line in lines[-n:])
        except OSError:
            return ""

    def port(self):
        path = os.path.join(self.tmp, "DevToolsActivePort")
        while True:
            if self.proc.poll() is not None:
                raise Harness("chromium exited (status %s) before it opened its "
                              "DevTools port\n%s" % (self.proc.returncode, self.log_tail()))
            try:
                with open(path) as f:
                    first = f.readline().strip()
                if first.isdigit():
                    return int(first)
            except OSError:
                pass
            if self.deadline - time.monotonic() <= 0:
                raise Harness("chromium did not write DevToolsActivePort in time\n"
                              + self.log_tail())
            time.sleep(0.05)

    def page_ws_url(self, port):
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        base = "http://127.0.0.1:%d" % port
        tried_new = False
        while True:
            try:
                with opener.open(base + "/json/list", timeout=min(5, remaining(self.deadline))) as r:
                    targets = json.load(r)
                pages = [t for t in targets if t.get("type") == "page"
                         and t.get("webSocketDebuggerUrl")]
                if pages:
                    return pages[0]["webSocketDebuggerUrl"]
                if not tried_new:
                    tried_new = True
                    req = urllib.request.Request(base + "/json/new?about:blank", method="PUT")
                    with opener.open(req, timeout=min(5, remaining(self.deadline))) as r:
                        t = json.load(r)
                    if t.get("webSocketDebuggerUrl"):
                        return t["webSocketDebuggerUrl"]
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise Harness("chromium exited (status %s)\n%s"
                              % (self.proc.returncode, self.log_tail()))
            remaining(self.deadline)
            time.sleep(0.1)

    def _group_alive(self):
        """Whether a process of chromium's group still runs (zombies, which
        its orphaned children are until init reaps them, do not count)."""
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[2] == str(self.proc.pid) and fields[0] not in "ZX":
                return True
        return False

    def close(self):
        """Ends chromium's process group (its own session: only what it started)."""
        if self.proc is not None:
            # the profile is thrown away, so no graceful shutdown is needed;
            # with --keep, let chromium write it out first
            for sig in ((signal.SIGTERM, signal.SIGKILL) if self.keep else (signal.SIGKILL,)):
                try:
                    os.killpg(self.proc.pid, sig)
                except (ProcessLookupError, PermissionError):
                    break
                try:
                    self.proc.wait(timeout=5)
                    break
                except subprocess.TimeoutExpired:
                    continue
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # what is left of the group
            except (ProcessLookupError, PermissionError):
                pass
            if self.proc.poll() is None:
                self.proc.wait(timeout=5)
            end = time.monotonic() + 5
            while self._group_alive() and time.monotonic() < end:
                time.sleep(0.02)
        self.log.close()
        if self.keep:
            print("kept chromium profile: %s" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


class CDP:
    """DevTools protocol over one page target's websocket."""

    def __init__(self, websocket, url, deadline):
        self.websocket = websocket
        self.deadline = deadline
        self.ws = websocket.create_connection(
            url, timeout=min(10, remaining(deadline)), suppress_origin=True,
            http_no_proxy=["127.0.0.1", "localhost"])
        self.next_id = 0
        self.events = []

    def _recv(self, timeout):
        self.ws.settimeout(max(0.01, timeout))
        try:
            msg = self.ws.recv()
        except (self.websocket.WebSocketTimeoutException, TimeoutError):
            return None
        except self.websocket.WebSocketConnectionClosedException:
            raise Harness("chromium closed the DevTools connection (did it crash?)")
        return json.loads(msg) if msg else None

    def _pump(self, timeout):
        msg = self._recv(timeout)
        if msg is not None and "method" in msg:
            self.events.append(msg)
        return msg

    def call(self, method, params=None, timeout=60):
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params or {}}))
        end = min(time.monotonic() + timeout, self.deadline)
        while True:
            left = end - time.monotonic()
            if left <= 0:
                if time.monotonic() >= self.deadline:
                    raise Deadline()
                raise Harness("%s: no answer from chromium in %d s" % (method, timeout))
            msg = self._pump(left)
            if msg is not None and msg.get("id") == mid:
                if "error" in msg:
                    raise Harness("%s: %s" % (method, msg["error"].get("message", msg["error"])))
                return msg.get("result", {})

    def wait_event(self, name, start_index=0, timeout=60):
        end = min(time.monotonic() + timeout, self.deadline)
        i = start_index
        while True:
            while i < len(self.events):
                if self.events[i]["method"] == name:
                    return self.events[i]
                i += 1
            left = end - time.monotonic()
            if left <= 0:
                if time.monotonic() >= self.deadline:
                    raise Deadline()
                raise Harness("no %s from chromium in %d s" % (name, timeout))
            self._pump(left)

    def drain(self, seconds):
        end = time.monotonic() + min(seconds, remaining(self.deadline))
        while time.monotonic() < end:
            self._pump(end - time.monotonic())

    def evaluate(self, expr, await_promise=False):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                           "awaitPromise": await_promise})
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            text = d.get("exception", {}).get("description") or d.get("text")
            raise Harness("page script of the test failed: %s" % text)
        return r.get("result", {}).get("value")

    def close(self):
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001 - closing is best effort
            pass


# ----------------------------------------------------------- page scripts

SETTLE_JS = """
document.fonts.ready.then(() => new Promise(r =>
  requestAnimationFrame(() => requestAnimationFrame(() => r(true)))))
"""

COMMON_JS = r"""
const where = el => {
  const s = el.closest('section.rb-section');
  const f = el.closest('figure.rb-chart');
  return {section: s ? (s.dataset.section || s.id || '?') : null,
          chart: f ? (f.dataset.chart || '?') : null};
};
const txt = el => (el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 60);
const desc = el => el.localName + (el.id ? '#' + el.id : '') +
  (el.classList && el.classList.length ? '.' + [...el.classList].join('.') : '');
const shown = el => {
  for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
    const cs = getComputedStyle(e);
    if (cs.display === 'none') return false;
  }
  const cs = getComputedStyle(el);
  return cs.visibility !== 'hidden' && cs.opacity !== '0';
};
"""

COLLECT_JS = "(() => {" + COMMON_JS + r"""
const NON_MARK = new Set(['text', 'tspan', 'textPath', 'title', 'desc', 'g', 'defs',
  'svg', 'style', 'clipPath', 'mask', 'marker', 'pattern', 'symbol', 'linearGradient',
  'radialGradient', 'stop', 'filter', 'metadata', 'a', 'switch', 'script']);
const out = {lang: document.documentElement.getAttribute('lang'), sections: [],
             figures: [], numbers: []};
for (const s of document.querySelectorAll('section.rb-section')) {
  const h2 = s.querySelector('h2');
  const p = s.querySelector('p.rb-absent');
  out.sections.push({name: s.getAttribute('data-section'), id: s.id,
    absent: s.getAttribute('data-absent'), h2: h2 ? txt(h2) : null,
    reason: p ? txt(p) : null});
}
for (const f of document.querySelectorAll('figure.rb-chart')) {
  const svgs = [...f.querySelectorAll('svg')].filter(s => !s.parentElement.closest('svg'));
  let marks = 0;
  for (const svg of svgs) {
    for (const el of svg.querySelectorAll('*')) {
      if (NON_MARK.has(el.localName)) continue;
      if (el.closest('defs,clipPath,mask,marker,pattern,symbol')) continue;
      // a mark covers an area; a data line (path, polyline) may be flat
      const r = el.getBoundingClientRect();
      const line = el.localName === 'path' || el.localName === 'polyline';
      if (!(r.width > 0 && r.height > 0 || line && (r.width > 0 || r.height > 0)) ||
          !shown(el)) continue;
      const cs = getComputedStyle(el);
      if (cs.fill === 'none' && cs.stroke === 'none') continue;
      marks++;
    }
  }
  const cap = f.querySelector('figcaption');
  out.figures.push({id: f.getAttribute('data-chart'), ...where(f), svgs: svgs.length,
    marks, caption: cap ? txt(cap) : null});
}
for (const e of document.querySelectorAll('[data-key]')) {
  out.numbers.push({tag: e.localName, rbnum: e.classList.contains('rb-num'),
    key: e.getAttribute('data-key'), raw: e.getAttribute('value'),
    shown: e.textContent, fmt: e.getAttribute('data-fmt'),
    decimals: e.getAttribute('data-decimals'), ...where(e)});
}
return out;
})()"""

LAYOUT_JS = "(() => {" + COMMON_JS + r"""
const TOL = 1;  // px two boxes may share before they count as overlapping
const MAX_SHOWN = 5;  // offenders named per svg and kind; the rest are counted
const res = {width: innerWidth, scrollWidth: document.documentElement.scrollWidth,
             wide: [], overlaps: [], clipped: [], tables: []};
if (res.scrollWidth > innerWidth) {
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (!(r.width > 0) || r.right <= innerWidth + 0.5) continue;
    const p = el.parentElement;
    if (p && p !== document.body && p.getBoundingClientRect().right > innerWidth + 0.5) continue;
    res.wide.push({...where(el), what: desc(el), right: Math.round(r.right)});
    if (res.wide.length >= 5) break;
  }
}
// a text's box as a quadrilateral in viewport coordinates (rotations kept)
const quad = el => {
  let bb;
  try { bb = el.getBBox(); } catch (e) { return null; }
  if (!(bb.width > 0 || bb.height > 0) || !shown(el)) return null;
  const m = el.getScreenCTM();
  if (!m) return null;
  return [[bb.x, bb.y], [bb.x + bb.width, bb.y], [bb.x + bb.width, bb.y + bb.height],
          [bb.x, bb.y + bb.height]].map(([x, y]) => {
    const p = new DOMPoint(x, y).matrixTransform(m);
    return [p.x, p.y];
  });
};
const axes = q => [0, 1].map(i => {
  const dx = q[i + 1][0] - q[i][0], dy = q[i + 1][1] - q[i][1];
  const n = Math.hypot(dx, dy) || 1;
  return [-dy / n, dx / n];
});
const overlap = (a, b) => {
  for (const [ax, ay] of [...axes(a), ...axes(b)]) {
    const pa = a.map(([x, y]) => x * ax + y * ay), pb = b.map(([x, y]) => x * ax + y * ay);
    const o = Math.min(Math.max(...pa), Math.max(...pb)) - Math.max(Math.min(...pa), Math.min(...pb));
    if (o <= TOL) return false;
  }
  return true;
};
for (const svg of document.querySelectorAll('svg')) {
  if (svg.parentElement.closest('svg')) continue;
  for (const cls of ['rb-tick', 'rb-legend']) {
    const items = [...svg.querySelectorAll('text.' + cls)]
      .map(el => ({el, q: quad(el)})).filter(t => t.q && txt(t.el) !== '');
    let n = 0;
    for (let i = 0; i < items.length; i++)
      for (let j = i + 1; j < items.length; j++)
        if (overlap(items[i].q, items[j].q) && ++n <= MAX_SHOWN)
          res.overlaps.push({...where(svg), kind: cls, a: txt(items[i].el), b: txt(items[j].el)});
    if (n > MAX_SHOWN)
      res.overlaps.push({...where(svg), kind: cls, more: n - MAX_SHOWN});
  }
}
const clippedPerSvg = new Map();
for (const t of document.querySelectorAll('svg text')) {
  const svg = t.ownerSVGElement;
  const q = quad(t);
  if (!svg || !q || txt(t) === '') continue;
  const r = svg.getBoundingClientRect();
  const xs = q.map(p => p[0]), ys = q.map(p => p[1]);
  const out = {left: r.left - Math.min(...xs), right: Math.max(...xs) - r.right,
               top: r.top - Math.min(...ys), bottom: Math.max(...ys) - r.bottom};
  const sides = Object.entries(out).filter(([k, v]) => v > 0.5)
    .map(([k, v]) => k + ' ' + v.toFixed(1) + 'px');
  if (sides.length) {
    const n = (clippedPerSvg.get(svg) || 0) + 1;
    clippedPerSvg.set(svg, n);
    if (n <= MAX_SHOWN) res.clipped.push({...where(t), text: txt(t), sides: sides.join(', ')});
  }
}
for (const [svg, n] of clippedPerSvg)
  if (n > MAX_SHOWN) res.clipped.push({...where(svg), more: n - MAX_SHOWN});
for (const tb of document.querySelectorAll('table')) {
  const s = tb.closest('section.rb-section');
  if (!s) continue;
  const r = tb.getBoundingClientRect(), sr = s.getBoundingClientRect();
  if (!(r.width > 0)) continue;
  if (r.right > sr.right + 0.5 || r.left < sr.left - 0.5) {
    const cap = tb.querySelector('caption, th');
    let clip = null;  // a wrapper that scrolls or hides what sticks out
    for (let e = tb.parentElement; e && e !== s; e = e.parentElement)
      if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(e).overflowX)) {
        clip = getComputedStyle(e).overflowX; break;
      }
    res.tables.push({...where(tb), what: cap ? txt(cap) : desc(tb), clip,
      by: Math.round(Math.max(r.right - sr.right, sr.left - r.left))});
  }
}
return res;
})()"""

RECTS_JS = r"""(() => {
scrollTo(0, 0);
return [...document.querySelectorAll('section.rb-section')].map(s => {
  const r = s.getBoundingClientRect();
  return {name: s.getAttribute('data-section') || s.id || 'section',
          x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height};
});
})()"""


# ----------------------------------------------------------------- numbers

def json_at(doc, path):
    """The value at a dot path; raises KeyError with the missing part."""
    cur = doc
    for part in path.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and re.fullmatch(r"\d+", part) and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            raise KeyError(part)
    return cur


def parse_raw(raw):
    """RAW as written in value="...": None for null, else a float."""
    if raw is None or raw.strip() in ("", "null", "NaN", "nan"):
        return None
    return float(raw)


def same_number(a, b):
    if isinstance(b, int) and not isinstance(b, bool):
        return a == b
    if math.isnan(a) or math.isnan(b):
        return False
    if a == b:
        return True
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b))


def number_re(lang):
    grp, dec = (re.escape(c) for c in LANG_SEP[lang])
    return re.compile(r"[%s]?(?:\d{1,3}(?:%s\d{3})+|\d+)(?:%s(\d+))?" % (MINUS, grp, dec))


def parse_shown(shown, lang, fmt):
    """SHOWN -> (value, unit, fmt) in displayed units; raises ValueError."""
    s = shown.strip(" \t\r\n" + NBSP + "\u202f")
    if lang == "ru" and " " in s:
        raise ValueError("a plain space where ru uses U+00A0")
    m = number_re(lang).search(s)
    if not m:
        raise ValueError("no number")
    prefix, core, suffix = s[:m.start()], m.group(0), s[m.end():]
    if re.search(r"\d", prefix + suffix):
        raise ValueError("digits outside the number (wrong separators for %s?)" % lang)
    grp, dec = LANG_SEP[lang]
    decimals = len(m.group(1)) if m.group(1) else 0
    sign = -1.0 if core[0] in MINUS else 1.0
    digits = core.lstrip(MINUS).replace(grp, "").replace(dec, ".")
    value = sign * float(digits)
    if prefix.strip(" " + NBSP) and prefix.strip(" " + NBSP)[-1] in MINUS and sign > 0:
        value, prefix = -value, prefix.strip(" " + NBSP)[:-1]
    tail = suffix.strip(" " + NBSP)
    first = tail.split()[0] if tail.split() else ""
    if fmt is None:  # infer
        if tail.endswith("%"):
            fmt = "percent"
        elif first in COMPACT[lang]:
            fmt = "compact"
        elif prefix.strip(" " + NBSP) or tail:
            fmt = "money"
        else:
            fmt = "decimal"
    unit = 10.0 ** -decimals
    if fmt in ("int", "decimal"):
        if prefix.strip() or tail:
            raise ValueError("text around a %s number" % fmt)
        if fmt == "int" and decimals:
            raise ValueError("decimals in an int")
    elif fmt == "percent":
        want = "%" if lang == "en" else NBSP + "%"
        if prefix.strip() or suffix != want:
            raise ValueError("a percent is written %r in %s" % ("12.5%" if lang == "en" else
                                                                 "12,5" + NBSP + "%", lang))
    elif fmt == "compact":
        mult = 1.0
        if first:
            if first not in COMPACT[lang]:
                raise ValueError("unknown compact suffix %r for %s" % (first, lang))
            if lang == "ru" and not suffix.startswith(NBSP):
                raise ValueError("ru puts U+00A0 between the number and %r" % first)
            mult = COMPACT[lang][first]
        value, unit = value * mult, unit * mult
    elif fmt == "money":
        pass  # any non-numeric prefix/suffix (a currency sign or code)
    else:
        raise ValueError("unknown data-fmt %r" % fmt)
    return value, unit, fmt, decimals


def check_numbers(numbers, summary, lang, min_numbers, fail):
    checked = 0
    keys = set()
    for n in numbers:
        key = n["key"] or ""
        at = "number %s (section %s): " % (key or "?", n["section"])
        keys.add(key)
        if n["tag"] != "data" or not n["rbnum"]:
            fail(at + "the data-key element is <%s%s>, not <data class=\"rb-num\">"
                 % (n["tag"], "" if not n["rbnum"] else " class=rb-num"))
            continue
        try:
            want = json_at(summary, key)
        except KeyError as e:
            fail(at + "no %r in rebuy summary's JSON" % e.args[0])
            continue
        try:
            raw = parse_raw(n["raw"])
        except ValueError:
            if isinstance(want, str) and n["raw"] == want:
                checked += 1
            else:
                fail(at + "value=%r is not a number (JSON has %r)" % (n["raw"], want))
            continue
        shown = (n["shown"] or "").strip(" \t\r\n" + NBSP)
        checked += 1
        if want is None or raw is None:
            if want is not None:
                fail(at + "value=%r but JSON has %r" % (n["raw"], want))
            elif raw is not None:
                fail(at + "value=%r but JSON has null" % n["raw"])
            elif shown != NULL_SHOWN:
                fail(at + "null is shown %r, not %r" % (shown, NULL_SHOWN))
            continue
        if isinstance(want, (dict, list, str, bool)):
            fail(at + "JSON has %s, not a number" % type(want).__name__)
            continue
        if not same_number(raw, want):
            fail(at + "value=%r but JSON has %r" % (n["raw"], want))
            continue
        if shown == NULL_SHOWN:
            fail(at + "shown as %r but the value is %r" % (shown, n["raw"]))
            continue
        try:
            value, unit, fmt, decimals = parse_shown(shown, lang, n["fmt"])
        except ValueError as e:
            fail(at + "cannot read %r as %s %s: %s" % (shown, lang, n["fmt"] or "number", e))
            continue
        want_dec = n["decimals"]
        if want_dec is None and fmt == "money":
            want_dec = "2"
        if want_dec is not None and str(decimals) != want_dec.strip():
            fail(at + "%r has %d decimals, data-decimals says %s" % (shown, decimals, want_dec))
        expect = raw * 100 if fmt == "percent" else raw
        if abs(value - expect) > 0.5 * unit * (1 + 1e-9) + 1e-12 * abs(expect):
            fail(at + "shown %r (%g) but value=%s%s is not within half a unit (%g)"
                 % (shown, value, n["raw"], " (x100)" if fmt == "percent" else "", unit / 2))
    if len(numbers) < min_numbers:
        fail("numbers: only %d data-key elements, at least %d expected"
             % (len(numbers), min_numbers))
    for k in REQUIRED_KEYS:
        if k not in keys:
            fail("numbers: no data-key=%r in the page" % k)
    return checked


# ------------------------------------------------------------------ checks

def check_structure(page, args, expected, fail):
    lang = page["lang"]
    if args.lang and lang != args.lang:
        fail("<html lang=%r>, expected %r" % (lang, args.lang))
    if lang not in LANG_SEP:
        fail("<html lang=%r> is neither en nor ru" % lang)
    by_name = {}
    for s in page["sections"]:
        by_name.setdefault(s["name"], []).append(s)
    present = []
    for name in expected:
        found = by_name.get(name, [])
        if len(found) != 1:
            fail("section %s: found %d times, expected once" % (name, len(found)))
            if not found:
                continue
        s = found[0]
        if s["id"] != "sec-" + name:
            fail("section %s: id=%r, expected %r" % (name, s["id"], "sec-" + name))
        if not s["h2"]:
            fail("section %s: no <h2> (or an empty one)" % name)
        if s["absent"] is not None and s["absent"] != "1":
            fail("section %s: data-absent=%r, expected \"1\" or no attribute" % (name, s["absent"]))
        if s["absent"] == "1":
            if not s["reason"]:
                fail("section %s: absent without a p.rb-absent reason" % name)
            if name in args.expect_present:
                fail("section %s: absent (%s) but expected present" % (name, s["reason"]))
        else:
            present.append(name)
    for name in by_name:
        if name not in expected:
            print("note: section %r is not in the expected list" % name)
    for name in args.expect_present:
        if name not in expected:
            fail("section %s: in --expect-present but not in --sections" % name)
    figs = page["figures"]
    ids = {}
    for f in figs:
        label = "chart %s (section %s)" % (f["id"] or "?", f["section"])
        if not f["id"]:
            fail(label + ": figure.rb-chart without data-chart")
        ids[f["id"]] = ids.get(f["id"], 0) + 1
        if f["svgs"] != 1:
            fail(label + ": %d inline <svg>, expected 1" % f["svgs"])
        if not f["caption"]:
            fail(label + ": no <figcaption> (or an empty one)")
        absent = [s for s in page["sections"] if s["name"] == f["section"] and s["absent"] == "1"]
        if f["marks"] == 0 and not absent:
            fail(label + ": the svg draws nothing (no element with a non-zero box but text)")
    for i, c in ids.items():
        if i and c > 1:
            fail("chart %s: data-chart used %d times" % (i, c))
    for name in present:
        if not any(f["section"] == name and f["marks"] > 0 for f in figs):
            fail("section %s: present but without a figure.rb-chart that draws marks" % name)
    for c in args.expect_charts:
        if c not in ids:
            fail("chart %s: expected (--expect-charts) but not in the page" % c)
    return present


def check_layout(res, fail):
    w = res["width"]
    if res["scrollWidth"] > w:
        wide = "; ".join("%s%s%s (right edge %dpx)" % (
            "section %s " % x["section"] if x["section"] else "",
            "chart %s " % x["chart"] if x["chart"] else "", x["what"], x["right"])
            for x in res["wide"])
        fail("at %dpx: the page scrolls sideways (scrollWidth %d)%s"
             % (w, res["scrollWidth"], ": " + wide if wide else ""))
    for o in res["overlaps"]:
        if "more" in o:
            fail("at %dpx: section %s chart %s: %d more overlapping %s pairs"
                 % (w, o["section"], o["chart"], o["more"], o["kind"]))
        else:
            fail("at %dpx: section %s chart %s: %s labels overlap: %r and %r"
                 % (w, o["section"], o["chart"], o["kind"], o["a"], o["b"]))
    for c in res["clipped"]:
        if "more" in c:
            fail("at %dpx: section %s chart %s: %d more texts stick out of their svg"
                 % (w, c["section"], c["chart"], c["more"]))
        else:
            fail("at %dpx: section %s chart %s: text %r sticks out of its svg (%s)"
                 % (w, c["section"], c["chart"], c["text"], c["sides"]))
    for t in res["tables"]:
        fail("at %dpx: section %s: table %r overflows its section by %dpx%s"
             % (w, t["section"], t["what"], t["by"],
                " (its overflow-x:%s wrapper %s the rest)" % (
                    t["clip"], "scrolls to" if t["clip"] in ("auto", "scroll") else "cuts off")
                if t["clip"] else ""))


def check_events(events, page_url, fail):
    seen = set()

    def once(msg):
        if msg not in seen:
            seen.add(msg)
            fail(msg)

    for ev in events:
        m, p = ev["method"], ev.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
            text = " ".join(str(a.get("value", a.get("description", a.get("type", ""))))
                            for a in p.get("args", []))
            once("console.%s: %s" % (p["type"], text[:200]))
        elif m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            text = d.get("exception", {}).get("description") or d.get("text", "")
            once("uncaught exception: %s" % text.splitlines()[0][:200] if text else "uncaught exception")
        elif m == "Log.entryAdded":
            e = p.get("entry", {})
            if e.get("level") in ("error", "warning"):
                once("browser log %s (%s): %s%s" % (e.get("level"), e.get("source"),
                                                    e.get("text", "")[:200],
                                                    " " + e["url"] if e.get("url") else ""))
        elif m == "Network.requestWillBeSent":
            url = p.get("request", {}).get("url", "")
            if url.split("#")[0] == page_url or url.startswith("data:"):
                continue
            once("network request (the report must be self-contained): %s" % url[:200])


def screenshots(cdp, out, suffix, fail):
    paths = []
    for i, r in enumerate(cdp.evaluate(RECTS_JS), 1):
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", r["name"])
        path = os.path.join(out, "%02d-%s%s.png" % (i, name, suffix))
        if r["w"] < 1 or r["h"] < 1:
            fail("section %s: has no size to screenshot (%gx%g)" % (r["name"], r["w"], r["h"]))
            continue
        shot = cdp.call("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": r["x"], "y": r["y"], "width": r["w"], "height": r["h"], "scale": 1}})
        data = base64.b64decode(shot["data"])
        if not data.startswith(b"\x89PNG"):
            fail("screenshot of section %s is not a PNG" % r["name"])
        with open(path, "wb") as f:
            f.write(data)
        paths.append(path)
    return paths


def set_width(cdp, width):
    cdp.call("Emulation.setDeviceMetricsOverride",
             {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    cdp.evaluate(SETTLE_JS, await_promise=True)


def run_browser(args, websocket, html, summary, deadline, fail):
    expected = [s for s in args.sections if s]
    chrome = Chromium(args.chromium, deadline, keep=args.keep)
    cdp = page_url = None
    try:
        phase("starting chromium")
        port = chrome.port()
        cdp = CDP(websocket, chrome.page_ws_url(port), deadline)
        phase("loading the page")
        for domain in ("Runtime", "Log", "Page", "Network"):
            cdp.call(domain + ".enable")
        # no scrollbars: captureBeyondViewport grows the view to the whole page,
        # which would drop the vertical scrollbar and move the layout under the clip
        cdp.call("Emulation.setScrollbarsHidden", {"hidden": True})
        cdp.call("Emulation.setDeviceMetricsOverride",
                 {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        page_url = pathlib.Path(os.path.abspath(html)).as_uri()
        mark = len(cdp.events)
        nav = cdp.call("Page.navigate", {"url": page_url})
        if nav.get("errorText"):
            raise Harness("cannot open %s: %s" % (page_url, nav["errorText"]))
        cdp.wait_event("Page.loadEventFired", mark)
        cdp.evaluate(SETTLE_JS, await_promise=True)
        cdp.drain(0.3)
        print("page: %s" % page_url)

        phase("checking the structure")
        page = cdp.evaluate(COLLECT_JS)
        check_structure(page, args, expected, fail)
        absent = [s["name"] for s in page["sections"] if s["absent"] == "1"]
        print("sections: %d (%s), absent: %s; charts: %d"
              % (len(page["sections"]), " ".join(str(s["name"]) for s in page["sections"]),
                 " ".join(absent) or "none", len(page["figures"])))

        phase("checking the numbers")
        lang = args.lang or page["lang"]
        if lang not in LANG_SEP:
            lang = "en"
        checked = check_numbers(page["numbers"], summary, lang, args.min_numbers, fail)
        print("numbers: %d data-key elements, %d checked against rebuy summary (%s)"
              % (len(page["numbers"]), checked, lang))

        phase("checking the layout")
        for width in (1280, 820):
            set_width(cdp, width)
            check_layout(cdp.evaluate(LAYOUT_JS), fail)
        print("layout: checked at 1280 and 820 px")

        phase("taking screenshots")
        set_width(cdp, 1280)
        shots = screenshots(cdp, args.out, "", fail)
        cdp.call("Emulation.setEmulatedMedia",
                 {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        cdp.evaluate(SETTLE_JS, await_promise=True)
        shots += screenshots(cdp, args.out, "-dark", fail)
        cdp.call("Emulation.setEmulatedMedia", {"features": []})
        cdp.evaluate(SETTLE_JS, await_promise=True)

        phase("printing to PDF")
        pdf = base64.b64decode(cdp.call("Page.printToPDF", {"printBackground": True},
                                        timeout=90)["data"])
        pdf_path = os.path.join(args.out, "report.pdf")
        with open(pdf_path, "wb") as f:
            f.write(pdf)
        if not pdf.startswith(b"%PDF"):
            fail("report.pdf: chromium's PDF does not start with %PDF")
        print("screenshots:")
        for p in shots:
            print("  " + p)
        print("pdf: %s (%d bytes)" % (pdf_path, len(pdf)))

        phase("collecting console and network events")
        cdp.drain(0.3)
    finally:
        if cdp is not None:
            if page_url:  # also when a step above failed: the console may say why
                check_events(cdp.events, page_url, fail)
            cdp.close()
        failed_in = PHASE[0]
        phase("closing chromium")
        signal.alarm(0)  # close() has its own limits; let nothing interrupt it
        chrome.close()
        PHASE[0] = failed_in  # where a timeout or error above happened


# -------------------------------------------------------------------- main

def run_rebuy(argv, what, deadline):
    print("$ " + " ".join(shlex.quote(a) for a in argv))
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=remaining(deadline))
    except subprocess.TimeoutExpired:
        raise Deadline()
    except OSError as e:
        raise Harness("%s failed: %s" % (what, e))
    err = r.stderr.decode("utf-8", "replace").strip().splitlines()
    for line in err[:20]:
        print("  " + line)
    if r.returncode != 0:
        raise Harness("%s failed (exit %d): %s" % (what, r.returncode,
                                                   err[-1] if err else "no message"))
    return r


def split_list(text):
    return [x.strip() for x in text.split(",") if x.strip()] if text else []


def main():
    ap = argparse.ArgumentParser(
        description="Check rebuy's HTML report in headless Chromium (see the module docstring).")
    ap.add_argument("--rebuy", help="the rebuy executable: run `rebuy report` and `rebuy summary`")
    ap.add_argument("--input", help="with --rebuy: the orders file")
    ap.add_argument("--input-args", default="", help="with --rebuy: input options for both commands")
    ap.add_argument("--report-args", default="", help="with --rebuy: more options for rebuy report")
    ap.add_argument("--gen", help="with --rebuy and no --input: write OUT/orders.csv with "
                    "`rebuy gen GEN` and use it")
    ap.add_argument("--skip-if-missing", action="store_true",
                    help="exit 77 (skip) when --input does not exist")
    ap.add_argument("--html", help="check this page instead of running rebuy report")
    ap.add_argument("--summary-json", help="with --html: rebuy summary's JSON for that page")
    ap.add_argument("--lang", choices=("en", "ru"),
                    help="the report's language (--html: default the page's lang)")
    ap.add_argument("--out", required=True, help="folder for report.html, screenshots, PDF")
    ap.add_argument("--sections", default=DEFAULT_SECTIONS,
                    help="the expected sections, comma separated (default: %(default)s)")
    ap.add_argument("--expect-present", default="",
                    help="sections that must not be absent, comma separated, or 'all'")
    ap.add_argument("--expect-charts", default="", help="chart ids that must be there")
    ap.add_argument("--min-numbers", type=int, default=12,
                    help="at least this many data-key numbers (default %(default)s)")
    ap.add_argument("--chromium", default=os.environ.get("REBUY_CHROMIUM", "chromium"),
                    help="the chromium executable (default: chromium on PATH)")
    ap.add_argument("--timeout", type=float, default=120, help="overall limit in seconds")
    ap.add_argument("--keep", action="store_true", help="keep chromium's profile folder")
    args = ap.parse_args()
    args.sections = split_list(args.sections)
    args.expect_present = (list(args.sections) if args.expect_present.strip() == "all"
                           else split_list(args.expect_present))
    args.expect_charts = split_list(args.expect_charts)
    if bool(args.rebuy) == bool(args.html):
        ap.error("give either --rebuy (with --input or --gen) or --html with --summary-json")
    if args.html and not args.summary_json:
        ap.error("--html needs --summary-json")
    if args.rebuy and not (args.input or args.gen):
        ap.error("--rebuy needs --input or --gen")

    exe = shutil.which(args.chromium)
    if not exe:
        print("SKIP: chromium not installed " + INSTALL_HINT)
        return SKIP
    args.chromium = exe
    try:
        import websocket  # python3-websocket (websocket-client)
        websocket.create_connection  # noqa: B018 - not the unrelated "websocket" package
    except (ImportError, AttributeError):
        print("SKIP: python3-websocket not installed " + INSTALL_HINT)
        return SKIP
    if args.input and args.skip_if_missing and not os.path.exists(args.input):
        print("SKIP: %s is absent (the shared data is not beside the checkout)" % args.input)
        return SKIP

    start = time.monotonic()
    deadline = start + args.timeout
    failures = []

    def fail(msg):
        failures.append(msg)

    def on_signal(signum, frame):
        raise Deadline() if signum == signal.SIGALRM else KeyboardInterrupt()

    signal.signal(signal.SIGALRM, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.alarm(int(args.timeout) + 5)  # a backstop: every wait has its own deadline
    try:
        os.makedirs(args.out, exist_ok=True)
        for old in glob.glob(os.path.join(args.out, "[0-9][0-9]-*.png")):
            os.remove(old)
        if os.path.exists(os.path.join(args.out, "report.pdf")):
            os.remove(os.path.join(args.out, "report.pdf"))
        if args.rebuy:
            extra = shlex.split(args.input_args)
            if not args.input:
                phase("rebuy gen")
                args.input = os.path.join(args.out, "orders.csv")
                run_rebuy([args.rebuy, "gen"] + shlex.split(args.gen) + ["-o", args.input],
                          "rebuy gen", deadline)
            html = os.path.join(args.out, "report.html")
            if os.path.exists(html):
                os.remove(html)
            phase("rebuy report")
            run_rebuy([args.rebuy, "report", args.input, "--lang", args.lang or "en", "-o", html]
                      + extra + shlex.split(args.report_args), "rebuy report", deadline)
            if not os.path.isfile(html):
                raise Harness("rebuy report exited 0 but wrote no %s" % html)
            phase("rebuy summary")
            r = run_rebuy([args.rebuy, "summary", args.input, "--format", "json"] + extra,
                          "rebuy summary", deadline)
            with open(os.path.join(args.out, "summary.json"), "wb") as f:
                f.write(r.stdout)
            raw_summary = r.stdout
        else:
            html = args.html
            if not os.path.isfile(html):
                raise Harness("no such page: %s" % html)
            with open(args.summary_json, "rb") as f:
                raw_summary = f.read()
        try:
            summary = json.loads(raw_summary)
        except ValueError as e:
            raise Harness("rebuy summary's JSON does not parse: %s" % e)
        run_browser(args, websocket, html, summary, deadline, fail)
    except Deadline:
        failures.append("timed out after %d s while %s" % (args.timeout, PHASE[0]))
    except Harness as e:
        failures.append(str(e))
    except KeyboardInterrupt:
        failures.append("interrupted while %s" % PHASE[0])
    finally:
        signal.alarm(0)

    phase("done")
    elapsed = time.monotonic() - start
    print("times: " + ", ".join("%s %.1f s" % (n, t) for n, t in TIMES[:-1]))
    if failures:
        for f in failures:
            print("FAIL: " + f)
        print("FAILED: %d problem%s (%.1f s)" % (len(failures), "" if len(failures) == 1 else "s",
                                                  elapsed))
        return 1
    print("PASS (%.1f s)" % elapsed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
