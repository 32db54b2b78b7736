// Usernames as people see them: which characters a name may hold, and the key under which two names
// that look alike are one name (docs/security.md, "One person, one visible name").
import { CONFUSABLES } from "./confusables.ts";

// Other (control, format such as zero-width and bidi controls, surrogate, private use, unassigned),
// line and paragraph separators, and default-ignorable code points (Hangul fillers, the invisible
// operators), except the emoji variation selectors, which phone keyboards add after an emoji.
const REFUSED = /[\p{C}\p{Zl}\p{Zp}]|(?![\uFE0E\uFE0F])\p{Default_Ignorable_Code_Point}/u;

// A character that draws something: not a space, a lone mark, an ignorable or the blank Braille pattern.
const VISIBLE = /[^\p{White_Space}\p{M}\p{C}\p{Default_Ignorable_Code_Point}\u2800]/u;

const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

export const NAME_REFUSED =
  "The username may not contain control characters, invisible formatting characters or unassigned code points";
export const NAME_INVISIBLE = "The username must contain a visible character";

/** Why a name cannot be registered because of its characters, or undefined. */
export function nameCharacterProblem(name: string): string | undefined {
  if (REFUSED.test(name)) return NAME_REFUSED;
  if (!VISIBLE.test(name)) return NAME_INVISIBLE;
  return undefined;
}

function unconfuse(text: string): string {
  let out = "";
  for (const ch of text) out += CONFUSABLES.get(ch.codePointAt(0) as number) ?? ch;
  return out;
}

/**
 * The form under which names are unique: NFKC (full-width and styled letters become plain ones),
 * letters of other scripts that imitate a Latin letter replaced by it (TR39 data), case folded,
 * ignorable code points dropped, runs of white space made one space (HTML shows them so).
 * `Alice`, `alice`, Cyrillic `аlice` and `ａｌｉｃｅ` share the key `alice`; `Vernon` and `Vemon` do not.
 */
export function nameKey(name: string): string {
  const folded = unconfuse(name.normalize("NFKC")).toUpperCase().toLowerCase();
  return unconfuse(folded).replace(IGNORABLE, "").replace(/\s+/gu, " ").trim().normalize("NFKC");
}
