/*
 * portwatch's native fast path (Linux): the two things a busy host makes slow in JavaScript.
 *
 * 1. sockDiag(family, protocol[, netnsPath]) — the kernel's socket table through NETLINK_SOCK_DIAG
 *    (family 0 with protocol 6: the TCP sockets of both families in one dump)
 *    (what `ss` uses), instead of formatting and parsing /proc/net text: about half the kernel time and
 *    no text at all. Returns a Buffer of fixed 48-byte records (see RECORD below); JavaScript decodes it
 *    (src/collect/parse/sock-diag.ts). With netnsPath (e.g. /proc/<pid>/ns/net) the dump runs on a
 *    short-lived thread that first joins that network namespace (setns), so the process itself never
 *    changes namespace. Throws an Error whose `code` is the errno name when the kernel refuses.
 *
 * 2. scanFds(procRoot, pids, threads) — the /proc/<pid>/fd walk on `threads` POSIX threads, off the
 *    JavaScript thread (a Promise). readlinkat() relative to each fd directory skips the path walk
 *    through /proc/<pid>/ that readlink("/proc/<pid>/fd/<n>") repeats for every fd. Resolves to
 *    { pairs: Float64Array [inode, pid, inode, pid, ...], count, denied, scanned }.
 *
 * 3. bindProbe(protocol, family, netnsPath, threads[, ports]) — the bind probe of unhide-tcp, on `threads`
 *    POSIX threads (a Promise): for each port (1..65535, or the given ones) a fresh socket with
 *    SO_REUSEADDR off (a new socket's default) tries bind() on the wildcard address (0.0.0.0, or ::
 *    with IPV6_V6ONLY on, so an IPv6 probe meets only IPv6 sockets); when that fails with EADDRINUSE, on
 *    loopback (127.0.0.1, ::1). Resolves to { inUse: Uint32Array [port | flags << 16] (flag 1: the
 *    wildcard bind failed with EADDRINUSE, 2: the loopback bind did), errors: Uint32Array [port |
 *    errno << 16 | loopback << 31] (any other failure) }. With netnsPath each probe thread joins that
 *    network namespace first (setns affects only the calling thread; the threads end with the probe).
 *    A successful bind is closed at once: the port is "in use" for other programs only for the few
 *    microseconds between bind() and close() (a bind() of theirs then fails, or connect() skips the port).
 * 4. inspectHeld(procRoot, pairs) — the fd tables as a third view (src/collect/third-view.ts): for each
 *    [inode, pid] pair (a socket a process holds that no dumped table lists), finds the fd in
 *    /proc/<pid>/fd, asks sockfs its protocol (getxattr "system.sockprotoname": TCP, UDPv6, UNIX-STREAM,
 *    NETLINK, ...) and, for TCP, UDP and raw sockets only, takes a copy of the fd (pidfd_getfd, Linux 5.6,
 *    needs the right to ptrace the holder) to learn, from the socket itself, what the tables would have
 *    said: addresses, state, uid (one RECORD) and its network namespace (ioctl SIOCGSKNS, Linux 4.9).
 *    The copies are handed to JavaScript (`dup`, `nsfd`), which closes them (closeFds) when done.
 *    describeHeld(dup) reads the same facts again from a copy (the re-check after a second dump).
 *
 * 5. liveTids(max) — the pids and thread ids from 1 to max that answer kill(pid, 0) (0 or EPERM): the
 *    `--deep` check for processes hidden from the /proc listing (unhide's brute test).
 *
 * 6. nftGenId([netnsPath]) — the nftables ruleset's generation id (NFT_MSG_GETGEN), in that network
 *    namespace when given (a short-lived thread joins it, as sockDiag's does): a watcher reads the firewall
 *    again only when it moved.
 *
 * 7. nftDump([netnsPath]) — the nf_tables ruleset (tables, chains, rules, sets and their elements) as the
 *    kernel's raw netlink messages, read the way `nft list ruleset` reads it but without nft (a Promise; a
 *    short-lived thread joins the namespace when given). JavaScript decodes them (parse/nft-netlink.ts).
 *
 * Nothing here builds a command or trusts a path beyond reading it; every loop is bounded by what the
 * kernel returns. Built by node-gyp from binding.gyp at `npm ci`; portwatch works without it (/proc text).
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <ifaddrs.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <signal.h>
#include <unistd.h>

/* RECORD: 12 native-endian uint32 words per socket.
 *   0: family (4|6) | protocol << 8 | state << 16 | v6only << 24 (2: IPV6_V6ONLY off, 3: on, from the dump's
 *      INET_DIAG_SKV6ONLY attribute; 0: not known)
 *                                                      1: local port | remote port << 16 (host order)
 *   2-5: local address, 16 bytes in network order      6-9: remote address (IPv4: first 4 bytes)
 *   10: uid                                            11: inode */
#define RECORD_WORDS 12

/* The records of one dump, in chunks of RECORDS_PER_CHUNK (768 KiB: above the agent's malloc mmap threshold, so
 * each goes back to the system when freed). sock_diag copies them into the JavaScript buffer a chunk at a time
 * and frees each once copied: the buffer's pages are touched only as they are written, so a dump of 200,000
 * sockets is never held twice (one block that doubled as it grew was: up to 12.6 MiB beside its 10 MiB copy). */
#define RECORDS_PER_CHUNK 16384
typedef struct {
  uint32_t **chunks;
  size_t nchunks, count;
} records_t;

static void records_free(records_t *r) {
  for (size_t i = 0; i < r->nchunks; i++) free(r->chunks[i]);
  free(r->chunks);
  r->chunks = NULL;
  r->nchunks = r->count = 0;
}

/* INET_DIAG_SKV6ONLY of an IPv6 socket's dump message, as the record's v6only code (see RECORD); 0 when absent. */
static uint32_t v6only_code(const struct nlmsghdr *h) {
  const struct inet_diag_msg *m = NLMSG_DATA(h);
  if (m->idiag_family != AF_INET6) return 0;
  int left = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof *m);
  for (const struct rtattr *a = (const struct rtattr *)(m + 1); RTA_OK(a, left); a = RTA_NEXT(a, left)) {
    if (a->rta_type == INET_DIAG_SKV6ONLY && RTA_PAYLOAD(a) >= 1) return *(const uint8_t *)RTA_DATA(a) ? 3 : 2;
  }
  return 0;
}

static int records_push(records_t *r, const struct inet_diag_msg *m, int protocol, uint32_t v6only) {
  const size_t at = r->count % RECORDS_PER_CHUNK;
  if (at == 0) {
    uint32_t **grown = realloc(r->chunks, (r->nchunks + 1) * sizeof *grown);
    if (!grown) return -1;
    r->chunks = grown;
    if (!(r->chunks[r->nchunks] = malloc(RECORDS_PER_CHUNK * RECORD_WORDS * sizeof(uint32_t)))) return -1;
    r->nchunks++;
  }
  uint32_t *w = r->chunks[r->nchunks - 1] + at * RECORD_WORDS;
  w[0] = (uint32_t)(m->idiag_family == AF_INET ? 4 : 6) | (uint32_t)protocol << 8 | (uint32_t)m->idiag_state << 16 | v6only << 24;
  w[1] = (uint32_t)ntohs(m->id.idiag_sport) | (uint32_t)ntohs(m->id.idiag_dport) << 16;
  memcpy(w + 2, m->id.idiag_src, 16);
  memcpy(w + 6, m->id.idiag_dst, 16);
  w[10] = m->idiag_uid;
  w[11] = m->idiag_inode;
  r->count++;
  return 0;
}

