import { reportSchema, type Report } from "../report-schema.ts";
import { CHART_JS_SOURCE, CHART_MATRIX_SOURCE } from "./chart-vendor.generated.ts";
import { escapeHtml, jsonForScript } from "./escape.ts";
import { PAGE_SCRIPT } from "./page-script.ts";

/**
 * The report as one self-contained HTML page: Chart.js and its matrix plugin inlined, the report as a JSON
 * island, no external resource of any kind (the Content-Security-Policy forbids every network fetch, so a
 * stray URL in the data cannot make the page call out). Every string from the data (column names,
 * categories) is HTML-escaped here or drawn as text by the page script.
 */

const fmt = (v: number | null | undefined, digits = 3): string =>
  v === null || v === undefined || !Number.isFinite(v) ? "n/a" : v.toFixed(digits);
const pct = (v: number | null | undefined): string =>
  v === null || v === undefined || !Number.isFinite(v) ? "n/a" : `${(v * 100).toFixed(v < 0.1 ? 2 : 1)}%`;

/** good / fair / poor for a 0-1 score where higher is better. */
function grade(v: number | null | undefined, good = 0.9, fair = 0.75): string {
  if (v === null || v === undefined) return "na";
  return v >= good ? "good" : v >= fair ? "fair" : "poor";
}

function card(title: string, value: string, cls: string, explanation: string): string {
  return `<div class="card ${cls}"><div class="card-title">${escapeHtml(title)}</div><div class="card-value">${escapeHtml(value)}</div><p>${explanation}</p></div>`;
}

function bar(v: number | null): string {
  const w = v === null ? 0 : Math.max(0, Math.min(1, v)) * 100;
  return `<span class="bar"><span class="bar-fill ${grade(v)}" style="width:${w.toFixed(1)}%"></span></span>`;
}

function qualitySection(r: Report): string {
  const q = r.quality;
  const related = q.relatedPairs;
  return `<section><h2>Quality</h2><div class="cards">
${card("Overall quality", fmt(q.allPairs.overall), grade(q.allPairs.overall), "How closely the synthetic table follows the real one, from 0 to 1 (1 = the same on every statistic below). The mean of column shapes and column pair trends, every pair of columns counted.")}
${card("Column shapes", fmt(q.allPairs.columnShapes), grade(q.allPairs.columnShapes), "Each column on its own. Numbers and dates: 1 − the Kolmogorov–Smirnov distance (the largest gap between the real and synthetic cumulative distributions). Categories: 1 − the total variation distance (the share of rows that would have to change category to match).")}
${card("Column pair trends", fmt(q.allPairs.columnPairTrends), grade(q.allPairs.columnPairTrends), "Each pair of columns. Two numerical columns: 1 − |r<sub>real</sub> − r<sub>synthetic</sub>| / 2 with Pearson's r. A pair with a category: 1 − the total variation distance between the real and synthetic joint frequency tables (numbers cut into 10 equal-width bins over the real range).")}
${card("SDMetrics-style score (related pairs only)", fmt(related.overall), grade(related.overall), `The number SDMetrics' QualityReport (0.27 and later) prints by default: pair trends averaged only over the pairs related in the real data (|r| &gt; 0.5 or Cramér's V &gt; 0.3), here ${related.pairsScored} of ${related.pairsTotal} pairs (pair trends ${fmt(related.columnPairTrends)}). Shown for comparison; it ignores unrelated pairs and can flatter a sample.`)}
</div></section>`;
}

function diagnosticsSection(r: Report): string {
  const d = r.diagnostics;
  const problems = d.validity.filter((v) => v.score !== null && v.score < 1);
  const list =
    problems.length === 0
      ? "<p>Every synthetic number lies within the real range, every category exists in the real data and keys are unique.</p>"
      : `<ul>${problems
          .map((v) => `<li><b>${escapeHtml(v.column)}</b>: ${escapeHtml(v.metric)} ${fmt(v.score)}</li>`)
          .join("")}</ul>`;
  const structure =
    d.structureMismatches.length === 0
      ? ""
      : `<p>Columns that differ: ${d.structureMismatches
          .map(
            (m) =>
              `<b>${escapeHtml(m.column)}</b> (real: ${escapeHtml(m.real ?? "absent")}, synthetic: ${escapeHtml(m.synthetic ?? "absent")})`,
          )
          .join(", ")}.</p>`;
  return `<section><h2>Diagnostics</h2><div class="cards">
${card("Data validity", fmt(d.dataValidity), grade(d.dataValidity, 0.99, 0.9), "Boundary adherence (synthetic numbers and dates within the real minimum and maximum), category adherence (synthetic categories that exist in the real data) and key uniqueness. A sound synthesizer scores 1.")}
${card("Data structure", fmt(d.dataStructure), grade(d.dataStructure, 0.99, 0.9), "The synthetic table has the same columns as the real one, with values of the same type.")}
</div>${list}${structure}</section>`;
}

