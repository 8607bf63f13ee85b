"""Read the corpus folder into clean documents: one loader per file type.

A file that cannot be read is skipped with a warning that names it; the rest of
the corpus is still indexed.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.normalize import normalize_text

log = logging.getLogger(__name__)

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    text: str  # normalised; headings as lines starting with "# "
    path: str  # relative to the corpus folder
    sha256: str  # of the raw file bytes
    url: str | None = None
    date: str | None = None
    meta: dict = field(default_factory=dict, compare=False)


class LoadError(Exception):
    """A file that cannot be turned into text."""


def decode_bytes(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else cp1252, else latin-1 (never fails)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _check_text(raw: bytes, path: Path) -> None:
    if b"\x00" in raw[:4096]:
        raise LoadError(f"{path.name}: looks like a binary file, not text")


_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Simple ``key: value`` front matter between ``---`` lines."""
    m = _FRONT.match(text)
    if not m:
        return {}, text
    meta = {}
    for line in m.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            meta[key.strip().lower()] = value.strip().strip("\"'")
    return meta, text[m.end() :]


def load_text(path: Path) -> tuple[dict, str]:
    raw = path.read_bytes()
    _check_text(raw, path)
    return split_front_matter(decode_bytes(raw))


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_INLINE = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images -> alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links -> link text
    (re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"), r"\1"),
    (re.compile(r"(?<!\w)__(?=\S)(.+?)(?<=\S)__(?!\w)"), r"\1"),  # not inside __init__
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)\*(?!\w)"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),
]


def load_markdown(path: Path) -> tuple[dict, str]:
    meta, body = load_text(path)
    lines = []
    for line in body.splitlines():
        m = _MD_HEADING.match(line)
        if m:
            line = "# " + m.group(2)
        for pattern, repl in _MD_INLINE:
            line = pattern.sub(repl, line)
        lines.append(line)
    return meta, "\n".join(lines)


_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "iframe",
    "svg",
    "button",
)
_BLOCK_TAGS = ("p", "li", "dd", "dt", "blockquote", "pre", "td", "th", "figcaption", "caption")


def load_html(path: Path) -> tuple[dict, str]:
    from bs4 import BeautifulSoup

    raw = path.read_bytes()
    _check_text(raw, path)
    soup = BeautifulSoup(decode_bytes(raw), "html.parser")
    meta: dict[str, str] = {}
    if soup.title and soup.title.get_text(strip=True):
        meta["title"] = soup.title.get_text(" ", strip=True)
    canonical = soup.find("link", rel="canonical")
    if canonical and canonical.get("href"):
        meta["url"] = str(canonical["href"])
    for tag in soup(_DROP_TAGS):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    from bs4 import NavigableString, Tag

    headings = ("h1", "h2", "h3", "h4", "h5", "h6")
    blocks: list[str] = []
    loose: list[str] = []  # text outside any heading or block tag (in <div>, <section> ...)

    def flush() -> None:
        text = " ".join(" ".join(loose).split())
        if text:
            blocks.append(text)
        loose.clear()

    for node in root.descendants:
        if isinstance(node, Tag) and node.name in (*headings, *_BLOCK_TAGS):
            if node.find_parent((*headings, *_BLOCK_TAGS)):
                continue  # nested block: its parent already has the text
            flush()
            text = node.get_text(" ", strip=True)
            if text:
                prefix = "# " if node.name in headings else "- " if node.name == "li" else ""
                blocks.append(prefix + text)
        elif isinstance(node, Tag) and node.name in ("div", "section", "article", "br", "hr"):
            flush()
        elif type(node) is NavigableString and not node.find_parent((*headings, *_BLOCK_TAGS)):
            loose.append(str(node))
    flush()
    if not blocks:  # a page without block markup: take its text
        blocks = [root.get_text("\n", strip=True)]
    return meta, "\n\n".join(blocks)