/* Joins the network namespace of the file `path` names (/proc/<pid>/ns/net, /run/netns/x): this thread
 * only, so callers run it on a thread of their own. 0 or an errno. */
static int enter_netns(const char *path) {
  int nsfd = open(path, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0) return errno;
  int err = setns(nsfd, CLONE_NEWNET) < 0 ? errno : 0;
  close(nsfd);
  return err;
}

/* The errno an NLMSG_ERROR message carries; `ack` for one that carries none (an acknowledgement). */
static int nl_error(const struct nlmsghdr *h, int ack) {
  const struct nlmsgerr *e = NLMSG_DATA(h);
  return h->nlmsg_len >= NLMSG_LENGTH(sizeof *e) && e->error ? -e->error : ack;
}

typedef struct {
  int family, protocol; /* family AF_UNSPEC: TCP of both families in one dump (see dump_run) */
  const char *netns; /* NULL: ours */
  records_t out;
  int err;           /* errno, 0 when fine */
  int interrupted;   /* the kernel said the dump was inconsistent (NLM_F_DUMP_INTR) */
  uint32_t states;   /* the TCP states to dump, a bit each (1 << TCP_LISTEN ...); ~0: every state */
} dump_t;

#define RECV_SIZE (256 * 1024)

static void dump_run(dump_t *d) {
  if (d->netns && (d->err = enter_netns(d->netns)) != 0) return;
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) { d->err = errno; return; }
  /* IPv4 and IPv6 TCP sockets share the kernel's hash tables, so a per-family dump walks every TCP
   * socket twice (the IPv6 one skipping the IPv4 sockets: about 0.2 us each). The older TCPDIAG_GETSOCK
   * request, which the kernel still answers, dumps both families in one walk (inet_diag_dump_compat:
   * family AF_UNSPEC); its answers carry the request's type. */
  const int both = d->family == AF_UNSPEC;
  const uint16_t type = both ? TCPDIAG_GETSOCK : SOCK_DIAG_BY_FAMILY;
  union {
    struct { struct nlmsghdr nlh; struct inet_diag_req_v2 req; } v2;
    struct { struct nlmsghdr nlh; struct inet_diag_req req; } v1;
  } msg;
  memset(&msg, 0, sizeof msg);
  size_t len;
  if (both) {
    len = sizeof msg.v1;
    msg.v1.req.idiag_family = AF_INET; /* not used by a dump */
    msg.v1.req.idiag_states = d->states;
  } else {
    len = sizeof msg.v2;
    msg.v2.req.sdiag_family = (uint8_t)d->family;
    msg.v2.req.sdiag_protocol = (uint8_t)d->protocol;
    msg.v2.req.idiag_states = d->states; /* by default every state, as /proc/net lists them */
  }
  msg.v2.nlh.nlmsg_len = (uint32_t)len;
  msg.v2.nlh.nlmsg_type = type;
  msg.v2.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.v2.nlh.nlmsg_seq = 1;
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  if (sendto(fd, &msg, len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
    d->err = errno;
    close(fd);
    return;
  }
  char *buf = malloc(RECV_SIZE);
  if (!buf) { d->err = ENOMEM; close(fd); return; }
  for (int done = 0; !done;) {
    ssize_t n = recv(fd, buf, RECV_SIZE, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      d->err = errno;
      break;
    }
    if (n == 0) break;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != 1) continue;
      if (h->nlmsg_flags & NLM_F_DUMP_INTR) d->interrupted = 1;
      if (h->nlmsg_type == NLMSG_DONE) { done = 1; break; }
      if (h->nlmsg_type == NLMSG_ERROR) {
        d->err = nl_error(h, EPROTO);
        done = 1;
        break;
      }
      if (h->nlmsg_type != type || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg))) continue;
      const struct inet_diag_msg *m = NLMSG_DATA(h);
      if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6) continue;
      if (records_push(&d->out, m, d->protocol, v6only_code(h)) < 0) { d->err = ENOMEM; done = 1; break; }
    }
  }
  free(buf);
  close(fd);
}

static void *dump_thread(void *arg) {
  dump_run(arg);
  return NULL;
}

/* ---- small N-API helpers ---- */

static napi_value throw_errno(napi_env env, int err, const char *what) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  const char *name = err == EPERM ? "EPERM" : err == EACCES ? "EACCES" : err == ENOENT ? "ENOENT"
    : err == EINVAL ? "EINVAL" : err == EPROTONOSUPPORT ? "EPROTONOSUPPORT" : err == ENOMEM ? "ENOMEM" : "EIO";
  napi_throw_error(env, name, msg);
  return NULL;
}

static int get_string(napi_env env, napi_value v, char *out, size_t size) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, out, size, &len) != napi_ok) return -1;
  return len + 1 < size ? 0 : -1;
}

/* The optional netnsPath argument argv[at], copied into `out`: 1 when one was given, 0 when it is absent
 * (any other type: the caller checks types it refuses), -1 after throwing (too long). */
static int netns_arg(napi_env env, const napi_value *argv, size_t argc, size_t at, char *out, size_t size) {
  napi_valuetype t = napi_undefined;
  if (argc > at) napi_typeof(env, argv[at], &t);
  if (t != napi_string) return 0;
  if (get_string(env, argv[at], out, size) < 0) { napi_throw_type_error(env, NULL, "netnsPath is too long"); return -1; }
  return 1;
}

/* Runs `thread(arg)` on a thread of its own when it joins a network namespace (setns changes the calling
 * thread, and the JavaScript thread must stay where it is), else on this one. 0, or EAGAIN. */
static int run_for_netns(int in_netns, void *(*thread)(void *), void *arg) {
  if (!in_netns) { thread(arg); return 0; }
  pthread_t th;
  if (pthread_create(&th, NULL, thread, arg) != 0) return EAGAIN;
  pthread_join(th, NULL);
  return 0;
}

static napi_value sock_diag(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t family = 0, protocol = 0;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &family) != napi_ok || napi_get_value_int32(env, argv[1], &protocol) != napi_ok ||
      (family != 4 && family != 6 && !(family == 0 && protocol == IPPROTO_TCP)) || (protocol != IPPROTO_TCP && protocol != IPPROTO_UDP)) {
    napi_throw_type_error(env, NULL, "sockDiag(family 4|6 (0: TCP of both), protocol 6|17[, netnsPath|undefined[, states]])");
    return NULL;
  }
  char netns[4096];
  const int in_netns = netns_arg(env, argv, argc, 2, netns, sizeof netns);
  if (in_netns < 0) return NULL;
  dump_t d;
  memset(&d, 0, sizeof d);
  d.family = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC;
  d.protocol = protocol;
  d.states = ~0u;
  napi_valuetype st = napi_undefined;
  if (argc >= 4) napi_typeof(env, argv[3], &st);
  if (st == napi_number && napi_get_value_uint32(env, argv[3], &d.states) != napi_ok) d.states = ~0u;
  if (in_netns) d.netns = netns;
  if (run_for_netns(in_netns, dump_thread, &d) != 0) return throw_errno(env, EAGAIN, "sockDiag thread");
  if (d.err) {
    records_free(&d.out);
    return throw_errno(env, d.err, "sock_diag dump");
  }
  napi_value result, records, flag;
  void *data = NULL;
  if (napi_create_buffer(env, d.out.count * RECORD_WORDS * sizeof(uint32_t), &data, &records) != napi_ok) {
    records_free(&d.out);
    return throw_errno(env, ENOMEM, "sockDiag buffer");
  }
  for (size_t i = 0, left = d.out.count; i < d.out.nchunks; i++) {
    const size_t n = left < RECORDS_PER_CHUNK ? left : RECORDS_PER_CHUNK;
    memcpy((uint32_t *)data + i * RECORDS_PER_CHUNK * RECORD_WORDS, d.out.chunks[i], n * RECORD_WORDS * sizeof(uint32_t));
    free(d.out.chunks[i]);
    d.out.chunks[i] = NULL;
    left -= n;
  }
  records_free(&d.out);
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "records", records);
  napi_get_boolean(env, d.interrupted, &flag);
  napi_set_named_property(env, result, "interrupted", flag);
  return result;
}

