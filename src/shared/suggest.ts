/**
 * The candidate closest to `word` when it is close enough to be a likely typo, else undefined.
 * Distance is Damerau-Levenshtein (optimal string alignment: insert, delete, substitute, swap two
 * neighbours), ignoring case; "close" is at most 1 edit for words of up to 4 characters, 2 up to 8,
 * 3 beyond, so `workerMax` finds `workersMax` and `foo` finds nothing.
 */
export function closestName(word: string, candidates: readonly string[]): string | undefined {
  const limit = word.length <= 4 ? 1 : word.length <= 8 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** ` (did you mean `x`?)` for {@link closestName}'s answer, or "" when there is none. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const near = closestName(word, candidates);
  return near === undefined ? "" : ` (did you mean \`${near}\`?)`;
}

function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      }
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}