/** Exact copies of real rows and the sampler's guard: absent from reports made before the guard existed. */
function exactCopyCards(p: NonNullable<Report["privacy"]>): string {
  const e = p.exactCopies;
  if (e === undefined) return "";
  const g = p.guard ?? null;
  const guardText =
    g === null
      ? "not known (the report was made from files; the sampler's guard report was not given)"
      : g.status === "on"
        ? `on, k = ${g.minRowCount ?? "n/a"}: ${g.resampled} rows resampled in ${g.rounds} of at most ${g.maxRounds} rounds, ${g.dropped} dropped`
        : `${g.status}${g.reason === null ? "" : ` (${escapeHtml(g.reason)})`}`;
  const warning = e.warning === null ? "" : `<p class="warning"><b>Warning:</b> ${escapeHtml(e.warning)}</p>`;
  return `${card("Copies of unique real rows", pct(e.uniqueRealRowShare), e.uniqueRealRowCopies === 0 ? "good" : "poor", `${e.uniqueRealRowCopies} synthetic rows equal, on every compared column, a real row that occurs once in the real table: each one discloses a real record. Privacy guard: ${guardText}.${warning}`)}
${card("Copies of any real row", pct(e.anyRealRowShare), "info", `${e.anyRealRowCopies} synthetic rows equal some real row. Beside it, ${pct(e.realDuplicateShare)} of the real rows have a twin in the real table: copies of rows many people share disclose no one.`)}`;
}

function privacySection(r: Report): string {
  const p = r.privacy;
  if (p === null) return `<section><h2>Privacy</h2><p>Not computed.</p></section>`;
  const bp = p.baselineProtection;
  const of = p.overfittingProtection;
  const copyClass = p.copyShare <= 0.01 ? "good" : p.copyShare <= 0.05 ? "fair" : "poor";
  return `<section><h2>Privacy</h2><div class="cards">
${exactCopyCards(p)}
${card("Copied rows", pct(p.copyShare), copyClass, `The share of synthetic rows that copy a real row: every category equal and every number within ${pct(p.copyTolerance)} of the real value. Identical rows (distance 0): ${pct(p.dcr.exactShare)}.`)}
${card("Distance to closest record", `median ${fmt(p.dcr.median)}`, "info", `For each synthetic row, the distance to the most similar real row: the mean over columns of |difference| / real range for numbers and dates (at most 1), and 0 or 1 for categories. 0 means identical to a real row. 5th percentile ${fmt(p.dcr.p05)}, mean ${fmt(p.dcr.mean)}.`)}
${card("DCR baseline protection", fmt(bp.score), grade(bp.score, 0.8, 0.5), `Median distance of the synthetic rows (${fmt(bp.syntheticMedianDcr)}) divided by that of random rows drawn uniformly within the real ranges and categories (${fmt(bp.randomMedianDcr)}), at most 1. Near 1: synthetic rows are as far from real rows as random ones; near 0: they sit on top of real rows.`)}
${
  of === null
    ? card(
        "DCR overfitting protection",
        "n/a",
        "na",
        "Needs a holdout: real rows the model never saw. Evaluate with a holdout table to measure whether synthetic rows are closer to the training rows than to unseen ones.",
      )
    : card(
        "DCR overfitting protection",
        fmt(of.score),
        grade(of.score, 0.8, 0.5),
        `${pct(of.closerToTraining)} of synthetic rows are closer to the training rows than to the ${of.holdoutRows} holdout rows the model never saw (about half is expected when the model does not memorise). Score = min(1, 2 × (1 − that share)).`,
      )
}
</div><div class="chart-card wide"><h4>Distance to the closest real row</h4><div class="chart-box"><canvas id="dcr-chart" role="img" aria-label="histogram of distances to the closest real row"></canvas></div></div></section>`;
}

