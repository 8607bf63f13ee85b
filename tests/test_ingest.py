"""Loaders for every supported file type, encodings, normalisation and broken files."""

from __future__ import annotations

import logging
import unicodedata
from pathlib import Path

import pytest

from assistant.ingest import (
    corpus_files,
    decode_bytes,
    embedded_title,
    is_furniture,
    load_corpus,
    load_document,
    slugify,
    source_files,
    unprintable_share,
)
from assistant.normalize import normalize_text, squash


def _pdf(text: str) -> bytes:
    """A minimal valid one-page PDF showing ``text`` in Helvetica (WinAnsi encoding)."""
    return _pdf_pages([[text]])


def _pdf_pages(pages: list[list[str]]) -> bytes:
    """A valid PDF with one page per list of lines, set top-down in Helvetica 11 pt."""

    def escape(line: str) -> str:
        return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    n = len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n))
    font = 3 + 2 * n
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode(),
    ]
    for i, lines in enumerate(pages):
        shown = " T* ".join(f"({escape(line)}) Tj" for line in lines)
        content = f"BT /F1 11 Tf 14 TL 72 760 Td {shown} ET".encode("cp1252")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    return _serialise_pdf(objects)


def _serialise_pdf(objects: list[bytes]) -> bytes:
    """PDF objects 1..n as a file: header, numbered objects, xref table and trailer."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _pdf_set(pages: list[list[tuple[float, float, float, bool, str]]]) -> bytes:
    """A valid PDF whose pages show (x, y, size, bold, text) pieces in Helvetica,
    each placed where a word processor's export would put it."""

    def escape(line: str) -> str:
        return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    n = len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n))
    font = 3 + 2 * n
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode(),
    ]
    for i, pieces in enumerate(pages):
        content = " ".join(
            f"BT /{'F2' if bold else 'F1'} {size} Tf 1 0 0 1 {x} {y} Tm ({escape(t)}) Tj ET"
            for x, y, size, bold, t in pieces
        ).encode("cp1252")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R /F2 {font + 1} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    for face in (b"Helvetica", b"Helvetica-Bold"):
        objects.append(
            b"<< /Type /Font /Subtype /Type1 /BaseFont /" + face + b" /Encoding /WinAnsiEncoding >>"
        )
    return _serialise_pdf(objects)


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    return folder


def _load(corpus, name):
    return load_document(corpus / name, corpus)


# --- text normalisation ---------------------------------------------------------


def test_normalize_text_turns_nbsp_into_space_and_composes():
    decomposed = unicodedata.normalize("NFD", "Region Sjælland på tværs")
    assert decomposed != "Region Sjælland på tværs"  # the fixture really is decomposed
    raw = "digitalisering\u00a0af den\u00a0offentlige sektor\r\n" + decomposed + "  \r\n"
    out = normalize_text(raw)
    assert out == "digitalisering af den offentlige sektor\nRegion Sjælland på tværs"
    assert "\u00a0" not in out
    assert unicodedata.is_normalized("NFC", out)


def test_normalize_text_drops_invisible_characters():
    assert normalize_text("tele\u00admedicin\u200b løsning\ufeff") == "telemedicin løsning"


def test_squash_collapses_all_whitespace():
    text = "  RSI\u00a0\u00a0ledes\taf\n\ntre\u202ffora.  "
    assert squash(text) == "RSI ledes af tre fora."
    assert squash(unicodedata.normalize("NFD", "å")) == "å"


# --- encodings ------------------------------------------------------------------


def test_decode_bytes_fallbacks():
    assert decode_bytes("\ufeffHej æøå".encode()) == "Hej æøå"  # BOM stripped
    assert decode_bytes("Sjælland – Ærø".encode("cp1252")) == "Sjælland – Ærø"
    # 0x81 is undefined in cp1252: latin-1 is the last resort and never fails
    assert decode_bytes(b"\xe6\x81") == "æ\x81"


def test_txt_utf8_with_nbsp(corpus):
    (corpus / "rsi.txt").write_text(
        "Om RSI\n\nNationale strategier for digitalisering\u00a0af den\u00a0offentlige sektor.\n",
        encoding="utf-8",
    )
    doc = _load(corpus, "rsi.txt")
    assert "digitalisering af den offentlige sektor" in doc.text
    assert "\u00a0" not in doc.text
    assert doc.doc_id == "rsi"
    assert doc.title == "Om RSI"  # the first line, without front matter
    assert doc.path == "rsi.txt"


def test_txt_cp1252_decodes_danish_letters_and_dash(corpus):
    text = "Regionerne – Sjælland, Syddanmark og Hovedstaden – arbejder på tværs. Ærø og Øresund."
    (corpus / "cp.txt").write_bytes(text.encode("cp1252"))
    doc = _load(corpus, "cp.txt")
    assert doc.text == text


def test_txt_latin1_decodes_danish_letters(corpus):
    text = "Hospitalsapoteker i Århus, Ålborg og på Ærø. Øvrige samarbejder."
    (corpus / "latin.txt").write_bytes(text.encode("latin-1"))
    assert _load(corpus, "latin.txt").text == text


def test_sha256_is_of_raw_bytes(corpus):
    import hashlib

    raw = "Et afsnit om RSI.".encode("cp1252")
    (corpus / "a.txt").write_bytes(raw)
    assert _load(corpus, "a.txt").sha256 == hashlib.sha256(raw).hexdigest()


# --- markdown -------------------------------------------------------------------


def test_markdown_front_matter_links_and_headings(corpus):
    (corpus / "notat.md").write_text(
        "---\n"
        'title: "Notat om RSI"\n'
        "url: https://www.regioner.dk/rsi\n"
        "date: 2024-05-01\n"
        "---\n"
        "Indledning til notatet.\n"
        "\n"
        "## Fora under RSI ##\n"
        "\n"
        "Se [Danske Regioners side](https://www.regioner.dk) og **RITA** med `kode`.\n"
        "![Logo for RSI](logo.png)\n",
        encoding="utf-8",
    )
    doc = _load(corpus, "notat.md")
    assert doc.title == "Notat om RSI"
    assert doc.url == "https://www.regioner.dk/rsi"
    assert doc.date == "2024-05-01"
    assert "title:" not in doc.text and "---" not in doc.text
    assert "## Fora under RSI" in doc.text.splitlines()  # one "#" per level
    assert "Se Danske Regioners side og RITA med kode." in doc.text
    assert "https://www.regioner.dk" not in doc.text
    assert doc.links == (("Danske Regioners side", "https://www.regioner.dk"),)
    assert "Logo for RSI" not in doc.text and "logo.png" not in doc.text  # images dropped


