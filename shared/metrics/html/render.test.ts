import { describe, expect, it } from "vitest";
import { renderVendorModule, vendorSources } from "../../../cli/vendor-charts.ts";
import { reportMetadata, reportTables } from "../../../tests/metrics/report-fixture.ts";
import { evaluate } from "../evaluate.ts";
import * as vendor from "./chart-vendor.generated.ts";
import { escapeHtml, jsonForScript } from "./escape.ts";
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
