import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluate } from "../../shared/metrics/evaluate.ts";
import { renderHtmlReport } from "../../shared/metrics/html/render.ts";
import { launchChromium } from "./chromium.ts";
import { HOSTILE_CATEGORY, HOSTILE_COLUMN, reportMetadata, reportTables } from "./report-fixture.ts";

/**
 * Renders the HTML report in headless Chromium from npm (./chromium.ts): no console error, no request leaves the page, every
 * chart drew, hostile text stays text. Saves bench/report-screenshot.png (committed; look at it).
 */
const SCREENSHOT = new URL("../../bench/report-screenshot.png", import.meta.url);

describe("HTML report in Chromium", () => {
  let context: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    // A fresh profile directory per run (launchPersistentContext is how Playwright takes --user-data-dir).
    profile = mkdtempSync(join(tmpdir(), "synth-report-chromium-"));
    context = await launchChromium(profile);
  });

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it("draws every chart offline, without errors, and escapes the data", async () => {
    const { real, synthetic, holdout } = reportTables();
    const fixedClock = () => Date.UTC(2026, 0, 1);
    const report = evaluate(real, synthetic, reportMetadata, {
      target: "plan",
      holdout,
      seed: 1,
      now: fixedClock,
    });
    const html = renderHtmlReport(report);
    expect(html).not.toContain(HOSTILE_COLUMN);
    expect(html).not.toContain(HOSTILE_CATEGORY);

    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (msg) => {
      if (msg.type() === "error" || msg.type() === "warning") errors.push(`${msg.type()}: ${msg.text()}`);
    });
    page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
    page.on("request", (req) => requests.push(req.url()));
    await page.route("**/*", (route) => {
      requests.push(route.request().url());
      return route.abort();
    });
    await page.setContent(html, { waitUntil: "load" });
    await page.waitForFunction(
      () => (window as unknown as { __reportReady?: boolean }).__reportReady === true,
      null,
      {
        timeout: 20_000,
      },
    );

    const state = await page.evaluate(() => {
      const canvases = Array.from(document.querySelectorAll("canvas"));
      const inked = canvases.map((c) => {
        const ctx = c.getContext("2d")!;
        const { data } = ctx.getImageData(0, 0, c.width, c.height);
        let painted = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
        return { id: c.id || c.getAttribute("aria-label"), painted, total: c.width * c.height };
      });
      const w = window as unknown as { __pwned?: number; __reportCharts?: number };
      return {
        inked,
        charts: w.__reportCharts,
        pwned: w.__pwned ?? null,
        images: document.querySelectorAll("img").length,
        headings: Array.from(document.querySelectorAll("#column-charts h4")).map(
          (h) => h.firstChild?.textContent,
        ),
        tableText: document.querySelector("details table")?.textContent ?? "",
      };
    });

    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    expect(state.pwned).toBeNull();
    expect(state.images).toBe(0);
    // One chart per column, three heatmaps, the DCR histogram; every one has ink on it.
    expect(state.charts).toBe(reportMetadata.columns.length + 4);
    expect(state.inked.length).toBe(reportMetadata.columns.length + 4);
    for (const c of state.inked) expect(c.painted / c.total, String(c.id)).toBeGreaterThan(0.01);
    // The hostile column name is shown as text, not markup.
    expect(state.headings).toContain(HOSTILE_COLUMN);
    expect(state.tableText).toContain(HOSTILE_COLUMN);

    writeFileSync(SCREENSHOT, await page.screenshot({ fullPage: true }));
    await page.close();
  });

  it("renders a minimal report (one column, no privacy, no ML) without errors", async () => {
    const { real, synthetic } = reportTables(200);
    const meta = { columns: [reportMetadata.columns[4]] };
    const pick = (t: typeof real) => ({ columns: [t.columns[4]], data: [t.data[4]] });
    const html = renderHtmlReport(evaluate(pick(real), pick(synthetic), meta, { privacy: false }));
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("console", (msg) => {
      if (msg.type() === "error" || msg.type() === "warning") errors.push(msg.text());
    });
    page.on("pageerror", (err) => errors.push(err.message));
    await page.setContent(html, { waitUntil: "load" });
    await page.waitForFunction(
      () => (window as unknown as { __reportReady?: boolean }).__reportReady === true,
      null,
      {
        timeout: 20_000,
      },
    );
    const charts = await page.evaluate(
      () => (window as unknown as { __reportCharts?: number }).__reportCharts,
    );
    expect(errors).toEqual([]);
    expect(charts).toBe(1);
    await page.close();
  });
});