/* ---- the fd walk ---- */

typedef struct {
  double *pairs;
  int32_t *fds; /* the fd number of each pair (the third view finds a socket's fd without reading the table again) */
  size_t count, capacity;
  uint32_t denied, scanned;
  int oom;
} found_t;

typedef struct scan_s {
  char root[4096];
  int32_t *pids;
  size_t npids;
  int threads;
  size_t next; /* shared counter, taken with __atomic_fetch_add */
  found_t *found; /* one per thread */
  napi_async_work work;
  napi_deferred deferred;
} scan_t;

static void found_push(found_t *f, double inode, double pid, int32_t fd) {
  if (f->oom) return;
  if (f->count == f->capacity) {
    size_t cap = f->capacity ? f->capacity * 2 : 8192;
    double *grown = realloc(f->pairs, cap * 2 * sizeof(double));
    if (!grown) { f->oom = 1; return; }
    f->pairs = grown;
    int32_t *more = realloc(f->fds, cap * sizeof(int32_t));
    if (!more) { f->oom = 1; return; }
    f->fds = more;
    f->capacity = cap;
  }
  f->fds[f->count] = fd;
  f->pairs[f->count * 2] = inode;
  f->pairs[f->count * 2 + 1] = pid;
  f->count++;
}

typedef struct {
  scan_t *scan;
  found_t *found;
} worker_t;

static void *scan_worker(void *arg) {
  worker_t *w = arg;
  scan_t *s = w->scan;
  char path[4200], link[64];
  for (;;) {
    size_t i = __atomic_fetch_add(&s->next, 1, __ATOMIC_RELAXED);
    if (i >= s->npids) break;
    int pid = s->pids[i];
    snprintf(path, sizeof path, "%s/%d/fd", s->root, pid);
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
      if (errno != ENOENT && errno != ESRCH && errno != ENOTDIR) w->found->denied++;
      continue;
    }
    DIR *dir = fdopendir(dfd);
    if (!dir) { close(dfd); continue; }
    w->found->scanned++;
    for (struct dirent *e; (e = readdir(dir)) != NULL;) {
      if (e->d_name[0] == '.') continue;
      ssize_t n = readlinkat(dfd, e->d_name, link, sizeof link - 1);
      if (n < 9 || memcmp(link, "socket:[", 8) != 0) continue; /* not a socket, or closed meanwhile */
      link[n] = 0;
      double inode = 0;
      ssize_t k = 8;
      for (; k < n && link[k] >= '0' && link[k] <= '9' && k < 8 + 15; k++) inode = inode * 10 + (link[k] - '0');
      if (k == 8 || k >= n || link[k] != ']') continue;
      found_push(w->found, inode, pid, atoi(e->d_name));
    }
    closedir(dir); /* closes dfd */
  }
  return NULL;
}

static void scan_execute(napi_env env, void *data) {
  (void)env;
  scan_t *s = data;
  int n = s->threads;
  pthread_t th[16];
  worker_t workers[16];
  int started = 0;
  for (int t = 1; t < n; t++) {
    workers[t] = (worker_t){ s, &s->found[t] };
    if (pthread_create(&th[t], NULL, scan_worker, &workers[t]) != 0) break;
    started = t;
  }
  workers[0] = (worker_t){ s, &s->found[0] };
  scan_worker(&workers[0]);
  for (int t = 1; t <= started; t++) pthread_join(th[t], NULL);
}

static void scan_complete(napi_env env, napi_status status, void *data) {
  scan_t *s = data;
  size_t total = 0;
  uint32_t denied = 0, scanned = 0;
  int oom = 0;
  for (int t = 0; t < s->threads; t++) {
    total += s->found[t].count;
    denied += s->found[t].denied;
    scanned += s->found[t].scanned;
    oom |= s->found[t].oom;
  }
  if (status != napi_ok || oom) {
    napi_value err, msg;
    napi_create_string_utf8(env, oom ? "fd walk: out of memory" : "fd walk failed", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &err);
    napi_reject_deferred(env, s->deferred, err);
  } else {
    napi_value ab, pairs, result, v, fab, fds;
    void *raw = NULL, *fraw = NULL;
    napi_create_arraybuffer(env, total * 2 * sizeof(double), &raw, &ab);
    napi_create_arraybuffer(env, total * sizeof(int32_t), &fraw, &fab);
    size_t at = 0;
    for (int t = 0; t < s->threads; t++) {
      if (s->found[t].count) {
        memcpy((double *)raw + at * 2, s->found[t].pairs, s->found[t].count * 2 * sizeof(double));
        memcpy((int32_t *)fraw + at, s->found[t].fds, s->found[t].count * sizeof(int32_t));
      }
      at += s->found[t].count;
    }
    napi_create_typedarray(env, napi_float64_array, total * 2, ab, 0, &pairs);
    napi_create_typedarray(env, napi_int32_array, total, fab, 0, &fds);
    napi_create_object(env, &result);
    napi_set_named_property(env, result, "pairs", pairs);
    napi_set_named_property(env, result, "fds", fds);
    napi_create_double(env, (double)total, &v);
    napi_set_named_property(env, result, "count", v);
    napi_create_uint32(env, denied, &v);
    napi_set_named_property(env, result, "denied", v);
    napi_create_uint32(env, scanned, &v);
    napi_set_named_property(env, result, "scanned", v);
    napi_resolve_deferred(env, s->deferred, result);
  }
  napi_delete_async_work(env, s->work);
  for (int t = 0; t < s->threads; t++) { free(s->found[t].pairs); free(s->found[t].fds); }
  free(s->found);
  free(s->pids);
  free(s);
}

