// Jinja2-compatible HTML escaping: the bytes that scripts written against the original expect.
const SPECIAL = /[&<>"']/;

// One pass from the first special character, and no copy at all for the many strings without one:
// 3.5 times faster than a replace() with a callback, which was 9 % of the server's time on a timeline
// page (docs/performance.md).
export function escapeHtml(value: string | number): string {
  const text = String(value);
  const first = text.search(SPECIAL);
  if (first < 0) return text;
  let out = "";
  let last = 0;
  for (let i = first; i < text.length; i++) {
    let entity: string;
    switch (text.charCodeAt(i)) {
      case 38:
        entity = "&amp;";
        break;
      case 60:
        entity = "&lt;";
        break;
      case 62:
        entity = "&gt;";
        break;
      case 34:
        entity = "&#34;";
        break;
      case 39:
        entity = "&#39;";
        break;
      default:
        continue;
    }
    out += text.slice(last, i) + entity;
    last = i + 1;
  }
  return out + text.slice(last);
}
