#include "workspace_detect.h"

#include <string.h>

static const char PREFIX[] = "workspace-";

int workspace_detect(const char *override, const char *cwd, const char **name, size_t *len) {
  if (override != NULL && override[0] != '\0') {
    *name = override;
    *len = strlen(override);
    return 0;
  }
  if (cwd == NULL) return -1;
  size_t end = strlen(cwd);
  while (end > 0) {
    size_t start = end;
    while (start > 0 && cwd[start - 1] != '/') start--;
    if (end - start >= sizeof PREFIX - 1 && memcmp(cwd + start, PREFIX, sizeof PREFIX - 1) == 0) {
      *name = cwd + start;
      *len = end - start;
      return 0;
    }
    end = start > 0 ? start - 1 : 0;
  }
  return -1;
}
