"""The Gradio chat page: Danish labels, streamed answers, a collapsible "Kilder"
block per answer, thumbs up/down and a clear button. It takes text only: the
conversation is server-side session state, never read back from the client.

Everything from documents and users is escaped before Gradio renders it as
Markdown, so text is always shown as text, never run as HTML.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator

import gradio as gr

from assistant import wording
from assistant.answer import Answer
from assistant.index import IndexProblem
from assistant.service import AssistantService
from assistant.settings import Settings

log = logging.getLogger(__name__)

CSS = """
.gradio-container { max-width: 860px !important; margin: 0 auto !important; }
#rsi-title h1 { margin-bottom: .2em; }
footer { display: none !important; }
"""


def THEME():  # noqa: N802 - built lazily: creating a theme at import time costs start-up
    return gr.themes.Soft(primary_hue="blue", neutral_hue="slate")


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def as_text(value: str) -> str:
    """Escape HTML and Markdown so Gradio shows ``value`` literally."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(value, quote=False))


MAX_SHOWN = 200  # messages kept on screen per session (the oldest go first)


def new_session() -> dict:
    """One visitor's conversation, kept on the server (``gr.State``): ``turns`` are the
    plain user/assistant texts the assistant sees as history, ``shown`` the chatbot's
    messages, ``records`` what a 👍/👎 on message ``i`` refers to."""
    return {"turns": [], "shown": [], "records": {}}


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


def sources_markdown(result: Answer) -> str:
    parts = []
    for c in result.citations:
        title = as_text(c.title)
        if c.url and re.match(r"^https?://[^\s()<>]+$", c.url):
            title = f"[{title}]({c.url})"
        parts.append(f"**\\[{c.n}\\] {title}**\n\n> {as_text(c.text)}")
    return "\n\n".join(parts)


def build_chat(service: AssistantService) -> gr.Blocks:
    """The page. The client sends only the question text; the conversation lives in
    server-side session state, so nothing a client sends is shown back or read as a
    file (``ui.gradio_guard`` checks every call before Gradio reads it)."""
    settings = service.settings
    limit = settings.server.max_question_chars

    def respond(message: str, session: dict | None) -> Iterator:
        session = session or new_session()
        shown = session["shown"]
        question = (message or "").strip()
        if not question:
            gr.Warning(wording.ERROR_EMPTY)
            yield shown, session, message
            return
        if len(question) > limit:  # the guard refuses this before; kept for direct use
            gr.Warning(wording.ERROR_TOO_LONG.format(limit=limit))
            yield shown, session, message
            return
        history = context(session["turns"], settings)
        shown.append({"role": "user", "content": as_text(question)})
        shown.append({"role": "assistant", "content": ""})
        answer_at = len(shown) - 1
        text = ""
        try:
            for piece in service.stream(question, history):
                if isinstance(piece, Answer):
                    text = piece.answer
                    shown[answer_at]["content"] = as_text(text)
                    session["records"][str(answer_at)] = {
                        "question": question,
                        "answer": piece.answer,
                        "citations": [c.chunk_id for c in piece.citations],
                    }
                    if piece.citations:
                        shown.append(
                            {
                                "role": "assistant",
                                "content": sources_markdown(piece),
                                "metadata": {"title": wording.SOURCES_HEADING, "status": "done"},
                            }
                        )
                else:
                    text += piece
                    shown[answer_at]["content"] = as_text(text)
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
        from assistant.feedback import store

        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        record = (session or new_session())["records"].get(str(index))
        if record is None or data.liked is None:
            return
        store(
            settings,
            1 if data.liked else -1,
            record["question"],
            record["answer"],
            record["citations"],
            source="chat",
        )
        gr.Info(wording.UI_FEEDBACK_THANKS)

    with gr.Blocks(title=wording.UI_TITLE, analytics_enabled=False) as demo:
        gr.Markdown(f"# {wording.UI_TITLE}\n{wording.UI_DESCRIPTION}", elem_id="rsi-title")
        session = gr.State(None)
        chatbot = gr.Chatbot(
            label=wording.UI_TITLE,
            height=520,
            sanitize_html=True,
            render_markdown=True,
            feedback_options=("Like", "Dislike"),
            elem_id="rsi-chatbot",
            placeholder=wording.UI_CHAT_PLACEHOLDER,
            buttons=["copy"],
        )
        with gr.Row():
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
            send = gr.Button(wording.UI_SUBMIT, variant="primary", scale=1, elem_id="rsi-send")
        clear = gr.Button(wording.UI_CLEAR, variant="secondary", elem_id="rsi-clear")
        gr.Examples(examples=wording.UI_EXAMPLES, inputs=box, label=wording.UI_EXAMPLES_LABEL)

        private = {"api_visibility": "private"}
        send.click(respond, [box, session], [chatbot, session, box], **private)
        box.submit(respond, [box, session], [chatbot, session, box], **private)
        clear.click(lambda: ([], None, ""), None, [chatbot, session, box], queue=False, **private)
        chatbot.like(feedback, [session], None, **private)
    return demo
