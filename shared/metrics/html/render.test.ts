import { describe, expect, it } from "vitest";
import { renderVendorModule, vendorSources } from "../../../cli/vendor-charts.ts";
import { reportMetadata, reportTables } from "../../../tests/metrics/report-fixture.ts";
import { evaluate } from "../evaluate.ts";
import * as vendor from "./chart-vendor.generated.ts";
import { escapeHtml, jsonForScript } from "./escape.ts";
import type { TableMetadata } from "../../data/metadata.ts";
import type { Table } from "../../data/table.ts";
import { createRng } from "../../random.ts";
import { PAGE_SCRIPT } from "./page-script.ts";
import { renderHtmlReport } from "./render.ts";

describe("HTML report text", () => {
  it("escapes HTML and keeps JSON islands closed", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    const json = jsonForScript({ s: "</script><!-- \u2028 & >" });
    expect(json).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(json)).toEqual({ s: "</script><!-- \u2028 & >" });
  });

  it("inlines the installed Chart.js and matrix plugin (regenerate with `npx tsx cli/vendor-charts.ts`)", () => {
    const v = vendorSources();
    expect(vendor.CHART_JS_VERSION).toBe(v.chartVersion);
    expect(vendor.CHART_MATRIX_VERSION).toBe(v.matrixVersion);
    expect(vendor.CHART_JS_SOURCE).toBe(v.chart);
    expect(vendor.CHART_MATRIX_SOURCE).toBe(v.matrix);
    expect(renderVendorModule()).toContain(v.chartVersion);
  });

  it("renders a page with no external reference", () => {
    const { real, synthetic } = reportTables(300);
    const html = renderHtmlReport(evaluate(real, synthetic, reportMetadata, { seed: 1 }));
    expect(html).toContain("Content-Security-Policy");
    expect(html).not.toMatch(/<(script|link|img|iframe)[^>]*\s(src|href)=/i);
    // Three <script> with code plus the JSON island, each closed exactly once.
    expect(html.match(/<\/script>/g)?.length).toBe(4);
  });
});

/** Runs the page script against a stub DOM and Chart.js; returns the charts it would draw. */
function drawnCharts(report: unknown): { type: string; points: number }[] {
  const element = (): Record<string, unknown> => ({
    style: {},
    textContent: "",
    appendChild: () => undefined,
    setAttribute: () => undefined,
    parentNode: { insertBefore: () => undefined },
  });
  const island = { ...element(), textContent: JSON.stringify(report) };
  const document = {
    getElementById: (id: string) => (id === "report-data" ? island : element()),
    createElement: element,
  };
  const charts: { type: string; points: number }[] = [];
  function Chart(_canvas: unknown, config: { type: string; data: { datasets: { data: unknown[] }[] } }) {
    charts.push({ type: config.type, points: config.data.datasets[0].data.length });
  }
  Chart.defaults = { font: {} };
  Chart.register = () => undefined;
  new Function("document", "window", "Chart", PAGE_SCRIPT)(document, {}, Chart);
  return charts;
}

describe("HTML report of a wide table", () => {
  it("draws heatmaps of the heatmap columns only and at most 120 column charts", () => {
    const rng = createRng(1);
    const cols = 150;
    const names = Array.from({ length: cols }, (_, j) => `c${j}`);
    const table = (): Table => ({
      columns: names,
      data: names.map(() => Array.from({ length: 20 }, () => rng.int(4))),
    });
    const meta: TableMetadata = { columns: names.map((name) => ({ name, sdtype: "numerical" })) };
    const report = evaluate(table(), table(), meta, { privacy: false });
    expect(report.quality.pairDetails).toMatchObject({ total: 11_175, detailed: 2000, selection: "bounded" });
    const charts = drawnCharts(report);
    const heatmaps = charts.filter((c) => c.type === "matrix");
    expect(heatmaps.map((c) => c.points)).toEqual([1600, 1600, 1600]);
    expect(charts.filter((c) => c.type === "bar").length).toBe(120);
    const html = renderHtmlReport(report);
    expect(html).toContain("40 of 150 columns shown: those with the lowest mean pair score");
    expect(html).toContain(
      "2000 of 11175 pairs: those of the heatmap columns, the worst and a seeded sample",
    );
  });

  it("draws the heatmaps of a table with a column named __proto__", () => {
    const rng = createRng(2);
    const names = ["__proto__", "constructor", "x"];
    const table = (): Table => ({
      columns: names,
      data: names.map(() => Array.from({ length: 40 }, () => rng.int(5))),
    });
    const meta: TableMetadata = { columns: names.map((name) => ({ name, sdtype: "numerical" })) };
    const report = evaluate(table(), table(), meta, { privacy: false });
    const heatmaps = drawnCharts(report).filter((c) => c.type === "matrix");
    expect(heatmaps.map((c) => c.points)).toEqual([9, 9, 9]);
  });

  it("draws every column and pair of a narrow table", () => {
    const { real, synthetic } = reportTables(300);
    const report = evaluate(real, synthetic, reportMetadata, { seed: 1 });
    const n = report.quality.columnShapes.length;
    const charts = drawnCharts(report);
    expect(charts.filter((c) => c.type === "matrix").map((c) => c.points)).toEqual([n * n, n * n, n * n]);
    expect(renderHtmlReport(report)).not.toContain("heatmap-scope");
  });
});
