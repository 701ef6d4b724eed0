/** The word index of byte offset `bytes` (which must be a multiple of 4), as ` + n`, ` - n` or nothing. */
export function w(bytes: number): string {
  if (bytes % 4 !== 0) throw new Error(`offset ${bytes} is not word-aligned`);
  const n = bytes / 4;
  return n === 0 ? "" : n > 0 ? ` + ${n}` : ` - ${-n}`;
}