def load_pdf(path: Path) -> tuple[dict, str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata or {}
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as exc:
        raise LoadError(f"{path.name}: not a readable PDF ({exc})") from exc
    meta = {"title": str(info.title)} if getattr(info, "title", None) else {}
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise LoadError(f"{path.name}: the PDF has no extractable text (scanned image?)")
    return meta, text


def load_docx(path: Path) -> tuple[dict, str]:
    import zipfile

    from docx import Document as DocxDocument

    try:
        doc = DocxDocument(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise LoadError(f"{path.name}: not a readable Word file ({exc})") from exc
    blocks = []
    for para in doc.paragraphs:
        text = para.text.strip()
        if not text:
            continue
        style = (para.style.name or "").lower() if para.style is not None else ""
        if style.startswith(("heading", "overskrift", "title")):
            text = "# " + text
        elif style.startswith(("list", "liste")):
            text = "- " + text
        blocks.append(text)
    meta = {"title": doc.core_properties.title} if doc.core_properties.title else {}
    return meta, "\n\n".join(blocks)


LOADERS: dict[str, Callable[[Path], tuple[dict, str]]] = {
    ".txt": load_text,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
    ".docx": load_docx,
}


def slugify(name: str) -> str:
    import unicodedata

    ascii_name = unicodedata.normalize("NFC", name.lower())
    ascii_name = ascii_name.replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    ascii_name = unicodedata.normalize("NFKD", ascii_name)
    ascii_name = "".join(c for c in ascii_name if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-") or "doc"


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Supported files below the folder, sorted, hidden files skipped."""
    if not corpus_dir.is_dir():
        return []
    return sorted(
        p
        for p in corpus_dir.rglob("*")
        if p.is_file()
        and p.suffix.lower() in SUPPORTED
        and not any(part.startswith(".") for part in p.relative_to(corpus_dir).parts)
    )


def _first_line_title(text: str) -> str | None:
    for line in text.splitlines():
        line = line.strip().lstrip("# ").strip()
        if line:
            return line[:120] if len(line) <= 120 else None
    return None


def load_document(path: Path, corpus_dir: Path) -> Document:
    """Load one file; raises LoadError with a message naming the file."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoadError(f"{path.name}: unsupported file type {path.suffix!r}")
    try:
        raw = path.read_bytes()
        meta, text = loader(path)
    except LoadError:
        raise
    except Exception as exc:  # a broken file must not stop the build
        raise LoadError(f"{path.name}: could not be read ({type(exc).__name__}: {exc})") from exc
    text = normalize_text(text)
    meta = {k: normalize_text(str(v)) for k, v in meta.items() if v}
    if not text.strip():
        raise LoadError(f"{path.name}: no text found")
    rel = path.relative_to(corpus_dir)
    doc_id = slugify(meta.get("id") or str(rel.with_suffix("")))
    return Document(
        doc_id=doc_id,
        title=meta.get("title") or _first_line_title(text) or path.stem,
        text=text,
        path=rel.as_posix(),
        sha256=hashlib.sha256(raw).hexdigest(),
        url=meta.get("url"),
        date=meta.get("date"),
        meta=meta,
    )


def load_corpus(corpus_dir: Path) -> tuple[list[Document], list[str]]:
    """All readable documents, and one warning per file that was skipped."""
    docs: list[Document] = []
    warnings: list[str] = []
    seen: dict[str, str] = {}
    for path in corpus_files(corpus_dir):
        try:
            doc = load_document(path, corpus_dir)
        except LoadError as exc:
            warnings.append(f"skipped {exc}")
            log.warning("skipped %s", exc)
            continue
        if doc.doc_id in seen:
            msg = f"skipped {doc.path}: its id {doc.doc_id!r} is already used by {seen[doc.doc_id]}"
            warnings.append(msg)
            log.warning(msg)
            continue
        seen[doc.doc_id] = doc.path
        docs.append(doc)
    return docs, warnings
