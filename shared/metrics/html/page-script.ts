/**
 * The report page's own script (plain ES2020, runs in the browser after the inlined Chart.js). It reads the
 * report from the JSON island and draws the charts. Every label coming from the data is drawn on a canvas or
 * set with textContent, never parsed as HTML. Sets window.__reportReady when every chart has drawn.
 */
export const PAGE_SCRIPT = String.raw`
(function () {
  "use strict";
  var report = JSON.parse(document.getElementById("report-data").textContent);
  if (window.ChartMatrix && window.ChartMatrix.MatrixController) {
    Chart.register(window.ChartMatrix.MatrixController, window.ChartMatrix.MatrixElement);
  }
  var REAL = "rgba(37, 99, 235, 0.75)";
  var SYN = "rgba(234, 88, 12, 0.75)";
  Chart.defaults.animation = false;
  Chart.defaults.font.family = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif";
  Chart.defaults.font.size = 11;

  function pct(v) { return (v * 100).toFixed(v < 0.1 ? 1 : 0) + "%"; }
  function short(text, n) { text = String(text); return text.length > n ? text.slice(0, n - 1) + "\u2026" : text; }
  function fmtEdge(v, sdtype) {
    if (sdtype === "datetime") return new Date(v).toISOString().slice(0, 10);
    var a = Math.abs(v);
    if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(2);
    return String(Math.round(v * 100) / 100);
  }

  function distributionChart(canvas, d) {
    var labels = [], real = [], syn = [];
    if (d.kind === "histogram") {
      for (var i = 0; i < d.real.length; i++) {
        labels.push(fmtEdge(d.edges[i], d.sdtype) + " \u2013 " + fmtEdge(d.edges[i + 1], d.sdtype));
        real.push(d.real[i]);
        syn.push(d.synthetic[i]);
      }
      if (d.syntheticBelow > 0) { labels.unshift("below real range"); real.unshift(0); syn.unshift(d.syntheticBelow); }
      if (d.syntheticAbove > 0) { labels.push("above real range"); real.push(0); syn.push(d.syntheticAbove); }
      if (d.realMissing > 0 || d.syntheticMissing > 0) { labels.push("(missing)"); real.push(d.realMissing); syn.push(d.syntheticMissing); }
    } else {
      for (var j = 0; j < d.categories.length; j++) {
        var c = d.categories[j];
        labels.push(c === null ? "(missing)" : short(c, 24));
        real.push(d.real[j]);
        syn.push(d.synthetic[j]);
      }
      if (d.otherReal > 0 || d.otherSynthetic > 0) { labels.push("(other categories)"); real.push(d.otherReal); syn.push(d.otherSynthetic); }
    }
    return new Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: [
        { label: "real", data: real, backgroundColor: REAL, barPercentage: 1, categoryPercentage: 0.85 },
        { label: "synthetic", data: syn, backgroundColor: SYN, barPercentage: 1, categoryPercentage: 0.85 }
      ] },
      options: {
        responsive: true, maintainAspectRatio: false,
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ": " + pct(ctx.parsed.y); } } } },
        scales: {
          x: { ticks: { maxRotation: 60, autoSkip: true, font: { size: 9 } }, grid: { display: false } },
          y: { beginAtZero: true, ticks: { callback: function (v) { return pct(v); } } }
        }
      }
    });
  }

  // Association matrix: Pearson r for two numerical columns, Cramér's V otherwise (1 on the diagonal).
  // A wide table detailed only some pairs: the heatmaps show the columns whose pairs are all detailed.
  var MAX_HEAT_COLUMNS = 64;
  function associationMatrix(which) {
    var pd = report.quality.pairDetails;
    var names = (pd ? pd.heatmapColumns : report.quality.columnShapes.map(function (s) { return s.column; })).slice(0, MAX_HEAT_COLUMNS);
    var index = Object.create(null);
    names.forEach(function (n, i) { index[n] = i; });
    var m = names.map(function (_, i) { return names.map(function (_, j) { return i === j ? 1 : null; }); });
    report.quality.columnPairTrends.forEach(function (p) {
      var v;
      if (p.metric === "CorrelationSimilarity") v = which === "real" ? p.realCorrelation : p.syntheticCorrelation;
      else v = which === "real" ? p.realAssociation : p.syntheticAssociation;
      var a = index[p.columns[0]], b = index[p.columns[1]];
      if (a === undefined || b === undefined) return;
      m[a][b] = v; m[b][a] = v;
    });
    return { names: names, m: m };
  }

  function color(v, diverging, scale) {
    if (v === null || v === undefined) return "rgba(200,200,200,0.4)";
    var t = Math.max(-1, Math.min(1, v / (scale || 1)));
    if (!diverging) {
      var k = Math.round(255 - 200 * Math.abs(t));
      return "rgb(255," + Math.round(255 - 140 * Math.abs(t)) + "," + k + ")";
    }
    if (t >= 0) { var r = Math.round(255 - 35 * t), g = Math.round(255 - 190 * t), b = Math.round(255 - 200 * t); return "rgb(" + r + "," + g + "," + b + ")"; }
    t = -t;
    return "rgb(" + Math.round(255 - 200 * t) + "," + Math.round(255 - 130 * t) + "," + Math.round(255 - 20 * t) + ")";
  }

  function tick(value) { return short(this.getLabelForValue(value), 16); }

  function heatmap(canvas, names, m, diverging, scale) {
    var data = [];
    for (var i = 0; i < names.length; i++) for (var j = 0; j < names.length; j++) data.push({ x: names[j], y: names[i], v: m[i][j] });
    return new Chart(canvas, {
      type: "matrix",
      data: { datasets: [{
        data: data.map(function (p) { return { x: p.x, y: p.y, v: p.v, fx: p.x, fy: p.y }; }),
        backgroundColor: function (ctx) { var p = ctx.dataset.data[ctx.dataIndex]; return color(p && p.v, diverging, scale); },
        borderColor: "rgba(255,255,255,0.9)", borderWidth: 1,
        width: function (ctx) { var a = ctx.chart.chartArea; return a ? a.width / names.length - 1 : 10; },
        height: function (ctx) { var a = ctx.chart.chartArea; return a ? a.height / names.length - 1 : 10; }
      }] },
      options: {
        responsive: true, maintainAspectRatio: false,
        plugins: { legend: { display: false }, tooltip: { callbacks: {
          title: function () { return ""; },
          label: function (ctx) { var p = ctx.raw; return p.fy + " \u00d7 " + p.fx + ": " + (p.v === null ? "n/a" : p.v.toFixed(3)); }
        } } },
        scales: {
          x: { type: "category", labels: names, offset: true, grid: { display: false }, ticks: { maxRotation: 70, minRotation: 45, font: { size: 9 }, callback: tick } },
          y: { type: "category", labels: names, offset: true, reverse: false, grid: { display: false }, ticks: { font: { size: 9 }, callback: tick } }
        }
      }
    });
  }

  var charts = [];
  var grid = document.getElementById("column-charts");
  // One chart per column up to MAX_COLUMN_CHARTS; beyond, the worst-shaped columns, in table order.
  var MAX_COLUMN_CHARTS = 120;
  var shown = report.distributions;
  if (shown.length > MAX_COLUMN_CHARTS) {
    var shapeOf = {};
    report.quality.columnShapes.forEach(function (s) { shapeOf[s.column] = s.score === null ? 2 : s.score; });
    var order = shown.map(function (d, i) { return i; });
    order.sort(function (a, b) { return (shapeOf[shown[a].column] ?? 2) - (shapeOf[shown[b].column] ?? 2) || a - b; });
    var keep = order.slice(0, MAX_COLUMN_CHARTS).sort(function (a, b) { return a - b; });
    shown = keep.map(function (i) { return report.distributions[i]; });
    var more = document.createElement("p");
    more.className = "muted";
    more.id = "column-charts-bounded";
    more.textContent = "The " + MAX_COLUMN_CHARTS + " columns with the lowest shape score of " + report.distributions.length + " are drawn; the table below lists every column.";
    grid.parentNode.insertBefore(more, grid);
  }
  shown.forEach(function (d) {
    var card = document.createElement("div");
    card.className = "chart-card";
    var title = document.createElement("h4");
    title.textContent = d.column;
    var shape = report.quality.columnShapes.filter(function (s) { return s.column === d.column; })[0];
    var sub = document.createElement("span");
    sub.className = "muted";
    sub.textContent = " " + d.sdtype + (shape && shape.score !== null ? " \u00b7 " + shape.metric + " " + shape.score.toFixed(3) : "");
    title.appendChild(sub);
    var box = document.createElement("div");
    box.className = "chart-box";
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", "real and synthetic distribution of " + d.column);
    box.appendChild(canvas);
    card.appendChild(title);
    card.appendChild(box);
    grid.appendChild(card);
    charts.push(distributionChart(canvas, d));
  });

  var real = associationMatrix("real"), syn = associationMatrix("synthetic");
  if (real.names.length >= 2) {
    var diff = real.m.map(function (row, i) { return row.map(function (v, j) {
      var s = syn.m[i][j]; return v === null || s === null ? null : Math.abs(v - s); }); });
    charts.push(heatmap(document.getElementById("heat-real"), real.names, real.m, true));
    charts.push(heatmap(document.getElementById("heat-synthetic"), syn.names, syn.m, true));
    // Differences are usually small: full colour at 0.25 (or the largest difference, if larger) keeps them visible.
    var largest = 0;
    diff.forEach(function (row) { row.forEach(function (v) { if (v !== null && v > largest) largest = v; }); });
    var scale = Math.max(0.25, largest);
    document.getElementById("heat-diff-scale").textContent = "full colour = " + scale.toFixed(2);
    charts.push(heatmap(document.getElementById("heat-diff"), real.names, diff, false, scale));
  } else {
    document.getElementById("heatmaps").style.display = "none";
  }

  if (report.privacy) {
    var h = report.privacy.dcr.histogram;
    var dl = h.counts.map(function (_, i) { return i < h.counts.length - 1 ? h.edges[i].toFixed(3) : "\u2265 " + h.edges[h.edges.length - 1].toFixed(2); });
    charts.push(new Chart(document.getElementById("dcr-chart"), {
      type: "bar",
      data: { labels: dl, datasets: [{ label: "synthetic rows", data: h.counts, backgroundColor: SYN }] },
      options: { responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } },
        scales: { x: { title: { display: true, text: "distance to the closest real row" }, ticks: { font: { size: 9 } } },
                  y: { beginAtZero: true, title: { display: true, text: "synthetic rows" } } } }
    }));
  }
  window.__reportCharts = charts.length;
  window.__reportReady = true;
})();
`;