static napi_value scan_fds(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  scan_t *s = calloc(1, sizeof *s);
  if (!s) return throw_errno(env, ENOMEM, "scanFds");
  bool is_typed = false;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  int32_t threads = 1;
  if (argc < 3 || get_string(env, argv[0], s->root, sizeof s->root) < 0 ||
      napi_is_typedarray(env, argv[1], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_int32_array ||
      napi_get_value_int32(env, argv[2], &threads) != napi_ok) {
    free(s);
    napi_throw_type_error(env, NULL, "scanFds(procRoot, pids Int32Array, threads)");
    return NULL;
  }
  s->threads = threads < 1 ? 1 : threads > 16 ? 16 : threads;
  s->npids = length;
  s->pids = malloc((length ? length : 1) * sizeof(int32_t));
  s->found = calloc((size_t)s->threads, sizeof(found_t));
  if (!s->pids || !s->found) { free(s->pids); free(s->found); free(s); return throw_errno(env, ENOMEM, "scanFds"); }
  if (length) memcpy(s->pids, data, length * sizeof(int32_t));
  napi_value promise, name;
  napi_create_promise(env, &s->deferred, &promise);
  napi_create_string_utf8(env, "portwatch.scanFds", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, scan_execute, scan_complete, s, &s->work);
  napi_queue_async_work(env, s->work);
  return promise;
}

static const char *errno_name(int err) {
  return err == EPERM ? "EPERM" : err == EACCES ? "EACCES" : err == ENOENT ? "ENOENT" : err == ESRCH ? "ESRCH"
    : err == ENOSYS ? "ENOSYS" : err == EBADF ? "EBADF" : err == ENOTTY ? "ENOTTY" : err == EINVAL ? "EINVAL" : err == EAGAIN ? "EAGAIN" : err == ENOMEM ? "ENOMEM" : "EIO";
}

/* ---- the bind probe ---- */

#define PROBE_CHUNK 512

typedef struct probe_s {
  char netns[4096];
  int has_netns, nsfd;
  int type, family; /* SOCK_STREAM|SOCK_DGRAM, AF_INET|AF_INET6 */
  uint16_t *ports;
  size_t nports;
  int threads;
  size_t next; /* shared, taken with __atomic_fetch_add, PROBE_CHUNK ports at a time */
  uint8_t *flags;  /* per port index: 1 wildcard EADDRINUSE, 2 loopback EADDRINUSE */
  uint32_t *errs;  /* per port index: errno << 1 | loopback, 0 when none */
  int err;         /* setns/open failure: the whole probe fails */
  napi_async_work work;
  napi_deferred deferred;
} probe_t;

/* One bind of `port` on the wildcard or loopback address. Reuses *fdp when it holds an unbound socket
 * (a bind that failed leaves the socket unbound); a socket that bound is closed at once. 0 or errno. */
static int probe_bind(const probe_t *p, int loopback, uint16_t port, int *fdp) {
  int fd = *fdp;
  if (fd < 0) {
    fd = socket(p->family, p->type | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno;
    /* SO_REUSEADDR is off on a new socket (no setsockopt: a syscall per port saved). */
    int on = 1;
    if (p->family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) < 0) {
      int e = errno;
      close(fd);
      return e;
    }
  }
  int rc;
  if (p->family == AF_INET) {
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    a.sin_addr.s_addr = htonl(loopback ? INADDR_LOOPBACK : INADDR_ANY);
    rc = bind(fd, (struct sockaddr *)&a, sizeof a);
  } else {
    struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
    a.sin6_addr = loopback ? in6addr_loopback : in6addr_any;
    rc = bind(fd, (struct sockaddr *)&a, sizeof a);
  }
  if (rc == 0) {
    close(fd); /* an unconnected socket frees its port at once */
    *fdp = -1;
    return 0;
  }
  int e = errno;
  *fdp = fd;
  return e;
}

static void *probe_worker(void *arg) {
  probe_t *p = arg;
  if (p->has_netns && setns(p->nsfd, CLONE_NEWNET) < 0) {
    int e = errno;
    __atomic_store_n(&p->err, e, __ATOMIC_RELAXED);
    return NULL;
  }
  int fd = -1;
  for (;;) {
    size_t from = __atomic_fetch_add(&p->next, PROBE_CHUNK, __ATOMIC_RELAXED);
    if (from >= p->nports) break;
    size_t to = from + PROBE_CHUNK < p->nports ? from + PROBE_CHUNK : p->nports;
    for (size_t i = from; i < to; i++) {
      uint16_t port = p->ports[i];
      int e = probe_bind(p, 0, port, &fd);
      if (e == 0) continue;
      if (e != EADDRINUSE) { p->errs[i] = (uint32_t)e << 1; continue; }
      p->flags[i] = 1;
      e = probe_bind(p, 1, port, &fd);
      if (e == EADDRINUSE) p->flags[i] |= 2;
      else if (e != 0) p->errs[i] = (uint32_t)e << 1 | 1;
    }
  }
  if (fd >= 0) close(fd);
  return NULL;
}

/* Runs on a libuv thread, which must never change namespace: every probe thread is a new pthread. */
static void probe_execute(napi_env env, void *data) {
  (void)env;
  probe_t *p = data;
  p->nsfd = -1;
  if (p->has_netns) {
    p->nsfd = open(p->netns, O_RDONLY | O_CLOEXEC);
    if (p->nsfd < 0) { p->err = errno; return; }
  }
  pthread_t th[16];
  int started = 0;
  for (int t = 0; t < p->threads; t++) {
    if (pthread_create(&th[t], NULL, probe_worker, p) != 0) break;
    started++;
  }
  if (started == 0) p->err = EAGAIN;
  for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
  if (p->nsfd >= 0) close(p->nsfd);
}

static void probe_complete(napi_env env, napi_status status, void *data) {
  probe_t *p = data;
  if (status != napi_ok || p->err) {
    char msg[256];
    snprintf(msg, sizeof msg, "bind probe: %s", strerror(p->err ? p->err : EIO));
    napi_value err, m, code;
    napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
    napi_create_string_utf8(env, errno_name(p->err), NAPI_AUTO_LENGTH, &code);
    napi_create_error(env, code, m, &err);
    napi_reject_deferred(env, p->deferred, err);
  } else {
    size_t used = 0, failed = 0;
    for (size_t i = 0; i < p->nports; i++) { used += p->flags[i] != 0; failed += p->errs[i] != 0; }
    napi_value ab, in_use, errors, result;
    void *raw = NULL;
    napi_create_arraybuffer(env, used * sizeof(uint32_t), &raw, &ab);
    uint32_t *w = raw;
    for (size_t i = 0; i < p->nports; i++) if (p->flags[i]) *w++ = p->ports[i] | (uint32_t)p->flags[i] << 16;
    napi_create_typedarray(env, napi_uint32_array, used, ab, 0, &in_use);
    napi_create_arraybuffer(env, failed * sizeof(uint32_t), &raw, &ab);
    w = raw;
    for (size_t i = 0; i < p->nports; i++) {
      if (!p->errs[i]) continue;
      uint32_t e = p->errs[i] >> 1;
      *w++ = p->ports[i] | (e > 0x7fff ? 0x7fff : e) << 16 | (p->errs[i] & 1) << 31;
    }
    napi_create_typedarray(env, napi_uint32_array, failed, ab, 0, &errors);
    napi_create_object(env, &result);
    napi_set_named_property(env, result, "inUse", in_use);
    napi_set_named_property(env, result, "errors", errors);
    napi_resolve_deferred(env, p->deferred, result);
  }
  napi_delete_async_work(env, p->work);
  free(p->ports);
  free(p->flags);
  free(p->errs);
  free(p);
}

static napi_value bind_probe(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t protocol = 0, family = 0, threads = 1;
  napi_valuetype t = napi_undefined;
  if (argc >= 3) napi_typeof(env, argv[2], &t);
  if (argc < 4 || napi_get_value_int32(env, argv[0], &protocol) != napi_ok || napi_get_value_int32(env, argv[1], &family) != napi_ok ||
      (protocol != IPPROTO_TCP && protocol != IPPROTO_UDP) || (family != 4 && family != 6) ||
      (t != napi_string && t != napi_null && t != napi_undefined) || napi_get_value_int32(env, argv[3], &threads) != napi_ok) {
    napi_throw_type_error(env, NULL, "bindProbe(protocol 6|17, family 4|6, netnsPath|null, threads[, ports Uint16Array])");
    return NULL;
  }
  probe_t *p = calloc(1, sizeof *p);
  if (!p) return throw_errno(env, ENOMEM, "bindProbe");
  p->type = protocol == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
  p->family = family == 4 ? AF_INET : AF_INET6;
  p->threads = threads < 1 ? 1 : threads > 16 ? 16 : threads;
  p->has_netns = netns_arg(env, argv, argc, 2, p->netns, sizeof p->netns);
  if (p->has_netns < 0) { free(p); return NULL; }
  napi_valuetype pt = napi_undefined;
  if (argc >= 5) napi_typeof(env, argv[4], &pt);
  if (pt != napi_undefined && pt != napi_null) {
    bool is_typed = false;
    napi_typedarray_type type;
    size_t length = 0;
    void *data = NULL;
    if (napi_is_typedarray(env, argv[4], &is_typed) != napi_ok || !is_typed ||
        napi_get_typedarray_info(env, argv[4], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_uint16_array) {
      free(p);
      napi_throw_type_error(env, NULL, "bindProbe: ports must be a Uint16Array");
      return NULL;
    }
    p->nports = length;
    p->ports = malloc((length ? length : 1) * sizeof(uint16_t));
    if (p->ports && length) memcpy(p->ports, data, length * sizeof(uint16_t));
  } else {
    p->nports = 65535;
    p->ports = malloc(p->nports * sizeof(uint16_t));
    if (p->ports) for (size_t i = 0; i < p->nports; i++) p->ports[i] = (uint16_t)(i + 1);
  }
  p->flags = calloc(p->nports ? p->nports : 1, 1);
  p->errs = calloc(p->nports ? p->nports : 1, sizeof(uint32_t));
  if (!p->ports || !p->flags || !p->errs) { free(p->ports); free(p->flags); free(p->errs); free(p); return throw_errno(env, ENOMEM, "bindProbe"); }
  napi_value promise, name;
  napi_create_promise(env, &p->deferred, &promise);
  napi_create_string_utf8(env, "portwatch.bindProbe", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, probe_execute, probe_complete, p, &p->work);
  napi_queue_async_work(env, p->work);
  return promise;
}

/* ---- the fd tables as a third view ---- */

/* The facts of one socket, read from a copy of its fd, as one RECORD; the protocol (6, 17, 255 for raw).
 * Returns 0, or -1 when `fd` is not an IPv4/IPv6 TCP, UDP or raw socket. */
static int describe_fd(int fd, uint32_t *w, int *protocol_out) {
  int domain = 0, protocol = 0, type = 0;
  socklen_t l = sizeof domain;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &l) < 0 || (domain != AF_INET && domain != AF_INET6)) return -1;
  l = sizeof protocol;
  if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &l) < 0) return -1;
  l = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) < 0) return -1;
  int raw = type == SOCK_RAW;
  if (!raw && protocol != IPPROTO_TCP && protocol != IPPROTO_UDP) return -1;
  struct sockaddr_storage local, remote;
  socklen_t ll = sizeof local, rl = sizeof remote;
  memset(&local, 0, sizeof local);
  memset(&remote, 0, sizeof remote);
  if (getsockname(fd, (struct sockaddr *)&local, &ll) < 0) return -1;
  int connected = getpeername(fd, (struct sockaddr *)&remote, &rl) == 0;
  int state = 7; /* TCP_CLOSE: how /proc/net prints unconnected UDP and raw sockets */
  if (protocol == IPPROTO_TCP && !raw) {
    struct tcp_info ti;
    socklen_t tl = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) < 0) return -1;
    state = ti.tcpi_state;
  } else if (connected) {
    state = 1; /* a connected UDP socket: TCP_ESTABLISHED, as /proc/net prints it */
  }
  struct stat st;
  if (fstat(fd, &st) < 0) return -1;
  memset(w, 0, RECORD_WORDS * sizeof(uint32_t));
  uint32_t lport = 0, rport = 0;
  if (domain == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)&local, *b = (const struct sockaddr_in *)&remote;
    lport = ntohs(a->sin_port);
    memcpy(w + 2, &a->sin_addr, 4);
    if (connected) { rport = ntohs(b->sin_port); memcpy(w + 6, &b->sin_addr, 4); }
  } else {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&local, *b = (const struct sockaddr_in6 *)&remote;
    lport = ntohs(a->sin6_port);
    memcpy(w + 2, &a->sin6_addr, 16);
    if (connected) { rport = ntohs(b->sin6_port); memcpy(w + 6, &b->sin6_addr, 16); }
  }
  if (raw) { lport = (uint32_t)protocol; rport = 0; } /* /proc/net/raw prints the IP protocol as the local port */
  w[0] = (uint32_t)(domain == AF_INET ? 4 : 6) | (uint32_t)(raw ? 255 : protocol) << 8 | (uint32_t)state << 16;
  w[1] = (lport & 0xffff) | (rport & 0xffff) << 16;
  w[10] = st.st_uid;
  w[11] = (uint32_t)st.st_ino;
  *protocol_out = raw ? 255 : protocol;
  return 0;
}

