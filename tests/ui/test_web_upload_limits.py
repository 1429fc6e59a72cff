"""Upload limits of the Add articles tab, at the handler (issue 11): more than MAX_FILES files are refused whole, an
over-size or wrongly typed file is refused by name, and an uploaded file's name (path tricks, markup) is only ever
shown, escaped: never used as a path. The index is real, over the counting embedder."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes import counting_service
from ui.web.add import MAX_FILES, add_files

HOSTILE_NAMES = ["../../etc/passwd", "..\\..\\windows\\win.ini", "<script>alert(1)<", '<img src=x onerror="alert(1)">',
                 "..", "-rf --no-preserve-root", "report\nsecond line", "CON", "%2e%2e%2fetc%2fpasswd", "~root"]


def _no_progress(*args, **kwargs) -> None:
    pass


@pytest.fixture()
def svc(tmp_path):
    """A real service over an empty index that remembers what each ingest was given."""
    s = counting_service(tmp_path / "idx")
    s.ingested = []
    real = s.ingest

    def ingest(paths, rebuild=False, progress=None):
        s.ingested.append(sorted(p.name for folder in paths for p in Path(folder).iterdir()))
        return real(paths, rebuild=rebuild, progress=progress)

    s.ingest = ingest
    return s


def _upload(folder: Path, name: str, n: int = 0) -> str:
    """A file as Gradio hands it over: its name as the browser sent it (here a real file of that name, under a
    folder of its own), with distinct article text."""
    folder = folder / f"gradio-{n}"
    folder.mkdir(parents=True)
    if "/" in name:  # a name a file system cannot hold as one file: the folders it names exist beside it
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"Ofsted report number {n}\n\nInspectors found that Torbay children's services had "
                    f"{n + 10} late assessments in inspection {n}.\n", encoding="utf-8")
    return str(path)


def test_more_than_max_files_is_refused_whole(svc, tmp_path):
    files = [_upload(tmp_path / "up", f"a{i}.txt", i) for i in range(MAX_FILES + 1)]
    page = add_files(svc, files, 20_000_000, _no_progress)
    assert f"{MAX_FILES + 1} files at once" in page and f"at most {MAX_FILES}" in page and 'class="refused"' in page
    assert svc.ingested == [] and not svc.store.exists()  # nothing was read into the index


def test_max_files_at_once_are_all_added(svc, tmp_path):
    files = [_upload(tmp_path / "up", f"a{i}.txt", i) for i in range(MAX_FILES)]
    page = add_files(svc, files, 20_000_000, _no_progress)
    assert page.count('class="added"') == MAX_FILES and "refused" not in page
    assert len(svc.documents()) == MAX_FILES


def test_file_names_are_never_used_as_paths(svc, tmp_path):
    up = tmp_path / "up"
    files = [_upload(up, name + ".txt", i) for i, name in enumerate(HOSTILE_NAMES)]
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    page = add_files(svc, files, 20_000_000, _no_progress)
    # every file reached the index under a generated name: upload-<sha256 of its bytes>.txt, with its sidecar
    (names,) = svc.ingested
    assert len(names) == 2 * len(HOSTILE_NAMES)
    assert all(n.startswith("upload-") and n.endswith((".txt", ".json")) and "/" not in n for n in names)
    docs = svc.documents()
    assert len(docs) == len(HOSTILE_NAMES) and all(d.id.startswith("upload-") for d in docs)
    shown = {d.extra.get("uploaded_as") for d in docs}  # the uploaded name is metadata only: its last part
    assert shown == {Path(f).name for f in files}
    assert all(".." not in (d.path or "") and "passwd" not in (d.path or "") for d in docs)
    # nothing was written beside the uploads, above them, or where a name pointed
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if not p.is_relative_to(tmp_path / "idx"))
    assert after == before
    assert not Path("/etc/passwd.txt").exists()
    # the report names each added article by its title, and no name reaches it as markup
    assert "<script>" not in page and "<img" not in page
    assert page.count('class="added"') == len(HOSTILE_NAMES)


def test_wrong_type_and_over_size_files_are_refused_by_name(svc, tmp_path):
    up = tmp_path / "up"
    ok = _upload(up, "fine.TXT", 0)  # the suffix is compared without case
    exe = _upload(up, '<img src=x onerror="alert(1)">.txt.exe', 1)
    no_suffix = _upload(up, "passwd", 2)
    big = _upload(up, "<script>alert(1)<.md", 3)
    Path(big).write_text("Torbay children's services. " * 45_000, encoding="utf-8")  # 1.3 MB
    page = add_files(svc, [ok, exe, no_suffix, big, None, ""], 1_000_000, _no_progress)  # empty slots are skipped
    assert page.count('class="added"') == 1 and page.count('class="refused"') == 3
    assert page.count("unsupported file type") == 2 and "1.3 MB is over the 1 MB limit" in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;.txt.exe" in page and "&lt;script&gt;alert(1)&lt;.md" in page
    assert "<img" not in page and "<script" not in page
    (names,) = svc.ingested
    assert len(names) == 2 and names[0].endswith(".json") and names[1].endswith(".txt")


def test_no_files_and_a_vanished_upload_are_messages(svc, tmp_path):
    assert "Choose one or more files first" in add_files(svc, [], 1000, _no_progress)
    page = add_files(svc, [str(tmp_path / "gone.txt")], 1000, _no_progress)
    assert "could not be read" in page and svc.ingested == []
