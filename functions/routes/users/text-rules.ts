/** True when `s` has a C0 control character or DEL (U+0000-U+001F, U+007F): never part of a name. */
export function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
