const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;

/**
 * Decodes RFC 2047 encoded words in a header value as ntfy does (Go's mime.WordDecoder
 * DecodeHeader): UTF-8 only, white space between two adjacent encoded words dropped. Each word
 * must hold whole characters (a split character makes it throw), as the RFC requires.
 */
export function decodeEncodedWords(value: string): string {
  let decoded = '';
  let last = 0;
  for (const match of value.matchAll(ENCODED_WORD)) {
    const between = value.slice(last, match.index);
    if (last === 0 || !/^\s*$/.test(between)) decoded += between;
    decoded += decodeWord(match[1], match[2], match[3]);
    last = match.index + match[0].length;
  }
  return decoded + value.slice(last);
}

function decodeWord(charset: string, encoding: string, text: string): string {
  if (charset.toLowerCase() !== 'utf-8') throw new Error(`unexpected charset ${charset}`);
  const bytes =
    encoding.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64')
      : Buffer.from(
          text
            .replace(/_/g, ' ')
            .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
          'latin1',
        );
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}
