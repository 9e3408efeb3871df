// Replaces every known secret in text before it is printed or written anywhere. By
// construction: a result is masked as data, string by string, before it is rendered or
// serialised (so escaping can never hide a secret from the mask), and every escaped form a
// secret could take in Markdown, JSON or a URL is masked too, for text made another way.

const ESCAPED_FORMS: ((s: string) => string)[] = [
  (s) => s,
  (s) => JSON.stringify(s).slice(1, -1),
  (s) => s.replace(/([\\|*_`<>[\]])/g, '\\$1'),
  (s) => s.replace(/\|/g, '\\|'),
  (s) => encodeURIComponent(s),
];

export class SecretMask {
  private secrets: string[] = [];

  add(values: Iterable<string>): void {
    for (const v of values) {
      // Blank values (an unset secret given as spaces) would mask every run of spaces.
      if (!v || v.trim().length < 3) continue;
      for (const form of ESCAPED_FORMS) {
        const f = form(v);
        if (!this.secrets.includes(f)) this.secrets.push(f);
      }
    }
    // Longest first, so a URL is masked whole before its password inside it.
    this.secrets.sort((a, b) => b.length - a.length);
  }

  get values(): readonly string[] {
    return this.secrets;
  }

  apply(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('***');
    return out;
  }

  /** A copy of `value` with every string in it masked: what renderers and JSON get. */
  deep<T>(value: T): T {
    if (typeof value === 'string') return this.apply(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.deep(v)) as T;
    if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.deep(v)])) as T;
    }
    return value;
  }
}
