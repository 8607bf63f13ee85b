"""The Gradio chat page: Danish labels, streamed answers, a collapsible "Kilder"
block per answer, thumbs up/down and a clear button. It takes text only: the
conversation is server-side session state, never read back from the client.

Everything from documents and users is escaped before Gradio renders it as
Markdown, so text is always shown as text, never run as HTML.
"""

from __future__ import annotations

import datetime
import html
import json
import logging
import re
import time
from collections.abc import Iterator
from typing import Any

import gradio as gr

from assistant import wording
from assistant.answer import Answer
from assistant.index import IndexProblem
from assistant.service import AssistantService
from assistant.settings import Settings
from ui.errors import RequestError
from ui.validation import validate_question

log = logging.getLogger(__name__)

CSS = """
.gradio-container { max-width: 860px !important; margin: 0 auto !important; }
.thought-group .title button[disabled] { pointer-events: none; }
#rsi-title h1 { margin: .2em 0 .1em; font-size: clamp(1.4rem, 5vw, 2rem); }
#rsi-title p { margin: 0 0 .2em; }
footer { display: none !important; }
/* Gradio's 32 px side padding, down to 10 px on a phone (top level: Gradio scopes rules
   inside @media to its inner container, and this one sits outside it). */
.main.app { padding-left: clamp(10px, 4vw - 5px, 32px) !important;
            padding-right: clamp(10px, 4vw - 5px, 32px) !important; }
/* No fixed height: the conversation takes what the screen leaves for it, so the input
   and Send stay on the first screen, also on a phone. */
#rsi-chatbot { height: calc(100dvh - 300px) !important; min-height: 220px; }
/* One clear control: ours, in words ("Ryd samtalen"), not Gradio's trash icon. */
#rsi-chatbot .top-panel { display: none !important; }
/* 16 px input (iOS zooms on anything smaller) and 44 px touch targets. */
#rsi-input textarea { font-size: 16px !important; }
#rsi-send, #rsi-clear { min-height: 44px; }
#rsi-clear { align-self: flex-start; width: auto !important; flex: 0 0 auto !important; }
/* The note under the input: small, but 13 px and slate-600 on white (7.6:1). */
#rsi-under { flex-wrap: nowrap !important; gap: 8px 12px; align-items: flex-start; }
#rsi-note { flex: 1 1 0 !important; min-width: 0 !important; }
#rsi-note, #rsi-note p { font-size: 13px !important; line-height: 1.35 !important; margin: 0; }
#rsi-note p { color: #475569 !important; }
.dark #rsi-note p { color: #cbd5e1 !important; }
#rsi-input textarea::placeholder { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
#rsi-chatbot .icon-button { min-width: 44px !important; min-height: 44px !important; }
#rsi-chatbot .example {
  min-height: 44px; border: 1px solid var(--border-color-primary); border-radius: 8px;
}
/* Focus that can be seen, on everything. */
.gradio-container :focus-visible, #rsi-input textarea:focus {
  outline: 3px solid #1d4ed8 !important; outline-offset: 2px !important;
}
/* Gradio draws messages and the Kilder block at 80 % and 64 % opacity: full strength,
   so links and passages keep their contrast. */
#rsi-chatbot .prose.chatbot.md, #rsi-chatbot .thought-group .message-content {
  opacity: 1 !important;
}
/* Sources: "[n]" links to its source, which is marked for a moment when shown. */
#rsi-chatbot a[href^="#rsi-kilde-"] {
  color: #1d4ed8 !important; text-decoration: underline; white-space: nowrap;
}
.dark #rsi-chatbot a[href^="#rsi-kilde-"] { color: #93c5fd !important; }
#rsi-chatbot .rsi-source { display: inline-block; scroll-margin-top: 8px; border-radius: 4px; }
#rsi-chatbot .rsi-source-shown { outline: 3px solid #1d4ed8; outline-offset: 2px; }
.rsi-sr { position: absolute !important; width: 1px; height: 1px; overflow: hidden;
          clip: rect(0 0 0 0); white-space: nowrap; }
/* Thumbs up/down (and copy) only once the answer is done. */
#rsi-chatbot:has([data-testid="status-tracker"]:not(.hide)) .message-buttons { visibility: hidden; }
@media (max-width: 640px) {
  #rsi-chatbot { height: calc(100dvh - 325px) !important; }
}
"""


