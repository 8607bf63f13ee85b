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

  // Static, trusted icon shapes (24x24 viewBox), built as SVG nodes.
  const ICONS = {
    chat: [
      "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z",
    ],
    close: ["M6 6l12 12", "M18 6L6 18"],
    send: ["M4 12l16-8-6 16-2.5-6.5z", "M11.5 13.5L20 4"],
    refresh: ["M4 12a8 8 0 0 1 13.7-5.6L20 8", "M20 3v5h-5", "M20 12a8 8 0 0 1-13.7 5.6L4 16", "M4 21v-5h5"],
    external: ["M14 4h6v6", "M20 4l-9 9", "M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5"],
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
      out.push({
        n,
        title: typeof c.title === "string" && c.title ? c.title : t("source") + " " + n,
        url: typeof c.url === "string" ? c.url : null,
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
      return data.messages
        .filter((m) => m && (m.role === "user" || m.role === "assistant"))
        .map((m) => ({
          role: m.role,
          content: typeof m.content === "string" ? m.content : "",
          citations: m.role === "assistant" ? cleanCitations(m.citations) : [],
          refused: !!m.refused,
          error: typeof m.error === "string" ? m.error : null,
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
          reader.cancel().catch(() => {});
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
.passage-head { display: flex; align-items: baseline; gap: 6px; font-weight: 600; margin: 0 0 4px; }
.passage-head > span:first-child { flex: none; white-space: nowrap; }
.quote { margin: 0; white-space: pre-wrap; color: #2b3238; }
a { color: var(--accent-text); text-decoration: underline; text-underline-offset: 2px; }
a .icon { display: inline-block; width: 14px; height: 14px; vertical-align: -2px; margin-left: 3px; }

.sources { margin-top: 10px; padding-top: 8px; border-top: 1px solid var(--line); font-size: 13.5px; }
.sources-title { margin: 0 0 4px; font-size: 13px; font-weight: 600; color: var(--muted); }
.sources ol { margin: 0; padding: 0; list-style: none; }
.sources li { margin: 2px 0; }
.sources summary {
  cursor: pointer; padding: 2px 2px; border-radius: 4px; list-style-position: inside;
  color: var(--ink);
}
.sources summary:hover { color: var(--accent-text); }
.sources .num { font-weight: 600; color: var(--accent-text); margin-right: 4px; }
.sources .source-body { margin: 4px 0 8px 18px; font-size: 13.5px; }
.sources .source-body .quote { margin-bottom: 4px; }

.error {
  margin-top: 6px; padding: 8px 10px; border-radius: 6px;
  color: #8a0010; background: #fdecee; border: 1px solid #f0b7be;
}

.composer {
  flex: none; display: flex; align-items: flex-end; gap: 8px;
  padding: 10px; border-top: 1px solid var(--line); background: #fff; margin: 0;
}
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
        [h("label", { className: "sr-only", for: id + "-input", text: t("placeholder") }), this._input, this._send]
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
        if (m.role === "user") this._log.append(this._userBubble(m.content));
        else {
          const view = this._assistantView(m);
          view.finish();
          this._log.append(view.el);
        }
      }
      this._scrollToEnd();
    }

    _userBubble(text) {
      return h("div", { className: "msg user", part: "question", "data-testid": "rsi-question" }, [
        h("span", { className: "sr-only", text: t("you") + ": " }),
        h("div", { className: "text", text }),
      ]);
    }

    // One assistant message: its bubble plus update methods used while streaming.
    _assistantView(msg) {
      const pid = "rsi-passage-" + ++uid;
      const el = h("div", {
        className: "msg assistant",
        part: "answer",
        "data-testid": "rsi-answer",
        "data-state": "streaming",
      });
      const body = h("div", { className: "text" });
      const passage = h("div", {
        id: pid,
        className: "passage",
        part: "passage",
        "data-testid": "rsi-passage",
        hidden: true,
      });
      const sources = h("div", { className: "sources", part: "sources", hidden: true });
      const errorBox = h("div", {
        className: "error",
        part: "error",
        "data-testid": "rsi-error",
        hidden: true,
      });
      el.append(h("span", { className: "sr-only", text: t("assistant") + ": " }), body, passage, errorBox, sources);

      let done = false;
      let openN = null;
      const citeMap = () => new Map(msg.citations.map((c) => [c.n, c]));

      const sourceLink = (c) => {
        const url = safeUrl(c.url);
        if (!url) return h("span", { text: c.title });
        return h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, [c.title, icon("external")]);
      };

      const renderPassage = () => {
        const c = openN === null ? null : citeMap().get(openN);
        if (!c) {
          openN = null;
          passage.hidden = true;
          passage.replaceChildren();
          return;
        }
        passage.replaceChildren(
          h("p", { className: "passage-head" }, [h("span", { text: "[" + c.n + "]" }), sourceLink(c)]),
          h("blockquote", { className: "quote", text: c.text })
        );
        passage.hidden = false;
      };

      const toggle = (n) => {
        openN = openN === n ? null : n;
        renderPassage();
        for (const b of body.querySelectorAll(".cite")) {
          b.setAttribute("aria-expanded", String(Number(b.dataset.n) === openN));
        }
        if (openN !== null && passage.scrollIntoView) passage.scrollIntoView({ block: "nearest" });
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
            body.append(
              h("button", {
                type: "button",
                className: "cite",
                part: "cite",
                "data-testid": "rsi-cite",
                "data-n": String(n),
                "aria-expanded": String(openN === n),
                "aria-controls": pid,
                "aria-label": t("source") + " " + n + ": " + c.title,
                title: c.title,
                text: "[" + n + "]",
                onclick: () => toggle(n),
              })
            );
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
        const list = h("ol");
        for (const c of msg.citations) {
          const url = safeUrl(c.url);
          list.append(
            h("li", { "data-testid": "rsi-source", "data-n": String(c.n) }, [
              h("details", { ontoggle: (e) => e.target.open && e.target.scrollIntoView && e.target.scrollIntoView({ block: "nearest" }) }, [
                h("summary", null, [h("span", { className: "num", text: "[" + c.n + "]" }), c.title]),
                h("div", { className: "source-body" }, [
                  c.text ? h("blockquote", { className: "quote", text: c.text }) : null,
                  url
                    ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, [
                        t("source") + ": " + c.title,
                        icon("external"),
                      ])
                    : null,
                ]),
              ]),
            ])
          );
        }
        sources.replaceChildren(h("p", { className: "sources-title", text: t("sources") }), list);
        sources.hidden = false;
      };

      const update = () => {
        renderBody();
        renderPassage();
        renderSources();
        if (msg.error) {
          errorBox.textContent = msg.error;
          errorBox.hidden = false;
        } else errorBox.hidden = true;
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
      this._log.append(this._userBubble(question));

      const msg = { role: "assistant", content: "", citations: [], refused: false, error: null };
      const view = this._assistantView(msg);
      this._log.append(view.el);
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
      const fail = (message) => {
        msg.error = message || t("error_network");
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
          fail(message);
          return;
        }
        const type = (res.headers.get("content-type") || "").toLowerCase();
        if (type.includes("application/json") || !res.body) {
          // A plain JSON answer (no streaming): same shape as the `done` event.
          const data = parse(await res.text());
          if (typeof data.message === "string" && data.error) fail(data.message);
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
