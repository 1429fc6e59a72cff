"""Load documents from files and folders (.txt, .md, .html, .pdf, .jsonl), refusing bad files one by one."""
from __future__ import annotations

import json
import logging
import re
from collections import Counter
from pathlib import Path
from typing import Any

from retrieval.cleaning import reflow_lines
from retrieval.doc_fields import PAGE_NUMBER_RE, derive_title, normalise_date  # noqa: F401 - part of this API
from retrieval.jsonl_loader import jsonl_document, load_jsonl  # noqa: F401 - jsonl_document is part of this API
from retrieval.records import Document, LoadIssue
from retrieval.records import LoadRefused as _Refused

log = logging.getLogger(__name__)

TEXT_EXTS = frozenset({".txt", ".md"})
HTML_EXTS = frozenset({".html", ".htm"})
SUPPORTED_EXTS = TEXT_EXTS | HTML_EXTS | {".pdf", ".jsonl"}
_SUPPORTED_LIST = ".txt, .md, .html, .htm, .pdf, .jsonl"
_PRIVATE_BULLET_RE = re.compile("[\uf06e\uf0a7\uf0b7\uf0d8\uf0fc\uf076\uf02d\uf0a8\uf071\uf075\uf0e0]")


# --------------------------------------------------------------------------- public API