static const char *INET_NAMES[] = { "TCP", "TCPv6", "UDP", "UDPv6", "RAW", "RAWv6", NULL };

static void set_num(napi_env env, napi_value o, const char *name, double v) {
  napi_value n;
  napi_create_double(env, v, &n);
  napi_set_named_property(env, o, name, n);
}

static void set_str(napi_env env, napi_value o, const char *name, const char *v) {
  napi_value s;
  napi_create_string_utf8(env, v, NAPI_AUTO_LENGTH, &s);
  napi_set_named_property(env, o, name, s);
}

/* One inspected socket as an object: { inode, pid, fd, name, dup, nsfd, netns, protocol, record, error }. */
static napi_value held_object(napi_env env, double inode, int pid, int fdnum, const char *name, int procroot_live) {
  napi_value o;
  napi_create_object(env, &o);
  set_num(env, o, "inode", inode);
  set_num(env, o, "pid", pid);
  set_num(env, o, "fd", fdnum);
  set_str(env, o, "name", name);
  int inet = 0;
  for (const char **n = INET_NAMES; *n; n++) if (strcmp(*n, name) == 0) inet = 1;
  if (!inet) return o;
  if (!procroot_live) { set_str(env, o, "error", "ENOENT"); return o; }
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) { set_str(env, o, "error", errno_name(errno)); return o; }
  int dup = (int)syscall(SYS_pidfd_getfd, pidfd, fdnum, 0);
  int err = errno;
  close(pidfd);
  if (dup < 0) { set_str(env, o, "error", errno_name(err)); return o; }
  uint32_t w[RECORD_WORDS];
  int protocol = 0;
  struct stat st;
  if (describe_fd(dup, w, &protocol) < 0 || fstat(dup, &st) < 0 || (double)st.st_ino != inode) {
    close(dup); /* reused meanwhile, or not an inet socket after all */
    set_str(env, o, "error", "ESTALE");
    return o;
  }
  set_num(env, o, "dup", dup);
  set_num(env, o, "protocol", protocol);
  napi_value rec;
  void *copy = NULL;
  napi_create_buffer_copy(env, sizeof w, w, &copy, &rec);
  napi_set_named_property(env, o, "record", rec);
  int nsfd = ioctl(dup, SIOCGSKNS);
  if (nsfd >= 0 && fstat(nsfd, &st) == 0) {
    set_num(env, o, "nsfd", nsfd);
    set_num(env, o, "netns", (double)st.st_ino);
  } else {
    if (nsfd >= 0) close(nsfd);
    set_str(env, o, "nsError", errno_name(errno));
  }
  return o;
}