def test_front_matter_id_overrides_file_name(corpus):
    (corpus / "x.md").write_text("---\nid: Særligt Notat\n---\nTekst her.\n", encoding="utf-8")
    assert _load(corpus, "x.md").doc_id == "saerligt-notat"


# --- html -----------------------------------------------------------------------

HTML = """<!doctype html>
<html><head>
<title>RSI – Danske Regioner</title>
<link rel="canonical" href="https://www.regioner.dk/rsi">
<style>.hemmelig-stil { color: red }</style>
<script>var hemmeligScript = "SCRIPTTEKST";</script>
</head><body>
<nav><a href="/">Forside NAVTEKST</a></nav>
<header>Sidehoved HEADERTEKST</header>
<main>
  <nav aria-label="brødkrummer"><ol><li>Forside BRØDKRUMME</li></ol></nav>
  <aside><p>Relateret ASIDETEKST</p></aside>
  <h1>Regionernes Sundheds-it</h1>
  <p>RSI ledes af <b>tre</b> fora.</p>
  <script>document.write("INDLEJRET SCRIPT")</script>
  <h2>Projekter</h2>
  <ul><li>Telemedicin til KOL-patienter</li><li>Fælles system til hospitalsapoteker</li></ul>
</main>
<footer>Sidefod FOOTERTEKST</footer>
</body></html>
"""


def test_html_keeps_main_text_and_headings(corpus):
    (corpus / "side.html").write_text(HTML, encoding="utf-8")
    doc = _load(corpus, "side.html")
    lines = doc.text.splitlines()
    assert "# Regionernes Sundheds-it" in lines
    assert "## Projekter" in lines  # an <h2>
    assert "RSI ledes af tre fora." in lines
    assert "- Telemedicin til KOL-patienter" in lines  # list items keep a marker
    assert doc.title == "RSI – Danske Regioner"
    assert doc.url == "https://www.regioner.dk/rsi"
    for junk in (
        "SCRIPTTEKST",
        "INDLEJRET SCRIPT",
        "hemmelig-stil",
        "NAVTEKST",
        "BRØDKRUMME",
        "ASIDETEKST",
        "HEADERTEKST",
        "FOOTERTEKST",
    ):
        assert junk not in doc.text


def test_html_without_main_drops_navigation_from_body(corpus):
    (corpus / "enkel.htm").write_text(
        "<html><body><nav><ul><li>Menu NAVTEKST</li></ul></nav><h2>Om RSI</h2>"
        "<p>RSI er et samarbejde.</p><footer><p>Sidefod FOOTERTEKST</p></footer></body></html>",
        encoding="utf-8",
    )
    doc = _load(corpus, "enkel.htm")
    # no article container: read block by block, so the heading is kept
    assert doc.text == "## Om RSI\n\nRSI er et samarbejde."
    assert doc.title == "Om RSI"  # no <title>: the first heading


def test_html_keeps_text_outside_paragraph_tags(corpus):
    (corpus / "div.html").write_text(
        "<html><body><main><h1>Titel</h1><div>Vigtig tekst om RSI i en div.</div>"
        "<p>Et afsnit.</p></main></body></html>",
        encoding="utf-8",
    )
    assert "Vigtig tekst om RSI i en div." in _load(corpus, "div.html").text


# --- pdf and docx ---------------------------------------------------------------


def test_pdf_text_is_extracted(corpus):
    (corpus / "rapport.pdf").write_bytes(
        _pdf("Regionerne samarbejder om telemedicin i Sjælland og på Ærø.")
    )
    doc = _load(corpus, "rapport.pdf")
    assert squash(doc.text) == "Regionerne samarbejder om telemedicin i Sjælland og på Ærø."
    assert doc.doc_id == "rapport"


def test_pdf_without_text_is_skipped_with_reason(corpus):
    (corpus / "scan.pdf").write_bytes(_pdf(""))
    (corpus / "ok.txt").write_text("Et afsnit.", encoding="utf-8")
    docs, warnings = load_corpus(corpus)
    assert [d.path for d in docs] == ["ok.txt"]
    assert len(warnings) == 1
    assert "scan.pdf" in warnings[0] and "no extractable text" in warnings[0]


def test_docx_heading_style_becomes_hash_heading(corpus):
    docx = pytest.importorskip("docx")
    word = docx.Document()
    word.core_properties.title = "Word-notat om RSI"
    word.add_heading("Fora under RSI", level=1)
    word.add_paragraph("RSI ledes af tre fora.")
    word.add_paragraph("")
    word.add_paragraph("Digitaliseringskredsen er øverste styregruppe.")
    word.save(corpus / "notat.docx")
    doc = _load(corpus, "notat.docx")
    assert doc.title == "Word-notat om RSI"
    assert doc.text.split("\n\n") == [
        "# Fora under RSI",
        "RSI ledes af tre fora.",
        "Digitaliseringskredsen er øverste styregruppe.",
    ]


def test_docx_table_rows_read_as_header_value_lines_in_place(corpus):
    docx = pytest.importorskip("docx")
    word = docx.Document()
    word.add_heading("Indsendelser", level=1)
    word.add_paragraph("Sådan længe gemmes indsendelser:")
    table = word.add_table(rows=3, cols=2)
    for r, (a, b) in enumerate(
        [("Formular", "Dage"), ("Ansøgning om parkering", "30"), ("Klage", "90")]
    ):
        table.rows[r].cells[0].text = a
        table.rows[r].cells[1].text = b
    word.add_paragraph("Derefter slettes de automatisk.")
    word.save(corpus / "slet.docx")
    doc = _load(corpus, "slet.docx")
    assert doc.text.split("\n\n") == [
        "# Indsendelser",
        "Sådan længe gemmes indsendelser:",
        "Formular: Ansøgning om parkering; Dage: 30",
        "Formular: Klage; Dage: 90",
        "Derefter slettes de automatisk.",
    ]


