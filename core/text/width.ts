// How wide text is on a terminal, and fitting it into a width: East Asian wide and fullwidth characters and emoji
// take two columns, combining marks and other zero-width characters none. Counted per grapheme (what the
// terminal draws as one character), so a flag or a family emoji is one wide character, not several.

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
/** Text every terminal draws one column per code unit: the fast path. */
const NARROW = /^[\x20-\x7e\xa0-\u02ff]*$/;
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\p{Cc}]/u;
const EMOJI = /\p{Emoji_Presentation}|\uFE0F/u;
// East Asian Wide (W) and Fullwidth (F) blocks: Hangul Jamo, CJK, kana, Hangul syllables, fullwidth forms, CJK
// compatibility, Tangut/Khitan/Nushu/kana supplements and the CJK extension planes.
const WIDE =
  /^[\u1100-\u115f\u2329\u232a\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\ua960-\ua97f\uac00-\ud7a3\uf900-\ufaff\ufe10-\ufe19\ufe30-\ufe6f\uff00-\uff60\uffe0-\uffe6\u{16fe0}-\u{1b2ff}\u{1f200}-\u{1f2ff}\u{20000}-\u{3fffd}]/u;

/** Columns one grapheme takes. */
function graphemeWidth(grapheme: string): number {
  if (EMOJI.test(grapheme)) return 2;
  if (ZERO_WIDTH.test(grapheme)) return 0;
  return WIDE.test(grapheme) ? 2 : 1;
}

/** Columns the text takes on a terminal. */
export function displayWidth(text: string): number {
  if (NARROW.test(text)) return text.length;
  let width = 0;
  for (const { segment } of segmenter.segment(text)) width += graphemeWidth(segment);
  return width;
}

/** The text cut to at most `width` columns, ending with "…" when cut; never splits a character. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  if (displayWidth(text) <= width) return text;
  if (NARROW.test(text)) return `${text.slice(0, width - 1)}…`;
  let out = '';
  let used = 0;
  for (const { segment } of segmenter.segment(text)) {
    const w = graphemeWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return `${out}…`;
}

/** The text padded with spaces to `width` columns (never cut). */
export function pad(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return align === 'left' ? text + fill : fill + text;
}

/** Removes control characters (a registry field must not move the cursor or change colours). */
export function sanitize(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, ' ');
}

/** Exactly `width` columns: sanitized, cut with an ellipsis or padded. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  return pad(truncate(sanitize(text), width), width, align);
}

/** At most `width` columns, sanitized, without padding. */
export function clip(text: string, width: number): string {
  return truncate(sanitize(text), width);
}