/* inspectHeld(procRoot, triples Float64Array [inode, pid, fd, ...] sorted by pid; fd -1 when not known) -> objects (see held_object). */
static napi_value inspect_held(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char root[4096];
  bool is_typed = false;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (argc < 2 || get_string(env, argv[0], root, sizeof root) < 0 || napi_is_typedarray(env, argv[1], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_float64_array) {
    napi_throw_type_error(env, NULL, "inspectHeld(procRoot, triples Float64Array [inode, pid, fd, ...])");
    return NULL;
  }
  const double *triples = data;
  size_t n = length / 3;
  int live = strcmp(root, "/proc") == 0; /* pidfd_getfd reaches live processes only */
  napi_value out;
  napi_create_array(env, &out);
  uint32_t found = 0;
  char path[4400], link[64], name[64];
  for (size_t i = 0; i < n;) {
    int pid = (int)triples[3 * i + 1];
    size_t end = i;
    int all_known = 1;
    while (end < n && (int)triples[3 * end + 1] == pid) { if (triples[3 * end + 2] < 0) all_known = 0; end++; }
    if (all_known) {
      /* The fd walk told each fd: read those links only (a process may hold 200,000 fds). */
      for (size_t k = i; k < end; k++) {
        int fdnum = (int)triples[3 * k + 2];
        snprintf(path, sizeof path, "%s/%d/fd/%d", root, pid, fdnum);
        ssize_t len = readlink(path, link, sizeof link - 1);
        if (len < 9 || memcmp(link, "socket:[", 8) != 0) continue;
        link[len] = 0;
        if (strtod(link + 8, NULL) != triples[3 * k]) continue; /* closed and reused meanwhile */
        ssize_t nl = getxattr(path, "system.sockprotoname", name, sizeof name - 1);
        if (nl < 0) continue;
        name[nl] = 0;
        napi_set_element(env, out, found++, held_object(env, triples[3 * k], pid, fdnum, name, live));
      }
      i = end;
      continue;
    }
    snprintf(path, sizeof path, "%s/%d/fd", root, pid);
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = dfd < 0 ? NULL : fdopendir(dfd);
    if (!dir && dfd >= 0) close(dfd);
    for (struct dirent *e; dir && (e = readdir(dir)) != NULL;) {
      if (e->d_name[0] == '.') continue;
      ssize_t len = readlinkat(dfd, e->d_name, link, sizeof link - 1);
      if (len < 9 || memcmp(link, "socket:[", 8) != 0) continue;
      link[len] = 0;
      double inode = strtod(link + 8, NULL);
      size_t k = i;
      for (; k < end && triples[3 * k] != inode; k++) {}
      if (k == end) continue;
      snprintf(path, sizeof path, "%s/%d/fd/%s", root, pid, e->d_name);
      ssize_t nl = getxattr(path, "system.sockprotoname", name, sizeof name - 1);
      if (nl < 0) continue; /* closed meanwhile, or no right to look */
      name[nl] = 0;
      napi_value o = held_object(env, inode, pid, atoi(e->d_name), name, live);
      napi_set_element(env, out, found++, o);
    }
    if (dir) closedir(dir);
    i = end;
  }
  return out;
}

/* describeHeld(dup) -> { record, protocol } read again from our copy, or null when it is no inet socket any more. */
static napi_value describe_held(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) { napi_throw_type_error(env, NULL, "describeHeld(fd)"); return NULL; }
  uint32_t w[RECORD_WORDS];
  int protocol = 0;
  if (describe_fd(fd, w, &protocol) < 0) { napi_get_null(env, &result); return result; }
  napi_create_object(env, &result);
  napi_value rec;
  void *copy = NULL;
  napi_create_buffer_copy(env, sizeof w, w, &copy, &rec);
  napi_set_named_property(env, result, "record", rec);
  set_num(env, result, "protocol", protocol);
  return result;
}

/* closeFds(fds) closes the copies inspectHeld handed out. */
static napi_value close_fds(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t len = 0;
  if (argc < 1 || napi_get_array_length(env, argv[0], &len) != napi_ok) { napi_throw_type_error(env, NULL, "closeFds(fds)"); return NULL; }
  for (uint32_t i = 0; i < len; i++) {
    napi_value v;
    int32_t fd = -1;
    if (napi_get_element(env, argv[0], i, &v) == napi_ok && napi_get_value_int32(env, v, &fd) == napi_ok && fd > 2) close(fd);
  }
  return NULL;
}

/* liveTids(max) -> Int32Array of the ids from 1 to max that answer kill(id, 0) (0, or EPERM: there but not ours). */
static napi_value live_tids(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t max = 0;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &max) != napi_ok || max < 1 || max > (1 << 22)) {
    napi_throw_type_error(env, NULL, "liveTids(max: 1 to 4194304)");
    return NULL;
  }
  int32_t *ids = malloc(sizeof(int32_t) * 4096);
  size_t count = 0, cap = 4096;
  if (!ids) return throw_errno(env, ENOMEM, "liveTids");
  for (int32_t id = 1; id <= max; id++) {
    if (kill(id, 0) == 0 || errno == EPERM) {
      if (count == cap) {
        int32_t *grown = realloc(ids, sizeof(int32_t) * cap * 2);
        if (!grown) { free(ids); return throw_errno(env, ENOMEM, "liveTids"); }
        ids = grown;
        cap *= 2;
      }
      ids[count++] = id;
    }
  }
  napi_value ab, arr;
  void *raw = NULL;
  napi_create_arraybuffer(env, count * sizeof(int32_t), &raw, &ab);
  if (count) memcpy(raw, ids, count * sizeof(int32_t));
  free(ids);
  napi_create_typedarray(env, napi_int32_array, count, ab, 0, &arr);
  return arr;
}

/* ---- 7. nftDump([netnsPath]): the nf_tables ruleset as raw netlink messages ----
 * The dumps `nft list ruleset` makes, without nft: NFT_MSG_GETTABLE, GETCHAIN, GETRULE and GETSET for every
 * family (AF_UNSPEC), then GETSETELEM for each set the set dump named (anonymous sets included). Every reply
 * message (NEWTABLE, NEWCHAIN, NEWRULE, NEWSET, NEWSETELEM, each with its nlmsghdr) is copied as it came into
 * one buffer that JavaScript decodes (src/collect/parse/nft-netlink.ts). The generation (NFT_MSG_GETGEN) is
 * asked before and after: when it moved, or a dump says NLM_F_DUMP_INTR, everything is read again (3 tries,
 * then EAGAIN). Also the namespace's interface names by index (if_nameindex), to name `iif`/`oif` matches, and
 * its interfaces with their flags and addresses (getifaddrs: what `ip -j addr show` would say, without running it).
 * Bounded: 256 MiB of messages at most (E2BIG), 5 s receive timeout per read (ETIMEDOUT). */
#define NFT_DUMP_MAX (256u << 20)

typedef struct {
  char netns[4096];
  int has_netns;
  char *buf;       /* the messages */
  char rbuf[1 << 16]; /* one recv */
  size_t len, cap;
  uint32_t gen;
  int err;
  struct if_nameindex *links;
  struct ifaddrs *addrs;
  int addrs_err;   /* getifaddrs failed: JavaScript asks `ip -j addr show` instead */
  napi_deferred deferred;
  napi_async_work work;
} nftdump_t;

static int buf_add(nftdump_t *d, const void *p, size_t n) {
  if (d->len + n > NFT_DUMP_MAX) return E2BIG;
  if (d->len + n > d->cap) {
    size_t cap = d->cap ? d->cap : 1 << 16;
    while (cap < d->len + n) cap *= 2;
    char *b = realloc(d->buf, cap);
    if (!b) return ENOMEM;
    d->buf = b;
    d->cap = cap;
  }
  memcpy(d->buf + d->len, p, n);
  d->len += n;
  return 0;
}

static void put_attr(char *msg, size_t *len, uint16_t type, const char *s) {
  struct nlattr *a = (struct nlattr *)(msg + *len);
  size_t n = strlen(s) + 1;
  a->nla_type = type;
  a->nla_len = (uint16_t)(NLA_HDRLEN + n);
  memcpy((char *)a + NLA_HDRLEN, s, n);
  *len += NLA_ALIGN(a->nla_len);
}

