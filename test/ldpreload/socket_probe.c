/* A plain libc client of bind/connect/getaddrinfo for the shim's tests: run with and without
 * LD_PRELOAD, it prints what the kernel and libc actually did, one fact per line.
 *
 *   bind4 ADDR PORT                    bind a TCP socket to ADDR:PORT, print the bound address
 *   bind6 ADDR PORT dual|v6only        the same for IPv6, with IPV6_V6ONLY off or on
 *   connect4 ADDR PORT                 connect, print the peer address
 *   connect6 ADDR PORT dual|v6only
 *   gai NODE SERVICE FAMILY SOCKTYPE FLAGS
 *                                      NODE/SERVICE "-" for NULL; FAMILY unspec|inet|inet6|nohints;
 *                                      SOCKTYPE 0|stream|dgram; FLAGS none or a comma list of
 *                                      passive,numerichost,numericserv,canonname,addrconfig,v4mapped
 *   listen-any-connect                 listen on 0.0.0.0:0, connect to 127.0.0.1:that port, print the
 *                                      address the connection arrived at
 *   errno                              errno is kept on success and is the real one on failure
 *   threads N                          N threads resolve and bind at once, all get the same address
 *   gai-all                            every getaddrinfo form the shim answers, freed (for valgrind)
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(const char *what) {
  printf("error %s %s\n", what, strerrorname_np(errno));
  return 1;
}

static void addr_text(const struct sockaddr *sa, char *out, size_t size) {
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)size);
  else
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)size);
}

static unsigned addr_port(const struct sockaddr *sa) {
  return sa->sa_family == AF_INET ? ntohs(((const struct sockaddr_in *)sa)->sin_port)
                                  : ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
}

static int make_addr(int family, const char *ip, unsigned port, struct sockaddr_storage *ss,
                     socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  if (family == AF_INET) {
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    *len = sizeof *sin;
    return inet_pton(AF_INET, ip, &sin->sin_addr) == 1 ? 0 : -1;
  }
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons((uint16_t)port);
  *len = sizeof *sin6;
  return inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1 ? 0 : -1;
}

static int open_socket(int family, const char *mode) {
  int fd = socket(family, SOCK_STREAM, 0);
  if (fd >= 0 && family == AF_INET6) {
    int on = strcmp(mode, "v6only") == 0;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
  }
  return fd;
}

static int cmd_bind(int family, const char *ip, const char *port, const char *mode) {
  struct sockaddr_storage ss;
  socklen_t len;
  if (make_addr(family, ip, (unsigned)atoi(port), &ss, &len) != 0) return fail("address");
  int fd = open_socket(family, mode);
  if (bind(fd, (struct sockaddr *)&ss, len) != 0) return fail("bind");
  len = sizeof ss;
  getsockname(fd, (struct sockaddr *)&ss, &len);
  char text[INET6_ADDRSTRLEN];
  addr_text((struct sockaddr *)&ss, text, sizeof text);
  printf("%s\n", text);
  close(fd);
  return 0;
}

static int cmd_connect(int family, const char *ip, const char *port, const char *mode) {
  struct sockaddr_storage ss;
  socklen_t len;
  if (make_addr(family, ip, (unsigned)atoi(port), &ss, &len) != 0) return fail("address");
  int fd = open_socket(family, mode);
  if (connect(fd, (struct sockaddr *)&ss, len) != 0) return fail("connect");
  len = sizeof ss;
  getpeername(fd, (struct sockaddr *)&ss, &len);
  char text[INET6_ADDRSTRLEN];
  addr_text((struct sockaddr *)&ss, text, sizeof text);
  printf("%s %u\n", text, addr_port((struct sockaddr *)&ss));
  close(fd);
  return 0;
}

static const char *family_name(int f) {
  return f == AF_INET ? "inet" : f == AF_INET6 ? "inet6" : "other";
}

static const char *socktype_name(int t) {
  return t == SOCK_STREAM ? "stream" : t == SOCK_DGRAM ? "dgram" : t == SOCK_RAW ? "raw" : "other";
}

static const char *gai_name(int rc) {
  switch (rc) {
  case EAI_NONAME: return "EAI_NONAME";
  case EAI_SERVICE: return "EAI_SERVICE";
  case EAI_SOCKTYPE: return "EAI_SOCKTYPE";
  case EAI_FAMILY: return "EAI_FAMILY";
  case EAI_ADDRFAMILY: return "EAI_ADDRFAMILY";
  case EAI_BADFLAGS: return "EAI_BADFLAGS";
  default: return "EAI_OTHER";
  }
}

static int parse_flags(const char *list) {
  static const struct { const char *name; int flag; } known[] = {
      {"passive", AI_PASSIVE},         {"numerichost", AI_NUMERICHOST},
      {"numericserv", AI_NUMERICSERV}, {"canonname", AI_CANONNAME},
      {"addrconfig", AI_ADDRCONFIG},   {"v4mapped", AI_V4MAPPED},
  };
  int flags = 0;
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (strstr(list, known[i].name) != NULL) flags |= known[i].flag;
  return flags;
}

static int cmd_gai(const char *node, const char *service, const char *family, const char *socktype,
                   const char *flags) {
  struct addrinfo hints, *res;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = strcmp(family, "inet") == 0    ? AF_INET
                    : strcmp(family, "inet6") == 0 ? AF_INET6
                                                   : AF_UNSPEC;
  hints.ai_socktype = strcmp(socktype, "stream") == 0  ? SOCK_STREAM
                      : strcmp(socktype, "dgram") == 0 ? SOCK_DGRAM
                                                       : 0;
  hints.ai_flags = parse_flags(flags);
  int rc = getaddrinfo(strcmp(node, "-") == 0 ? NULL : node,
                       strcmp(service, "-") == 0 ? NULL : service,
                       strcmp(family, "nohints") == 0 ? NULL : &hints, &res);
  if (rc != 0) {
    printf("error %s\n", gai_name(rc));
    return 0;
  }
  for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
    char text[INET6_ADDRSTRLEN];
    addr_text(ai->ai_addr, text, sizeof text);
    printf("%s %s %s %u%s%s\n", family_name(ai->ai_family), socktype_name(ai->ai_socktype), text,
           addr_port(ai->ai_addr), ai->ai_canonname ? " " : "",
           ai->ai_canonname ? ai->ai_canonname : "");
  }
  freeaddrinfo(res);
  return 0;
}

static int cmd_listen_any_connect(void) {
  struct sockaddr_storage ss;
  socklen_t len;
  make_addr(AF_INET, "0.0.0.0", 0, &ss, &len);
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  if (bind(listener, (struct sockaddr *)&ss, len) != 0 || listen(listener, 1) != 0) return fail("listen");
  socklen_t bound_len = sizeof ss;
  getsockname(listener, (struct sockaddr *)&ss, &bound_len);
  make_addr(AF_INET, "127.0.0.1", addr_port((struct sockaddr *)&ss), &ss, &len);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(client, (struct sockaddr *)&ss, len) != 0) return fail("connect");
  int conn = accept(listener, NULL, NULL);
  if (conn < 0) return fail("accept");
  len = sizeof ss;
  getsockname(conn, (struct sockaddr *)&ss, &len);
  char text[INET6_ADDRSTRLEN];
  addr_text((struct sockaddr *)&ss, text, sizeof text);
  printf("%s\n", text);
  close(conn);
  close(client);
  close(listener);
  return 0;
}

/* The shim calls getsockopt and may write a log line before the real call; neither may show in errno. */
static int cmd_errno(void) {
  struct sockaddr_storage ss;
  socklen_t len;
  make_addr(AF_INET6, "::1", 0, &ss, &len);
  int fd6 = open_socket(AF_INET6, "dual");
  errno = 4242;
  if (bind(fd6, (struct sockaddr *)&ss, len) != 0 || errno != 4242) return fail("bind6-success");

  make_addr(AF_INET, "127.0.0.1", 0, &ss, &len);
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  errno = 4242;
  if (bind(listener, (struct sockaddr *)&ss, len) != 0 || errno != 4242) return fail("bind4-success");
  listen(listener, 1);
  socklen_t bound_len = sizeof ss;
  getsockname(listener, (struct sockaddr *)&ss, &bound_len);
  unsigned port = addr_port((struct sockaddr *)&ss);

  make_addr(AF_INET, "127.0.0.1", port, &ss, &len);
  int taken = socket(AF_INET, SOCK_STREAM, 0);
  errno = 0;
  if (bind(taken, (struct sockaddr *)&ss, len) == 0 || errno != EADDRINUSE) return fail("bind-in-use");

  int client = socket(AF_INET, SOCK_STREAM, 0);
  errno = 4242;
  if (connect(client, (struct sockaddr *)&ss, len) != 0 || errno != 4242) return fail("connect-success");

  /* A bound socket that does not listen refuses connections: a refused port without a race. */
  int quiet = socket(AF_INET, SOCK_STREAM, 0);
  make_addr(AF_INET, "127.0.0.1", 0, &ss, &len);
  bind(quiet, (struct sockaddr *)&ss, len);
  bound_len = sizeof ss;
  getsockname(quiet, (struct sockaddr *)&ss, &bound_len);
  make_addr(AF_INET, "127.0.0.1", addr_port((struct sockaddr *)&ss), &ss, &len);
  int refused = socket(AF_INET, SOCK_STREAM, 0);
  errno = 0;
  if (connect(refused, (struct sockaddr *)&ss, len) == 0 || errno != ECONNREFUSED)
    return fail("connect-refused");

  make_addr(AF_INET6, "::1", 0, &ss, &len);
  errno = 0;
  if (bind(-1, (struct sockaddr *)&ss, len) == 0 || errno != EBADF) return fail("bind-bad-fd");

  close(fd6);
  close(listener);
  close(taken);
  close(client);
  close(quiet);
  close(refused);
  printf("ok\n");
  return 0;
}