function mlSection(r: Report): string {
  const m = r.mlEfficacy;
  if (m === null) return "";
  const metric = m.metric === "macro_f1" ? "macro F1" : "R²";
  const ratio = m.real > 0 ? m.synthetic / m.real : null;
  return `<section><h2>Machine-learning efficacy</h2><div class="cards">
${card(`Trained on synthetic (${metric})`, fmt(m.synthetic), grade(ratio, 0.9, 0.7), `A gradient-boosted model predicts <b>${escapeHtml(m.target)}</b> (${escapeHtml(m.task)}) after training on the ${m.trainRows.synthetic} synthetic rows; tested on ${m.testRows} real holdout rows.`)}
${card(`Trained on real (${metric})`, fmt(m.real), "info", `The same model trained on the ${m.trainRows.real} real training rows and tested on the same holdout: the ceiling to read the synthetic score against. The closer the two, the more useful the synthetic table is for machine learning.`)}
</div></section>`;
}

/** Which columns the heatmaps show when the table has too many pairs to detail them all. */
function heatmapScope(r: Report): string {
  const pd = r.quality.pairDetails;
  if (!pd || pd.selection === "all") return "";
  return `<p class="muted" id="heatmap-scope">${pd.heatmapColumns.length} of ${r.quality.columnShapes.length} columns shown: those with the lowest mean pair score. ${pd.scored === pd.total ? `Every one of the ${pd.total} pairs is in the scores above.` : `The scores above average a seeded sample of ${pd.scored} of the ${pd.total} pairs.`}</p>`;
}

function detailTables(r: Report): string {
  const pd = r.quality.pairDetails;
  const shapes = r.quality.columnShapes
    .map(
      (s) =>
        `<tr><td>${escapeHtml(s.column)}</td><td>${escapeHtml(s.sdtype)}</td><td>${escapeHtml(s.metric)}</td><td class="num">${fmt(s.score)}</td><td>${bar(s.score)}</td></tr>`,
    )
    .join("");
  const pairs = [...r.quality.columnPairTrends]
    .sort((a, b) => (a.score ?? 2) - (b.score ?? 2))
    .map(
      (p) =>
        `<tr><td>${escapeHtml(p.columns[0])}</td><td>${escapeHtml(p.columns[1])}</td><td>${escapeHtml(p.metric)}</td><td class="num">${fmt(p.score)}</td><td>${bar(p.score)}</td><td class="num">${
          p.metric === "CorrelationSimilarity"
            ? `r ${fmt(p.realCorrelation)} / ${fmt(p.syntheticCorrelation)}`
            : `V ${fmt(p.realAssociation)} / ${fmt(p.syntheticAssociation)}`
        }</td><td>${p.related ? "yes" : ""}</td></tr>`,
    )
    .join("");
  return `<section><h2>Details</h2>
<details open><summary>Column shapes</summary><table><thead><tr><th>column</th><th>type</th><th>metric</th><th>score</th><th></th></tr></thead><tbody>${shapes}</tbody></table></details>
<details><summary>Column pair trends (worst first${pd && pd.selection === "bounded" ? `; ${pd.detailed} of ${pd.total} pairs: those of the heatmap columns, the worst and a seeded sample` : ""})</summary><table><thead><tr><th>column</th><th>column</th><th>metric</th><th>score</th><th></th><th>real / synthetic</th><th>related</th></tr></thead><tbody>${pairs}</tbody></table></details>
</section>`;
}