/* One request (a dump unless GETGEN); its replies appended to d (not GETGEN's, whose id goes to *gen). 0 or an errno. */
static int nft_request(int fd, nftdump_t *d, uint16_t type, uint8_t family, const char *table, const char *set, uint32_t seq, uint32_t *gen) {
  char msg[1024];
  memset(msg, 0, sizeof msg);
  struct nlmsghdr *nlh = (struct nlmsghdr *)msg;
  size_t len = NLMSG_LENGTH(sizeof(struct nfgenmsg));
  nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | type;
  nlh->nlmsg_flags = NLM_F_REQUEST | (type == NFT_MSG_GETGEN ? 0 : NLM_F_DUMP);
  nlh->nlmsg_seq = seq;
  struct nfgenmsg *nfg = NLMSG_DATA(nlh);
  nfg->nfgen_family = family;
  nfg->version = NFNETLINK_V0;
  len = NLMSG_ALIGN(len);
  /* table and set names come from the kernel's own set dump; NFT_NAME_MAXLEN (256) each at most */
  if (table) put_attr(msg, &len, NFTA_SET_ELEM_LIST_TABLE, table);
  if (set) put_attr(msg, &len, NFTA_SET_ELEM_LIST_SET, set);
  nlh->nlmsg_len = (uint32_t)len;
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  if (sendto(fd, msg, len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return errno;
  for (;;) {
    ssize_t n = recv(fd, d->rbuf, sizeof d->rbuf, 0);
    if (n < 0) { if (errno == EINTR) continue; return errno == EAGAIN ? ETIMEDOUT : errno; }
    if (n == 0) return EPROTO;
    for (struct nlmsghdr *h = (struct nlmsghdr *)d->rbuf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != seq) continue;
      if (h->nlmsg_type == NLMSG_ERROR) return nl_error(h, type == NFT_MSG_GETGEN ? EPROTO : 0);
      if (h->nlmsg_flags & NLM_F_DUMP_INTR) return EINTR;
      if (h->nlmsg_type == NLMSG_DONE) return 0;
      if (type == NFT_MSG_GETGEN) {
        int left = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(struct nfgenmsg));
        const struct nlattr *a = (const struct nlattr *)((const char *)NLMSG_DATA(h) + NLMSG_ALIGN(sizeof(struct nfgenmsg)));
        for (; left >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= left;
             left -= NLA_ALIGN(a->nla_len), a = (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len))) {
          if ((a->nla_type & NLA_TYPE_MASK) == NFTA_GEN_ID && a->nla_len >= NLA_HDRLEN + 4) {
            uint32_t be;
            memcpy(&be, (const char *)a + NLA_HDRLEN, 4);
            *gen = ntohl(be);
            return 0;
          }
        }
        return EPROTO;
      }
      int rc = buf_add(d, h, h->nlmsg_len);
      if (rc) return rc;
    }
  }
}

/* ---- the nftables generation ---- */

typedef struct {
  const char *netns; /* NULL: ours */
  uint32_t gen;
  int err;
} gen_t;

/* NFT_MSG_GETGEN on NETLINK_NETFILTER: the ruleset's generation id, which every change of the nf_tables
 * ruleset (tables, chains, rules, sets, set elements) increments. One small request, no dump (nft_request):
 * a watcher asks it at every look and reads the ruleset again only when it moved. */
static void gen_run(gen_t *g) {
  if (g->netns && (g->err = enter_netns(g->netns)) != 0) return;
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (fd < 0) { g->err = errno; return; }
  nftdump_t *d = calloc(1, sizeof *d); /* its receive buffer */
  g->err = d ? nft_request(fd, d, NFT_MSG_GETGEN, AF_UNSPEC, NULL, NULL, 1, &g->gen) : ENOMEM;
  free(d);
  close(fd);
}

static void *gen_thread(void *arg) {
  gen_run(arg);
  return NULL;
}

static napi_value nft_gen_id(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char netns[4096];
  const int in_netns = netns_arg(env, argv, argc, 0, netns, sizeof netns);
  if (in_netns < 0) return NULL;
  gen_t g;
  memset(&g, 0, sizeof g);
  if (in_netns) g.netns = netns;
  if (run_for_netns(in_netns, gen_thread, &g) != 0) return throw_errno(env, EAGAIN, "nftGenId thread");
  if (g.err) return throw_errno(env, g.err, "nftables generation");
  napi_value out;
  napi_create_uint32(env, g.gen, &out);
  return out;
}

/* The table and name of a NEWSET message (pointers into it); 0 when both are there. */
static int set_names(const struct nlmsghdr *h, const char **table, const char **name) {
  *table = *name = NULL;
  int left = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(struct nfgenmsg));
  const struct nlattr *a = (const struct nlattr *)((const char *)NLMSG_DATA(h) + NLMSG_ALIGN(sizeof(struct nfgenmsg)));
  for (; left >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= left;
       left -= NLA_ALIGN(a->nla_len), a = (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len))) {
    const char *s = (const char *)a + NLA_HDRLEN;
    size_t n = a->nla_len - NLA_HDRLEN;
    if (n == 0 || n > 256 || s[n - 1] != '\0') continue;   /* NLA_STRING, NUL-terminated, NFT_NAME_MAXLEN */
    if ((a->nla_type & NLA_TYPE_MASK) == NFTA_SET_TABLE) *table = s;
    else if ((a->nla_type & NLA_TYPE_MASK) == NFTA_SET_NAME) *name = s;
  }
  return *table && *name ? 0 : -1;
}

static int nft_dump_once(int fd, nftdump_t *d) {
  static const uint16_t kinds[] = { NFT_MSG_GETTABLE, NFT_MSG_GETCHAIN, NFT_MSG_GETRULE, NFT_MSG_GETSET };
  uint32_t seq = 1, before = 0, after = 0;
  d->len = 0;
  int rc = nft_request(fd, d, NFT_MSG_GETGEN, AF_UNSPEC, NULL, NULL, seq++, &before);
  size_t sets_at = 0;
  for (size_t k = 0; !rc && k < sizeof kinds / sizeof kinds[0]; k++) {
    if (kinds[k] == NFT_MSG_GETSET) sets_at = d->len;
    rc = nft_request(fd, d, kinds[k], AF_UNSPEC, NULL, NULL, seq++, NULL);
  }
  size_t sets_end = d->len;
  /* one GETSETELEM per set of the set dump: walk those messages by offset (d->buf moves as it grows) */
  for (size_t off = sets_at; !rc && off + NLMSG_HDRLEN <= sets_end;) {
    const struct nlmsghdr *h = (const struct nlmsghdr *)(d->buf + off);
    size_t step = NLMSG_ALIGN(h->nlmsg_len);
    const char *table, *name;
    if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nfgenmsg)) || step == 0) break;
    if (set_names(h, &table, &name) == 0) {
      char t[257], s[257];
      uint8_t family = ((const struct nfgenmsg *)NLMSG_DATA(h))->nfgen_family;
      snprintf(t, sizeof t, "%s", table);
      snprintf(s, sizeof s, "%s", name);
      rc = nft_request(fd, d, NFT_MSG_GETSETELEM, family, t, s, seq++, NULL);
    }
    off += step;
  }
  if (!rc) rc = nft_request(fd, d, NFT_MSG_GETGEN, AF_UNSPEC, NULL, NULL, seq++, &after);
  if (!rc && before != after) rc = EINTR;
  d->gen = after;
  return rc;
}

