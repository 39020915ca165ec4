// RFC 9110 §5.6.2 tchar: the bytes allowed in methods and field names.

const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1;

export function isTchar(c: number): boolean {
  return c < 128 && TCHAR[c] === 1;
}
