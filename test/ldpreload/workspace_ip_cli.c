/* Prints the workspace IP the shim's rule gives for each argument, one line each ("error" when the
 * rule refuses the name), so bun test can compare it with test/vectors/workspace-ip.json. */
#include <stdio.h>
#include <string.h>

#include "workspace_ip.h"

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    uint16_t n;
    if (workspace_number(argv[i], strlen(argv[i]), &n) == WORKSPACE_IP_OK)
      printf("127.18.%u.%u\n", (unsigned)(n >> 8), (unsigned)(n & 255));
    else
      printf("error\n");
  }
  return 0;
}
