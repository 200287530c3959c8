/**
 * Splits a container command line (a template's `dockerArgs`) into arguments the way a POSIX
 * shell splits words: whitespace separates, `'…'` is literal, `"…"` keeps `\"`, `\\`, `\$` and
 * `` \` `` escapes, a backslash outside quotes escapes the next character. No expansion happens:
 * the container gets the words, and `sh -c` inside it does the rest.
 * @throws Error on an unterminated quote or a trailing backslash
 */
export function parseCommand(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error("unterminated single quote");
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      inWord = true;
      for (i++; ; i++) {
        if (i >= line.length) throw new Error("unterminated double quote");
        const d = line[i]!;
        if (d === '"') break;
        if (d === "\\" && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) {
          word += line[++i];
        } else word += d;
      }
    } else if (c === "\\") {
      if (i + 1 >= line.length) throw new Error("trailing backslash");
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}