static void *race(void *out) {
  struct addrinfo hints, *res;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  char *text = out;
  if (getaddrinfo("localhost", "80", &hints, &res) != 0) return NULL;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0) {
    socklen_t len = sizeof sin;
    getsockname(fd, (struct sockaddr *)&sin, &len);
    char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
    addr_text(res->ai_addr, a, sizeof a);
    addr_text((struct sockaddr *)&sin, b, sizeof b);
    snprintf(text, 2 * INET6_ADDRSTRLEN + 2, "%s %s", a, b);
  }
  close(fd);
  freeaddrinfo(res);
  return NULL;
}

static int cmd_threads(int n) {
  enum { MAX = 64 };
  pthread_t threads[MAX];
  char results[MAX][2 * INET6_ADDRSTRLEN + 2];
  if (n < 1 || n > MAX) return 2;
  memset(results, 0, sizeof results);
  for (int i = 0; i < n; i++) pthread_create(&threads[i], NULL, race, results[i]);
  for (int i = 0; i < n; i++) pthread_join(threads[i], NULL);
  for (int i = 1; i < n; i++)
    if (strcmp(results[i], results[0]) != 0) {
      printf("mismatch %s | %s\n", results[0], results[i]);
      return 1;
    }
  printf("%d x %s\n", n, results[0]);
  return 0;
}

