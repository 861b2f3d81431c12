// Byte fallback, SentencePiece-style (Gemma 3, Llama 2): a character missing from the vocabulary
// is spelled by its UTF-8 bytes, each the token `<0xXX>`, instead of becoming <unk>.
//
// Encoding names the byte tokens; decoding (HF's ByteFallback decoder) turns runs of them back
// into text. HF's rule for a run that is not valid UTF-8 is one U+FFFD per byte (not the
// standard's maximal-subpart replacement), so this decodes with a fatal decoder and falls back.

/** `<0x0A>` for byte 10: the name HF formats with `<{:#04X}>` (upper-case hex, lower-case 0x). */
export function byteTokenName(byte: number): string {
  return `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8 = new TextEncoder();

/** The byte a token stands for, or -1: six UTF-8 bytes `<0x..>` whose two middle chars parse as hex (Rust's from_str_radix: an optional '+'). */
function tokenByte(token: string): number {
  if (!token.startsWith('<0x') || !token.endsWith('>') || utf8.encode(token).length !== 6) return -1;
  const hex = token.slice(3, 5);
  if (!/^(?:[0-9a-fA-F]{2}|\+[0-9a-fA-F])$/.test(hex)) return -1;
  return parseInt(hex, 16);
}

/** HF's ByteFallback decoder step: runs of byte tokens become their text; other tokens pass through. */
export function decodeByteFallback(tokens: readonly string[]): string[] {
  const out: string[] = [];
  let run: number[] = [];
  const flush = () => {
    if (run.length === 0) return;
    try {
      out.push(strictUtf8.decode(Uint8Array.from(run)));
    } catch {
      for (let i = 0; i < run.length; i++) out.push('\ufffd');
    }
    run = [];
  };
  for (const t of tokens) {
    const b = tokenByte(t);
    if (b >= 0) run.push(b);
    else {
      flush();
      out.push(t);
    }
  }
  flush();
  return out;
}