def THEME():  # noqa: N802 - built lazily: creating a theme at import time costs start-up
    # Send in blue-700 on white: 6.7:1 (Soft's blue-500 gave 3.7:1).
    return gr.themes.Soft(primary_hue="blue", neutral_hue="slate").set(
        button_primary_background_fill="*primary_700",
        button_primary_background_fill_hover="*primary_800",
        button_primary_text_color="white",
    )


# Runs before Gradio renders: the page is Danish (Gradio resets <html lang> to the
# browser's locale, and has no Danish of its own), so labels, tooltips and the
# screen-reader names of messages are put into Danish as Gradio writes them.
_RELABEL_JS = r"""
(() => {
  const T = %(texts)s;
  const root = document.documentElement;
  const fixLang = () => { if (root.getAttribute("lang") !== "da") root.setAttribute("lang", "da"); };
  const relabel = (el) => {
    for (const attr of ["aria-label", "title"]) {
      const v = el.getAttribute(attr);
      if (v === null) continue;
      let want = T.labels[v];
      if (/^(user|bot)'s message/.test(v)) {
        // Gradio names a message by its raw Markdown source: read it as plain text.
        // Our own tags and links (sources, [n]) go first: only they hold a raw "<" or "](".
        const said = v.replace(/^[a-z]+'s message:?\s*/, "")
          .replace(/<\/?(?:span|time)\b[^>]*>/g, "")
          .replace(/\[((?:\\.|[^\[\]\\])*)\]\((?:#rsi-kilde-|https?:\/\/)[^)\s]*(?:\s+"[^"]*")?\)/g, "$1")
          .replace(/\\(.)/g, "$1")
          .replace(/\*\*|^>\s*|\n>\s*/g, " ").replace(/&gt;/g, ">").replace(/&lt;/g, "<")
          .replace(/&amp;/g, "&").replace(/\s+/g, " ").trim();
        want = (v.startsWith("user") ? T.user : T.bot) + ": " + said;
      }
      else if (v === "" && el.closest(".thought-group .title")) {
        // The arrow is a button inside the toggle: a control nested in a control. Take it
        // out of the accessibility tree and the focus order (disabled); clicks pass through
        // to the toggle (pointer-events: none in CSS).
        el.setAttribute("disabled", ""); el.setAttribute("aria-hidden", "true");
        el.removeAttribute("tabindex");
        want = T.toggle;
      }
      if (want !== undefined && want !== v) el.setAttribute(attr, want);
    }
  };
  // Gradio's thought toggle (the "Kilder" block) says nothing of its state: add it.
  const syncExpanded = (el) => {
    if (!el.matches(".thought-group .title")) return;
    const open = String(el.classList.contains("expanded"));
    if (el.getAttribute("aria-expanded") !== open) el.setAttribute("aria-expanded", open);
  };
  const retext = (node) => {
    const parent = node.parentElement;
    const want = T.labels[(node.nodeValue || "").trim()];
    if (want && parent && parent.closest("[class*=toast]")) node.nodeValue = want;
  };
  const sweep = (el) => {
    if (el.nodeType === Node.TEXT_NODE) { retext(el); return; }
    if (el.nodeType !== Node.ELEMENT_NODE) return;
    relabel(el);
    el.querySelectorAll("[aria-label], [title]").forEach(relabel);
    syncExpanded(el);
    el.querySelectorAll(".thought-group .title").forEach(syncExpanded);
    const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    while (walk.nextNode()) retext(walk.currentNode);
  };
  // The note under the input is read with it.
  const describe = () => {
    const box = document.querySelector("#rsi-input textarea:not([aria-describedby])");
    if (box && document.getElementById("rsi-note")) box.setAttribute("aria-describedby", "rsi-note");
  };
  new MutationObserver((changes) => {
    fixLang();
    describe();
    for (const c of changes) {
      if (c.attributeName === "class") syncExpanded(c.target);
      else if (c.type === "attributes") { if (c.target !== root) relabel(c.target); }
      else if (c.type === "characterData") retext(c.target);
      else c.addedNodes.forEach(sweep);
    }
  }).observe(root, {
    subtree: true, childList: true, characterData: true,
    attributes: true, attributeFilter: ["aria-label", "title", "lang", "class"],
  });
  fixLang();
  document.addEventListener("DOMContentLoaded", () => sweep(document.body));

})();
"""


