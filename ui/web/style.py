"""The page's stylesheet and theme fonts."""

CSS = """
.brief-answer .q { font-weight: 600; margin-bottom: .4em; }
.brief-answer .answer-text { line-height: 1.6; font-size: 1.05em; }
.brief-answer .refusal { padding: .6em .8em; border-left: 4px solid #d97706; background: rgba(217,119,6,.08); }
.brief-answer .pending { color: var(--body-text-color-subdued); font-style: italic; margin: .4em 0; }
.brief-answer a.cite, .brief-answer a.srclink { text-decoration: none; font-weight: 600; cursor: pointer; }
.brief-answer a.cite { font-size: .8em; vertical-align: super; line-height: 0; margin: 0 0 0 1px; padding: 0; }
.brief-answer .preview { color: var(--body-text-color-subdued); }
.brief-answer .chk { font-size: .8em; margin-left: 2px; cursor: help; }
.brief-answer .chk.ok { color: #15803d; } .brief-answer .chk.bad { color: #b91c1c; }
.brief-answer .sent.dropped { color: var(--body-text-color-subdued); text-decoration: line-through; }
.brief-answer .dropped small { display: block; color: var(--body-text-color-subdued); }
.brief-answer .legend, .brief-answer .timing { font-size: .8em; color: var(--body-text-color-subdued); margin-top: .5em; }
.brief-answer .sources { margin-top: .8em; } .brief-answer .sources-title { font-weight: 600; }
.brief-answer .sources ul { margin: .2em 0 0 1.2em; padding: 0; }
.brief-answer .snippet { font-size: .9em; margin: .2em 0 .6em; white-space: pre-wrap; }
.src-panel { display: none; border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .6em; margin-top: .8em; }
.src-panel.open, .src-panel:target { display: block; }
.src-head { font-size: .9em; margin-bottom: .3em; } .src-head .close-panel { float: right; }
.src-claim { font-size: .85em; color: var(--body-text-color-subdued); margin-bottom: .3em; }
.article-box { max-height: 22em; overflow-y: auto; border-top: 1px solid var(--border-color-primary); padding-top: .4em; }
.article-body, .reader-comment { white-space: pre-wrap; line-height: 1.5; }
.reader-comment { margin-top: .8em; padding: .5em .7em; border-left: 4px solid #7c3aed; background: rgba(124,58,237,.07); }
.comment-label { font-size: .8em; font-weight: 600; color: #7c3aed; white-space: normal; margin-bottom: .3em; }
mark.psg { background: rgba(250,204,21,.25); color: inherit; }
mark.support { background: #fb923c; color: #111; border-radius: 2px; }
mark.evidence { background: #fde047; color: #111; border-radius: 2px; }
.brief-meta { border-collapse: collapse; margin: .4em 0 .8em; font-size: .92em; }
.brief-meta th { text-align: left; padding: 2px 12px 2px 0; vertical-align: top; white-space: nowrap; }
.brief-meta td { padding: 2px 0; }
.brief-table { border-collapse: collapse; width: 100%; font-size: .92em; margin-bottom: 1em; }
.brief-table th, .brief-table td { border-bottom: 1px solid var(--border-color-primary); padding: 4px 8px; text-align: left; vertical-align: top; }
.history ol { padding-left: 1.2em; } .history li { margin-bottom: .6em; }
.history .hq { font-weight: 600; } .history small { color: var(--body-text-color-subdued); }
.search-hit { border-bottom: 1px solid var(--border-color-primary); padding: .4em 0; }
.search-hit .hit-text { white-space: pre-wrap; font-size: .92em; }
.ingest-report li.refused { color: #b91c1c; }
#article-table *, #eval-items *, #eval-summary *, #eval-types *, #eval-runs * { font-family: var(--font) !important; }
.brief-table td.when { white-space: nowrap; }
.brief-answer .chk.verdict { display: inline-block; text-decoration: none; font-size: .72em; font-weight: 600;
  margin: 0 .35em 0 .25em; padding: 0 .35em; border-radius: 4px; vertical-align: .1em; white-space: nowrap; }
.chk.verdict.supported { color: #15803d; background: rgba(21,128,61,.1); }
.chk.verdict.unjudged { color: #a16207; background: rgba(202,138,4,.12); }
.chk.verdict.flagged { color: #b91c1c; background: rgba(185,28,28,.1); }
.sum-grid { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1.15fr); gap: 1.2em; align-items: start; }
@media (max-width: 900px) { .sum-grid { grid-template-columns: minmax(0, 1fr); } }
.sum-text { position: sticky; top: .5em; }
.sum-text .ev-box { max-height: 78vh; overflow-y: auto; border: 1px solid var(--border-color-primary);
  border-radius: 8px; padding: .5em .7em; }
.sum-overview p { margin: .2em 0 .6em; line-height: 1.5; }
.sum-entry { border-top: 1px solid var(--border-color-primary); padding-top: .5em; margin-top: .6em; }
.sum-entry h4, .sum-overview h4 { margin: 0 0 .3em; } .sum-entry h5 { margin: .6em 0 .1em; font-size: .95em; }
.sum-list { margin: .1em 0 .4em 1.2em; padding: 0; } .sum-list li { margin: .15em 0; line-height: 1.4; }
.sum-empty, .no-ev { color: var(--body-text-color-subdued); }
.sum-dropped { margin-top: .8em; } .sum-dropped .reason { font-size: .85em; color: #b91c1c; }
a.evlink { color: inherit; text-decoration: none; border-bottom: 1px dotted currentColor; cursor: pointer;
  padding: 0 !important; }
a.evlink:hover { background: rgba(253,224,71,.35); }
a.evlink.active { background: rgba(251,146,60,.35); border-bottom-style: solid; }
mark.ev { background: rgba(253,224,71,.45); color: inherit; border-radius: 2px; cursor: pointer; }
mark.ev.active { background: #fb923c; color: #111; }
.ev-panel.open { display: block; }
.council-briefing li.weak::marker, .council-briefing small.weak { color: #b91c1c; }
.council-briefing li.strong::marker, .council-briefing small.strong { color: #15803d; }
.council-briefing .cite-q { display: inline-block; margin-bottom: .3em; }
.eval-compare tr.improved .chg, .eval-compare b.improved { color: #15803d; }
.eval-compare tr.regressed .chg, .eval-compare b.regressed { color: #b91c1c; }
.eval-compare .warn { color: #b45309; }
.council-record .grade { font-weight: 600; } .council-record .g-none { color: var(--body-text-color-subdued); font-weight: normal; }
.council-record .g-outstanding { color: #15803d; } .council-record .g-good { color: #2563eb; }
.council-record .g-requires-improvement, .council-record .g-adequate { color: #b45309; }
.council-record .g-inadequate { color: #b91c1c; }
.grade-changes tr.improved td:last-child { color: #15803d; } .grade-changes tr.declined td:last-child { color: #b91c1c; }
"""

THEME_FONTS = {"font": ["system-ui", "Segoe UI", "Helvetica", "Arial", "sans-serif"],
               "font_mono": ["ui-monospace", "Menlo", "Consolas", "monospace"]}
