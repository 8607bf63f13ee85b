"""The Gradio chat page: Danish labels, streamed answers, a collapsible "Kilder"
block per answer, thumbs up/down and a clear button.

Everything from documents and users is escaped before Gradio renders it as
Markdown, so text is always shown as text, never run as HTML.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import gradio as gr

from assistant import wording
from assistant.answer import Answer
from assistant.index import IndexProblem
from assistant.service import AssistantService
from ui.errors import RequestError
from ui.validation import validate_question

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


def _plain(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    if isinstance(content, dict):
        return str(content.get("text", ""))
    return ""


def conversation(history: list[dict]) -> list[dict]:
    """The chat so far as plain user/assistant turns (the "Kilder" boxes left out)."""
    turns = []
    for m in history:
        if (m.get("metadata") or {}).get("title"):
            continue
        turns.append(
            {
                "role": m["role"],
                "content": html.unescape(re.sub(r"\\(.)", r"\1", _plain(m.get("content")))),
            }
        )
    return turns


def sources_markdown(result: Answer) -> str:
    parts = []
    for c in result.citations:
        title = as_text(c.title)
        if c.url and re.match(r"^https?://[^\s()<>]+$", c.url):
            title = f"[{title}]({c.url})"
        parts.append(f"**\\[{c.n}\\] {title}**\n\n> {as_text(c.text)}")
    return "\n\n".join(parts)


def build_chat(service: AssistantService) -> gr.Blocks:
    settings = service.settings

    def respond(message: str, history: list[dict], records: dict) -> Iterator:
        history = list(history or [])
        turns = conversation(history)[-settings.server.max_history_messages :]
        try:  # the same checks as /api and /v1
            question = validate_question(message or "", turns, settings.server)
        except RequestError as problem:
            if problem.code == "empty_question":
                gr.Warning(problem.message)
                yield history, records, message
                return
            echo = (message or "")[:200].encode("utf-8", "replace").decode("utf-8")
            history += [
                {"role": "user", "content": as_text(echo + " …")},
                {"role": "assistant", "content": as_text(problem.message)},
            ]
            yield history, records, ""
            return
        history.append({"role": "user", "content": as_text(question)})
        history.append({"role": "assistant", "content": ""})
        shown = ""
        try:
            for piece in service.stream(question, turns):
                if isinstance(piece, Answer):
                    history[-1]["content"] = as_text(piece.answer)
                    records = dict(records or {})
                    records[str(len(history) - 1)] = {
                        "question": question,
                        "answer": piece.answer,
                        "citations": [c.chunk_id for c in piece.citations],
                    }
                    if piece.citations:
                        history.append(
                            {
                                "role": "assistant",
                                "content": sources_markdown(piece),
                                "metadata": {"title": wording.SOURCES_HEADING, "status": "done"},
                            }
                        )
                else:
                    shown += piece
                    history[-1]["content"] = as_text(shown)
                yield history, records, ""
        except IndexProblem:
            history[-1]["content"] = as_text(wording.ERROR_INDEX_MISSING)
            yield history, records, ""
        except Exception:
            history[-1]["content"] = as_text(wording.ERROR_INTERNAL)
            yield history, records, ""

    def feedback(data: gr.LikeData, records: dict):
        from assistant.feedback import store

        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        record = (records or {}).get(str(index))
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
        records = gr.State({})
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
                elem_id="rsi-input",
                autofocus=True,
            )
            send = gr.Button(wording.UI_SUBMIT, variant="primary", scale=1, elem_id="rsi-send")
        clear = gr.Button(wording.UI_CLEAR, variant="secondary", elem_id="rsi-clear")
        gr.Examples(examples=wording.UI_EXAMPLES, inputs=box, label=wording.UI_EXAMPLES_LABEL)

        send.click(respond, [box, chatbot, records], [chatbot, records, box])
        box.submit(respond, [box, chatbot, records], [chatbot, records, box])
        clear.click(lambda: ([], {}, ""), None, [chatbot, records, box], queue=False)
        chatbot.like(feedback, [records], None)
    return demo
