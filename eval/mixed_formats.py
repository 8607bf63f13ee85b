"""A mixed-format copy of a Markdown corpus, to measure the PDF and Word readers.

Real document collections are not all Markdown: RSI's own reports come as PDF and
Word files. This writes a copy of a Markdown corpus (front matter title kept) in
which every third file is printed to PDF by headless chromium (Markdown -> HTML ->
PDF, as a browser prints a page) and every third plus one is written as a Word file
(python-docx: heading styles, list styles, bold runs, real tables); the rest stay
Markdown. The same question set then runs on both copies:

    python eval/mixed_formats.py ../shared/corpora/os2forms-docs-da/corpus /tmp/os2mix
    rsi-assistant eval --corpus /tmp/os2mix --set eval/sets/os2forms.jsonl --split tune

``--only docx`` writes every other file as Word and no PDF. Never write the copy
into the repository: it holds the corpus's text. Needs Debian chromium for PDF.
"""

from __future__ import annotations

import argparse
import html
import shutil
import subprocess
from pathlib import Path

import docx
import frontmatter
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt

CHROMIUM = "chromium"
_MD = MarkdownIt("commonmark").enable("table")


def _runs(token) -> list[tuple[str, bool]]:
    """An inline token's text as (text, bold) runs."""
    out, bold = [], False
    for c in token.children or []:
        if c.type == "strong_open":
            bold = True
        elif c.type == "strong_close":
            bold = False
        elif c.type in ("text", "code_inline"):
            out.append((html.unescape(c.content), bold))
        elif c.type in ("softbreak", "hardbreak"):
            out.append((" " if c.type == "softbreak" else "\n", bold))
    return out


def _text(token) -> str:
    return "".join(t for t, _ in _runs(token))


def _table(document, rows: list[list[str]]) -> None:
    if not rows:
        return
    table = document.add_table(rows=len(rows), cols=max(len(r) for r in rows))
    for r, cells in enumerate(rows):
        for c, value in enumerate(cells):
            table.cell(r, c).text = value


def to_docx(title: str, body: str, path: Path) -> None:
    document = docx.Document()
    document.core_properties.title = title
    tokens = _MD.parse(body)
    lists: list[str] = []
    rows: list[list[str]] | None = None
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t.type == "heading_open":
            document.add_heading(_text(tokens[i + 1]), min(int(t.tag[1]), 9))
            i += 3
            continue
        if t.type in ("bullet_list_open", "ordered_list_open"):
            lists.append(t.type[0])
        elif t.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif t.type == "table_open":
            rows = []
        elif t.type == "tr_open" and rows is not None:
            rows.append([])
        elif t.type in ("th_open", "td_open") and rows is not None:
            rows[-1].append(_text(tokens[i + 1]))
            i += 3
            continue
        elif t.type == "table_close":
            _table(document, rows or [])
            rows = None
        elif t.type == "inline" and rows is None and _text(t).strip():
            style = None
            if lists:
                style = "List Bullet" if lists[-1] == "b" else "List Number"
            paragraph = document.add_paragraph(style=style)
            for text, bold in _runs(t):
                paragraph.add_run(text).bold = bold
        elif t.type in ("fence", "code_block"):
            document.add_paragraph(t.content)
        elif t.type == "html_block":
            soup = BeautifulSoup(t.content, "html.parser")
            html_rows = soup.find_all("tr")
            if html_rows:
                _table(
                    document,
                    [
                        [c.get_text(" ", strip=True) for c in r.find_all(["td", "th"])]
                        for r in html_rows
                    ],
                )
            else:
                for line in soup.get_text("\n").split("\n"):
                    if line.strip():
                        document.add_paragraph(line.strip())
        i += 1
    document.save(str(path))


def to_pdf(title: str, body: str, path: Path) -> None:
    page = (
        f"<html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body>{_MD.render(body)}</body></html>"
    )
    source = path.with_suffix(".html")
    source.write_text(page, encoding="utf-8")
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--print-to-pdf={path}",
            source.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    source.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="folder of Markdown files")
    parser.add_argument("target", type=Path, help="new folder (replaced if it exists)")
    parser.add_argument("--only", choices=["docx"], help="Word files only, no PDF")
    args = parser.parse_args()
    shutil.rmtree(args.target, ignore_errors=True)
    args.target.mkdir(parents=True)
    for n, path in enumerate(sorted(args.source.glob("*.md"))):
        post = frontmatter.load(str(path))
        title = html.unescape(str(post.get("title", path.stem)))
        if args.only == "docx":
            kind = "docx" if n % 2 == 0 else "md"
        else:
            kind = ("pdf", "docx", "md")[n % 3]
        if kind == "pdf":
            to_pdf(title, post.content, args.target / f"{path.stem}.pdf")
        elif kind == "docx":
            to_docx(title, post.content, args.target / f"{path.stem}.docx")
        else:
            shutil.copy(path, args.target / path.name)
    print(f"{len(list(args.target.iterdir()))} files in {args.target}")


if __name__ == "__main__":
    main()
