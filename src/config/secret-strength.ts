/**
 * A conservative estimate, in bits, of the entropy of a configured secret (API.md "Files and
 * secrets": at least 128 bits).
 *
 * Estimator: Lempel-Ziv (LZ76) complexity times the bits of one symbol. The text is cut into
 * phrases, each the shortest piece not already seen earlier in the text; a random string cuts
 * into almost one phrase per character, while a repetition (`abab…`, `kkkk…`, a pasted value
 * twice) collapses into a few phrases, however long it is. Each phrase is counted as one fresh
 * symbol drawn from the character classes the secret uses (digits 10, lower case 26, upper
 * case 26, other printable ASCII 33, anything else 128). This under-counts a truly random
 * string (a phrase of two characters carries more than one symbol's worth), which is the
 * safe side: `openssl rand -base64 48` scores far above the bar, `-hex 32` just above it.
 */
export function estimateSecretBits(secret: string): number {
  const symbols = Array.from(secret);
  if (symbols.length === 0) return 0;
  return lz76Phrases(symbols) * Math.log2(alphabetSize(symbols));
}

export const MIN_SECRET_BITS = 128;

function alphabetSize(symbols: string[]): number {
  let size = 0;
  if (symbols.some((c) => /[0-9]/.test(c))) size += 10;
  if (symbols.some((c) => /[a-z]/.test(c))) size += 26;
  if (symbols.some((c) => /[A-Z]/.test(c))) size += 26;
  if (symbols.some((c) => /[!-/:-@[-`{-~ ]/.test(c))) size += 33;
  if (symbols.some((c) => !/[ -~]/.test(c))) size += 128;
  return Math.max(size, 2);
}

/** The phrase count of the LZ76 parsing (Kaspar-Schuster); a phrase may overlap its source. */
function lz76Phrases(symbols: string[]): number {
  const n = symbols.length;
  if (n === 1) return 1;
  let phrases = 1;
  let start = 1;
  while (start < n) {
    let longest = 0;
    for (let from = 0; from < start; from++) {
      let length = 0;
      while (start + length < n && symbols[from + length] === symbols[start + length]) length++;
      if (length > longest) longest = length;
    }
    // The new phrase is the longest copy plus one fresh symbol (or the rest of the text).
    phrases++;
    start += longest + 1;
  }
  return phrases;
}
