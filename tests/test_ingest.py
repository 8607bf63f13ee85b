"""Loaders for every supported file type, encodings, normalisation and broken files."""

from __future__ import annotations

import logging
import unicodedata

import pytest

from assistant.ingest import (
    corpus_files,
    decode_bytes,
    load_corpus,
    load_document,
    slugify,
)
from assistant.normalize import normalize_text, squash


def _pdf(text: str) -> bytes:
    """A minimal valid one-page PDF showing ``text`` in Helvetica (WinAnsi encoding)."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    content = f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode("cp1252")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
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
    assert "# Fora under RSI" in doc.text.splitlines()
    assert "##" not in doc.text
    assert "Se Danske Regioners side og RITA med kode." in doc.text
    assert "https://www.regioner.dk" not in doc.text
    assert "Logo for RSI" in doc.text and "logo.png" not in doc.text


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
    assert "# Projekter" in lines
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
    assert doc.text == "# Om RSI\n\nRSI er et samarbejde."
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


# --- the corpus folder ----------------------------------------------------------


def test_broken_files_are_skipped_with_a_warning_naming_them(corpus, caplog):
    (corpus / "god.txt").write_text("RSI ledes af tre fora.", encoding="utf-8")
    (corpus / "ødelagt.pdf").write_bytes(b"this is not a PDF \x00\x01\x02 at all" * 20)
    (corpus / "binær.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (corpus / "forkert.docx").write_bytes(b"PK not really a zip")
    with caplog.at_level(logging.WARNING, logger="assistant.ingest"):
        docs, warnings = load_corpus(corpus)
    assert [d.path for d in docs] == ["god.txt"]
    assert len(warnings) == 3
    for name in ("ødelagt.pdf", "binær.txt", "forkert.docx"):
        assert sum(name in w for w in warnings) == 1, (name, warnings)
        assert name in caplog.text
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
