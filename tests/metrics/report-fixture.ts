import { fromRows, type Cell, type Table } from "../../shared/data/table.ts";
import type { TableMetadata } from "../../shared/data/metadata.ts";
import { createRng, type Rng } from "../../shared/random.ts";

/**
 * A small table with the shapes a report must draw (skewed and correlated numbers, a date, categories,
 * a flag, missing values) and hostile text where user input reaches the page (column names, categories).
 */
export const HOSTILE_COLUMN = `</script><img src=x onerror="window.__pwned=1">`;
export const HOSTILE_CATEGORY = `<script>window.__pwned=2</script>`;

export const reportMetadata: TableMetadata = {
  columns: [
    { name: "age", sdtype: "numerical" },
    { name: "income", sdtype: "numerical" },
    { name: "joined", sdtype: "datetime" },
    { name: HOSTILE_COLUMN, sdtype: "categorical" },
    { name: "member", sdtype: "boolean" },
    { name: "plan", sdtype: "categorical" },
  ],
};

const cities = ["Lyon", "Oslo", HOSTILE_CATEGORY, "Quito", "Pune", `"quoted" & 'single'`];
const plans = ["basic", "plus", "pro"];

function row(rng: Rng, noise: number): Cell[] {
  const age = Math.round(18 + Math.abs(rng.normal()) * 18 + noise * rng.normal() * 5);
  const income = Math.round(Math.exp(7.5 + age / 60 + rng.normal() * 0.4 + noise * rng.normal() * 0.3));
  const joined = new Date(Date.UTC(2015, 0, 1) + Math.floor(rng.next() ** (1 + noise) * 3000) * 86_400_000);
  const city = cities[Math.min(cities.length - 1, Math.floor(rng.next() ** 2 * cities.length))];
  const member = rng.next() < (age > 40 ? 0.7 : 0.3) + noise * 0.1;
  const plan = income > 4000 ? plans[2] : plans[rng.int(2)];
  return [
    age,
    rng.next() < 0.03 ? null : income,
    joined,
    rng.next() < 0.02 ? null : city,
    member,
    rng.next() < noise * 0.3 ? plans[rng.int(3)] : plan,
  ];
}

export function reportTables(rows = 1500): { real: Table; synthetic: Table; holdout: Table } {
  const rng = createRng(42);
  const names = reportMetadata.columns.map((c) => c.name);
  const make = (n: number, noise: number): Table =>
    fromRows(
      names,
      Array.from({ length: n }, () => row(rng, noise)),
    );
  return { real: make(rows, 0), synthetic: make(rows, 0.6), holdout: make(Math.floor(rows / 2), 0) };
}