const STYLE = `
:root { --good:#15803d; --fair:#b45309; --poor:#b91c1c; --na:#6b7280; --info:#1d4ed8; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #111827; background: #f9fafb; }
header { background: #111827; color: #f9fafb; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: #d1d5db; }
main { padding: 8px 28px 40px; max-width: 1400px; margin: 0 auto; }
h2 { margin: 28px 0 10px; font-size: 18px; border-bottom: 1px solid #e5e7eb; padding-bottom: 4px; }
h4 { margin: 0 0 6px; font-size: 13px; overflow-wrap: anywhere; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(270px, 1fr)); gap: 12px; }
.card { background: #fff; border: 1px solid #e5e7eb; border-left: 5px solid var(--na); border-radius: 6px; padding: 10px 14px; }
.card p { margin: 6px 0 0; color: #374151; font-size: 12.5px; }
.card-title { font-weight: 600; color: #374151; }
.card-value { font-size: 26px; font-weight: 700; }
.card.good { border-left-color: var(--good); } .card.good .card-value { color: var(--good); }
.card.fair { border-left-color: var(--fair); } .card.fair .card-value { color: var(--fair); }
.card.poor { border-left-color: var(--poor); } .card.poor .card-value { color: var(--poor); }
.card.info { border-left-color: var(--info); } .card.info .card-value { color: var(--info); }
.chart-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 12px; }
.chart-card { background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; padding: 10px; }
.chart-card.wide { margin-top: 12px; }
.chart-box { position: relative; height: 210px; }
.heat-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); gap: 12px; }
.heat-grid .chart-box { height: 380px; }
.legend { display: inline-flex; gap: 14px; font-size: 12.5px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -1px; margin-right: 4px; }
.muted { color: #6b7280; font-weight: normal; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 12.5px; margin: 6px 0 12px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #f3f4f6; overflow-wrap: anywhere; }
td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
.bar { display: inline-block; width: 120px; height: 8px; background: #e5e7eb; border-radius: 4px; overflow: hidden; }
.bar-fill { display: block; height: 100%; background: var(--na); }
.bar-fill.good { background: var(--good); } .bar-fill.fair { background: var(--fair); } .bar-fill.poor { background: var(--poor); }
.notes { color: #4b5563; font-size: 12.5px; }
.warning { color: var(--poor); }
summary { cursor: pointer; font-weight: 600; margin: 8px 0; }
`;

export interface RenderOptions {
  /** Page title; defaults to "Synthetic data report". */
  title?: string;
}

export function renderHtmlReport(report: Report, options: RenderOptions = {}): string {
  const r = reportSchema.parse(report);
  const title = options.title ?? "Synthetic data report";
  const notes = r.notes.length
    ? `<ul class="notes">${r.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>`
    : "";
  const csp =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; font-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1>
<p>${r.rows.real} real rows${r.rows.holdout !== null ? ` (+ ${r.rows.holdout} holdout)` : ""}, ${r.rows.synthetic} synthetic rows, ${r.columns.length} columns · generated ${escapeHtml(r.generatedAt)} · report format v${r.version}; quality definitions follow SDMetrics.</p></header>
<main>
${notes}
${qualitySection(r)}
<section><h2>Columns: real vs synthetic</h2>
<p class="legend"><span><span class="swatch" style="background:rgba(37,99,235,0.75)"></span>real</span><span><span class="swatch" style="background:rgba(234,88,12,0.75)"></span>synthetic</span><span class="muted">share of rows; numbers in 20 equal-width bins over the real range</span></p>
<div class="chart-grid" id="column-charts"></div></section>
<section id="heatmaps"><h2>Relationships between columns</h2>
<p class="muted">Pearson's r for two numerical columns (−1 blue to +1 red); Cramér's V (0 to 1) for pairs with a category, numbers cut into 10 bins. The third map is the absolute difference (white = same, orange = different).</p>${heatmapScope(r)}
<div class="heat-grid">
<div class="chart-card"><h4>Real</h4><div class="chart-box"><canvas id="heat-real" role="img" aria-label="real association matrix"></canvas></div></div>
<div class="chart-card"><h4>Synthetic</h4><div class="chart-box"><canvas id="heat-synthetic" role="img" aria-label="synthetic association matrix"></canvas></div></div>
<div class="chart-card"><h4>|Real − synthetic| <span class="muted" id="heat-diff-scale"></span></h4><div class="chart-box"><canvas id="heat-diff" role="img" aria-label="difference of the association matrices"></canvas></div></div>
</div></section>
${diagnosticsSection(r)}
${privacySection(r)}
${mlSection(r)}
${detailTables(r)}
</main>
<script type="application/json" id="report-data">${jsonForScript(r)}</script>
<script>${CHART_JS_SOURCE}</script>
<script>${CHART_MATRIX_SOURCE}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
