"""The Add articles tab: upload files or paste an article; indexed at once through ``service.ingest``."""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import gradio as gr

from ui.web.common import ALL_COUNCILS, DATE_RE
from ui.web.library import Library
from ui.web.views import esc

ALLOWED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".jsonl")
MAX_FILES = 10
MAX_FILE_BYTES = 20_000_000  # 20 MB, the same limit ingestion applies
STAGES = {"prepare": "Reading and cleaning files", "load": "Reading files", "chunk": "Splitting into passages",
          "embed": "Embedding passages", "write": "Writing the index"}


def run_ingest(service, folder: Path, names: dict[str, str], refused: list[tuple[str, str]], progress) -> str:
    """Index the files in folder; the report as HTML (names: safe file name -> name shown to the user)."""
    report = None
    if any(folder.iterdir()):
        def cb(stage: str, done: int, total: int) -> None:
            progress((done, max(total, 1)), desc=STAGES.get(stage, stage))
        try:
            report = service.ingest([folder], progress=cb)
        except Exception as e:  # noqa: BLE001 - a bad file must not take the page down
            refused.append(("(all files)", f"Indexing failed: {e}"))
    items = []
    if report is not None:
        for label, ids in (("added", report.added), ("updated", report.updated), ("unchanged", report.unchanged)):
            for doc_id in ids:
                d = service.document(doc_id)
                title = d.title if d is not None else doc_id
                items.append(f'<li class="{label}">{label}: <b>{esc(title)}</b> <code>{esc(doc_id)}</code></li>')
        for issue in report.refused:
            base = Path(str(issue.source)).name  # the generated safe name, maybe with ':line' for .jsonl
            safe, _, line = base.partition(":")
            shown = names.get(safe) or names.get(Path(safe).stem) or safe
            refused.append((f"{shown} line {line}" if line else shown, issue.message))
    for name, msg in refused:
        items.append(f'<li class="refused">refused: <b>{esc(name)}</b>: {esc(msg)}</li>')
    summary = ""
    if report is not None:
        summary = (f"<p>{report.documents_total} articles, {report.chunks_total} passages in the index; "
                   f"{len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged.</p>")
    return f'<div class="ingest-report">{summary}<ul>{"".join(items) or "<li>Nothing to add.</li>"}</ul></div>'

def add_files(service, files, max_bytes: int, progress) -> str:
    """Index uploaded files (each checked, copied under a safe name); the report as HTML."""
    files = [f for f in (files or []) if f]
    if not files:
        return '<div class="ingest-report"><p>Choose one or more files first.</p></div>'
    if len(files) > MAX_FILES:
        return (f'<div class="ingest-report"><ul><li class="refused">refused: {len(files)} files at once; '
                f"add at most {MAX_FILES} at a time.</li></ul></div>")
    refused: list[tuple[str, str]] = []
    names: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="brief-upload-") as tmp:
        folder = Path(tmp)
        for f in files:
            src = Path(f if isinstance(f, str) else getattr(f, "name", str(f)))
            shown = src.name  # for messages only; never used as a path
            suffix = src.suffix.lower()
            if suffix not in ALLOWED_SUFFIXES:
                refused.append((shown, f"unsupported file type; use {', '.join(ALLOWED_SUFFIXES)}"))
                continue
            try:
                size = src.stat().st_size
            except OSError:
                refused.append((shown, "the upload could not be read"))
                continue
            if size > max_bytes:
                refused.append((shown, f"{size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit"))
                continue
            digest = hashlib.sha256(src.read_bytes()).hexdigest()[:16]
            safe = f"upload-{digest}{'.html' if suffix == '.htm' else suffix}"
            shutil.copyfile(src, folder / safe)
            if suffix != ".jsonl":  # remember the uploaded name as metadata only, via a sidecar
                (folder / f"upload-{digest}.json").write_text(json.dumps({"uploaded_as": shown}), encoding="utf-8")
            names[safe], names[Path(safe).stem] = shown, shown
        return run_ingest(service, folder, names, refused, progress)