def test_multi_page_pdf_gives_sections_without_page_furniture(corpus):
    from assistant.chunking import chunk_document

    header = "Strategi for sundheds-it 2026 · Danske Regioner"
    wide = "Regionerne udvikler i fællesskab en løsning, som gør det lettere for patienter"
    pages = [
        [
            header,
            "Formål",
            wide,
            "at se deres egne data fra sund-",
            "hedsjournalen.",
            "Side 1 af 2",
        ],
        [
            header,
            "Organisering",
            "Arbejdet ledes af en styregruppe med",
            "en direktør fra hver region.",
            "Side 2 af 2",
        ],
    ]
    (corpus / "strategi.pdf").write_bytes(_pdf_pages(pages))
    doc = _load(corpus, "strategi.pdf")
    chunks = chunk_document(doc, max_words=45)
    assert [c.heading for c in chunks] == ["Formål", "Organisering"]
    assert chunks[0].text.endswith("at se deres egne data fra sundhedsjournalen.")
    assert chunks[1].text == "Arbejdet ledes af en styregruppe med en direktør fra hver region."
    assert not any("Side" in c.text or "Danske Regioner" in c.text for c in chunks)


# --- the corpus folder ----------------------------------------------------------


def test_broken_files_are_skipped_with_a_warning_naming_them(corpus, caplog):
    (corpus / "god.txt").write_text("RSI ledes af tre fora.", encoding="utf-8")
    (corpus / "ødelagt.pdf").write_bytes(b"this is not a PDF \x00\x01\x02 at all" * 20)
    (corpus / "binær.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (corpus / "forkert.docx").write_bytes(b"PK not really a zip")
    with caplog.at_level(logging.WARNING, logger="assistant"):
        docs, warnings = load_corpus(corpus)
    assert [d.path for d in docs] == ["god.txt"]
    assert len(warnings) == 3
    for name in ("ødelagt.pdf", "binær.txt", "forkert.docx"):
        assert sum(name in w for w in warnings) == 1, (name, warnings)
        assert name not in caplog.text  # returned, not logged: the caller shows each once
    assert any("binary" in w for w in warnings if "binær.txt" in w)


def test_corpus_files_skips_hidden_and_unsupported(corpus):
    (corpus / "a.txt").write_text("A.", encoding="utf-8")
    (corpus / "sub").mkdir()
    (corpus / "sub" / "b.MD").write_text("B.", encoding="utf-8")
    (corpus / ".skjult.txt").write_text("C.", encoding="utf-8")
    (corpus / ".git").mkdir()
    (corpus / ".git" / "d.txt").write_text("D.", encoding="utf-8")
    (corpus / "billede.png").write_bytes(b"\x89PNG")
    assert [p.relative_to(corpus).as_posix() for p in corpus_files(corpus)] == ["a.txt", "sub/b.MD"]
    assert corpus_files(corpus / "findes-ikke") == []


def test_duplicate_doc_ids_keep_the_first(corpus):
    (corpus / "rsi.md").write_text("Fra markdown.", encoding="utf-8")
    (corpus / "rsi.txt").write_text("Fra tekst.", encoding="utf-8")
    docs, warnings = load_corpus(corpus)
    assert [d.path for d in docs] == ["rsi.md"]
    assert len(warnings) == 1 and "rsi.txt" in warnings[0] and "rsi.md" in warnings[0]


def test_empty_text_file_is_skipped(corpus):
    (corpus / "tom.txt").write_text(" \u00a0\n\n", encoding="utf-8")
    docs, warnings = load_corpus(corpus)
    assert docs == [] and len(warnings) == 1 and "tom.txt" in warnings[0]


def test_slugify_ascii_folds_danish_letters():
    assert slugify("Ærø Øst") == "aeroe-oest"
    assert slugify("sub/Mit Notat (2024)") == "sub-mit-notat-2024"
    assert slugify("§§§") == "doc"


def test_slugify_turns_aa_into_aa():
    assert slugify("Århus") == "aarhus"


# --- Markdown through markdown-it-py --------------------------------------------

MARKDOWN = """---
title: Vejledning i formularer
tags: [a, b]
---
Formularer
==========

Læs [vejledningen][guide] og se <https://www.example.dk/hjaelp>.
Tekst med <b>fed</b> skrift<br>og en ny linje, og en pladsholder <værdi>: <tekst> pr. linje.
![Skærmbillede af knappen](billede.png)

<details>
<summary>Hvordan gemmer man en kladde?</summary>

Klik på **Gem kladde** nederst på siden.

</details>

Undertitel
----------

| Trin | Handling | Illustration |
|------|----------|--------------|
| 1 | Klik på Formularer | ![](trin1.png) |
| 2 | Vælg *Tilføj* | |

**Afsnit med fed overskrift**

- Første punkt
  - Et underpunkt
- Andet punkt

{% raw %}
{{ data.navn|upper }}
{% endraw %}

[guide]: https://www.example.dk/vejledning "Vejledning"
"""


def test_markdown_renders_through_a_real_parser(corpus):
    (corpus / "guide.md").write_text(MARKDOWN, encoding="utf-8")
    doc = _load(corpus, "guide.md")
    lines = doc.text.splitlines()
    assert doc.title == "Vejledning i formularer"
    assert "tags" not in doc.meta  # lists in front matter are not metadata we use
    # setext headings, and a paragraph of bold text only, are headings
    # (a bold paragraph stands below every marked level: ``BOLD_HEADING_LEVEL``)
    for heading in ("# Formularer", "## Undertitel", "####### Afsnit med fed overskrift"):
        assert heading in lines
    # reference links and autolinks: the text stays, the URL goes to ``links``
    assert "Læs vejledningen og se https://www.example.dk/hjaelp." in lines
    assert ("vejledningen", "https://www.example.dk/vejledning") in doc.links
    assert ("https://www.example.dk/hjaelp", "https://www.example.dk/hjaelp") in doc.links
    # inline HTML: tags dropped, text kept, <br> a line break; placeholders are text
    assert "Tekst med fed skrift" in lines
    assert "og en ny linje, og en pladsholder <værdi>: <tekst> pr. linje." in lines
    # <details><summary>: the text without the tags
    assert "Hvordan gemmer man en kladde?" in lines
    assert "Klik på Gem kladde nederst på siden." in lines
    # tables: one line per row, "header: value", empty cells (images) left out
    assert "Trin: 1; Handling: Klik på Formularer" in lines
    assert "Trin: 2; Handling: Vælg Tilføj" in lines
    assert "- Første punkt" in lines and "- Et underpunkt" in lines
    assert "{{ data.navn|upper }}" in doc.text  # Jekyll's {% raw %} tags go, the code stays
    for junk in ("![", "](", "**", "<b>", "<br", "<details", "<summary", "|---", "{% raw", "png"):
        assert junk not in doc.text, junk


def test_markdown_table_rows_cut_off_by_a_blank_line_in_a_cell(corpus):
    # Converted pages hold multi-paragraph cells; Markdown ends the table at the
    # blank line and the next rows arrive as paragraphs with pipes in them.
    (corpus / "trin.md").write_text(
        "Trin | Handling | Illustration\n"
        "---|---|---\n"
        "1 | Gå til Indstillinger | ![](a.png)\n"
        "2 | Udfyld følgende\n"
        "\n"
        "**Label** : Titel på elementet  |  ![](b.png)\n"
        "3 | Klik Gem | \n",
        encoding="utf-8",
    )
    lines = _load(corpus, "trin.md").text.splitlines()
    assert "Trin: 1; Handling: Gå til Indstillinger" in lines
    assert "Trin: 2; Handling: Udfyld følgende" in lines
    assert "Label : Titel på elementet" in lines
    assert "Trin: 3; Handling: Klik Gem" in lines
    assert not any("|" in line for line in lines)


def test_pipes_in_code_are_not_table_cells(corpus):
    (corpus / "kode.md").write_text(
        "A | B\n--|--\n1 | 2\n\nFiltret skrives {{ data.cpr|slice(0,2) }} i feltet.\n",
        encoding="utf-8",
    )
    assert "{{ data.cpr|slice(0,2) }}" in _load(corpus, "kode.md").text


def test_invalid_front_matter_is_a_clear_skip(corpus):
    (corpus / "brudt.md").write_text("---\ntitle: [ikke lukket\n---\nTekst.\n", encoding="utf-8")
    docs, warnings = load_corpus(corpus)
    assert docs == [] and len(warnings) == 1
    assert "brudt.md" in warnings[0] and "front matter" in warnings[0]


# --- HTML through trafilatura -----------------------------------------------------

ARTICLE = """<!doctype html><html lang="da"><head><title>Ny løsning til KOL-patienter</title>
<link rel="canonical" href="https://www.region.example/kol"></head><body>
<header><nav><a href="/">Forside</a> <a href="/om">Om regionen</a></nav></header>
<div class="cookie-banner"><p>Vi bruger cookies til statistik. Accepter alle eller afvis.</p></div>
<article>
<h1>Ny løsning til KOL-patienter</h1>
<p class="byline">Redaktør: Hans Hansen</p>
<p>Sidst opdateret 3. maj 2024</p>
<p>Regionerne har indført en <a href="https://www.region.example/telemedicin">telemedicinsk
løsning</a>, som hjælper patienter med KOL til at måle deres værdier derhjemme.</p>
<h2>Hvem kan bruge den?</h2>
<p>Alle patienter med KOL, som er tilknyttet et hospital i regionen, kan få løsningen.</p>
<table><tr><th>Region</th><th>Start</th></tr><tr><td>Sjælland</td><td>2024</td></tr></table>
<p>Del på Facebook | Del på LinkedIn | Print</p>
</article>
<footer><p>Regionens sidefod FOOTERTEKST</p></footer>
</body></html>
"""


def test_html_article_without_furniture(corpus):
    (corpus / "kol.html").write_text(ARTICLE, encoding="utf-8")
    doc = _load(corpus, "kol.html")
    lines = doc.text.splitlines()
    assert doc.title == "Ny løsning til KOL-patienter"
    assert doc.url == "https://www.region.example/kol"
    assert "## Hvem kan bruge den?" in lines
    assert "Region: Sjælland; Start: 2024" in lines
    assert ("telemedicinsk løsning", "https://www.region.example/telemedicin") in doc.links
    for junk in ("Redaktør", "Sidst opdateret", "Del på", "Print", "cookies", "Forside", "FOOTER"):
        assert junk not in doc.text, junk


def test_html_falls_back_to_beautifulsoup_when_trafilatura_finds_nothing(corpus, monkeypatch):
    import assistant.markup as markup

    monkeypatch.setattr(markup, "_trafilatura", lambda html: None)
    (corpus / "kol.html").write_text(ARTICLE, encoding="utf-8")
    doc = _load(corpus, "kol.html")
    assert "## Hvem kan bruge den?" in doc.text.splitlines()
    assert "Regionerne har indført en telemedicinsk løsning" in squash(doc.text)
    assert "Redaktør" not in doc.text and "FOOTERTEKST" not in doc.text


def test_html_with_only_a_script_is_skipped(corpus):
    (corpus / "tom.html").write_text("<html><body><script>x()</script></body></html>")
    docs, warnings = load_corpus(corpus)
    assert docs == [] and len(warnings) == 1 and "tom.html" in warnings[0]


# --- page furniture ----------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Redaktør",
        "Redaktør: Hans Hansen",
        "Ansvarlig redaktør: Mette Ørsted-Jensen",
        "Skrevet af Anne Berg",
        "Af Lars Lyngsøe Højberg",
        "Sidst opdateret: 12. marts 2024",
        "Senest opdateret 03.05.2024 kl. 14:05",
        "Udgivet 2024-05-01",
        "Last updated May 3, 2024",
        "22-02-2021",
        "Del på Facebook",
        "Del siden",
        "Facebook | LinkedIn | Mail | Print",
        "Print",
        "Udskriv siden",
        "Til toppen",
        "Vi bruger cookies til statistik og markedsføring. Accepter alle eller tilpas.",
        "This website uses cookies. Allow all",
    ],
)
def test_page_furniture_is_recognised(line):
    assert is_furniture(line)