static void nft_dump_run(nftdump_t *d) {
  if (d->has_netns && (d->err = enter_netns(d->netns)) != 0) return;
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (fd < 0) { d->err = errno; return; }
  struct timeval tv = { .tv_sec = 5 };
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int rc = EINTR;
  for (int tries = 0; tries < 3 && rc == EINTR; tries++) rc = nft_dump_once(fd, d);
  close(fd);
  d->err = rc == EINTR ? EAGAIN : rc;
  if (!d->err) {
    d->links = if_nameindex();   /* in this thread's namespace; NULL: names not known */
    if (getifaddrs(&d->addrs) < 0) { d->addrs = NULL; d->addrs_err = errno ? errno : EIO; }
  }
}

static void *nft_dump_thread(void *arg) {
  nft_dump_run(arg);
  return NULL;
}

/* Runs on a libuv thread, which must never change namespace: with a path, a new pthread joins it. */
static void nft_dump_execute(napi_env env, void *data) {
  (void)env;
  nftdump_t *d = data;
  if (!d->has_netns) { nft_dump_run(d); return; }
  pthread_t th;
  if (pthread_create(&th, NULL, nft_dump_thread, d) != 0) { d->err = EAGAIN; return; }
  pthread_join(th, NULL);
}

static void nft_dump_complete(napi_env env, napi_status status, void *data) {
  nftdump_t *d = data;
  if (status != napi_ok || d->err) {
    char msg[256];
    snprintf(msg, sizeof msg, "nftables dump: %s", strerror(d->err ? d->err : EIO));
    napi_value err, m, code;
    napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
    napi_create_string_utf8(env, errno_name(d->err), NAPI_AUTO_LENGTH, &code);
    napi_create_error(env, code, m, &err);
    napi_reject_deferred(env, d->deferred, err);
  } else {
    napi_value result, messages, links, gen;
    void *raw = NULL;
    napi_create_buffer_copy(env, d->len, d->len ? d->buf : "", &raw, &messages);
    napi_create_array(env, &links);
    uint32_t i = 0;
    for (const struct if_nameindex *l = d->links; l && l->if_index != 0; l++) {
      napi_value pair, idx, name;
      napi_create_array_with_length(env, 2, &pair);
      napi_create_uint32(env, l->if_index, &idx);
      napi_create_string_utf8(env, l->if_name, NAPI_AUTO_LENGTH, &name);
      napi_set_element(env, pair, 0, idx);
      napi_set_element(env, pair, 1, name);
      napi_set_element(env, links, i++, pair);
    }
    napi_create_uint32(env, d->gen, &gen);
    /* the namespace's interfaces and addresses (getifaddrs): [name, flags, family 0|4|6, address, prefix length] */
    napi_value addrs;
    if (d->addrs_err) napi_get_null(env, &addrs);
    else {
      napi_create_array(env, &addrs);
      uint32_t n = 0;
      for (const struct ifaddrs *a = d->addrs; a; a = a->ifa_next) {
        if (!a->ifa_name || !a->ifa_addr) continue;
        int fam = a->ifa_addr->sa_family;
        char text[INET6_ADDRSTRLEN] = "";
        int prefix = -1, f = 0;
        if (fam == AF_INET || fam == AF_INET6) {
          const void *src = fam == AF_INET ? (const void *)&((const struct sockaddr_in *)a->ifa_addr)->sin_addr
                                           : (const void *)&((const struct sockaddr_in6 *)a->ifa_addr)->sin6_addr;
          if (!inet_ntop(fam, src, text, sizeof text)) continue;
          f = fam == AF_INET ? 4 : 6;
          if (a->ifa_netmask) {
            const unsigned char *m = fam == AF_INET ? (const unsigned char *)&((const struct sockaddr_in *)a->ifa_netmask)->sin_addr
                                                    : (const unsigned char *)&((const struct sockaddr_in6 *)a->ifa_netmask)->sin6_addr;
            prefix = 0;
            for (int i = 0; i < (fam == AF_INET ? 4 : 16); i++) prefix += __builtin_popcount(m[i]);
          }
        } else if (fam != AF_PACKET) continue;
        napi_value row, v;
        napi_create_array_with_length(env, 5, &row);
        napi_create_string_utf8(env, a->ifa_name, NAPI_AUTO_LENGTH, &v); napi_set_element(env, row, 0, v);
        napi_create_uint32(env, a->ifa_flags, &v); napi_set_element(env, row, 1, v);
        napi_create_uint32(env, (uint32_t)f, &v); napi_set_element(env, row, 2, v);
        if (f) napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v); else napi_get_null(env, &v);
        napi_set_element(env, row, 3, v);
        if (prefix >= 0) napi_create_int32(env, prefix, &v); else napi_get_null(env, &v);
        napi_set_element(env, row, 4, v);
        napi_set_element(env, addrs, n++, row);
      }
    }
    napi_create_object(env, &result);
    napi_set_named_property(env, result, "addrs", addrs);
    napi_set_named_property(env, result, "messages", messages);
    napi_set_named_property(env, result, "links", links);
    napi_set_named_property(env, result, "gen", gen);
    napi_resolve_deferred(env, d->deferred, result);
  }
  napi_delete_async_work(env, d->work);
  if (d->links) if_freenameindex(d->links);
  if (d->addrs) freeifaddrs(d->addrs);
  free(d->buf);
  free(d);
}

static napi_value nft_dump(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_valuetype t = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &t);
  if (t != napi_string && t != napi_undefined && t != napi_null) { napi_throw_type_error(env, NULL, "nftDump([netnsPath])"); return NULL; }
  nftdump_t *d = calloc(1, sizeof *d);
  if (!d) return throw_errno(env, ENOMEM, "nftDump");
  d->has_netns = netns_arg(env, argv, argc, 0, d->netns, sizeof d->netns);
  if (d->has_netns < 0) { free(d); return NULL; }
  napi_value promise, name;
  napi_create_promise(env, &d->deferred, &promise);
  napi_create_string_utf8(env, "nftDump", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, nft_dump_execute, nft_dump_complete, d, &d->work);
  napi_queue_async_work(env, d->work);
  return promise;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "inspectHeld", NAPI_AUTO_LENGTH, inspect_held, NULL, &fn);
  napi_set_named_property(env, exports, "inspectHeld", fn);
  napi_create_function(env, "describeHeld", NAPI_AUTO_LENGTH, describe_held, NULL, &fn);
  napi_set_named_property(env, exports, "describeHeld", fn);
  napi_create_function(env, "closeFds", NAPI_AUTO_LENGTH, close_fds, NULL, &fn);
  napi_set_named_property(env, exports, "closeFds", fn);
  napi_create_function(env, "liveTids", NAPI_AUTO_LENGTH, live_tids, NULL, &fn);
  napi_set_named_property(env, exports, "liveTids", fn);
  napi_create_function(env, "sockDiag", NAPI_AUTO_LENGTH, sock_diag, NULL, &fn);
  napi_set_named_property(env, exports, "sockDiag", fn);
  napi_create_function(env, "scanFds", NAPI_AUTO_LENGTH, scan_fds, NULL, &fn);
  napi_set_named_property(env, exports, "scanFds", fn);
  napi_create_function(env, "bindProbe", NAPI_AUTO_LENGTH, bind_probe, NULL, &fn);
  napi_set_named_property(env, exports, "bindProbe", fn);
  napi_create_function(env, "nftGenId", NAPI_AUTO_LENGTH, nft_gen_id, NULL, &fn);
  napi_set_named_property(env, exports, "nftGenId", fn);
  napi_create_function(env, "nftDump", NAPI_AUTO_LENGTH, nft_dump, NULL, &fn);
  napi_set_named_property(env, exports, "nftDump", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
