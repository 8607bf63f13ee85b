"""The chat page's own logic (ui/chat.py): history limits, the served page's head,
and streaming in whole sentences rather than per word."""

from __future__ import annotations

import re

from assistant import wording
from assistant.answer import Answer
from assistant.settings import Settings
from ui.chat import build_chat, context, page_html


def _settings(tmp_path, **server) -> Settings:
    return Settings(
        corpus_dir=tmp_path / "corpus",
        index_dir=tmp_path / "index",
        data_dir=tmp_path / "data",
        embedder={"backend": "fake"},
        server=server,
    )


def test_context_keeps_the_newest_turns_within_both_limits(tmp_path):
    turns = [{"role": "user", "content": str(i) * 10} for i in range(10)]
    assert context(turns, _settings(tmp_path, max_history_messages=4)) == turns[-4:]
    assert context(turns, _settings(tmp_path, max_history_chars=25)) == turns[-2:]
    assert context(turns, _settings(tmp_path, max_history_messages=0)) == []


def test_page_html_is_danish_with_its_own_link_preview():
    template = (
        '<!doctype html>\n<html\n\tlang="en"\n\tstyle="margin: 0">\n<head>\n'
        '<meta charset="utf-8" />\n<meta property="og:title" content="Gradio" />\n'
        '<meta\n  property="og:image"\n  content="https://example.org/x.jpg"\n/>\n'
        '<meta name="twitter:description" content="Click to try out the app!" />\n'
        "<title>t</title></head><body></body></html>"
    )
    page = page_html(template)
    assert re.search(r'<html\s+lang="da"', page)
    assert 'content="Gradio"' not in page and "Click to try" not in page
    assert "example.org" not in page
    assert f'property="og:title" content="{wording.UI_TITLE}"' in page
    assert page.count("<script>") == 1
    # nothing in the labels can close the script early
    assert "</script>" not in page.split("<script>", 1)[1].split("</script>", 1)[0]


class _WordByWord:
    """A stand-in service that streams a three-sentence answer word by word."""

    ANSWER = (
        "RSI ledes af tre fora [1]. Direktørkredsen er det strategiske forum [1]. "
        "Formanden er direktøren for Danske Regioner [2]."
    )

    def __init__(self, settings):
        self.settings = settings

    def stream(self, question, history=None):
        yield from re.findall(r"\S+\s*", self.ANSWER)
        yield Answer(question=question, answer=self.ANSWER, refused=False, citations=[])


def test_answers_stream_in_whole_sentences(tmp_path):
    demo = build_chat(_WordByWord(_settings(tmp_path)))
    respond = next(fn for fn in demo.fns.values() if fn.name == "respond").fn
    updates = [shown[-1]["content"] for shown, _, _ in respond("Hvem leder RSI?", None)]
    words = len(_WordByWord.ANSWER.split())
    assert len(updates) <= 5 < words  # three sentences, the final answer, the last state
    assert all(u.rstrip().endswith("\\.") for u in updates), updates