@pytest.mark.parametrize(
    "line",
    [
        "Af samme grund har regionerne et fælles system.",
        "Redaktøren godkender indholdet, før formularen publiceres.",
        "Print af recepter sker i FMK.",
        "Opdateret vejledning til MitID findes på borger.dk.",
        "Del gerne dine erfaringer med de andre regioner på mødet.",
        "Cookies er små tekstfiler, som gemmes på din computer.",
        "RSI ledes af tre fora.",
        "1. juli 2026 lukker DAWA.",
    ],
)
def test_text_is_not_page_furniture(line):
    assert not is_furniture(line)


def test_cms_embed_tokens_are_dropped_and_brackets_in_text_kept(corpus):
    # A Drupal page exported to Markdown: the picture's settings stand in the text.
    (corpus / "logs.md").write_text(
        "# Logs\n\nAktivér logning under Indstillinger."
        ' [[{"fid":"265","view_mode":"default","fields":{"alt":"Logs [und][value]"},'
        '"type":"media"}]]\n\nSkriv [webform_submission:values:html] i e-mailen.\n',
        encoding="utf-8",
    )
    text = _load(corpus, "logs.md").text
    assert "fid" not in text and "view_mode" not in text
    assert "Aktivér logning under Indstillinger." in text
    assert "[webform_submission:values:html]" in text  # a token the reader types stays
    # A token on its own line takes no line break with it; JSON in the text stays.
    (corpus / "media.md").write_text(
        '# Logs\n\n[[{"fid":"7","type":"media"}]]\n\nLogning slås til.\n\n'
        '```\n[[{"id": 1, "navn": "Aarhus"}], [{"id": 2}]]\n```\n',
        encoding="utf-8",
    )
    text = _load(corpus, "media.md").text
    assert "Logning slås til." in text and '"navn": "Aarhus"' in text
    assert "fid" not in text
    # The same in a plain text copy of a health-IT page.
    (corpus / "side.txt").write_text(
        'Sundhedsjournalen samler data.[[{"fid":"12","type":"media"}]] Se [1].\n',
        encoding="utf-8",
    )
    assert _load(corpus, "side.txt").text == "Sundhedsjournalen samler data. Se [1]."


