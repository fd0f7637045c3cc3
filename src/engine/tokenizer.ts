import { Tokenizer } from '@huggingface/tokenizers';

/**
 * A Hugging Face `tokenizer.json` (byte-level BPE for GPT-2 models), read by the maintained
 * @huggingface/tokenizers implementation. This wrapper only validates the file and fixes the
 * options we always want (no special tokens added, no clean-up that would change round trips).
 */
export class TextTokenizer {
  private readonly tok: Tokenizer;
  readonly vocabSize: number;
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