static int cmd_gai_all(void) {
  static const char *nodes[] = {NULL, "localhost", "LOCALHOST", "127.0.0.1", "::1", "example.invalid"};
  static const char *services[] = {NULL, "80", "http", "no-such-service"};
  static const int families[] = {AF_UNSPEC, AF_INET, AF_INET6};
  static const int socktypes[] = {0, SOCK_STREAM, SOCK_DGRAM};
  static const int flags[] = {0, AI_PASSIVE | AI_ADDRCONFIG, AI_CANONNAME | AI_V4MAPPED | AI_ALL,
                              AI_NUMERICHOST | AI_NUMERICSERV};
  int calls = 0, answers = 0;
  for (size_t a = 0; a < sizeof nodes / sizeof *nodes; a++)
    for (size_t b = 0; b < sizeof services / sizeof *services; b++)
      for (size_t c = 0; c < sizeof families / sizeof *families; c++)
        for (size_t d = 0; d < sizeof socktypes / sizeof *socktypes; d++)
          for (size_t e = 0; e < sizeof flags / sizeof *flags; e++) {
            /* example.invalid would need DNS: keep it to the numeric-only form that fails locally. */
            if (a == 5 && !(flags[e] & AI_NUMERICHOST)) continue;
            struct addrinfo hints = {.ai_family = families[c], .ai_socktype = socktypes[d],
                                     .ai_flags = flags[e]};
            struct addrinfo *res = NULL;
            calls++;
            if (getaddrinfo(nodes[a], services[b], &hints, &res) == 0) {
              answers++;
              freeaddrinfo(res);
            }
          }
  struct addrinfo *res = NULL;
  calls++;
  if (getaddrinfo("localhost", "80", NULL, &res) == 0) {
    answers++;
    freeaddrinfo(res);
  }
  printf("%d calls, %d answers\n", calls, answers);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *cmd = argc > 1 ? argv[1] : "";
  if (strcmp(cmd, "bind4") == 0 && argc == 4) return cmd_bind(AF_INET, argv[2], argv[3], "");
  if (strcmp(cmd, "bind6") == 0 && argc == 5) return cmd_bind(AF_INET6, argv[2], argv[3], argv[4]);
  if (strcmp(cmd, "connect4") == 0 && argc == 4) return cmd_connect(AF_INET, argv[2], argv[3], "");
  if (strcmp(cmd, "connect6") == 0 && argc == 5)
    return cmd_connect(AF_INET6, argv[2], argv[3], argv[4]);
  if (strcmp(cmd, "gai") == 0 && argc == 7) return cmd_gai(argv[2], argv[3], argv[4], argv[5], argv[6]);
  if (strcmp(cmd, "listen-any-connect") == 0) return cmd_listen_any_connect();
  if (strcmp(cmd, "errno") == 0) return cmd_errno();
  if (strcmp(cmd, "threads") == 0 && argc == 3) return cmd_threads(atoi(argv[2]));
  if (strcmp(cmd, "gai-all") == 0) return cmd_gai_all();
  fprintf(stderr, "usage: see the comment at the top of socket_probe.c\n");
  return 2;
}