def test_txt_drops_its_byline(corpus):
    (corpus / "side.txt").write_text(
        "Om RSI\n\nHvis du vil vide mere, kan du besøge hjemmesiden.\nRedaktør\n", encoding="utf-8"
    )
    assert (
        _load(corpus, "side.txt").text
        == "Om RSI\n\nHvis du vil vide mere, kan du besøge hjemmesiden."
    )


# --- sidecar metadata ----------------------------------------------------------------


def test_sidecar_json_gives_a_txt_its_title_and_url(corpus):
    (corpus / "rsi.txt").write_text("Første linje\n\nRSI ledes af tre fora.", encoding="utf-8")
    (corpus / "rsi.txt.meta.json").write_text(
        '{"title": "Regionernes Sundheds-it", "url": "https://www.example.dk/rsi", '
        '"date": "2024-05-01", "ukendt": "ignoreres"}',
        encoding="utf-8",
    )
    doc = _load(corpus, "rsi.txt")
    assert (doc.title, doc.url, doc.date) == (
        "Regionernes Sundheds-it",
        "https://www.example.dk/rsi",
        "2024-05-01",
    )
    assert "ukendt" not in doc.meta
    assert doc.text == "Første linje\n\nRSI ledes af tre fora."  # the file itself is untouched
    assert corpus_files(corpus) == [corpus / "rsi.txt"]  # a sidecar is not a document
    assert source_files(corpus) == [corpus / "rsi.txt", corpus / "rsi.txt.meta.json"]


def test_sidecar_yaml_wins_over_front_matter(corpus):
    (corpus / "notat.md").write_text("---\ntitle: Gammel titel\n---\nTekst.\n", encoding="utf-8")
    (corpus / "notat.meta.yaml").write_text("title: Ny titel\nurl: https://x.example/n\n")
    doc = _load(corpus, "notat.md")
    assert doc.title == "Ny titel" and doc.url == "https://x.example/n"


def test_broken_sidecar_keeps_the_document_and_warns(corpus):
    (corpus / "a.txt").write_text("Et afsnit.", encoding="utf-8")
    (corpus / "a.txt.meta.json").write_text("{ikke json", encoding="utf-8")
    docs, warnings = load_corpus(corpus)
    assert [d.path for d in docs] == ["a.txt"] and docs[0].title == "Et afsnit."
    assert len(warnings) == 1 and "a.txt.meta.json" in warnings[0]


# --- text or not ---------------------------------------------------------------------


def test_binary_txt_without_nul_bytes_is_skipped_once(corpus):
    import random

    rng = random.Random(7)
    noise = bytes(b for b in (rng.randrange(1, 256) for _ in range(20_000)))
    assert b"\x00" not in noise
    (corpus / "støj.txt").write_bytes(noise)
    (corpus / "støj.md").write_bytes(noise[::-1])
    (corpus / "ok.txt").write_text("RSI ledes af tre fora.", encoding="utf-8")
    docs, warnings = load_corpus(corpus)
    assert [d.path for d in docs] == ["ok.txt"]
    assert len(warnings) == 2
    assert all("binary" in w and "unprintable" in w for w in warnings)


def test_text_with_a_few_control_characters_is_still_text(corpus):
    text = "Regionerne – Sjælland og Ærø.\f\nSide 2\x1b med et enkelt styretegn. " * 20
    (corpus / "side.txt").write_bytes(text.encode("cp1252"))
    assert "Ærø" in _load(corpus, "side.txt").text
    assert unprintable_share(text) < 0.05
    assert unprintable_share("æøå\ufffd\ufffd\ufffd") > 0.05  # replacement characters count


# --- the second real corpus (read from ../shared, never copied) ------------------------

OS2FORMS = (
    Path(__file__).resolve().parents[2] / "shared" / "corpora" / "os2forms-docs-da" / "corpus"
)


@pytest.mark.skipif(not OS2FORMS.is_dir(), reason="the os2forms corpus is not beside the checkout")
def test_os2forms_corpus_loads_without_markup():
    from assistant.chunking import chunk_corpus

    docs, warnings = load_corpus(OS2FORMS)
    assert len(docs) == 52 and warnings == []
    chunks, left_out = chunk_corpus(docs, 45)
    assert left_out == []  # nothing in real documentation looks like an attack
    texts = {d.doc_id: squash(d.text) for d in docs}
    for chunk in chunks:
        assert chunk.text in texts[chunk.doc_id]  # the citation invariant
        for junk in ("![", "**", "<br", "<details", "---|", "|---", "{% raw"):
            assert junk not in chunk.text, (chunk.chunk_id, junk)
    assert sum("](" in c.text for c in chunks) <= 1  # one broken link in the source itself
    assert sum(c.url is not None for c in chunks) > 50  # passages with links cite them


def test_hostile_html_in_markdown_never_reaches_the_text(corpus):
    (corpus / "xss.md").write_text(
        "Et afsnit med <script>window.__pwned = 1</script> og "
        '<img src=x onerror="window.__pwned = 2"> midt i teksten.\n\n'
        "<script>\nwindow.__pwned = 3\n</script>\n\nSidste afsnit.\n",
        encoding="utf-8",
    )
    doc = _load(corpus, "xss.md")
    assert squash(doc.text) == "Et afsnit med og midt i teksten. Sidste afsnit."


