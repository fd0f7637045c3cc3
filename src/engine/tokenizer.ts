import { Tokenizer } from '@huggingface/tokenizers';

/**
 * A Hugging Face `tokenizer.json` (byte-level BPE for GPT-2 models), read by the maintained
 * @huggingface/tokenizers implementation. This wrapper only validates the file and fixes the
 * options we always want (no special tokens added, no clean-up that would change round trips).
 */
export class TextTokenizer {
  private readonly tok: Tokenizer;
  readonly vocabSize: number;
  /** The largest id the tokenizer can produce (a model's vocab_size must exceed it). */
  readonly maxTokenId: number;
  readonly eosTokenId: number | null;

  constructor(json: unknown, fileName = 'tokenizer.json') {
    if (typeof json !== 'object' || json === null) throw new Error(`${fileName}: not a JSON object`);
    const model = (json as { model?: { type?: string; vocab?: unknown } }).model;
    if (!model || typeof model.vocab !== 'object' || model.vocab === null) {
      throw new Error(`${fileName}: no "model.vocab" (not a Hugging Face tokenizer.json?)`);
    }
    if (model.type !== undefined && model.type !== 'BPE') {
      throw new Error(`${fileName}: model type "${model.type}" is not supported (GPT-2 uses BPE)`);
    }
    this.maxTokenId = checkVocabulary(model.vocab, (json as { added_tokens?: unknown }).added_tokens, fileName);
    try {
      this.tok = new Tokenizer(json, { clean_up_tokenization_spaces: false });
    } catch (e) {
      throw new Error(`${fileName}: ${(e as Error).message}`);
    }
    this.vocabSize = this.tok.get_vocab(true).size;
    this.eosTokenId = this.tok.token_to_id('<|endoftext|>') ?? null;
  }

  encode(text: string): number[] {
    return this.tok.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: readonly number[], skipSpecial = true): string {
    // The library rejects an empty array, and an empty completion (EOS first) is common.
    if (ids.length === 0) return '';
    return this.tok.decode([...ids], { skip_special_tokens: skipSpecial, clean_up_tokenization_spaces: false });
  }

  idToToken(id: number): string | undefined {
    return this.tok.id_to_token(id);
  }
}

/**
 * Checks the file's own token → id tables (the library inverts them and silently keeps one
 * token per id, so it cannot see this): ids are distinct non-negative integers, and an added
 * token reuses an id only for the same content. A vocabulary mapping every token to 0 was
 * accepted and produced nonsense. Returns the largest id.
 */
function checkVocabulary(vocab: object, addedTokens: unknown, fileName: string): number {
  const shown = (token: string) => JSON.stringify(token.length > 40 ? token.slice(0, 40) + '…' : token);
  const tokenOfId = new Map<number, string>();
  let maxId = -1;
  const claim = (token: string, id: unknown, where: string) => {
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
      throw new Error(`${fileName}: ${where} token ${shown(token)} has invalid id ${JSON.stringify(id)?.slice(0, 40)}`);
    }
    const other = tokenOfId.get(id);
    if (other !== undefined && other !== token) {
      throw new Error(`${fileName}: tokens ${shown(other)} and ${shown(token)} share id ${id} (a degenerate vocabulary)`);
    }
    tokenOfId.set(id, token);
    if (id > maxId) maxId = id;
  };
  for (const [token, id] of Object.entries(vocab)) claim(token, id, 'model.vocab');
  if (addedTokens !== undefined && addedTokens !== null) {
    if (!Array.isArray(addedTokens)) throw new Error(`${fileName}: added_tokens is not a list`);
    for (const t of addedTokens as { id?: unknown; content?: unknown }[]) {
      if (typeof t?.content !== 'string') throw new Error(`${fileName}: an entry of added_tokens has no content`);
      claim(t.content, t.id, 'added_tokens');
    }
  }
  if (maxId < 0) throw new Error(`${fileName}: the vocabulary is empty`);
  return maxId;
}
