/* Which workspace a process belongs to. Pure: looks only at the strings it is given. */
#ifndef CMUX_WORKSPACE_DETECT_H
#define CMUX_WORKSPACE_DETECT_H

#include <stddef.h>

/* The workspace name: `override` (CMUX_WORKSPACE_INTERNAL) when it is non-empty, else the nearest
 * component of `cwd`, from the deepest up, whose name starts with "workspace-". Returns 0 and points
 * *name and *len into one of the two strings, or -1 when the process is in no workspace. */
int workspace_detect(const char *override, const char *cwd, const char **name, size_t *len);

#endif
