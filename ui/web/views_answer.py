"""The Ask tab's answer view: checked sentences with their verdicts and citation links, the cited passages in context."""
from __future__ import annotations

import uuid

from summarizer.answer.records import Answer, AnswerSentence, Passage
from summarizer.checking.calibration import shipped_calibration
from ui.web.views import article_html, esc, supporting_span


def sentence_verdict(s: AnswerSentence) -> tuple[str, str, str]:
    """(css kind, visible label, tooltip) for one checked answer sentence: supported, not judged, or flagged.

    ``supported`` means the exact check passed (numbers, names and most words in the cited passages) and the
    faithfulness checker's calibrated score (0-1) was at or above its threshold; ``unjudged`` means the exact check
    passed and the checker did not run (the model gives no logprobs, or checking is off); ``flagged`` means a check
    failed and the sentence was removed.
    """
    t = shipped_calibration().threshold
    judged = f"checker score {s.judge:.2f} (supported at {t:.2f} or above)" if s.judge is not None else "checker not run"
    exact = f"exact check: {s.coverage:.0%} of its words are in the cited passage"
    if not s.supported:
        return "flagged", "✗ flagged" + (f" · {s.judge:.2f}" if s.judge is not None else ""), \
            f"Flagged and removed: {s.note or 'not supported by the cited passage'} ({judged})"
    note = f"; {s.note}" if s.note else ""
    if s.judge is None:
        return "unjudged", "✓ exact check only", f"Kept: {exact}; {judged}{note}"
    return "supported", f"✓ supported · {s.judge:.2f}", f"Supported: {exact}; {judged}{note}"


def legend_html() -> str:
    """What the badges mean, with the checker's threshold."""
    t = shipped_calibration().threshold
    return ('<div class="legend">Each sentence shows what the checks found. The number is the faithfulness checker\'s '
            'score from 0 to 1: how likely the passages it cites support it, calibrated on human-labelled summaries '
            f'(SummEdits). <b>✓ supported</b>: its numbers and names are in the cited passage and the score is {t:.2f} '
            'or above. <b>✓ exact check only</b>: the exact check passed; the model score was not available. '
            '<b>✗ flagged</b>: a check failed or the score was below ' + f'{t:.2f}' + ', so the sentence was removed. '
            'Click a [n] to see the passage in its article.</div>')


