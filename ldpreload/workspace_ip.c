#include "workspace_ip.h"

/* Length of the UTF-8 sequence at s[0..len) if it encodes a character JavaScript's trim() removes
 * (ECMAScript WhiteSpace and LineTerminator), else 0. Names reach the proxy as JS strings, so the shim
 * trims exactly the same set to give the same answer for the same bytes. */
static size_t js_space_at(const unsigned char *s, size_t len) {
  if (len >= 1 && (s[0] == ' ' || (s[0] >= 0x09 && s[0] <= 0x0d))) return 1;
  if (len >= 2 && s[0] == 0xc2 && s[1] == 0xa0) return 2; /* U+00A0 */
  if (len < 3) return 0;
  if ((s[0] & 0xf0) != 0xe0 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80) return 0;
  unsigned cp = ((unsigned)(s[0] & 0x0f) << 12) | ((unsigned)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
  if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
      cp == 0x202f || cp == 0x205f || cp == 0x3000 || cp == 0xfeff)
    return 3;
  return 0;
}

/* Length of the whitespace character ending at s[len-1], if any. Every trimmed character is 1 to 3
 * bytes long, so trying the three possible starts is enough. */
static size_t js_space_before(const unsigned char *s, size_t len) {
  for (size_t k = 1; k <= 3 && k <= len; k++) {
    if (js_space_at(s + len - k, k) == k) return k;
  }
  return 0;
}

void workspace_base_name(const char *name, size_t len, const char **base, size_t *base_len) {
  const unsigned char *s = (const unsigned char *)name;
  size_t k;
  while ((k = js_space_at(s, len)) > 0) {
    s += k;
    len -= k;
  }
  while ((k = js_space_before(s, len)) > 0) len -= k;
  while (len > 0 && s[len - 1] == '/') len--;
  size_t start = len;
  while (start > 0 && s[start - 1] != '/') start--;
  *base = (const char *)s + start;
  *base_len = len - start;
}

enum workspace_ip_status workspace_number(const char *name, size_t len, uint16_t *n) {
  const char *base;
  size_t base_len;
  workspace_base_name(name, len, &base, &base_len);
  if (base_len == 0) return WORKSPACE_IP_EMPTY;

  size_t digits = base_len;
  while (digits > 0 && base[digits - 1] >= '0' && base[digits - 1] <= '9') digits--;
  if (digits < base_len) {
    /* Out-of-range numbers are refused rather than wrapped: wrapping would alias two workspaces.
     * Leading zeros are skipped first so that arbitrarily long zero runs cannot overflow. */
    size_t i = digits;
    while (i < base_len && base[i] == '0') i++;
    if (base_len - i > 5) return WORKSPACE_IP_OUT_OF_RANGE;
    uint32_t value = 0;
    for (; i < base_len; i++) value = value * 10 + (uint32_t)(base[i] - '0');
    if (value < 1 || value > 65535) return WORKSPACE_IP_OUT_OF_RANGE;
    *n = (uint16_t)value;
    return WORKSPACE_IP_OK;
  }

  uint32_t h = 0x811c9dc5u;
  for (size_t i = 0; i < base_len; i++) {
    unsigned char b = (unsigned char)base[i];
    if (b >= 'A' && b <= 'Z') b = (unsigned char)(b + 0x20);
    h = (h ^ b) * 0x01000193u;
  }
  *n = (uint16_t)(h & 0xffffu);
  return WORKSPACE_IP_OK;
}
