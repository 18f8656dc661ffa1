export { ClipTokenizer } from './clip-tokenizer';
export type { EncodedText } from './clip-tokenizer';