class AnswerView:
    """Renders a streamed answer: checked sentences with citation links, and the cited passages in context."""

    def __init__(self, service, question: str) -> None:
        """service: anything with ``document(doc_id)`` (the BriefService), to show passages inside their article."""
        self.service = service
        self.question = question
        self.uid = "a" + uuid.uuid4().hex[:8]
        self.passages: list[Passage] = []
        self.sentences: list[AnswerSentence] = []
        self.tokens = 0
        self.answer: Answer | None = None
        self.stage = "Searching the articles…"
        self._docs: dict[str, object] = {}

    def _doc(self, doc_id: str):
        if doc_id not in self._docs:
            try:
                self._docs[doc_id] = self.service.document(doc_id)
            except Exception:  # noqa: BLE001 - the index may have changed; show the passage alone
                self._docs[doc_id] = None
        return self._docs[doc_id]

    def _span(self, p: Passage, text: str) -> tuple[int, int]:
        if 0 <= p.start < p.end <= len(text):
            return p.start, p.end
        probe = p.text.split("…")[0].strip()[:60]
        at = text.find(probe) if probe else -1
        return (at, min(len(text), at + len(p.text))) if at >= 0 else (0, 0)

    def panel(self, pid: str, p: Passage, claims: list[str], label: str = "Supports") -> str:
        doc = self._doc(p.doc_id)
        text = doc.text if doc is not None else p.text
        comment_start = doc.comment_start if doc is not None else None
        s, e = self._span(p, text) if doc is not None else (0, len(text))
        marks = [(s, e, "psg")] if e > s else []
        for claim in claims:
            if e > s:
                a, b = supporting_span(text, s, e, claim)
                marks.append((a, b, "support"))
        head = [f"<b>[{p.n}] {esc(p.title) or esc(p.doc_id)}</b>", esc(p.date or "undated"),
                esc(f"source: {p.source}" if p.source else "source not recorded"), f"<code>{esc(p.doc_id)}</code>"]
        claim_html = "".join(f'<div class="src-claim">{esc(label)}: “{esc(c)}”</div>' for c in claims)
        return (f'<div class="src-panel" id="{pid}" data-doc="{esc(p.doc_id)}" data-n="{p.n}">'
                f'<div class="src-head">{" · ".join(head)} <a class="close-panel" href="#{self.uid}">close</a></div>'
                f'{claim_html}<div class="article-box">{article_html(text, comment_start, marks)}</div></div>')

    def _cite_links(self, i: int, s: AnswerSentence) -> str:
        by_n = {p.n: p for p in self.passages}
        links = []
        for n in s.citations:
            p = by_n.get(n)
            tip = esc(f"{p.title} ({p.date or 'undated'})") if p else ""
            links.append(f'<a class="cite" href="#{self.uid}-s{i}-p{n}" data-n="{n}" title="{tip}">[{n}]</a>')
        return "".join(links)

    def _sentence(self, i: int, s: AnswerSentence) -> str:
        kind, label, tip = sentence_verdict(s)
        badge = f'<span class="chk verdict {kind}" title="{esc(tip)}">{esc(label)}</span>'
        return (f'<span class="sent {"ok" if s.supported else "dropped"}" data-supported="{str(s.supported).lower()}" '
                f'data-verdict="{kind}">{esc(s.text)}{self._cite_links(i, s)}{badge}</span> ')

    def render(self) -> str:
        a = self.answer
        parts = [f'<div class="brief-answer" id="{self.uid}" data-status="{esc(a.status if a else "streaming")}">',
                 f'<div class="q">{esc(self.question)}</div>']
        kept = [(i, s) for i, s in enumerate(self.sentences) if s.supported]
        dropped = [(i, s) for i, s in enumerate(self.sentences) if not s.supported]
        refused = a is not None and a.refused
        if refused:
            parts.append(f'<div class="refusal">{esc(a.text)}</div>')
        elif kept:
            parts.append('<div class="answer-text">' + "".join(self._sentence(i, s) for i, s in kept) + "</div>")
        if a is None:
            stage = self.stage if not self.tokens else f"Writing and checking the answer… ({self.tokens} tokens)"
            parts.append(f'<div class="pending">{esc(stage)}</div>')
        if dropped:
            parts.append('<details class="dropped"><summary>Removed by the citation check '
                         f'({len(dropped)})</summary><ul>' +
                         "".join(f'<li>{self._sentence(i, s)}<small>{esc(s.note)}</small></li>' for i, s in dropped) +
                         "</ul></details>")
        if kept or dropped:
            parts.append(legend_html())
        panels = []
        by_n = {p.n: p for p in self.passages}
        for i, s in enumerate(self.sentences):
            for n in s.citations:
                if n in by_n:
                    panels.append(self.panel(f"{self.uid}-s{i}-p{n}", by_n[n], [s.text]))
        if self.passages and (a is not None or refused):
            if refused:
                shown, title = self.passages, "Closest passages found"
            else:
                cited = {n for _, s in kept for n in s.citations}
                shown, title = [p for p in self.passages if p.n in cited], "Sources"
            items = []
            for p in shown:
                claims = [s.text for _, s in kept if p.n in s.citations]
                panels.append(self.panel(f"{self.uid}-p{p.n}", p, claims or [self.question],
                                         "Supports" if claims else "Closest to the question"))
                meta = " · ".join([esc(p.date or "undated"), esc(p.source or "source not recorded")])
                if refused:
                    snippet = f'<div class="snippet">{esc(p.text)}</div>'
                else:
                    preview = p.text if len(p.text) <= 110 else p.text[:110].rsplit(" ", 1)[0] + "…"
                    snippet = f' <small class="preview">“{esc(preview)}”</small>'
                items.append(f'<li><a class="srclink" href="#{self.uid}-p{p.n}" data-n="{p.n}">[{p.n}] '
                             f'{esc(p.title) or esc(p.doc_id)}</a> <small>{meta}</small>{snippet}</li>')
            if items:
                parts.append(f'<div class="sources"><div class="sources-title">{title}</div><ul>{"".join(items)}</ul></div>')
        if a is not None:
            t = a.timings
            bits = [f"{t.get('total_s', 0):.1f} s"]
            if t.get("first_token_s"):
                bits.append(f"first words after {t['first_token_s']:.1f} s")
            parts.append(f'<div class="timing">{esc(a.status.replace("_", " "))} · {esc(", ".join(bits))}</div>')
        parts.append('<div class="panels">' + "".join(panels) + "</div></div>")
        return "".join(parts)


# JS for the answer component: open the cited passage in place and scroll its highlighted sentence into view.
ANSWER_JS = r"""
let openId = null;
function openPanel(id, scroll) {
  const panel = id ? element.querySelector('[id="' + id + '"]') : null;
  element.querySelectorAll('.src-panel.open').forEach(p => { if (p !== panel) p.classList.remove('open'); });
  if (!panel) { openId = null; return; }
  panel.classList.add('open');
  openId = id;
  const box = panel.querySelector('.article-box');
  const mark = panel.querySelector('mark.support') || panel.querySelector('mark.psg');
  if (box && mark) box.scrollTop += mark.getBoundingClientRect().top - box.getBoundingClientRect().top - 40;
  if (scroll) panel.scrollIntoView({block: 'nearest', behavior: 'smooth'});
}
element.addEventListener('click', (ev) => {
  const a = ev.target.closest('a.cite, a.srclink, a.close-panel');
  if (!a) return;
  ev.preventDefault();
  if (a.classList.contains('close-panel')) { openPanel(null, false); return; }
  openPanel(a.getAttribute('href').slice(1), true);
});
watch('value', () => { if (openId) openPanel(openId, false); });
"""