# "[n]" in an answer links to "#rsi-kilde-<answer>-<n>", a source inside the answer's
# "Kilder" block. Gradio renders that block's content only while it is open, so a click
# (or Enter) on "[n]" opens the block when needed, then scrolls the source into view,
# marks it for a moment and moves focus to it.
_SOURCES_JS = r"""
(() => {
  const busy = (el) => {
    for (let a = el; a && a.id !== "rsi-chatbot"; a = a.parentElement) {
      if (a.getAnimations && a.getAnimations().length) return true;
    }
    return false;
  };
  const toggleAfter = (link) => {
    for (const g of document.querySelectorAll("#rsi-chatbot .thought-group")) {
      if (link.compareDocumentPosition(g) & Node.DOCUMENT_POSITION_FOLLOWING) {
        return g.querySelector(".title");
      }
    }
    return null;
  };
  const reveal = (target) => {
    const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    target.setAttribute("tabindex", "-1");
    target.scrollIntoView({ block: "start", behavior: still ? "auto" : "smooth" });
    target.focus({ preventScroll: true });
    target.classList.add("rsi-source-shown");
    setTimeout(() => target.classList.remove("rsi-source-shown"), 2500);
  };
  document.addEventListener("click", (e) => {
    const link = e.target instanceof Element && e.target.closest('a[href^="#rsi-kilde-"]');
    if (!link) return;
    e.preventDefault();
    const id = link.getAttribute("href").slice(1);
    if (!document.getElementById(id)) {
      const toggle = toggleAfter(link);
      if (toggle && !toggle.classList.contains("expanded")) toggle.click();
    }
    const started = performance.now();
    const wait = () => {
      const target = document.getElementById(id);
      if (target && !busy(target)) reveal(target);
      else if (performance.now() - started < 3000) requestAnimationFrame(wait);
    };
    requestAnimationFrame(wait);
  }, true);

  // Gradio's copy button copies a message's Markdown source: copy its text instead
  // ([n] as "[n]", a source's address as the address, no escapes, no tags).
  const copyText = (md) => md
    .replace(/<span class="rsi-sr">[^<]*<\/span>/g, "")
    .replace(/<\/?(?:span|time)\b[^>]*>/g, "")
    .replace(/\[((?:\\.|[^\[\]\\])*)\]\(#rsi-kilde-[^)\s]*(?:\s+"[^"]*")?\)/g, "$1")
    .replace(/\[(?:\\.|[^\[\]\\])*\]\((https?:\/\/[^)\s]*)\)/g, "$1")
    .replace(/\*\*/g, "").replace(/^>\s?/gm, "").replace(/^ +| +$/gm, "")
    .replace(/\\(.)/g, "$1")
    .replace(/&gt;/g, ">").replace(/&lt;/g, "<").replace(/&amp;/g, "&");
  let copiedAt = -1e9;
  document.addEventListener("click", (e) => {
    if (e.target instanceof Element && e.target.closest("#rsi-chatbot .message-buttons button")) {
      copiedAt = performance.now();
    }
  }, true);
  const clip = navigator.clipboard;
  if (clip && typeof clip.writeText === "function") {
    const write = clip.writeText.bind(clip);
    clip.writeText = (text) =>
      write(performance.now() - copiedAt < 1000 ? copyText(String(text)) : text);
  }
})();
"""


