// The lexical pieces fields are read with: tchar [RFC 9110 §5.6.2], the bytes allowed in methods
// and field names, and runs of DIGIT (ports, Content-Length).

const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1;

export function isTchar(c: number): boolean {
  return c < 128 && TCHAR[c] === 1;
}

/** The value of 1 to `maxDigits` ASCII digits and nothing else, or -1. By hand, not a regex: this
 * runs on every request (the port header) and response (Content-Length). */
export function decimal(s: string, maxDigits: number): number {
  if (s.length === 0 || s.length > maxDigits) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