def test_a_document_without_a_title_takes_its_first_heading_or_its_file_name(corpus):
    long_first = "Denne vejledning beskriver " + "trin for trin " * 12 + "hvordan man gør."
    (corpus / "vejledning.md").write_text(
        f"{long_first}\n\n# Opsætning af formularen\n\nGå til Indstillinger.", encoding="utf-8"
    )
    (corpus / "aarsrapport_2025-final.txt").write_text(long_first, encoding="utf-8")
    assert _load(corpus, "vejledning.md").title == "Opsætning af formularen"
    assert _load(corpus, "aarsrapport_2025-final.txt").title == "Aarsrapport 2025 final"


def test_exported_pdf_reads_headings_by_size_tables_as_rows_and_drops_its_header(corpus):
    from assistant.chunking import chunk_document

    page = [
        (72, 800, 8, False, "Vejledning til journalen"),  # running header, small
        (72, 740, 16, True, "Adgang til journalen"),
        (72, 712, 11, False, "Borgeren kan se sin journal på sundhed.dk, når lægen har"),
        (72, 698, 11, False, "CPR-nummer og samtykke registreret."),
        (72, 676, 11, True, "Trin"),
        (200, 676, 11, True, "Handling"),
        (72, 658, 11, False, "1"),
        (200, 658, 11, False, "Log ind med MitID"),
        (200, 644, 11, False, "på sundhed.dk"),
        (72, 626, 11, False, "2"),
        (200, 626, 11, False, "Vælg Journal"),
        (72, 40, 8, False, "Side 1"),
    ]
    (corpus / "journal.pdf").write_bytes(_pdf_set([page]))
    doc = _load(corpus, "journal.pdf")
    assert doc.text.split("\n\n") == [
        "# Adgang til journalen",
        "Borgeren kan se sin journal på sundhed.dk, når lægen har CPR-nummer og samtykke "
        "registreret.",
        "Trin: 1; Handling: Log ind med MitID på sundhed.dk",
        "Trin: 2; Handling: Vælg Journal",
    ]
    assert {c.heading for c in chunk_document(doc, max_words=45)} == {"Adgang til journalen"}


def test_exported_pdf_keeps_a_paragraph_whole_over_a_page_break(corpus):
    header = "Kommunens retningslinjer for indsendelser"
    pages = [
        [
            (72, 800, 8, False, header),
            (72, 740, 14, True, "Sletning af indsendelser"),
            (72, 712, 10, False, "Indsendelser med personfølsomme oplysninger slettes"),
            (72, 699, 10, False, "automatisk, og koordinationsgruppen anbefaler, at"),
            (72, 40, 8, False, "Side 1 af 2"),
        ],
        [
            (72, 800, 8, False, header),
            (72, 740, 10, False, "der vælges 30 dage."),
            (72, 721, 10, False, "Vedhæftninger slettes også."),
            (72, 40, 8, False, "Side 2 af 2"),
        ],
    ]
    (corpus / "slet.pdf").write_bytes(_pdf_set(pages))
    doc = _load(corpus, "slet.pdf")
    assert doc.text.split("\n\n") == [
        "# Sletning af indsendelser",
        "Indsendelser med personfølsomme oplysninger slettes automatisk, og "
        "koordinationsgruppen anbefaler, at der vælges 30 dage.",
        "Vedhæftninger slettes også.",
    ]


def test_docx_lists_are_one_block_with_word_numbers_and_bullets(corpus):
    docx = pytest.importorskip("docx")
    word = docx.Document()
    word.add_paragraph("Sådan opretter du en formular:")
    for step in ("Klik på Formularer", "Vælg Tilføj formular", "Gem formularen"):
        word.add_paragraph(step, style="List Number")
    word.add_paragraph("Formularen kan bruges til:")
    for use in ("ansøgninger", "tilmeldinger"):
        word.add_paragraph(use, style="List Bullet")
    word.save(corpus / "formular.docx")
    doc = _load(corpus, "formular.docx")
    assert doc.text.split("\n\n") == [
        "Sådan opretter du en formular:",
        "1. Klik på Formularer\n2. Vælg Tilføj formular\n3. Gem formularen",
        "Formularen kan bruges til:",
        "- ansøgninger\n- tilmeldinger",
    ]


def test_docx_numbering_set_on_the_paragraph_itself_counts_too(corpus):
    import copy

    docx = pytest.importorskip("docx")
    word = docx.Document()
    numbered = word.styles["List Number"].element.pPr.numPr  # Word's own numbering
    word.add_paragraph("Patienten skal medbringe:")
    for item in ("sundhedskort", "medicinliste"):
        p = word.add_paragraph(item)  # style Normal, numbered directly
        p._p.get_or_add_pPr().append(copy.deepcopy(numbered))
    word.add_paragraph("Mød op ti minutter før.")
    word.save(corpus / "indkaldelse.docx")
    assert _load(corpus, "indkaldelse.docx").text.split("\n\n") == [
        "Patienten skal medbringe:",
        "1. sundhedskort\n2. medicinliste",
        "Mød op ti minutter før.",
    ]


def test_docx_short_bold_paragraph_is_a_heading_and_bold_lead_in_is_not(corpus):
    docx = pytest.importorskip("docx")
    word = docx.Document()
    word.add_paragraph().add_run("Adgang til journalen").bold = True
    p = word.add_paragraph()
    p.add_run("Bemærk:").bold = True
    p.add_run(" borgeren skal logge ind med MitID.")
    word.add_paragraph().add_run(
        "Denne lange fremhævede sætning er en advarsel og ikke en overskrift, "
        "selv om hele sætningen står med fed skrift."
    ).bold = True
    strong = word.styles.add_style("Fremhævet afsnit", 1)  # a paragraph style set in bold
    strong.base_style = word.styles["Normal"]
    strong.font.bold = True
    word.add_paragraph("Prøvesvar", style=strong)
    word.add_paragraph("Svarene kan ses efter syv dage.")
    word.save(corpus / "adgang.docx")
    blocks = _load(corpus, "adgang.docx").text.split("\n\n")
    assert blocks[0] == "####### Adgang til journalen"  # below every heading style
    assert blocks[1] == "Bemærk: borgeren skal logge ind med MitID."
    assert not blocks[2].startswith("#")
    assert blocks[3:] == ["####### Prøvesvar", "Svarene kan ses efter syv dage."]


