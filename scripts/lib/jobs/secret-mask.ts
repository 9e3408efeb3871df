// Replaces every known secret in text before it is printed or written anywhere.

export class SecretMask {
  private secrets: string[] = [];

  add(values: Iterable<string>): void {
    for (const v of values) if (v && v.length >= 3 && !this.secrets.includes(v)) this.secrets.push(v);
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
}
