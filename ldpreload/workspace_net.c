/* LD_PRELOAD shim: a process started in a workspace directory binds and connects on its workspace IP
 * (127.18.x.y) instead of 127.0.0.1, so every workspace can run a server on the same port and reach
 * only its own. See README.md in this folder for what is rewritten and what cannot be. */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "workspace_detect.h"
#include "workspace_ip.h"

#define EXPORT __attribute__((visibility("default")))

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);
typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);
typedef int (*getaddrinfo_fn)(const char *, const char *, const struct addrinfo *,
                              struct addrinfo **);

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* Written once under init_once, read-only afterwards: the hooks need no lock. */
static struct {
  bind_fn bind;
  connect_fn connect;
  getaddrinfo_fn getaddrinfo;
  int active;
  int log;
  struct in_addr ip4;
  struct in6_addr ip6; /* ::ffff:ip4, what a dual-stack IPv6 socket uses to reach ip4 */
  char ip4_text[INET_ADDRSTRLEN];
  char ip6_text[INET6_ADDRSTRLEN];
} shim;

/* One line on stderr, written with a single write(2) from a stack buffer so that lines from several
 * threads or processes do not interleave and nothing is allocated. Keeps errno. */
__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...) {
  int saved = errno;
  char line[512];
  int n = snprintf(line, sizeof line, "cmux-preload[%ld]: ", (long)getpid());
  va_list ap;
  va_start(ap, fmt);
  n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
  va_end(ap);
  if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
  line[n++] = '\n';
  ssize_t ignored = write(STDERR_FILENO, line, (size_t)n);
  (void)ignored;
  errno = saved;
}

static void *real(const char *name) {
  void *fn = dlsym(RTLD_NEXT, name);
  if (fn == NULL) {
    say("cannot find the real %s: %s", name, dlerror());
    abort();
  }
  return fn;
}

static int flag(const char *name) {
  const char *v = getenv(name);
  return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
}

static void init(void) {
  shim.bind = (bind_fn)real("bind");
  shim.connect = (connect_fn)real("connect");
  shim.getaddrinfo = (getaddrinfo_fn)real("getaddrinfo");
  shim.log = flag("CMUX_PRELOAD_LOG");
  if (flag("CMUX_PRELOAD_DISABLE")) return;

  static char cwd[PATH_MAX];
  const char *override = getenv("CMUX_WORKSPACE_INTERNAL");
  const char *name;
  size_t len;
  if (workspace_detect(override, getcwd(cwd, sizeof cwd), &name, &len) != 0) return;

  const char *base;
  size_t base_len;
  workspace_base_name(name, len, &base, &base_len);
  uint16_t n;
  switch (workspace_number(name, len, &n)) {
  case WORKSPACE_IP_OK:
    break;
  case WORKSPACE_IP_EMPTY:
    say("empty workspace name in \"%.*s\"; addresses are left unchanged", (int)len, name);
    return;
  case WORKSPACE_IP_OUT_OF_RANGE:
    say("workspace number out of range in \"%.*s\" (expected 1-65535); addresses are left unchanged",
        (int)base_len, base);
    return;
  }
  shim.ip4.s_addr = htonl(0x7f120000u | n);
  memset(&shim.ip6, 0, sizeof shim.ip6);
  shim.ip6.s6_addr[10] = 0xff;
  shim.ip6.s6_addr[11] = 0xff;
  memcpy(&shim.ip6.s6_addr[12], &shim.ip4, 4);
  inet_ntop(AF_INET, &shim.ip4, shim.ip4_text, sizeof shim.ip4_text);
  inet_ntop(AF_INET6, &shim.ip6, shim.ip6_text, sizeof shim.ip6_text);
  shim.active = 1;
  if (shim.log) {
    say("workspace \"%.*s\" (from %s) -> %s", (int)base_len, base,
        override != NULL && override[0] != '\0' ? "CMUX_WORKSPACE_INTERNAL" : "the current directory",
        shim.ip4_text);
  }
}

/* Decide at load time, from the directory the process was started in; the hooks also run init_once
 * in case another library's constructor opens a socket before this one runs. */
__attribute__((constructor)) static void on_load(void) { pthread_once(&init_once, init); }

