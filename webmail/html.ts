/**
 * HTML built from tagged template literals. Every interpolated value is escaped unless it
 * is already `SafeHtml` (the result of another `html` template), so a view cannot put
 * message content, names or subjects into a page without escaping them. There is
 * deliberately no "raw" escape hatch: markup only ever comes from template literals.
 */

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string { return this.value; }
}

/** What a template may interpolate. `null`, `undefined` and `false` render as nothing. */
export type HtmlValue = SafeHtml | string | number | null | undefined | false | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an element body or a double- or single-quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]!);
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new SafeHtml(out);
}
