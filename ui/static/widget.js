/*
 * RSI-assistenten: embeddable chat widget.
 *
 *   <script src="https://HOST/widget.js" async
 *           data-title="…" data-greeting="…" data-accent="#00436e" data-position="right"></script>
 *
 * Dependency-free, no build step. Everything lives in the open shadow root of one
 * <rsi-chat-widget> element appended to <body>; the host page's CSS cannot reach in and
 * the widget adds no global styles. It talks to POST {origin of this script}/api/chat and
 * reads the server-sent events (delta, citations, done, error) from the fetch body.
 * Server and user text is only ever put into the page with textContent.
 */
(() => {
  "use strict";

  const LABELS = __RSI_WIDGET_LABELS__;

  const TAG = "rsi-chat-widget";
  const MAX_HISTORY = 10; // messages sent as context with each question
  const MAX_STORED = 60; // messages kept in sessionStorage
  const DEFAULT_ACCENT = "#00436e";
  const SVG_NS = "http://www.w3.org/2000/svg";

  if (typeof window === "undefined" || !window.customElements || !window.fetch) return;
  // Included twice (or by two embeds): the first copy owns the element.
  if (window.customElements.get(TAG)) return;

  // --- configuration from the script tag -------------------------------------------------
  const SCRIPT = (() => {
    const current = document.currentScript;
    if (current && current.src) return current;
    const all = document.querySelectorAll('script[src*="widget.js"]');
    return all.length ? all[all.length - 1] : null;
  })();

  const BASE = (() => {
    try {
      return new URL(SCRIPT.src, document.baseURI).origin;
    } catch (_e) {
      return window.location.origin;
    }
  })();

  const attr = (name) => {
    const v = SCRIPT && SCRIPT.getAttribute(name);
    return v && v.trim() ? v.trim() : null;
  };

  const L = Object.assign({}, LABELS && typeof LABELS === "object" ? LABELS : {});
  const t = (key) => (typeof L[key] === "string" ? L[key] : "");
  if (attr("data-title")) L.title = attr("data-title");
  if (attr("data-greeting")) L.greeting = attr("data-greeting");

  const ACCENT = (() => {
    const v = attr("data-accent");
    try {
      if (v && window.CSS && CSS.supports("color", v)) return v;
    } catch (_e) {
      /* fall through */
    }
    return DEFAULT_ACCENT;
  })();
  const POSITION = attr("data-position") === "left" ? "left" : "right";
  const STORE_KEY = "rsi-chat-widget:v1:" + BASE;

  // --- small DOM helpers ------------------------------------------------------------------
  function h(tag, props, children) {
    const el = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v === null || v === undefined || v === false) continue;
        if (k === "text") el.textContent = v;
        else if (k === "className") el.className = v;
        else if (k.startsWith("on") && typeof v === "function") {
          el.addEventListener(k.slice(2).toLowerCase(), v);
        } else el.setAttribute(k, v === true ? "" : String(v));
      }
    }
    for (const c of [].concat(children || [])) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  // Replace el's children with the given nodes, skipping null ones.
  function fill(el, ...nodes) {
    el.replaceChildren(...nodes.filter((n) => n !== null && n !== undefined && n !== false));
  }

  // Static, trusted icon shapes (24x24 viewBox), built as SVG nodes.
  const ICONS = {
    chat: [
      "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z",
    ],
    close: ["M6 6l12 12", "M18 6L6 18"],
    send: ["M4 12l16-8-6 16-2.5-6.5z", "M11.5 13.5L20 4"],
    refresh: ["M4 12a8 8 0 0 1 13.7-5.6L20 8", "M20 3v5h-5", "M20 12a8 8 0 0 1-13.7 5.6L4 16", "M4 21v-5h5"],
    external: ["M14 4h6v6", "M20 4l-9 9", "M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5"],
    // Thumbs after Feather icons (MIT).
    up: [
      "M14 9V5a3 3 0 0 0-3-3l-4 9v11h11.28a2 2 0 0 0 2-1.7l1.38-9a2 2 0 0 0-2-2.3z",
      "M7 22H4a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2h3",
    ],
    down: [
      "M10 15v4a3 3 0 0 0 3 3l4-9V2H5.72a2 2 0 0 0-2 1.7l-1.38 9a2 2 0 0 0 2 2.3z",
      "M17 2h2.67A2.31 2.31 0 0 1 22 4v7a2.31 2.31 0 0 1-2.33 2H17",
    ],
  };

  function icon(name, cls) {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "icon" + (cls ? " " + cls : ""));
    for (const d of ICONS[name]) {
      const p = document.createElementNS(SVG_NS, "path");
      p.setAttribute("d", d);
      svg.append(p);
    }
    return svg;
  }

  function safeUrl(url) {
    if (typeof url !== "string" || !url) return null;
    try {
      const u = new URL(url, BASE);
      return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
    } catch (_e) {
      return null;
    }
  }

  // "regioner.dk/om/rsi" for a link's visible text (the full address is its title).
  function shortUrl(href) {
    try {
      const u = new URL(href);
      const host = u.hostname.replace(/^www\./, "");
      const rest = (u.pathname === "/" ? "" : u.pathname.replace(/\/$/, "")) + u.search;
      const text = host + rest;
      return text.length > 48 ? text.slice(0, 47) + "…" : text;
    } catch (_e) {
      return href;
    }
  }

  // A corpus date ("2024-05-01", "2024-05-01T10:00") as Danish text ("1. maj 2024") with
  // its ISO day for <time datetime>; other strings are shown as given, shortened.
  function formatDate(value) {
    if (typeof value !== "string" || !value.trim()) return null;
    const raw = value.trim();
    const m = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/.exec(raw);
    if (m) {
      const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
      if (d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3]) {
        const iso = m[1] + "-" + m[2] + "-" + m[3];
        try {
          const text = new Intl.DateTimeFormat("da-DK", {
            day: "numeric",
            month: "long",
            year: "numeric",
            timeZone: "UTC",
          }).format(d);
          return { iso, text };
        } catch (_e) {
          return { iso, text: iso };
        }
      }
    }
    return { iso: null, text: raw.length > 40 ? raw.slice(0, 39) + "…" : raw };
  }

  // Relative luminance of a computed "rgb(r, g, b)" colour; null when it cannot be read.
  function luminance(rgb) {
    const m = /rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)/.exec(rgb || "");
    if (!m) return null;
    const lin = (c) => {
      const s = Number(c) / 255;
      return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * lin(m[1]) + 0.7152 * lin(m[2]) + 0.0722 * lin(m[3]);
  }

  // --- conversation storage ---------------------------------------------------------------
  function cleanCitations(list) {
    if (!Array.isArray(list)) return [];
    const seen = new Set();
    const out = [];
    for (const c of list) {
      if (!c || typeof c !== "object") continue;
      const n = Number(c.n);
      if (!Number.isInteger(n) || seen.has(n)) continue;
      seen.add(n);
      const str = (v) => (typeof v === "string" && v.trim() ? v.trim() : null);
      out.push({
        n,
        title: str(c.title) || t("source") + " " + n,
        section: str(c.section),
        url: str(c.url),
        date: str(c.date),
        chunk_id: str(c.chunk_id),
        text: typeof c.text === "string" ? c.text : "",
      });
    }
    return out.sort((a, b) => a.n - b.n);
  }

  function loadMessages() {
    try {
      const raw = window.sessionStorage.getItem(STORE_KEY);
      const data = raw ? JSON.parse(raw) : null;
      if (!data || !Array.isArray(data.messages)) return [];
      let lastQuestion = "";
      return data.messages
        .filter((m) => m && (m.role === "user" || m.role === "assistant"))
        .map((m) => ({
          role: m.role,
          content: typeof m.content === "string" ? m.content : "",
          citations: m.role === "assistant" ? cleanCitations(m.citations) : [],
          refused: !!m.refused,
          error: typeof m.error === "string" ? m.error : null,
          retry: !!m.retry,
          // The question an answer belongs to (for feedback and retry).
          question:
            m.role === "user"
              ? (lastQuestion = typeof m.content === "string" ? m.content : "")
              : typeof m.question === "string" && m.question
                ? m.question
                : lastQuestion,
          rating: m.rating === "up" || m.rating === "down" ? m.rating : null,
        }));
    } catch (_e) {
      return [];
    }
  }

  function saveMessages(messages) {
    try {
      if (!messages.length) window.sessionStorage.removeItem(STORE_KEY);
      else
        window.sessionStorage.setItem(
          STORE_KEY,
          JSON.stringify({ messages: messages.slice(-MAX_STORED) })
        );
    } catch (_e) {
      /* storage disabled or full: the conversation just won't survive a reload */
    }
  }

  // --- server-sent events over fetch ------------------------------------------------------
  // Read what is left of a finished stream so the request ends normally (cancelling it
  // shows as a failed request in DevTools); give up after two seconds.
  function drain(reader) {
    const timer = setTimeout(() => reader.cancel().catch(() => {}), 2000);
    (async () => {
      try {
        while (!(await reader.read()).done) {
          /* discard */
        }
      } catch (_e) {
        /* aborted or broken: nothing left to do */
      } finally {
        clearTimeout(timer);
      }
    })();
  }

  // Calls onEvent(name, data) for each event; stops early when it returns true.
  async function readEventStream(body, onEvent) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buf = "";

    const dispatch = (block) => {
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (!line || line.startsWith(":")) continue;
        const i = line.indexOf(":");
        const field = i === -1 ? line : line.slice(0, i);
        let value = i === -1 ? "" : line.slice(i + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "event") name = value;
        else if (field === "data") data.push(value);
      }
      return data.length ? onEvent(name, data.join("\n")) === true : false;
    };

    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        buf += decoder.decode();
        break;
      }
      buf += decoder.decode(value, { stream: true });
      // Normalise CRLF / CR; hold back a trailing CR until we know whether LF follows.
      let held = "";
      if (buf.endsWith("\r")) {
        held = "\r";
        buf = buf.slice(0, -1);
      }
      buf = buf.replace(/\r\n?/g, "\n");
      let idx;
      while ((idx = buf.indexOf("\n\n")) !== -1) {
        const block = buf.slice(0, idx);
        buf = buf.slice(idx + 2);
        if (dispatch(block)) {
          drain(reader);
          return;
        }
      }
      buf += held;
    }
    buf = buf.replace(/\r\n?/g, "\n");
    if (buf.trim()) dispatch(buf);
  }

  // --- styles -----------------------------------------------------------------------------
  const CSS_TEXT = `
:host {
  all: initial !important;
  display: block !important;
  position: fixed !important;
  z-index: 2147483000 !important;
  top: auto !important; left: auto !important; right: 0 !important; bottom: 0 !important;
  width: 0 !important; height: 0 !important;
  overflow: visible !important;
  visibility: visible !important;
}
.root {
  --accent: ${DEFAULT_ACCENT};
  --on-accent: #ffffff;
  --accent-text: ${DEFAULT_ACCENT};
  --ink: #1a1a1a;
  --muted: #4d5760;
  --line: #d4dadf;
  --soft: #f3f5f7;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 15px;
  font-weight: 400;
  font-style: normal;
  line-height: 1.45;
  letter-spacing: normal;
  text-align: left;
  text-transform: none;
  color: var(--ink);
  direction: ltr;
  -webkit-font-smoothing: antialiased;
}
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
button {
  font: inherit; color: inherit; background: none; border: 0; margin: 0; padding: 0;
  cursor: pointer; text-transform: none; letter-spacing: normal;
}
:focus { outline: none; }
:focus-visible { outline: 2px solid var(--accent-text); outline-offset: 2px; }
.icon {
  width: 22px; height: 22px; fill: none; stroke: currentColor; stroke-width: 2;
  stroke-linecap: round; stroke-linejoin: round; display: block; flex: none;
}
.sr-only {
  position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}

.launcher {
  position: fixed; bottom: 20px; right: 20px;
  width: 60px; height: 60px; border-radius: 50%;
  display: flex; align-items: center; justify-content: center;
  background: var(--accent); color: var(--on-accent);
  box-shadow: 0 4px 14px rgba(0, 0, 0, 0.28);
  transition: transform 0.15s ease;
}
.launcher:hover { transform: scale(1.05); }
.launcher:focus-visible { outline: 3px solid var(--accent-text); outline-offset: 3px; box-shadow: 0 0 0 8px #fff; }
.launcher .icon { width: 28px; height: 28px; }
.launcher .icon-close { display: none; }
.launcher[aria-expanded="true"] .icon-chat { display: none; }
.launcher[aria-expanded="true"] .icon-close { display: block; }
.left .launcher { right: auto; left: 20px; }

.panel {
  position: fixed; bottom: 92px; right: 20px;
  width: 380px; height: 560px;
  max-width: calc(100vw - 40px); max-height: calc(100vh - 112px);
  display: flex; flex-direction: column; overflow: hidden;
  background: #fff; color: var(--ink);
  border: 1px solid var(--line); border-radius: 12px;
  box-shadow: 0 12px 40px rgba(0, 0, 0, 0.22);
}
.left .panel { right: auto; left: 20px; }

.header {
  display: flex; align-items: center; gap: 8px;
  padding: 12px 10px 12px 16px;
  background: var(--accent); color: var(--on-accent);
  flex: none;
}
.title { flex: 1; margin: 0; font-size: 16px; font-weight: 600; line-height: 1.3; color: inherit; }
.header button {
  display: inline-flex; align-items: center; gap: 6px;
  min-height: 36px; padding: 6px 8px; border-radius: 6px;
  color: var(--on-accent); font-size: 13px;
}
.header button:hover { background: rgba(255, 255, 255, 0.14); }
.header button:focus-visible { outline-color: var(--on-accent); outline-offset: 0; }
.header .icon { width: 18px; height: 18px; }
.header .close { padding: 6px; }
.header .close .icon { width: 22px; height: 22px; }

.log {
  flex: 1; min-height: 0; overflow-y: auto; overscroll-behavior: contain;
  padding: 16px 14px; background: var(--soft);
  display: flex; flex-direction: column; gap: 12px;
}
.msg {
  max-width: 90%; padding: 10px 12px; border-radius: 12px;
  overflow-wrap: anywhere; word-break: normal;
}
.msg.user {
  align-self: flex-end; background: var(--accent); color: var(--on-accent);
  border-bottom-right-radius: 4px;
}
.msg.assistant {
  align-self: flex-start; background: #fff; color: var(--ink);
  border: 1px solid var(--line); border-bottom-left-radius: 4px;
}
.text { white-space: pre-wrap; }
.thinking { color: var(--muted); font-style: italic; }
.thinking { animation: pulse 1.6s ease-in-out infinite; }
@keyframes pulse { 0%, 100% { opacity: 1; } 50% { opacity: 0.45; } }
@media (prefers-reduced-motion: reduce) { .thinking { animation: none; } .launcher { transition: none; } }

.cite {
  display: inline-block; margin: 0 1px; padding: 0 4px; border-radius: 4px;
  font-size: 12px; font-weight: 600; line-height: 18px; vertical-align: 1px;
  color: var(--accent-text); background: #e3ebf2; border: 1px solid #c3d2de;
}
.cite:hover, .cite[aria-expanded="true"] { background: var(--accent); color: var(--on-accent); border-color: var(--accent); }

.passage {
  margin-top: 10px; padding: 8px 10px; border-radius: 6px;
  background: var(--soft); border-left: 3px solid var(--accent);
  font-size: 14px;
}
.passage:focus-visible { outline-offset: 1px; }
.passage-top { display: flex; align-items: flex-start; gap: 6px; margin: 0 0 4px; }
.passage-head { flex: 1; margin: 0; font-weight: 600; padding-top: 2px; }
.passage-close {
  flex: none; width: 32px; height: 32px; margin: -4px -6px 0 0; border-radius: 6px;
  display: inline-flex; align-items: center; justify-content: center; color: var(--muted);
}
.passage-close:hover { background: #e3e8ec; color: var(--ink); }
.passage-close .icon { width: 18px; height: 18px; }
.quote { margin: 0; white-space: pre-wrap; color: #2b3238; }
.num { font-weight: 600; color: var(--accent-text); margin-right: 4px; }
.meta { margin: 6px 0 0; font-size: 13px; color: var(--muted); }
.meta > * + *::before { content: " · "; color: var(--muted); }
a { color: var(--accent-text); text-decoration: underline; text-underline-offset: 2px; }
a .icon { display: inline-block; width: 14px; height: 14px; vertical-align: -2px; margin-left: 3px; }

.sources { margin-top: 10px; padding-top: 8px; border-top: 1px solid var(--line); font-size: 13.5px; }
.sources-title { margin: 0 0 4px; font-size: 13px; font-weight: 600; color: var(--muted); }
.sources ol { margin: 0; padding: 0; list-style: none; }
.sources li { margin: 0 0 6px; }
.source-open {
  display: block; width: 100%; min-height: 28px; padding: 3px 4px; border-radius: 4px;
  text-align: left; color: var(--ink); line-height: 1.35;
}
.source-open:hover { color: var(--accent-text); background: #eef2f5; }
.source-open[aria-expanded="true"] { background: #e3ebf2; }
.sources .meta { margin: 0 0 0 4px; }

.error {
  margin-top: 6px; padding: 8px 10px; border-radius: 6px;
  color: #8a0010; background: #fdecee; border: 1px solid #f0b7be;
}
.retry {
  display: inline-flex; align-items: center; gap: 6px; margin-top: 8px;
  min-height: 36px; padding: 6px 12px; border-radius: 6px;
  background: #8a0010; color: #fff; font-weight: 600;
}
.retry .icon { width: 16px; height: 16px; }
.retry:focus-visible { outline-color: #8a0010; }

.feedback {
  display: flex; flex-wrap: wrap; align-items: center; gap: 4px 6px;
  margin-top: 8px; font-size: 13px; color: var(--muted);
}
.vote {
  width: 36px; height: 36px; border-radius: 6px; border: 1px solid var(--line);
  display: inline-flex; align-items: center; justify-content: center; color: var(--muted);
  background: #fff;
}
.vote .icon { width: 18px; height: 18px; }
.vote:hover { color: var(--accent-text); border-color: var(--accent-text); }
.vote[aria-pressed="true"] { background: var(--accent); color: var(--on-accent); border-color: var(--accent); }
.vote[aria-disabled="true"]:not([aria-pressed="true"]) { opacity: 0.6; cursor: default; }
.vote[aria-disabled="true"]:hover:not([aria-pressed="true"]) { color: var(--muted); border-color: var(--line); }
.feedback-status:empty { display: none; }
.feedback-status { flex-basis: 100%; color: var(--ink); }

.composer {
  flex: none; display: flex; flex-wrap: wrap; align-items: flex-end; gap: 8px;
  padding: 10px; border-top: 1px solid var(--line); background: #fff; margin: 0;
}
.note { flex: 0 0 100%; margin: -2px 0 0; font-size: 12px; line-height: 1.35; color: var(--muted); }
.input {
  flex: 1; min-width: 0; min-height: 44px; max-height: 128px; resize: none; overflow-y: auto;
  margin: 0; padding: 10px 12px; border: 1px solid #7d8891; border-radius: 8px;
  font: inherit; line-height: 1.4; color: var(--ink); background: #fff;
}
.input::placeholder { color: #6b747c; opacity: 1; }
.input:focus-visible, .input:focus { outline: 2px solid var(--accent-text); outline-offset: 0; border-color: var(--accent-text); }
.send {
  flex: none; width: 44px; height: 44px; border-radius: 8px;
  display: flex; align-items: center; justify-content: center;
  background: var(--accent); color: var(--on-accent);
}
.send:disabled { opacity: 0.45; cursor: not-allowed; }

@media (max-width: 480px) {
  .launcher, .left .launcher { bottom: 12px; right: 12px; width: 56px; height: 56px; }
  .left .launcher { right: auto; left: 12px; }
  .panel, .left .panel {
    left: 8px; right: 8px; top: 8px; bottom: 80px;
    width: auto; height: auto; max-width: none; max-height: none;
  }
  .header button .label { display: none; }
  .header .clear { padding: 6px; }
  .input { font-size: 16px; } /* keeps iOS from zooming in on focus */
}
@media (max-height: 520px) and (min-width: 481px) {
  .panel { height: auto; top: 8px; max-height: none; }
}
`;

  // --- the element ------------------------------------------------------------------------
  let uid = 0;

  class RsiChatWidget extends HTMLElement {
    constructor() {
      super();
      this._built = false;
      this._messages = [];
      this._busy = false;
      this._controller = null;
      this._els = new WeakMap(); // message -> its element in the log
    }

    connectedCallback() {
      if (this._built) return;
      this._built = true;
      this._build();
    }

    disconnectedCallback() {
      if (this._controller) this._controller.abort();
    }

    _build() {
      const id = "rsi" + ++uid;
      const shadow = this.attachShadow({ mode: "open" });
      const style = document.createElement("style");
      style.textContent = CSS_TEXT;

      const root = h("div", { className: "root" + (POSITION === "left" ? " left" : ""), part: "root" });
      root.style.setProperty("--accent", ACCENT);

      this._launcher = h(
        "button",
        {
          type: "button",
          className: "launcher",
          part: "launcher",
          "data-testid": "rsi-launcher",
          "aria-label": t("open"),
          "aria-expanded": "false",
          "aria-controls": id + "-panel",
          onclick: () => this.toggle(),
        },
        [icon("chat", "icon-chat"), icon("close", "icon-close")]
      );

      this._log = h("div", {
        className: "log",
        part: "messages",
        "data-testid": "rsi-messages",
        role: "log",
        "aria-live": "polite",
        "aria-relevant": "additions text",
      });

      this._input = h("textarea", {
        id: id + "-input",
        className: "input",
        part: "input",
        "data-testid": "rsi-input",
        rows: "1",
        placeholder: t("placeholder"),
        autocomplete: "off",
        enterkeyhint: "send",
        "aria-describedby": id + "-note",
      });
      this._input.addEventListener("keydown", (e) => {
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
          e.preventDefault();
          this._submit();
        }
      });
      this._input.addEventListener("input", () => this._autosize());

      this._send = h(
        "button",
        {
          type: "submit",
          className: "send",
          part: "send",
          "data-testid": "rsi-send",
          "aria-label": t("send"),
          title: t("send"),
        },
        [icon("send")]
      );

      const form = h(
        "form",
        { className: "composer", part: "composer", novalidate: true },
        [
          h("label", { className: "sr-only", for: id + "-input", text: t("placeholder") }),
          this._input,
          this._send,
          // Answers come only from the sources, no health advice, no personal data.
          h("p", { className: "note", id: id + "-note", "data-testid": "rsi-note", text: t("note") }),
        ]
      );
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        this._submit();
      });

      const header = h("div", { className: "header", part: "header" }, [
        h("h2", { className: "title", id: id + "-title", text: t("title") }),
        h(
          "button",
          {
            type: "button",
            className: "clear",
            part: "clear",
            "data-testid": "rsi-clear",
            "aria-label": t("clear"),
            title: t("clear"),
            onclick: () => this.clear(),
          },
          [icon("refresh"), h("span", { className: "label", text: t("clear") })]
        ),
        h(
          "button",
          {
            type: "button",
            className: "close",
            part: "close",
            "data-testid": "rsi-close",
            "aria-label": t("close"),
            title: t("close"),
            onclick: () => this.close(true),
          },
          [icon("close")]
        ),
      ]);

      this._panel = h(
        "div",
        {
          id: id + "-panel",
          className: "panel",
          part: "panel",
          "data-testid": "rsi-panel",
          role: "dialog",
          "aria-label": t("dialog"),
          hidden: true,
        },
        [header, this._log, form]
      );

      root.addEventListener("keydown", (e) => {
        if (e.key === "Escape" && this.isOpen) {
          e.preventDefault();
          e.stopPropagation();
          this.close(true);
        }
      });

      root.append(this._launcher, this._panel);
      shadow.append(style, root);
      this._applyContrast(root);

      this._messages = loadMessages();
      this._renderAll();
    }

    // White text on the accent unless the accent is too light; then dark text and dark links.
    _applyContrast(root) {
      const probe = h("span", { hidden: true });
      probe.style.color = "var(--accent)";
      root.append(probe);
      const lum = luminance(getComputedStyle(probe).color);
      probe.remove();
      if (lum === null) return;
      const whiteContrast = 1.05 / (lum + 0.05);
      if (whiteContrast >= 4.5) {
        root.style.setProperty("--on-accent", "#ffffff");
        root.style.setProperty("--accent-text", "var(--accent)");
      } else {
        root.style.setProperty("--on-accent", "#111111");
        root.style.setProperty("--accent-text", lum > 0.18 ? "#1f3140" : "var(--accent)");
      }
    }

    get isOpen() {
      return !!this._panel && !this._panel.hidden;
    }

    open() {
      if (!this._panel || this.isOpen) return;
      this._panel.hidden = false;
      this._launcher.setAttribute("aria-expanded", "true");
      this._scrollToEnd();
      this._input.focus({ preventScroll: true });
    }

    close(returnFocus) {
      if (!this._panel || !this.isOpen) return;
      this._panel.hidden = true;
      this._launcher.setAttribute("aria-expanded", "false");
      if (returnFocus) this._launcher.focus();
    }

    toggle() {
      if (this.isOpen) this.close(false);
      else this.open();
    }

    clear() {
      if (this._controller) this._controller.abort();
      this._controller = null;
      this._setBusy(false);
      this._messages = [];
      saveMessages(this._messages);
      this._renderAll();
      this._input.value = "";
      this._autosize();
      this._input.focus();
    }

    // --- rendering ---
    _renderAll() {
      this._log.replaceChildren();
      const greeting = t("greeting");
      if (greeting) {
        this._log.append(
          h("div", { className: "msg assistant greeting", "data-testid": "rsi-greeting" }, [
            h("span", { className: "sr-only", text: t("assistant") + ": " }),
            h("div", { className: "text", text: greeting }),
          ])
        );
      }
      for (const m of this._messages) {
        if (m.role === "user") this._log.append(this._track(m, this._userBubble(m.content)));
        else {
          const view = this._assistantView(m);
          view.finish();
          this._log.append(this._track(m, view.el));
        }
      }
      this._scrollToEnd();
    }

    _track(msg, el) {
      this._els.set(msg, el);
      return el;
    }

    _userBubble(text) {
      return h("div", { className: "msg user", part: "question", "data-testid": "rsi-question" }, [
        h("span", { className: "sr-only", text: t("you") + ": " }),
        h("div", { className: "text", text }),
      ]);
    }

    // One assistant message: its bubble plus update methods used while streaming.
    _assistantView(msg) {
      const vid = "rsi-answer-" + ++uid;
      const pid = vid + "-passage";
      const el = h("div", {
        className: "msg assistant",
        part: "answer",
        "data-testid": "rsi-answer",
        "data-state": "streaming",
      });
      const body = h("div", { className: "text" });
      // The one place a cited passage is shown: opened from its [n] or from Kilder.
      const passage = h("div", {
        id: pid,
        className: "passage",
        part: "passage",
        "data-testid": "rsi-passage",
        role: "region",
        "aria-labelledby": pid + "-head",
        // Focus moves here when it opens; the log's live region must not read it too.
        "aria-live": "off",
        tabindex: "-1",
        hidden: true,
      });
      const sources = h("div", { className: "sources", part: "sources", hidden: true });
      const errorBox = h("div", {
        className: "error",
        part: "error",
        "data-testid": "rsi-error",
        hidden: true,
      });
      const feedback = h("div", {
        className: "feedback",
        part: "feedback",
        "data-testid": "rsi-feedback",
        role: "group",
        "aria-labelledby": vid + "-fb",
        hidden: true,
      });
      el.append(
        h("span", { className: "sr-only", text: t("assistant") + ": " }),
        body,
        passage,
        errorBox,
        sources,
        feedback
      );

      let done = false;
      let openN = null;
      let opener = null; // the control that opened the passage, for focus on close
      const citeMap = () => new Map(msg.citations.map((c) => [c.n, c]));
      const sourceName = (c) =>
        c.section && c.section !== c.title ? c.title + " – " + c.section : c.title;

      // Address (http/https only) and date of a source, when the corpus gives them.
      const meta = (c) => {
        const url = safeUrl(c.url);
        const date = formatDate(c.date);
        if (!url && !date) return null;
        return h("p", { className: "meta", "data-testid": "rsi-source-meta" }, [
          url
            ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer", title: url }, [
                shortUrl(url),
                icon("external"),
                h("span", { className: "sr-only", text: " (" + t("new_window") + ")" }),
              ])
            : null,
          date
            ? h("span", null, [
                t("date") + ": ",
                h("time", { datetime: date.iso, text: date.text }),
              ])
            : null,
        ]);
      };

      const syncExpanded = () => {
        for (const b of el.querySelectorAll("[data-n][aria-controls]")) {
          b.setAttribute("aria-expanded", String(Number(b.dataset.n) === openN));
        }
      };

      const renderPassage = () => {
        const c = openN === null ? null : citeMap().get(openN);
        if (!c) {
          openN = null;
          passage.hidden = true;
          passage.replaceChildren();
          return;
        }
        fill(
          passage,
          h("div", { className: "passage-top" }, [
            h("p", { className: "passage-head", id: pid + "-head" }, [
              h("span", { className: "num", text: "[" + c.n + "]" }),
              sourceName(c),
            ]),
            h(
              "button",
              {
                type: "button",
                className: "passage-close",
                "data-testid": "rsi-passage-close",
                "aria-label": t("close_source"),
                title: t("close_source"),
                onclick: () => hidePassage(true),
              },
              [icon("close")]
            ),
          ]),
          h("blockquote", { className: "quote", text: c.text }),
          meta(c)
        );
        passage.hidden = false;
      };

      const showPassage = (n, from) => {
        openN = n;
        opener = from || null;
        renderPassage();
        syncExpanded();
        if (passage.hidden) return;
        if (passage.scrollIntoView) passage.scrollIntoView({ block: "nearest" });
        // Move focus to the passage so a screen reader reads it at once; its close
        // button (or the same [n]) brings the reader back.
        passage.focus({ preventScroll: true });
      };

      const hidePassage = (returnFocus) => {
        const back = opener;
        openN = null;
        opener = null;
        renderPassage();
        syncExpanded();
        if (returnFocus && back && back.isConnected) back.focus();
      };

      const toggle = (n, from) => {
        if (openN === n) hidePassage(false);
        else showPassage(n, from);
      };

      const renderBody = () => {
        const text = msg.content || "";
        body.replaceChildren();
        if (!text) {
          if (!done) body.append(h("span", { className: "thinking", text: t("thinking") }));
          return;
        }
        const cites = citeMap();
        const re = /\[(\d+(?:\s*,\s*\d+)*)\]/g;
        let last = 0;
        let m;
        while ((m = re.exec(text))) {
          if (m.index > last) body.append(text.slice(last, m.index));
          for (const part of m[1].split(",")) {
            const n = Number(part.trim());
            const c = cites.get(n);
            if (!c) {
              body.append("[" + n + "]");
              continue;
            }
            const button = h("button", {
              type: "button",
              className: "cite",
              part: "cite",
              "data-testid": "rsi-cite",
              "data-n": String(n),
              "aria-expanded": String(openN === n),
              "aria-controls": pid,
              "aria-label": t("source") + " " + n + ": " + sourceName(c),
              title: sourceName(c),
              text: "[" + n + "]",
            });
            button.addEventListener("click", () => toggle(n, button));
            body.append(button);
          }
          last = re.lastIndex;
        }
        if (last < text.length) body.append(text.slice(last));
      };

      const renderSources = () => {
        if (msg.refused || !msg.citations.length) {
          sources.hidden = true;
          sources.replaceChildren();
          return;
        }
        const list = h("ol", { "aria-labelledby": vid + "-src" });
        for (const c of msg.citations) {
          const button = h("button", {
            type: "button",
            className: "source-open",
            "data-testid": "rsi-source-open",
            "data-n": String(c.n),
            "aria-expanded": String(openN === c.n),
            "aria-controls": pid,
            title: t("show_source") + " " + c.n,
          }, [h("span", { className: "num", text: "[" + c.n + "]" }), sourceName(c)]);
          button.addEventListener("click", () => toggle(c.n, button));
          list.append(
            h("li", { "data-testid": "rsi-source", "data-n": String(c.n) }, [button, meta(c)])
          );
        }
        sources.replaceChildren(
          h("p", { className: "sources-title", id: vid + "-src", text: t("sources") }),
          list
        );
        sources.hidden = false;
      };

      const renderError = () => {
        if (!msg.error) {
          errorBox.hidden = true;
          errorBox.replaceChildren();
          return;
        }
        fill(
          errorBox,
          h("div", { text: msg.error }),
          msg.retry && done
            ? h(
                "button",
                {
                  type: "button",
                  className: "retry",
                  part: "retry",
                  "data-testid": "rsi-retry",
                  onclick: () => this._retry(msg),
                },
                [icon("refresh"), t("retry")]
              )
            : null
        );
        errorBox.hidden = false;
      };

      // 👍/👎 once the answer is complete; one vote per answer, kept with the conversation.
      const renderFeedback = () => {
        if (!done || msg.error || !msg.content) {
          feedback.hidden = true;
          feedback.replaceChildren();
          return;
        }
        const status = h("span", {
          className: "feedback-status",
          role: "status",
          "data-testid": "rsi-feedback-status",
        });
        const vote = (rating) => {
          const b = h(
            "button",
            {
              type: "button",
              className: "vote",
              "data-testid": "rsi-feedback-" + rating,
              "aria-label": t("feedback_" + rating),
              title: t("feedback_" + rating),
              "aria-pressed": String(msg.rating === rating),
              "aria-disabled": msg.rating ? "true" : null,
            },
            [icon(rating)]
          );
          b.addEventListener("click", () => {
            if (msg.rating) return;
            this._rate(msg, rating, (ok) => {
              for (const v of feedback.querySelectorAll(".vote")) {
                const pressed = ok && v === b;
                v.setAttribute("aria-pressed", String(pressed));
                if (ok) v.setAttribute("aria-disabled", "true");
                else v.removeAttribute("aria-disabled");
              }
              status.textContent = ok ? t("feedback_thanks") : t("feedback_error");
            });
            // Pressed at once; undone if the server does not take it.
            b.setAttribute("aria-pressed", "true");
            for (const v of feedback.querySelectorAll(".vote")) v.setAttribute("aria-disabled", "true");
          });
          return b;
        };
        feedback.replaceChildren(
          h("span", { id: vid + "-fb", text: t("feedback_prompt") }),
          vote("up"),
          vote("down"),
          status
        );
        feedback.hidden = false;
      };

      const update = () => {
        renderBody();
        renderPassage();
        renderSources();
        renderError();
        renderFeedback();
      };

      update();
      return {
        el,
        update,
        finish() {
          done = true;
          update();
          el.setAttribute("data-state", "done");
        },
      };
    }

    // Send a 👍 ("up") or 👎 ("down") for one answer; then(ok) reports the outcome.
    _rate(msg, rating, then) {
      msg.rating = rating;
      saveMessages(this._messages);
      const undo = () => {
        msg.rating = null;
        saveMessages(this._messages);
        then(false);
      };
      fetch(BASE + "/api/feedback", {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          rating,
          question: msg.question || "",
          answer: msg.content || "",
          citation_ids: msg.citations.map((c) => c.chunk_id).filter(Boolean),
        }),
      })
        .then((res) => (res.ok ? then(true) : undo()))
        .catch(undo);
    }

    // Ask a failed question again: drop the failed turn (question and error), resend it.
    _retry(msg) {
      if (this._busy) return;
      const i = this._messages.indexOf(msg);
      if (i < 0) return;
      const prev = i > 0 ? this._messages[i - 1] : null;
      const question = msg.question || (prev && prev.role === "user" ? prev.content : "");
      if (!question) return;
      const start = prev && prev.role === "user" ? i - 1 : i;
      // Remove just that turn from the log: re-rendering all of it would make screen
      // readers read the whole conversation again (the log is a live region).
      for (const m of this._messages.splice(start, i - start + 1)) {
        const el = this._els.get(m);
        if (el) el.remove();
      }
      saveMessages(this._messages);
      this._input.focus({ preventScroll: true });
      this._ask(question);
    }

    _autosize() {
      const el = this._input;
      el.style.height = "auto";
      el.style.height = Math.min(el.scrollHeight + 2, 128) + "px";
    }

    _nearEnd() {
      const l = this._log;
      return l.scrollHeight - l.scrollTop - l.clientHeight < 48;
    }

    _scrollToEnd() {
      this._log.scrollTop = this._log.scrollHeight;
    }

    _setBusy(busy) {
      this._busy = busy;
      this._send.disabled = busy;
      if (busy) this._log.setAttribute("aria-busy", "true");
      else this._log.removeAttribute("aria-busy");
    }

    _history() {
      return this._messages
        .filter((m) => !m.error && m.content)
        .map((m) => ({ role: m.role, content: m.content }))
        .slice(-MAX_HISTORY);
    }

    // --- talking to the server ---
    _submit() {
      if (this._busy) return;
      const question = this._input.value.trim();
      if (!question) return;
      this._input.value = "";
      this._autosize();
      this._ask(question);
    }

    async _ask(question) {
      const history = this._history();
      const userMsg = { role: "user", content: question, citations: [], refused: false, error: null };
      this._messages.push(userMsg);
      saveMessages(this._messages);
      this._log.append(this._track(userMsg, this._userBubble(question)));

      const msg = {
        role: "assistant",
        content: "",
        citations: [],
        refused: false,
        error: null,
        retry: false, // true: a network or server failure, worth asking again
        question,
        rating: null,
      };
      const view = this._assistantView(msg);
      this._log.append(this._track(msg, view.el));
      this._scrollToEnd();

      const controller = new AbortController();
      this._controller = controller;
      this._setBusy(true);

      let finished = false;
      const refresh = () => {
        const stick = this._nearEnd();
        view.update();
        if (stick) this._scrollToEnd();
      };
      const finish = () => {
        if (finished) return;
        finished = true;
        if (controller.signal.aborted) return;
        const stick = this._nearEnd();
        view.finish();
        this._messages.push(msg);
        saveMessages(this._messages);
        if (stick) this._scrollToEnd();
      };
      const fail = (message, retry) => {
        msg.error = message || t("error_network");
        msg.retry = retry !== false;
        finish();
      };
      const parse = (raw) => {
        try {
          const v = JSON.parse(raw);
          return v && typeof v === "object" ? v : {};
        } catch (_e) {
          return {};
        }
      };
      const applyAnswer = (data) => {
        if (typeof data.answer === "string") msg.content = data.answer;
        if (Array.isArray(data.citations)) msg.citations = cleanCitations(data.citations);
        if (typeof data.refused === "boolean") msg.refused = data.refused;
      };

      try {
        const res = await fetch(BASE + "/api/chat", {
          method: "POST",
          mode: "cors",
          credentials: "omit",
          headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
          body: JSON.stringify({ question, history }),
          signal: controller.signal,
        });
        if (!res.ok) {
          let message = null;
          try {
            const data = await res.json();
            if (data && typeof data.message === "string" && data.message) message = data.message;
          } catch (_e) {
            /* not JSON */
          }
          // Worth a retry: server trouble, overload, time-outs. Not: bad or too long input.
          const s = res.status;
          fail(message, s >= 500 || s === 408 || s === 429);
          return;
        }
        const type = (res.headers.get("content-type") || "").toLowerCase();
        if (type.includes("application/json") || !res.body) {
          // A plain JSON answer (no streaming): same shape as the `done` event.
          const data = parse(await res.text());
          if (typeof data.message === "string" && data.error) fail(data.message, true);
          else {
            applyAnswer(data);
            finish();
          }
          return;
        }
        await readEventStream(res.body, (name, raw) => {
          if (controller.signal.aborted) return true;
          const data = parse(raw);
          if (name === "delta") {
            if (typeof data.text === "string") {
              msg.content += data.text;
              refresh();
            }
          } else if (name === "citations") {
            if (Array.isArray(data.citations)) msg.citations = cleanCitations(data.citations);
            if (typeof data.refused === "boolean") msg.refused = data.refused;
            refresh();
          } else if (name === "done") {
            applyAnswer(data);
            finish();
            return true;
          } else if (name === "error") {
            fail(typeof data.message === "string" && data.message ? data.message : null);
            return true;
          }
          return false;
        });
        // Stream closed without `done`: keep what arrived, or report the broken connection.
        if (!finished) {
          if (msg.content) finish();
          else fail(null);
        }
      } catch (_e) {
        if (!controller.signal.aborted) fail(null);
      } finally {
        if (this._controller === controller) {
          this._controller = null;
          this._setBusy(false);
        }
      }
    }
  }

  window.customElements.define(TAG, RsiChatWidget);

  const mount = () => {
    if (document.querySelector(TAG) || !document.body) return;
    document.body.append(document.createElement(TAG));
  };
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount, { once: true });
})();