def page_head() -> str:
    """The chat page's own head: description and link-preview metadata, and the
    Danish-labelling script (inserted by ``ui.gradio_guard`` into the served HTML)."""
    texts = json.dumps(
        {
            "labels": wording.UI_GRADIO_LABELS,
            "user": wording.UI_USER_MESSAGE,
            "bot": wording.UI_BOT_MESSAGE,
            "toggle": wording.UI_SOURCES_TOGGLE,
        },
        ensure_ascii=False,
    ).replace("</", "<\\/")
    title = html.escape(wording.UI_TITLE, quote=True)
    about = html.escape(wording.UI_PAGE_DESCRIPTION, quote=True)
    return (
        f'<meta name="description" content="{about}" />'
        f'<meta property="og:title" content="{title}" />'
        f'<meta property="og:description" content="{about}" />'
        '<meta property="og:type" content="website" />'
        '<meta property="og:locale" content="da_DK" />'
        '<meta name="twitter:card" content="summary" />'
        f'<meta name="twitter:title" content="{title}" />'
        f'<meta name="twitter:description" content="{about}" />'
        f"<script>{_RELABEL_JS % {'texts': texts}}{_SOURCES_JS}</script>"
    )


_GRADIO_META = re.compile(r'\s*<meta\s+(?:property="og:|name="twitter:)[^>]*>', re.S)


def page_html(page: str) -> str:
    """Gradio's page template, made ours: ``lang="da"``, Gradio's link-preview tags
    ("Gradio", "Click to try out the app!") replaced by the page's own."""
    page = re.sub(r'(<html\b[^>]*?\blang=)"en"', r'\1"da"', page, count=1)
    page = _GRADIO_META.sub("", page)
    return re.sub(r"(<head[^>]*>)", lambda m: m.group(1) + page_head(), page, count=1)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def as_text(value: str) -> str:
    """Escape HTML and Markdown so Gradio shows ``value`` literally."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(value, quote=False))


MAX_SHOWN = 200  # messages kept on screen per session (the oldest go first)
FLUSH_SECONDS = 0.1  # streaming: send at least every 0.1 s, else at sentence ends
_SENTENCE_END = re.compile(r"[.!?:…]\s*$")


def new_session() -> dict:
    """One visitor's conversation, kept on the server (``gr.State``): ``turns`` are the
    plain user/assistant texts the assistant sees as history, ``shown`` the chatbot's
    messages, ``records`` what a 👍/👎 on message ``i`` refers to."""
    return {"turns": [], "shown": [], "records": {}, "answers": 0}


def context(turns: list[dict], settings: Settings) -> list[dict]:
    """The most recent turns within the ``/api`` history limits (messages and chars)."""
    cfg = settings.server
    recent = turns[-cfg.max_history_messages :] if cfg.max_history_messages else []
    while recent and sum(len(t["content"]) for t in recent) > cfg.max_history_chars:
        recent = recent[1:]
    return recent


def _trim(session: dict, settings: Settings) -> None:
    """Bound what one session holds: the turns to what can be sent as history, the
    shown messages to ``MAX_SHOWN`` (feedback records move with their messages)."""
    session["turns"] = session["turns"][-max(settings.server.max_history_messages, 1) :]
    excess = len(session["shown"]) - MAX_SHOWN
    if excess > 0:
        session["shown"] = session["shown"][excess:]
        session["records"] = {
            str(int(k) - excess): v for k, v in session["records"].items() if int(k) >= excess
        }


_SAFE_URL = re.compile(r"^https?://[^\s()<>\[\]{}\\\"'`|^]+$")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])")
_CITE = re.compile(r"\\\[(\d+)\\\]")  # "[n]" as ``as_text`` writes it


def source_anchor(key: int | str, n: int) -> str:
    """The id of source ``n`` of answer ``key`` in its "Kilder" block."""
    return f"rsi-kilde-{key}-{n}"


def safe_url(url: str | None) -> str | None:
    """``url`` when it is a plain http(s) address, else None (never a javascript: link)."""
    return url if url and _SAFE_URL.match(url) else None


def short_url(url: str) -> str:
    """An address as people read it: host and path, without scheme or "www."."""
    text = re.sub(r"^https?://(www\.)?", "", url).rstrip("/")
    return text if len(text) <= 48 else text[:47] + "…"


def danish_date(value: str | None) -> tuple[str | None, str] | None:
    """A corpus date as (ISO day or None, Danish text): "2024-05-01" -> "1. maj 2024";
    other strings as given, shortened. None when there is no date."""
    raw = (value or "").strip()
    if not raw:
        return None
    m = _ISO_DAY.match(raw)
    if m:
        year, month, day = (int(g) for g in m.groups())
        try:
            datetime.date(year, month, day)
        except ValueError:
            pass
        else:
            return m.group(0)[:10], f"{day}. {wording.MONTHS[month - 1]} {year}"
    return None, raw if len(raw) <= 40 else raw[:39] + "…"


def source_name(title: str, section: str | None) -> str:
    """A source's title: the document's title and, when it has one, its section's."""
    section = (section or "").strip()
    return f"{title} – {section}" if section and section != title else title


