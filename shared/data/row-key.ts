/**
 * One string key per row from per-column cell tokens (`tokens[column][row]`), for exact-row comparison
 * (the privacy guard and the report's copy shares). Each token is length-prefixed so no value can forge
 * a column boundary.
 */
export function joinRowKeys(tokens: string[][], rows: number): string[] {
  const keys = new Array<string>(rows);
  for (let i = 0; i < rows; i++) {
    let key = "";
    for (const col of tokens) key += `${col[i].length}:${col[i]}`;
    keys[i] = key;
  }
  return keys;
}