def test_docx_hyperlinks_are_kept_as_links_and_datelines_dropped(corpus):
    docx = pytest.importorskip("docx")
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    word = docx.Document()
    word.add_paragraph("Sidst opdateret: 12. marts 2024")
    p = word.add_paragraph("Læs mere i ")
    link = OxmlElement("w:hyperlink")
    link.set(
        qn("r:id"),
        p.part.relate_to("https://www.sundhed.dk/borger", RELATIONSHIP_TYPE.HYPERLINK, True),
    )
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "vejledningen på sundhed.dk"
    run.append(text)
    link.append(run)
    p._p.append(link)
    word.save(corpus / "link.docx")
    doc = _load(corpus, "link.docx")
    assert doc.text == "Læs mere i vejledningen på sundhed.dk"
    assert doc.links == (("vejledningen på sundhed.dk", "https://www.sundhed.dk/borger"),)


def test_docx_table_of_contents_is_left_out(corpus):
    docx = pytest.importorskip("docx")
    word = docx.Document()
    toc = word.styles.add_style("TOC 1", 1)
    word.add_paragraph("Indledning\t3", style=toc)
    word.add_paragraph("Tilmelding til kurset\t4", style=toc)
    word.add_heading("Indledning", level=1)
    word.add_paragraph("Kurset handler om den fælles journal.")
    word.save(corpus / "kursus.docx")
    assert _load(corpus, "kursus.docx").text.split("\n\n") == [
        "# Indledning",
        "Kurset handler om den fælles journal.",
    ]


def test_word_heading_styles_give_heading_levels(corpus):
    docx = pytest.importorskip("docx")
    word = docx.Document()
    word.add_heading("Vejledning", level=0)  # the "Title" style
    word.add_heading("Installation", level=1)
    word.add_heading("Krav", level=2)
    word.add_paragraph("Du skal have Windows 11.")
    word.save(corpus / "vejledning.docx")
    blocks = _load(corpus, "vejledning.docx").text.split("\n\n")
    assert blocks == ["# Vejledning", "# Installation", "## Krav", "Du skal have Windows 11."]


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium to print a PDF")
def test_a_pdf_printed_by_a_browser_reads_with_whole_words(tmp_path):
    """Chromium sets "fi"/"fl" as ligatures, which pypdf's layout mode misplaces: the
    words after one come out torn apart unless the plain reading mends them."""
    import subprocess

    sentence = (
        "Du kan bruge denne vejledning, hvis en formular skal være en del af et flow og "
        "borgeren skal kunne besøge formularen, når kommunen har konfigureret CPR-opslaget "
        "og verificeret at det virker i det officielle testmiljø."
    )
    page = tmp_path / "side.html"
    page.write_text(
        "<html><head><meta charset='utf-8'><title>Vejledning</title></head><body>"
        f"<h1>Autentificering i flow</h1><p>{sentence}</p><p>{sentence}</p></body></html>",
        encoding="utf-8",
    )
    pdf = tmp_path / "vejledning.pdf"
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    doc = load_document(pdf, tmp_path)
    assert squash(sentence) in squash(doc.text)


def _wrap(element, tag: str):
    """Put ``element`` inside a new ``w:<tag>`` (through ``w:sdtContent`` for a content
    control), where it stood."""
    from docx.oxml import OxmlElement

    outer = OxmlElement(f"w:{tag}")
    inner = outer
    if tag == "sdt":
        inner = OxmlElement("w:sdtContent")
        outer.append(inner)
    element.addprevious(outer)
    inner.append(element)
    return outer


def _add_run(parent, text: str, inside: str | None = None, tag: str = "w:t"):
    """Append a run showing ``text`` to ``parent`` (a paragraph element), inside a new
    ``w:<inside>`` element when given (a content control, a tracked change)."""
    from docx.oxml import OxmlElement

    if inside is not None:
        wrapper = OxmlElement(f"w:{inside}")
        parent.append(wrapper)
        parent = wrapper
        if inside == "sdt":
            parent.append(OxmlElement("w:sdtContent"))
            parent = parent[0]
    run, t = OxmlElement("w:r"), OxmlElement(tag)
    t.text = text
    run.append(t)
    parent.append(run)


def test_docx_text_inside_content_controls_is_read(corpus):
    """Word templates wrap whole sections (and single fields) in content controls;
    their text is the document's text like any other."""
    docx = pytest.importorskip("docx")
    word = docx.Document()
    word.add_heading("Vejledning", 1)
    word.add_paragraph("Teksten før feltet.")
    section = word.add_paragraph("Journalen gemmes i ti år efter sidste kontakt.")
    _wrap(section._p, "sdt")
    table = word.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Felt", "Værdi"
    table.cell(1, 0).text = "Ansvarlig"
    _wrap(table._tbl, "sdt")
    field = word.add_paragraph("Dokumentet er godkendt af ")
    _add_run(field._p, "afdelingens ledelse", inside="sdt")
    word.save(corpus / "skabelon.docx")
    doc = _load(corpus, "skabelon.docx")
    assert "Journalen gemmes i ti år efter sidste kontakt." in doc.text
    assert "Felt: Ansvarlig" in doc.text
    assert "Dokumentet er godkendt af afdelingens ledelse" in doc.text
    assert doc.text.index("Teksten før") < doc.text.index("Journalen") < doc.text.index("Felt")


def test_docx_deleted_and_moved_away_text_of_tracked_changes_is_not_read(corpus):
    docx = pytest.importorskip("docx")
    word = docx.Document()
    paragraph = word.add_paragraph("Svartiden er ")
    _add_run(paragraph._p, "fem", inside="del", tag="w:delText")
    _add_run(paragraph._p, "otte ", inside="moveFrom")
    _add_run(paragraph._p, "tre", inside="ins")
    _add_run(paragraph._p, " dage.")
    word.save(corpus / "rettet.docx")
    doc = _load(corpus, "rettet.docx")
    assert "Svartiden er tre dage." in doc.text
    assert "fem" not in doc.text and "otte" not in doc.text