def sources_markdown(result: Answer, key: int | str = 0) -> str:
    """The "Kilder" block: per source a titled, anchored heading (``[n]`` in the answer
    links to it), its address and date when the corpus gives them, and the passage.
    Everything from the documents is escaped; only our own tags are HTML."""
    parts = []
    for c in result.citations:
        head = (
            f'<span id="{source_anchor(key, c.n)}" class="rsi-source">'
            f"**\\[{c.n}\\] {as_text(source_name(c.title, c.section))}**</span>"
        )
        meta = []
        url = safe_url(c.url)
        if url:
            hint = f'<span class="rsi-sr"> ({wording.UI_NEW_WINDOW})</span>'
            meta.append(f"[{as_text(short_url(url))}{hint}]({url})")
        date = danish_date(c.date)
        if date:
            iso, text = date
            shown = f'<time datetime="{iso}">{as_text(text)}</time>' if iso else as_text(text)
            meta.append(f"{wording.UI_SOURCE_DATE}: {shown}")
        lines = [head] + ([" · ".join(meta)] if meta else [])
        parts.append("  \n".join(lines) + f"\n\n> {as_text(c.text)}")
    return "\n\n".join(parts)


def linked_answer(result: Answer, key: int | str = 0) -> str:
    """The answer as Markdown, each ``[n]`` a link to source ``n`` in the Kilder block."""
    known = {c.n for c in result.citations}

    def link(m: re.Match) -> str:
        n = int(m.group(1))
        if n not in known:
            return m.group(0)
        title = wording.UI_SHOW_SOURCE.format(n=n)
        return f'[\\[{n}\\]](#{source_anchor(key, n)} "{title}")'

    return _CITE.sub(link, as_text(result.answer))


