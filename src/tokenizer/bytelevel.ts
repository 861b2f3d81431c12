// GPT-2 style byte <-> unicode mapping used by byte-level BPE.
//
// Every byte 0..255 is given a printable unicode character so that BPE can work on
// strings without ever seeing control characters or spaces: printable Latin-1 bytes map
// to themselves, the other 68 bytes map to U+0100.. in order. This is the exact table of
// `bytes_to_unicode()` in GPT-2 / HF tokenizers, so vocab entries like "Ġthe" (Ġ = space)
// line up with the tokenizer.json files.

function buildByteToChar(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b); // '!'..'~'
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b); // '¡'..'¬'
  for (let b = 0xae; b <= 0xff; b++) printable.push(b); // '®'..'ÿ'
  const table: string[] = new Array(256);
  for (const b of printable) table[b] = String.fromCharCode(b);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    if (table[b] === undefined) table[b] = String.fromCharCode(256 + next++);
  }
  return table;
}

/** BYTE_TO_CHAR[b] is the one-character string standing for byte b. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** Inverse table: UTF-16 code unit of a byte-level char -> byte, or -1. All chars are < 0x144. */
export const CHAR_TO_BYTE: Int16Array = (() => {
  const inv = new Int16Array(0x144).fill(-1);
  BYTE_TO_CHAR.forEach((ch, b) => (inv[ch.charCodeAt(0)] = b));
  return inv;
})();

const utf8Encoder = new TextEncoder();

/** Byte-level form of a text piece: its UTF-8 bytes, each replaced by its stand-in char. */
export function toByteLevel(text: string): string {
  const bytes = utf8Encoder.encode(text);
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += BYTE_TO_CHAR[bytes[i]!];
  return out;
}

/**
 * Appends the bytes a token stands for. A token made only of byte-level chars gives those
 * bytes; any other token (for example an added token with characters outside the table)
 * contributes its own UTF-8 bytes, exactly as the HF ByteLevel decoder does.
 */
export function pushTokenBytes(token: string, out: number[]): void {
  const start = out.length;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    const b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c]! : -1;
    if (b < 0) {
      out.length = start;
      for (const byte of utf8Encoder.encode(token)) out.push(byte);
      return;
    }
    out.push(b);
  }
}