/* 0.0.0.0 and 127.0.0.1: the addresses this shim owns (Linux treats connect to 0.0.0.0 as local). */
static int owned_v4(struct in_addr a) {
  return a.s_addr == htonl(INADDR_ANY) || a.s_addr == htonl(INADDR_LOOPBACK);
}

/* ::, ::1 and their IPv4 counterparts ::ffff:0.0.0.0 and ::ffff:127.0.0.1. */
static int owned_v6(const struct in6_addr *a) {
  if (IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LOOPBACK(a)) return 1;
  struct in_addr v4;
  memcpy(&v4, &a->s6_addr[12], 4);
  return IN6_IS_ADDR_V4MAPPED(a) && owned_v4(v4);
}

/* :: and ::ffff:0.0.0.0. */
static int wildcard_v6(const struct in6_addr *a) {
  static const unsigned char mapped_any[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0};
  return IN6_IS_ADDR_UNSPECIFIED(a) || memcmp(a->s6_addr, mapped_any, 16) == 0;
}

static void format_addr(const struct sockaddr *sa, char *out, size_t size) {
  char ip[INET6_ADDRSTRLEN];
  if (sa->sa_family == AF_INET) {
    struct sockaddr_in sin;
    memcpy(&sin, sa, sizeof sin);
    inet_ntop(AF_INET, &sin.sin_addr, ip, sizeof ip);
    snprintf(out, size, "%s:%u", ip, ntohs(sin.sin_port));
  } else {
    struct sockaddr_in6 sin6;
    memcpy(&sin6, sa, sizeof sin6);
    inet_ntop(AF_INET6, &sin6.sin6_addr, ip, sizeof ip);
    snprintf(out, size, "[%s]:%u", ip, ntohs(sin6.sin6_port));
  }
}

static void log_move(const char *call, const struct sockaddr *from, const struct sockaddr *to) {
  char a[64], b[64];
  format_addr(from, a, sizeof a);
  format_addr(to, b, sizeof b);
  say("%s %s -> %s", call, a, b);
}

static void log_unchanged(const char *call, const struct sockaddr *addr, const char *why) {
  if (!shim.log) return;
  char a[64];
  format_addr(addr, a, sizeof a);
  say("%s %s left unchanged: %s", call, a, why);
}

/* A bind to the wildcard address with port 0 asks for "any address, any port". That is how client
 * sockets get a source address (Node's dgram send() binds 0.0.0.0:0 first; some TCP clients bind
 * before connect): moved to a loopback IP they could no longer reach other hosts (EINVAL). Such a
 * socket cannot collide with another workspace, and a listener bound this way still accepts the
 * workspace's connections, which arrive at the workspace IP. */
static const char WILDCARD_ANY_PORT[] = "wildcard address with port 0 (a client's source address)";

/* The address to hand to the real bind/connect: `addr` itself, or `copy` filled with `addr` moved to
 * the workspace IP (same port). The copy lives in the caller's frame: no allocation. */
static const struct sockaddr *move(const char *call, int is_bind, int fd,
                                   const struct sockaddr *addr, socklen_t len,
                                   struct sockaddr_storage *copy) {
  if (!shim.active || addr == NULL || len > sizeof *copy) return addr;

  if (addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
    struct sockaddr_in sin;
    memcpy(&sin, addr, sizeof sin);
    if (!owned_v4(sin.sin_addr)) return addr;
    if (is_bind && sin.sin_port == 0 && sin.sin_addr.s_addr == htonl(INADDR_ANY)) {
      log_unchanged(call, addr, WILDCARD_ANY_PORT);
      return addr;
    }
    sin.sin_addr = shim.ip4;
    memcpy(copy, addr, len);
    memcpy(copy, &sin, sizeof sin);
  } else if (addr->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
    struct sockaddr_in6 sin6;
    memcpy(&sin6, addr, sizeof sin6);
    if (!owned_v6(&sin6.sin6_addr)) return addr;
    if (is_bind && sin6.sin6_port == 0 && wildcard_v6(&sin6.sin6_addr)) {
      log_unchanged(call, addr, WILDCARD_ANY_PORT);
      return addr;
    }
    /* An IPV6_V6ONLY socket cannot use a v4-mapped address (EINVAL) and Linux has no per-workspace
     * IPv6 loopback address to move it to, so it keeps its address and is not isolated. */
    int v6only = 0;
    socklen_t optlen = sizeof v6only;
    if (getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &optlen) != 0) return addr;
    if (v6only) {
      log_unchanged(call, addr, "IPV6_V6ONLY socket, not isolated");
      return addr;
    }
    sin6.sin6_addr = shim.ip6;
    sin6.sin6_scope_id = 0;
    memcpy(copy, addr, len);
    memcpy(copy, &sin6, sizeof sin6);
  } else {
    return addr;
  }
  if (shim.log) log_move(call, addr, (const struct sockaddr *)copy);
  return (const struct sockaddr *)copy;
}

EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len) {
  int saved = errno;
  pthread_once(&init_once, init);
  struct sockaddr_storage copy;
  const struct sockaddr *use = move("bind", 1, fd, addr, len, &copy);
  errno = saved;
  return shim.bind(fd, use, len);
}

EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len) {
  int saved = errno;
  pthread_once(&init_once, init);
  struct sockaddr_storage copy;
  const struct sockaddr *use = move("connect", 0, fd, addr, len, &copy);
  errno = saved;
  return shim.connect(fd, use, len);
}

/* The numeric host to resolve instead of `node`, with the family to ask for, or NULL to leave the
 * lookup alone. An unspecified family gets the IPv4 answer only: it works on every socket, and a
 * server that binds every result (PostgreSQL, nginx) must not also get an IPv6 address that a
 * V6ONLY socket would keep shared between workspaces. */
static const char *workspace_node(const char *node, const char *service, int family, int flags,
                                  int *answer_family) {
  int v4_literal = 0, v6_literal = 0;
  if (node == NULL) {
    if (service == NULL) return NULL;
  } else if (strcmp(node, "127.0.0.1") == 0) {
    v4_literal = 1;
  } else if (strcmp(node, "::1") == 0) {
    v6_literal = 1;
  } else if ((flags & AI_NUMERICHOST) ||
             (strcasecmp(node, "localhost") != 0 && strcasecmp(node, "localhost.") != 0)) {
    return NULL;
  }
  /* An IPv6 literal stays IPv6, so what was written next to it still fits: PostgreSQL's default
   * pg_hba.conf has `::1/128`, and a /128 mask on an IPv4 answer stops the server from starting. */
  if (v6_literal) {
    if (family != AF_UNSPEC && family != AF_INET6) return NULL;
    *answer_family = AF_INET6;
    return shim.ip6_text;
  }
  if (family == AF_UNSPEC || family == AF_INET) {
    *answer_family = AF_INET;
    return shim.ip4_text;
  }
  if (family == AF_INET6 && !v4_literal) {
    *answer_family = AF_INET6;
    return shim.ip6_text;
  }
  return NULL;
}

/* The answer comes from the real getaddrinfo asked for the workspace IP as a numeric host, so the
 * list is built by libc exactly as for any lookup (socktype/protocol expansion, numeric and named
 * services, error codes) and the real freeaddrinfo frees it. */
EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                       struct addrinfo **res) {
  int saved = errno;
  pthread_once(&init_once, init);
  struct addrinfo h;
  const char *ws_node = NULL;
  if (shim.active) {
    if (hints != NULL) {
      h = *hints;
    } else {
      memset(&h, 0, sizeof h);
      h.ai_family = AF_UNSPEC;
    }
    ws_node = workspace_node(node, service, h.ai_family, h.ai_flags, &h.ai_family);
  }
  if (ws_node == NULL) {
    errno = saved;
    return shim.getaddrinfo(node, service, hints, res);
  }
  /* Loopback always counts as configured; AI_ADDRCONFIG could otherwise drop the answer on a
   * machine whose only IPv4 address is loopback. */
  h.ai_flags = (h.ai_flags | AI_NUMERICHOST) & ~(AI_ADDRCONFIG | AI_V4MAPPED | AI_ALL);
  if (shim.log) say("getaddrinfo %s -> %s", node != NULL ? node : "(null)", ws_node);
  errno = saved;
  return shim.getaddrinfo(ws_node, service, &h, res);
}
