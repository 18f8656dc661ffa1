/**
 * CLIP's byte-pair encoding of one pre-tokenized word: the last symbol carries the `</w>` end-of-word marker, then the
 * lowest-ranked adjacent pair is merged (every occurrence, left to right) until no ranked pair is left. Results are
 * cached per word, as in CLIP; the cache starts with the special tokens, which are never split.
 */

const END_OF_WORD = '</w>';
/** Words are few per prompt; the cap only keeps a long-running service from growing without bound. */
const CACHE_LIMIT = 20_000;

export class BytePairEncoder {
  private readonly ranks: Map<string, number>;
  private readonly cache = new Map<string, readonly string[]>();
  private readonly unsplittable: ReadonlySet<string>;

  /** `merges` are "left right" pairs, best first. */
  constructor(merges: readonly string[], unsplittable: readonly string[]) {
    this.ranks = new Map(merges.map((merge, rank) => [merge, rank]));
    this.unsplittable = new Set(unsplittable);
  }

  /** The BPE symbols of one byte-level word, e.g. "photo" → ["photo</w>"]. */
  encode(word: string): readonly string[] {
    if (this.unsplittable.has(word)) return [word];
    const cached = this.cache.get(word);
    if (cached !== undefined) return cached;
    const symbols = this.merge(word);
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, symbols);
    return symbols;
  }

  private merge(word: string): string[] {
    const chars = Array.from(word);
    let symbols = chars.slice(0, -1).concat(chars[chars.length - 1] + END_OF_WORD);
    while (symbols.length > 1) {
      let bestRank = Infinity;
      let best = '';
      for (let i = 0; i + 1 < symbols.length; i++) {
        const pair = `${symbols[i]} ${symbols[i + 1]}`;
        const rank = this.ranks.get(pair);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = pair;
        }
      }
      if (bestRank === Infinity) break;
      const [left, right] = best.split(' ');
      const merged: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (symbols[i] === left && i + 1 < symbols.length && symbols[i + 1] === right) {
          merged.push(left + right);
          i++;
        } else {
          merged.push(symbols[i]);
        }
      }
      symbols = merged;
    }
    return symbols;
  }
}