def load_paths(
    paths: list[str | Path], max_bytes: int = 20_000_000
) -> tuple[list[Document], list[LoadIssue]]:
    """Load every supported file under the given files/folders; bad files become LoadIssues, never exceptions.

    For .jsonl files ``max_bytes`` applies to each line (document), so large collections load.
    """
    docs: list[Document] = []
    issues: list[LoadIssue] = []
    seen_paths: set[Path] = set()
    seen_ids: dict[str, str] = {}
    for path in _expand(paths, issues):
        try:
            resolved = path.resolve()
        except OSError:
            resolved = path
        if resolved in seen_paths:
            continue
        seen_paths.add(resolved)
        try:
            loaded, line_issues = _load_file(path, max_bytes)
        except _Refused as exc:
            issues.append(LoadIssue(source=str(path), message=str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 - never raise for a bad file
            log.exception("unexpected error loading %s", path)
            issues.append(LoadIssue(source=str(path), message=f"could not be loaded ({type(exc).__name__}: {exc}); "
                                                               "check the file opens normally, or re-save it"))
            continue
        issues.extend(line_issues)
        for doc in loaded:
            where = doc.path or str(path)
            if doc.id in seen_ids:
                issues.append(LoadIssue(
                    source=str(path) if path.suffix.lower() != ".jsonl" else f"{path}:{doc.extra.get('_line', '?')}",
                    message=f"skipped: document id '{doc.id}' is already used by {seen_ids[doc.id]}; "
                            "rename the file (or change the id) so each document has a unique id",
                ))
                continue
            seen_ids[doc.id] = where
            doc.extra.pop("_line", None)
            docs.append(doc)
    return docs, issues


# --------------------------------------------------------------------------- file discovery


def _expand(paths: list[str | Path], issues: list[LoadIssue]) -> list[Path]:
    """Files to load: given files as is, folders recursed (sorted, hidden files and .json sidecars skipped)."""
    out: list[Path] = []
    for item in paths:
        p = Path(item)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p)
                if any(part.startswith(".") for part in rel.parts) or not f.is_file():
                    continue
                if f.suffix.lower() == ".json" and _is_sidecar(f):
                    continue
                out.append(f)
        elif p.is_file():
            if p.suffix.lower() == ".json" and _is_sidecar(p):
                continue
            out.append(p)
        elif p.exists():
            issues.append(LoadIssue(source=str(p), message="not a regular file or folder; give a file or a folder"))
        else:
            issues.append(LoadIssue(source=str(p), message="not found; check the path"))
    return out


def _is_sidecar(json_path: Path) -> bool:
    """True when a .json file sits next to a document of the same stem."""
    return any(json_path.with_suffix(ext).exists() for ext in (".txt", ".md", ".html", ".htm", ".pdf"))


# --------------------------------------------------------------------------- per-format loading


def _load_file(path: Path, max_bytes: int) -> tuple[list[Document], list[LoadIssue]]:
    """Load one file; raise _Refused with a user-facing message when it cannot be used."""
    ext = path.suffix.lower()
    if ext not in SUPPORTED_EXTS:
        shown = ext or "(no extension)"
        raise _Refused(f"unsupported file type {shown}; supported types are {_SUPPORTED_LIST} "
                       "(convert the file to PDF or plain text first)")
    if ext == ".jsonl":
        return load_jsonl(path, max_bytes)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _Refused(f"cannot be read ({exc.strerror or exc}); check the file permissions") from exc
    if size > max_bytes:
        raise _Refused(f"too large ({size:,} bytes; the limit is {max_bytes:,}); split it into smaller files "
                       "or raise the size limit")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _Refused(f"cannot be read ({exc.strerror or exc}); check the file permissions") from exc
    if not data.strip():
        raise _Refused("is empty; add text to it or remove it from the folder")
    if ext == ".pdf":
        doc = _load_pdf(path, data)
    else:
        text = _decode(data, html=ext in HTML_EXTS)
        doc = _load_html(path, text) if ext in HTML_EXTS else _load_text(path, text)
    _apply_sidecar(path, doc)
    return [doc], []


def _decode(data: bytes, html: bool = False) -> str:
    """Decode file bytes as UTF-8 (BOM allowed); refuse binary or other encodings with a clear message."""
    if b"\x00" in data:
        hint = ""
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            hint = " (it looks like UTF-16 text: re-save it as UTF-8)"
        raise _Refused(f"looks like a binary file (contains NUL bytes), not text{hint}; "
                       f"supported types are {_SUPPORTED_LIST}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if html:
            m = re.search(rb"<meta[^>]+charset=[\"']?([\w-]+)", data[:4096], re.IGNORECASE)
            if m:
                try:
                    text = data.decode(m.group(1).decode("ascii"))
                    return text.replace("\r\n", "\n").replace("\r", "\n")
                except (LookupError, UnicodeDecodeError):
                    pass
        raise _Refused(f"is not valid UTF-8 text (bad byte at position {exc.start}); re-save the file as UTF-8 "
                       "(e.g. 'Save as… UTF-8' in your editor) and load it again") from exc
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise _Refused("is empty (only whitespace); add text to it or remove it from the folder")
    return text


def _load_text(path: Path, text: str) -> Document:
    """A .txt/.md document: text kept exactly as in the file (line endings normalised to \\n)."""
    return Document(id=path.stem, text=text, title=derive_title(text, markdown=path.suffix.lower() == ".md"),
                    path=str(path), extra={"format": path.suffix.lower().lstrip(".")})


def _load_html(path: Path, html: str) -> Document:
    """An HTML document: visible text with one paragraph per line; title/date/source from the page head."""
    from bs4 import BeautifulSoup, NavigableString
    from bs4.element import PreformattedString

    soup = BeautifulSoup(html, "html.parser")
    meta = _html_meta(soup)
    for tag in soup(["script", "style", "nav", "footer", "noscript", "template", "svg", "iframe", "head", "form"]):
        tag.decompose()
    for node in list(soup.find_all(string=True)):
        if isinstance(node, PreformattedString):  # comments, doctype, CDATA, processing instructions
            node.extract()
        elif type(node) is NavigableString and not (node.parent is not None and node.parent.name == "pre"):
            node.replace_with(re.sub(r"\s+", " ", str(node)))
    block = ["p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr", "section", "article", "blockquote",
             "pre", "dt", "dd", "figcaption", "table", "ul", "ol", "header", "main", "aside", "hr", "title"]
    for tag in soup.find_all(block):
        tag.insert_before("\n")
        tag.insert_after("\n")
    lines = [re.sub(r"[ \t\u00a0]+", " ", ln).strip() for ln in soup.get_text().split("\n")]
    text = "\n".join(ln for ln in lines if ln)
    if not text.strip():
        raise _Refused("has no visible text after removing the HTML markup; check it is an article page")
    return Document(id=path.stem, text=text, title=meta.get("title") or derive_title(text),
                    source=meta.get("source"), date=normalise_date(meta.get("date")), path=str(path),
                    extra={"format": "html"})


def _html_meta(soup: Any) -> dict[str, str]:
    """Title, canonical URL and publication date from an HTML page's head, when present."""
    out: dict[str, str] = {}

    def meta_content(*keys: str) -> str | None:
        for key in keys:
            tag = soup.find("meta", attrs={"property": key}) or soup.find("meta", attrs={"name": key})
            if tag and tag.get("content"):
                return str(tag["content"]).strip()
        return None

    title = meta_content("og:title", "twitter:title")
    if not title:
        h1 = soup.find("h1")
        title = h1.get_text(" ", strip=True) if h1 else None
    if not title and soup.title and soup.title.string:
        title = re.split(r"\s+[|–-]\s+", soup.title.string.strip())[0]
    if title:
        out["title"] = re.sub(r"\s+", " ", title)
    link = soup.find("link", rel="canonical")
    source = (link.get("href") if link else None) or meta_content("og:url")
    if source:
        out["source"] = str(source)
    when = meta_content("article:published_time", "date", "pubdate", "publish-date", "dc.date", "DC.date.issued")
    if not when:
        t = soup.find("time", attrs={"datetime": True})
        when = str(t["datetime"]) if t else None
    if when:
        out["date"] = when
    return out


def _load_pdf(path: Path, data: bytes) -> Document:
    """A PDF: text extracted with pypdf, page headers/footers and page numbers dropped, lines rejoined."""
    import io
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # damaged files are refused with one clear message below
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as exc:  # noqa: BLE001
                raise _Refused("is an encrypted PDF; remove the password (e.g. print it to a new PDF) and load it "
                               "again") from exc
            if not ok:
                raise _Refused("is an encrypted PDF; remove the password (e.g. print it to a new PDF) and load it "
                               "again")
        pages = [page.extract_text() or "" for page in reader.pages]
    except _Refused:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds of errors on damaged files
        raise _Refused(f"is not a readable PDF ({type(exc).__name__}); check the file is a complete, undamaged "
                       "PDF or export it again") from exc
    text = pdf_pages_to_text(pages)
    if not text.strip():
        raise _Refused("has no extractable text (probably a scanned image); run OCR on it or supply a text "
                       "version")
    when = None
    m = re.search(r"(?:Report published|Published|Publication date)\s*:?\s*(\d{1,2}\s+[A-Za-z]+\s+\d{4})", text[:3000])
    if m:
        when = normalise_date(m.group(1))
    if not when:
        m = re.search(r"(\d{1,2})[-_ ]([A-Za-z]{3,9})[-_ ](\d{4})", path.stem)
        if m:
            when = normalise_date(" ".join(m.groups()))
    return Document(id=path.stem, text=text, title=derive_title(text, pdf=True), date=when, path=str(path),
                    extra={"format": "pdf", "pages": len(pages)})


def pdf_pages_to_text(pages: list[str]) -> str:
    """Join extracted PDF pages: drop running headers/footers and page numbers, rejoin broken lines."""
    split = [[_PRIVATE_BULLET_RE.sub("•", ln).rstrip() for ln in page.split("\n")] for page in pages]

    def key(line: str) -> str:
        return re.sub(r"\d+", "#", re.sub(r"\s+", " ", line).strip().lower())

    edge_counts: Counter[str] = Counter()
    for lines in split:
        nonblank = [ln for ln in lines if ln.strip()]
        for k in {key(ln) for ln in nonblank[:4] + nonblank[-4:]}:
            edge_counts[k] += 1
    threshold = max(2, int(0.4 * len(pages) + 0.5))
    repeated = {k for k, n in edge_counts.items() if n >= threshold and k and len(k) <= 150}
    kept: list[str] = []
    for lines in split:
        nonblank_idx = [i for i, ln in enumerate(lines) if ln.strip()]
        edges = set(nonblank_idx[:4] + nonblank_idx[-4:])
        for i, ln in enumerate(lines):
            s = ln.strip()
            if i in edges and (PAGE_NUMBER_RE.match(s) or key(ln) in repeated):
                continue
            kept.append(ln)
        kept.append("")  # page break: a paragraph may continue across it (reflow joins lower-case starts)
    return reflow_lines(kept)


def _apply_sidecar(path: Path, doc: Document) -> None:
    """Fill title/source/date from a `<stem>.json` sidecar next to the file, when present."""
    side = path.with_suffix(".json")
    if not side.is_file():
        return
    try:
        meta = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        log.warning("ignoring unreadable sidecar %s: %s", side, exc)
        return
    if not isinstance(meta, dict):
        return
    if meta.get("title"):
        doc.title = str(meta["title"]).strip()
    source = meta.get("source") or meta.get("url")
    if source:
        doc.source = str(source).strip()
    when = meta.get("date") or meta.get("publication_date") or meta.get("published")
    if when:
        doc.date = normalise_date(str(when)) or doc.date
    for k, v in meta.items():
        if k not in ("title", "source", "url", "date", "publication_date", "published"):
            doc.extra.setdefault(k, v)


# --------------------------------------------------------------------------- helpers