def build_chat(service: AssistantService) -> gr.Blocks:
    """The page. The client sends only the question text; the conversation lives in
    server-side session state, so nothing a client sends is shown back or read as a
    file (``ui.gradio_guard`` checks every call before Gradio reads it)."""
    settings = service.settings
    limit = settings.server.max_question_chars

    def respond(message: str, session: dict | None) -> Iterator:
        session = session or new_session()
        shown = session["shown"]
        try:  # the same checks as /api and /v1 (the guard refuses most before this)
            question = validate_question(message or "", [], settings.server)
        except RequestError as problem:
            gr.Warning(problem.message)
            yield shown, session, message
            return
        history = context(session["turns"], settings)
        shown.append({"role": "user", "content": as_text(question)})
        shown.append({"role": "assistant", "content": ""})
        answer_at = len(shown) - 1
        # A key per answer for its sources' anchors (indexes shift when _trim drops some).
        session["answers"] = key = session.get("answers", 0) + 1
        text, flushed = "", time.monotonic()
        try:
            for piece in service.stream(question, history):
                if isinstance(piece, Answer):
                    text = piece.answer
                    shown[answer_at]["content"] = linked_answer(piece, key)
                    session["records"][str(answer_at)] = {
                        "question": question,
                        "answer": piece.answer,
                        "citations": [c.chunk_id for c in piece.citations],
                    }
                    if piece.citations:
                        shown.append(
                            {
                                "role": "assistant",
                                "content": sources_markdown(piece, key),
                                "metadata": {"title": wording.SOURCES_HEADING, "status": "done"},
                            }
                        )
                    yield shown, session, ""
                else:
                    text += piece
                    # Whole sentences (or what 0.1 s brought), not a re-render per word.
                    now = time.monotonic()
                    if _SENTENCE_END.search(text) or now - flushed >= FLUSH_SECONDS:
                        shown[answer_at]["content"] = as_text(text)
                        flushed = now
                        yield shown, session, ""
        except IndexProblem:
            shown[answer_at]["content"] = as_text(wording.ERROR_INDEX_MISSING)
            yield shown, session, ""
            return
        except Exception:
            log.exception("the chat page could not answer")
            shown[answer_at]["content"] = as_text(wording.ERROR_INTERNAL)
            yield shown, session, ""
            return
        session["turns"] += [
            {"role": "user", "content": question},
            {"role": "assistant", "content": text},
        ]
        _trim(session, settings)
        yield session["shown"], session, ""

    def feedback(data: gr.LikeData, session: dict | None):
        from assistant.feedback import FeedbackRejected, store
        from assistant.pgconnect import DatabaseUnavailable

        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        record = (session or new_session())["records"].get(str(index))
        if record is None or data.liked is None:
            return
        try:
            store(
                settings,
                1 if data.liked else -1,
                record["question"],
                record["answer"],
                record["citations"],
                source="chat",
            )
        except FeedbackRejected:  # limits far above what the page sends; never a traceback
            log.warning("chat feedback refused by the storage limits")
            return
        except DatabaseUnavailable as exc:
            log.error("chat feedback not stored: %s", exc)
            gr.Warning(wording.ERROR_DATABASE_UNAVAILABLE)
            return
        gr.Info(wording.UI_FEEDBACK_THANKS)

    def ask_example(data: gr.SelectData, session: dict | None) -> Iterator:
        examples = wording.UI_EXAMPLES  # the index is the client's; the text is ours
        index = data.index if type(data.index) is int else -1
        question = examples[index] if 0 <= index < len(examples) else ""
        yield from respond(question, session)

    with gr.Blocks(title=wording.UI_TITLE, analytics_enabled=False) as demo:
        gr.Markdown(f"# {wording.UI_TITLE}\n{wording.UI_DESCRIPTION}", elem_id="rsi-title")
        session = gr.State(None)
        chatbot = gr.Chatbot(
            show_label=False,
            sanitize_html=True,
            render_markdown=True,
            feedback_options=("Like", "Dislike"),
            elem_id="rsi-chatbot",
            placeholder=wording.UI_CHAT_PLACEHOLDER,
            examples=[{"text": q} for q in wording.UI_EXAMPLES],
            buttons=["copy"],
        )
        with gr.Row(equal_height=True):
            box = gr.Textbox(
                placeholder=wording.UI_PLACEHOLDER,
                label=wording.UI_PLACEHOLDER,  # the accessible name; not shown
                show_label=False,
                scale=8,
                lines=1,
                max_lines=6,
                max_length=limit,
                elem_id="rsi-input",
                autofocus=True,
            )
            send = gr.Button(
                wording.UI_SUBMIT, variant="primary", scale=1, min_width=80, elem_id="rsi-send"
            )
        with gr.Row(equal_height=False, elem_id="rsi-under"):
            # What the answers are and are not, and no personal data (issue 11, item 6).
            gr.Markdown(as_text(wording.UI_NOTE), elem_id="rsi-note", scale=8, min_width=0)
            clear = gr.Button(
                wording.UI_CLEAR, variant="secondary", size="sm", elem_id="rsi-clear", min_width=0
            )

        private: dict[str, Any] = {"api_visibility": "private"}
        outputs = [chatbot, session, box]
        send.click(respond, [box, session], outputs, **private)
        box.submit(respond, [box, session], outputs, **private)
        chatbot.example_select(ask_example, [session], outputs, **private)
        clear.click(lambda: ([], None, ""), None, outputs, queue=False, **private)
        chatbot.like(feedback, [session], None, **private)
    return demo