def add_pasted(service, title: str, date: str, source: str, text: str, max_bytes: int, progress) -> str:
    """Index a pasted article (title, date and source as metadata); the report as HTML."""
    text, title, date, source = (text or "").strip(), (title or "").strip(), (date or "").strip(), (source or "").strip()
    if not text:
        return ('<div class="ingest-report"><p>Paste the article text first.</p></div>')
    if date and not DATE_RE.match(date):
        return ('<div class="ingest-report"><ul><li class="refused">refused: the date must look like '
                         "2015 or 2015-09-01.</li></ul></div>")
    if len(text.encode("utf-8")) > max_bytes:
        return ('<div class="ingest-report"><ul><li class="refused">refused: the text is over the size limit.</li></ul></div>')
    digest = hashlib.sha256("\0".join((title, date, source, text)).encode("utf-8")).hexdigest()[:16]
    with tempfile.TemporaryDirectory(prefix="brief-paste-") as tmp:
        folder = Path(tmp)
        stem = f"pasted-{digest}"
        (folder / f"{stem}.txt").write_text(text + "\n", encoding="utf-8")
        (folder / f"{stem}.json").write_text(json.dumps({"title": title or None, "date": date or None,
                                                         "source": source or None}), encoding="utf-8")
        return (run_ingest(service, folder, {f"{stem}.txt": title or "pasted text", stem: title or "pasted text"},
                                    [], progress))


def build(service, lib: Library, max_bytes: int, refresh: list) -> None:
    """The Add articles tab's layout and events. ``refresh``: [article table, article picker, ask council filter,
    council picker, stats], updated after each ingest."""
    gr.Markdown(f"Upload up to {MAX_FILES} files ({', '.join(ALLOWED_SUFFIXES)}), at most "
                f"{max_bytes // 1_000_000} MB each, or paste an article. They are cleaned, indexed and "
                "searchable at once; a bad file is refused with a message and nothing else changes.")
    with gr.Row():
        with gr.Column():
            upload = gr.File(file_count="multiple", file_types=list(ALLOWED_SUFFIXES), type="filepath",
                             label="Article files", elem_id="upload-files")
            upload_btn = gr.Button("Add files", variant="primary", elem_id="upload-btn")
        with gr.Column():
            p_title = gr.Textbox(label="Title", elem_id="paste-title")
            with gr.Row():
                p_date = gr.Textbox(label="Date (YYYY-MM-DD)", elem_id="paste-date")
                p_source = gr.Textbox(label="Source (URL or publication)", elem_id="paste-source")
            p_text = gr.Textbox(label="Article text", lines=8, elem_id="paste-text")
            paste_btn = gr.Button("Add pasted article", elem_id="paste-btn")
    out = gr.HTML(elem_id="ingest-report")

    def refreshed(report_html: str) -> tuple:
        cs = lib.councils()
        return (report_html, lib.article_rows(), gr.update(choices=lib.article_choices()),
                gr.update(choices=[ALL_COUNCILS] + cs), gr.update(choices=cs), lib.stats_line())

    def on_files(files, progress=gr.Progress()):
        clear = None if [f for f in (files or []) if f] else gr.skip()  # clear the processed uploads
        return *refreshed(add_files(service, files, max_bytes, progress)), clear

    def on_paste(title, date, source, text, progress=gr.Progress()):
        return refreshed(add_pasted(service, title, date, source, text, max_bytes, progress))

    index_queue = {"concurrency_limit": 1, "concurrency_id": "index"}
    upload_btn.click(on_files, [upload], [out, *refresh, upload], api_visibility="private", **index_queue)
    paste_btn.click(on_paste, [p_title, p_date, p_source, p_text], [out, *refresh], api_visibility="private",
                    **index_queue)
