/* Workspace name -> loopback IP: the same rule as the proxy's src/workspace.ts, checked against the
 * same vectors (test/vectors/workspace-ip.json). Pure: no allocation, no global state. */
#ifndef CMUX_WORKSPACE_IP_H
#define CMUX_WORKSPACE_IP_H

#include <stddef.h>
#include <stdint.h>

enum workspace_ip_status {
  WORKSPACE_IP_OK,
  WORKSPACE_IP_EMPTY,        /* nothing left after trimming and taking the last path component */
  WORKSPACE_IP_OUT_OF_RANGE, /* trailing number 0 or above 65535 */
};

/* The part of `name` the rule applies to: surrounding whitespace trimmed (the characters JavaScript's
 * String.prototype.trim removes), trailing slashes dropped, then the last path component. */
void workspace_base_name(const char *name, size_t len, const char **base, size_t *base_len);

/* N such that the workspace IP is 127.18.(N>>8).(N&255): the trailing decimal number of the base
 * name if it has one, else FNV-1a-32 of the base name (ASCII A-Z lowercased) & 0xFFFF. */
enum workspace_ip_status workspace_number(const char *name, size_t len, uint16_t *n);

#endif
