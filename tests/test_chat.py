"""The chat page's own logic (ui/chat.py): history limits, the served page's head,
and streaming in whole sentences rather than per word."""

from __future__ import annotations

import re

import pytest

from assistant import wording
from assistant.answer import Answer
from assistant.settings import Settings
from ui.chat import (
    build_chat,
    context,
    danish_date,
    linked_answer,
    page_html,
    source_anchor,
    sources_markdown,
)


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


# --- checkable sources (issue 11, item 3) ------------------------------------------------


def _cited(**fields) -> Answer:
    from assistant.citations import Citation

    base = {
        "n": 1,
        "doc_id": "rsi",
        "title": "Regionernes Sundheds-it (RSI)",
        "url": None,
        "chunk_id": "rsi#0003",
        "text": "RSI ledes af tre fora.",
        "score": 0.9,
        "section": "Fora under RSI",
        "date": None,
    }
    base.update(fields)
    return Answer(
        question="Hvem leder RSI?",
        answer="RSI ledes af tre fora [1]. Se også [2].",
        refused=False,
        citations=[Citation(**base)],
    )


def test_each_cited_number_links_to_its_source_in_the_kilder_block():
    result = _cited()
    answer, sources = linked_answer(result, 7), sources_markdown(result, 7)
    anchor = source_anchor(7, 1)
    assert anchor == "rsi-kilde-7-1"
    assert f'[\\[1\\]](#{anchor} "{wording.UI_SHOW_SOURCE.format(n=1)}")' in answer
    assert "\\[2\\]" in answer and "#rsi-kilde-7-2" not in answer  # no such source: no link
    assert f'<span id="{anchor}" class="rsi-source">' in sources
    # The title names the document and the section of the passage.
    assert "Regionernes Sundheds\\-it \\(RSI\\) – Fora under RSI" in sources


def test_a_source_shows_its_address_and_date_when_the_corpus_gives_them():
    sources = sources_markdown(_cited(url="https://www.regioner.dk/rsi", date="2024-05-01"))
    assert "(https://www.regioner.dk/rsi)" in sources
    assert "[regioner\\.dk/rsi" in sources and wording.UI_NEW_WINDOW in sources
    assert f'{wording.UI_SOURCE_DATE}: <time datetime="2024-05-01">1\\. maj 2024</time>' in sources
    plain = sources_markdown(_cited())
    assert "http" not in plain and wording.UI_SOURCE_DATE not in plain
    assert sources_markdown(_cited(date="forår 2023")).count("forår 2023") == 1
    # Same title and section: said once.
    assert "RSI – RSI" not in sources_markdown(_cited(title="RSI", section="RSI"))


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        'https://example.org/"onmouseover="alert(1)',
        "https://example.org/a)[x](javascript:alert(1)",
        "https://exa mple.org/",
        "//example.org/",
    ],
)
def test_only_plain_http_addresses_become_links(url):
    sources = sources_markdown(_cited(url=url))
    assert "](" not in sources and "javascript" not in sources.lower().replace("\\", "")
    assert "<script" not in sources and "onmouseover" not in sources


def test_document_fields_are_escaped_in_the_kilder_block():
    hostile = '<img src=x onerror="alert(1)"> **fed** [link](javascript:alert(1)) </span>'
    sources = sources_markdown(_cited(title=hostile, section=hostile, text=hostile, date=hostile))
    # The only tags are ours: the source's anchor (the date is not an ISO day: no <time>).
    assert re.findall(r"</?[a-z]+", sources) == ["<span", "</span"]
    assert "<img" not in sources and "&lt;img" in sources
    assert "](javascript" not in sources and "\\*\\*fed\\*\\*" in sources
    answer = linked_answer(_cited(), 1)
    assert "<" not in answer


def test_danish_dates():
    assert danish_date("2024-05-01") == ("2024-05-01", "1. maj 2024")
    assert danish_date("2023-12-24T10:00:00") == ("2023-12-24", "24. december 2023")
    assert danish_date("2023-02-30") == (None, "2023-02-30")
    assert danish_date("") is None and danish_date(None) is None