def test_docx_text_as_word_shows_it(corpus):
    """A non-breaking hyphen is a hyphen, a tab stop of the paragraph's layout is no
    text, an unfilled content control's prompt is no content, a row deleted as a
    tracked change is gone, and a text box's paragraph is not glued to the text."""
    docx = pytest.importorskip("docx")
    from docx.oxml import OxmlElement

    word = docx.Document()
    hyphen = word.add_paragraph()
    for tag, text in (("w:t", "CPR"), ("w:noBreakHyphen", None), ("w:t", "nummeret tastes")):
        run, el = OxmlElement("w:r"), OxmlElement(tag)
        if text:
            el.text = text
        run.append(el)
        hyphen._p.append(run)
    tabbed = word.add_paragraph("Navn\tSide 3")
    stops = OxmlElement("w:tabs")
    stops.append(OxmlElement("w:tab"))
    tabbed._p.get_or_add_pPr().append(stops)
    prompt = word.add_paragraph("Klik eller tryk her for at skrive tekst.")
    control = _wrap(prompt._p, "sdt")
    properties = OxmlElement("w:sdtPr")
    properties.append(OxmlElement("w:showingPlcHdr"))
    control.insert(0, properties)
    table = word.add_table(rows=3, cols=2)
    for r, (a, b) in enumerate([("Frist", "Dage"), ("Klage", "30"), ("Ansøgning", "90")]):
        table.cell(r, 0).text, table.cell(r, 1).text = a, b
    row_properties = OxmlElement("w:trPr")
    row_properties.append(OxmlElement("w:del"))
    table.rows[2]._tr.insert(0, row_properties)
    boxed = word.add_paragraph()
    box = OxmlElement("w:txbxContent")
    inner = OxmlElement("w:p")
    _add_run(inner, "Bemærk")
    box.append(inner)
    holder = OxmlElement("w:r")
    holder.append(box)
    boxed._p.append(holder)
    _add_run(boxed._p, "Svartiden er tre dage.")
    word.save(corpus / "visning.docx")
    doc = _load(corpus, "visning.docx")
    assert "CPR-nummeret tastes" in doc.text
    assert "Navn Side 3" in " ".join(doc.text.split())
    assert "Klik eller tryk" not in doc.text
    assert "Frist: Klage; Dage: 30" in doc.text and "Ansøgning" not in doc.text
    assert "BemærkSvartiden" not in doc.text and "Svartiden er tre dage." in doc.text


def test_docx_table_rows_inside_a_content_control_are_read(corpus):
    """A repeating section wraps table rows in a content control; they are rows."""
    docx = pytest.importorskip("docx")
    word = docx.Document()
    table = word.add_table(rows=3, cols=2)
    for r, (a, b) in enumerate([("Sag", "Frist"), ("Klage", "30 dage"), ("Ansøgning", "90 dage")]):
        table.cell(r, 0).text, table.cell(r, 1).text = a, b
    _wrap(table.rows[2]._tr, "sdt")
    word.save(corpus / "frister.docx")
    doc = _load(corpus, "frister.docx")
    assert "Sag: Klage; Frist: 30 dage" in doc.text
    assert "Sag: Ansøgning; Frist: 90 dage" in doc.text
    # A cell merged down into such a row: python-docx cannot follow the merge there;
    # the row is still read, with the cells it holds.
    merged = docx.Document()
    table = merged.add_table(rows=3, cols=2)
    for r, (a, b) in enumerate([("Sag", "Frist"), ("Klage", "30 dage"), ("", "90 dage")]):
        table.cell(r, 0).text, table.cell(r, 1).text = a, b
    table.cell(1, 0).merge(table.cell(2, 0))
    _wrap(table.rows[2]._tr, "sdt")
    merged.save(corpus / "flettet.docx")
    doc = _load(corpus, "flettet.docx")
    assert "Sag: Klage; Frist: 30 dage" in doc.text and "90 dage" in doc.text


@pytest.mark.parametrize(
    "stored, title",
    [
        ("Microsoft Word - notat_om_journalfoering.docx", None),
        ("rapport-2025-final.pdf", None),
        ("Dokument1", None),
        ("Untitled", None),
        ("Skabelon", None),
        ("  ", None),
        ("Retningslinjer for journalføring", "Retningslinjer for journalføring"),
        ("Notat om databehandling 2025", "Notat om databehandling 2025"),
    ],
)
def test_a_title_a_program_wrote_for_an_untitled_file_is_no_title(stored, title):
    assert embedded_title(stored) == title


def test_a_word_file_with_a_placeholder_title_takes_its_first_heading(corpus):
    docx = pytest.importorskip("docx")
    word = docx.Document()
    word.core_properties.title = "Dokument1"
    word.add_heading("Retningslinjer for journalføring", 1)
    word.add_paragraph("Journalen føres samme dag som kontakten.")
    word.save(corpus / "retningslinjer.docx")
    assert _load(corpus, "retningslinjer.docx").title == "Retningslinjer for journalføring"


@pytest.mark.parametrize(
    ("source", "text"),
    [
        # Lines broken by hand after a line that announces them are its list items.
        (
            "Modulet skal sættes op på følgende to sider:<br>\n`/admin/a-cvr`<br>\n`/admin/a-pnr`",
            "Modulet skal sættes op på følgende to sider:\n- /admin/a-cvr\n- /admin/a-pnr",
        ),
        (  # a line ending in two spaces is a break by hand too
            "Regionerne samarbejder om:  \nSundhedsjournalen  \nTelemedicin",
            "Regionerne samarbejder om:\n- Sundhedsjournalen\n- Telemedicin",
        ),
        # One line after a label is its value.
        (
            "Webservice URL (LIVE):<br>\n`https://graphql.example.dk/v1`",
            "Webservice URL (LIVE): https://graphql.example.dk/v1",
        ),
        # Other breaks join the lines, as a wrapped line is joined; a soft break too.
        ("En lang sætning der<br>fortsætter her.", "En lang sætning der\nfortsætter her."),
        ("Første linje\nanden linje.", "Første linje\nanden linje."),
    ],
)
def test_lines_broken_by_hand(source, text):
    from assistant.markup import markdown_to_text

    assert markdown_to_text(source).text == text


def test_a_link_broken_by_hand_keeps_its_text_in_one_line():
    from assistant.markup import HARD_BREAK, markdown_to_text

    rendered = markdown_to_text("Se [linket<br>her](https://example.dk/a) nu.")
    assert rendered.links == [("linket her", "https://example.dk/a")]
    assert HARD_BREAK not in rendered.text
