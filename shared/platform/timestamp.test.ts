import { describe, expect, it } from "vitest";
import { isBanned } from "./auth-admin.ts";
import { isoTimestamp, timestampMs } from "./timestamp.ts";

describe("timestamps from PostgreSQL", () => {
  it("renders dates, ISO strings and PostgreSQL's infinity (an invalid Date in JavaScript)", () => {
    expect(isoTimestamp(new Date(Date.UTC(2026, 11, 2)))).toBe("2026-12-02T00:00:00.000Z");
    expect(isoTimestamp("2026-12-02T01:02:03+01:00")).toBe("2026-12-02T00:02:03.000Z");
    expect(isoTimestamp(new Date(Number.NaN))).toBe("infinity");
    expect(isoTimestamp("-infinity")).toBe("-infinity");
    expect(isoTimestamp(null)).toBeNull();
  });

  it("treats a ban until infinity as banned and one until -infinity as over", () => {
    expect(timestampMs("infinity")).toBe(Number.POSITIVE_INFINITY);
    expect(isBanned({ bannedUntil: "infinity" })).toBe(true);
    expect(isBanned({ bannedUntil: "-infinity" })).toBe(false);
    expect(isBanned({ bannedUntil: new Date(Date.now() - 1000).toISOString() })).toBe(false);
  });
});
