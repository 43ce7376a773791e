import { describe, expect, it } from "vitest";
import { parseGoDuration } from "../../local/auth/go-duration.ts";
import { hashPassword, verifyPassword } from "../../local/auth/password-hash.ts";

describe("password hashes", () => {
  it("verifies the password it hashed and nothing else, salted per hash", async () => {
    const a = await hashPassword("correct horse");
    const b = await hashPassword("correct horse");
    expect(a).not.toBe(b);
    expect(a).not.toContain("correct horse");
    expect(await verifyPassword("correct horse", a)).toBe(true);
    expect(await verifyPassword("correct horse", b)).toBe(true);
    expect(await verifyPassword("correct hors", a)).toBe(false);
    expect(await verifyPassword("", a)).toBe(false);
  });

  it("treats unknown, empty, tampered or outrageous stored values as a mismatch without throwing", async () => {
    const good = await hashPassword("pw-123456");
    const [, , params, salt, key] = good.split("$");
    const flipped = key.startsWith("A") ? `B${key.slice(1)}` : `A${key.slice(1)}`;
    for (const stored of [
      null,
      "",
      "pw-123456",
      "$2a$10$abcdefghijklmnopqrstuuN7yXq9jv2w8jK4x0S1sJmYQ0w5Y7e7e", // a bcrypt hash: not ours
      `$scrypt$${params}$${salt}$${flipped}`,
      `$scrypt$ln=30,r=8,p=1$${salt}$${key}`, // would need 128 GiB
      `$scrypt$ln=15,r=8,p=1$${salt}$AAAA`, // truncated key
    ]) {
      expect(await verifyPassword("pw-123456", stored)).toBe(false);
    }
  });
});

describe("Go durations (ban_duration)", () => {
  it("parses what time.ParseDuration accepts", () => {
    expect(parseGoDuration("876000h")).toBe(876000 * 3600);
    expect(parseGoDuration("1h30m")).toBe(5400);
    expect(parseGoDuration("1.5h")).toBe(5400);
    expect(parseGoDuration("90s")).toBe(90);
    expect(parseGoDuration("250ms")).toBe(0.25);
    expect(parseGoDuration("0")).toBe(0);
    expect(parseGoDuration("-1m")).toBe(-60);
  });

  it("refuses everything else", () => {
    for (const text of ["", "none", "24", "1d", "h", "1h ", " 1h", "1h-2m", "forever"]) {
      expect(parseGoDuration(text)).toBeNull();
    }
  });
});
