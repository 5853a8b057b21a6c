/*
 * berth-shim: the fork->exec window of Berth containers (see DESIGN.md "Process model").
 *
 *   berth-shim init|exec   with the config message on fd 3 (a socketpair from Node)
 *   berth-shim cli ...     berth-runtime's front end (fastpath.c)
 *
 * The process started by Node is the supervisor. It forks "stage1", which joins namespaces
 * given by path and clone()s the container process with the new namespaces, reports its pid
 * and exits, so the process is reparented to the supervisor (a child subreaper). The
 * supervisor writes id maps and cgroup membership, reports "pid N" to Node, waits for Node's
 * "G" + u32 length + state JSON (createRuntime hooks ran), releases the process and forwards its "ready" or error.
 * It then supervises: forwards signals, writes logs, records the exit status.
 *
 * Control channel (fd 3) lines from the shim: "pid N START SHIMSTART\n" (start times: field 22
 * of /proc/<pid>/stat of the process and of the shim), "ready\n", "error <text>\n".
 * Sync channel (SOCK_SEQPACKET, supervisor <-> stage1/child): "P<pid>", "G", "R", "E<text>".
 */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

int g_errfd = 3;
int g_err_prefix = 0;
static pid_t g_child = -1; /* supervisor: the container process to kill on failure */

int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int write_file(const char *path, const char *data) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t len = strlen(data);
  ssize_t n = write(fd, data, len); /* one write: id maps and cgroup files need that */
  int saved = errno;
  close(fd);
  if (n != (ssize_t)len) {
    errno = n < 0 ? saved : EIO;
    return -1;
  }
  return 0;
}

static __attribute__((noreturn)) void report_and_exit(const char *text) {
  if (g_err_prefix == 1) {
    char buf[2048];
    int n = snprintf(buf, sizeof buf, "E%s", text);
    send(g_errfd, buf, (size_t)(n < (int)sizeof buf ? n : (int)sizeof buf - 1), MSG_NOSIGNAL);
  } else if (g_err_prefix == 2) {
    dprintf(2, "berth-shim: %s\n", text);
  } else if (g_errfd >= 0) {
    dprintf(g_errfd, "error %s\n", text);
  }
  if (g_child > 0) {
    kill(g_child, SIGKILL);
    waitpid(g_child, NULL, 0);
  }
  _exit(g_err_prefix == 2 ? 127 : 1);
}

void fail(const char *fmt, ...) {
  int e = errno;
  char buf[1800];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n >= 0 && (size_t)n < sizeof buf) snprintf(buf + n, sizeof buf - (size_t)n, ": %s", strerror(e));
  report_and_exit(buf);
}

void failx(const char *fmt, ...) {
  char buf[1800];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  report_and_exit(buf);
}

int proc_stat(pid_t pid, char *state, uint64_t *start_time) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  char *p = strrchr(buf, ')'); /* comm may hold spaces and ')' */
  if (!p || p[1] != ' ') return 0;
  char *q = p + 2; /* field 3 */
  if (state) *state = *q;
  for (int field = 3; field < 22; field++) {
    q = strchr(q, ' ');
    if (!q) return 0;
    q++;
  }
  *start_time = strtoull(q, NULL, 10);
  return 1;
}

/* ---- message decoding ---- */

static void read_full(int fd, void *buf, size_t len) {
  uint8_t *p = buf;
  while (len > 0) {
    ssize_t n = read(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("read config message");
    if (n == 0) failx("read config message: unexpected end of input");
    p += n;
    len -= (size_t)n;
  }
}

void msg_read(int fd, struct msg *m) {
  uint32_t len;
  /* End of input before the first byte: the caller decided not to use this shim (a shim
   * started ahead by berth-runtime's front end, for a command that failed or took another
   * path). Nothing was asked, so there is nothing to report. */
  ssize_t first;
  while ((first = read(fd, &len, 1)) < 0 && errno == EINTR) {}
  if (first == 0) exit(0);
  if (first < 0) fail("read config message");
  read_full(fd, (uint8_t *)&len + 1, 3);
  if (len < 8 || len > (64u << 20)) failx("read config message: invalid length %u", len);
  m->buf = malloc(len);
  if (!m->buf) failx("read config message: out of memory");
  read_full(fd, m->buf, len);
  m->len = len;
  if (memcmp(m->buf, "BSHM", 4) != 0) failx("read config message: bad magic");
  uint16_t version, kind;
  memcpy(&version, m->buf + 4, 2);
  memcpy(&kind, m->buf + 6, 2);
  if (version != MSG_VERSION) failx("read config message: version %u, shim speaks %u", version, MSG_VERSION);
  m->kind = kind;
  m->records = (struct cur){m->buf + 8, len - 8};
  struct cur it = m->records;
  struct rec r;
  while (msg_next(&it, &r)) {} /* validates the framing once */
}

int msg_step(struct cur *it, struct rec *r) {
  if (it->left == 0) return 0;
  if (it->left < 6) return -1;
  uint32_t len;
  memcpy(&r->tag, it->p, 2);
  memcpy(&len, it->p + 2, 4);
  if (len > it->left - 6) return -2;
  r->body = (struct cur){it->p + 6, len};
  it->p += 6 + (size_t)len;
  it->left -= 6 + (size_t)len;
  return 1;
}

int msg_next(struct cur *it, struct rec *r) {
  int k = msg_step(it, r);
  if (k == -1) failx("read config message: truncated record header");
  if (k == -2) failx("read config message: record %u overruns the message", r->tag);
  return k;
}

uint32_t cur_u32(struct cur *c) {
  uint32_t v;
  if (c->left < 4) failx("read config message: truncated field");
  memcpy(&v, c->p, 4);
  c->p += 4;
  c->left -= 4;
  return v;
}

uint64_t cur_u64(struct cur *c) {
  uint64_t v;
  if (c->left < 8) failx("read config message: truncated field");
  memcpy(&v, c->p, 8);
  c->p += 8;
  c->left -= 8;
  return v;
}

const uint8_t *cur_bytes(struct cur *c, size_t *len) {
  uint32_t n = cur_u32(c);
  if ((size_t)n + 1 > c->left) failx("read config message: truncated string");
  const uint8_t *p = c->p;
  if (p[n] != 0) failx("read config message: unterminated string");
  c->p += n + 1;
  c->left -= (size_t)n + 1;
  *len = n;
  return p;
}

const char *cur_str(struct cur *c) {
  size_t n;
  const char *s = (const char *)cur_bytes(c, &n);
  if (memchr(s, 0, n)) failx("read config message: string with NUL byte");
  return s;
}

int msg_find(const struct msg *m, uint16_t tag, struct cur *out) {
  struct cur it = m->records;
  struct rec r;
  while (msg_next(&it, &r))
    if (r.tag == tag) {
      *out = r.body;
      return 1;
    }
  return 0;
}

const char *msg_str(const struct msg *m, uint16_t tag) {
  struct cur c;
  return msg_find(m, tag, &c) ? cur_str(&c) : NULL;
}

size_t msg_count(const struct msg *m, uint16_t tag) {
  struct cur it = m->records;
  struct rec r;
  size_t n = 0;
  while (msg_next(&it, &r)) n += r.tag == tag;
  return n;
}

char **msg_strv(const struct msg *m, uint16_t tag) {
  size_t n = msg_count(m, tag), i = 0;
  char **v = calloc(n + 1, sizeof *v);
  if (!v) failx("read config message: out of memory");
  struct cur it = m->records;
  struct rec r;
  while (msg_next(&it, &r))
    if (r.tag == tag) v[i++] = (char *)cur_str(&r.body);
  return v;
}

/* Writes the process into every cgroup of the message (one cgroup.procs per hierarchy). */
static void place_in_cgroups(const struct msg *m, pid_t pid) {
  char pidstr[32];
  snprintf(pidstr, sizeof pidstr, "%d", pid);
  struct cur it = m->records;
  struct rec r;
  while (msg_next(&it, &r)) {
    if (r.tag != T_CGROUP_PROCS) continue;
    const char *file = cur_str(&r.body);
    if (write_file(file, pidstr) < 0) fail("add process %d to cgroup %s", pid, file);
  }
}

/* ---- stage1: join namespaces, clone the container process ---- */

static __attribute__((noreturn)) void stage1(const struct msg *m, struct child_ctx *ctx, int place) {
  int fds[16], types[16], n = 0, join_user = 0;
  unsigned long newflags = 0;
  struct cur it = m->records;
  struct rec r;
  while (msg_next(&it, &r)) {
    if (r.tag != T_NS) continue;
    uint32_t flag = cur_u32(&r.body);
    const char *path = cur_str(&r.body);
    if (*path == 0) {
      newflags |= flag;
      continue;
    }
    if (n == 16) failx("join namespaces: too many namespaces");
    fds[n] = open(path, O_RDONLY | O_CLOEXEC); /* all opened before any setns changes the view */
    if (fds[n] < 0) fail("open namespace %s", path);
    types[n++] = (int)flag;
    join_user |= flag == CLONE_NEWUSER;
  }
  /* user first (the others may be owned by it), mount last (it changes path resolution) */
  for (int pass = 0; pass < 3; pass++)
    for (int i = 0; i < n; i++) {
      int want = pass == 0 ? types[i] == CLONE_NEWUSER
               : pass == 1 ? types[i] != CLONE_NEWUSER && types[i] != CLONE_NEWNS
                           : types[i] == CLONE_NEWNS;
      if (want && setns(fds[i], types[i]) < 0) fail("join namespace of type 0x%x", (unsigned)types[i]);
    }
  for (int i = 0; i < n; i++) close(fds[i]);
  if (newflags & CLONE_NEWTIME) {
    if (unshare(CLONE_NEWTIME) < 0) fail("unshare time namespace");
    /* linux.timeOffsets: written before the child, its first process, enters it */
    char offs[256];
    size_t off = 0;
    it = m->records;
    while (msg_next(&it, &r)) {
      if (r.tag != T_TIME_OFFSET) continue;
      int k = snprintf(offs + off, sizeof offs - off, "%s\n", cur_str(&r.body));
      if (k < 0 || (size_t)k >= sizeof offs - off) failx("set time namespace offsets: too many");
      off += (size_t)k;
    }
    if (off > 0 && write_file("/proc/self/timens_offsets", offs) < 0) fail("set time namespace offsets");
  }
  ctx->in_userns = join_user || (newflags & CLONE_NEWUSER);
  unsigned long cflags = newflags & ~(unsigned long)(CLONE_NEWCGROUP | CLONE_NEWTIME);
  pid_t pid = (pid_t)syscall(SYS_clone, cflags | SIGCHLD, 0, 0, 0, 0);
  if (pid < 0) fail("clone container process");
  if (pid == 0) child_main(m, ctx);
  char buf[32];
  int len = snprintf(buf, sizeof buf, "P%d", pid);
  if (send(ctx->sync, buf, (size_t)len, MSG_NOSIGNAL) < 0) {
    kill(pid, SIGKILL);
    _exit(1);
  }
  /* Deferred placement, done here so that its wait runs alongside the supervisor's report to
   * the caller, the caller's "go" and the child's mounts; the supervisor reaps us before it
   * tells the child "C". A failure goes to the supervisor as "E<text>" and exit status 1. */
  if (place) place_in_cgroups(m, pid);
  _exit(0);
}

/* Whether the message joins any existing namespace (stage1 then sees other mounts or ids). */
static int joins_namespace(const struct msg *m) {
  struct cur it = m->records;
  struct rec r;
  while (msg_next(&it, &r))
    if (r.tag == T_NS) {
      cur_u32(&r.body);
      if (*cur_str(&r.body) != 0) return 1;
    }
  return 0;
}

/* ---- supervisor side of the start ---- */

static int connect_unix(const char *path) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path) failx("connect console socket %s: path too long", path);
  strcpy(sa.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("create console socket");
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) fail("connect console socket %s", path);
  return fd;
}

static void write_map(const struct msg *m, uint16_t tag, pid_t pid, const char *file) {
  char buf[4096], path[64];
  size_t off = 0;
  struct cur it = m->records;
  struct rec r;
  while (msg_next(&it, &r)) {
    if (r.tag != tag) continue;
    uint32_t inside = cur_u32(&r.body), host = cur_u32(&r.body), size = cur_u32(&r.body);
    int k = snprintf(buf + off, sizeof buf - off, "%u %u %u\n", inside, host, size);
    if (k < 0 || (size_t)k >= sizeof buf - off) failx("write %s: too many mappings", file);
    off += (size_t)k;
  }
  if (off == 0) return;
  snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
  if (write_file(path, buf) < 0) fail("write %s", path);
}

int ns_request(const struct msg *m, uint32_t flag) {
  struct cur it = m->records;
  struct rec r;
  while (msg_next(&it, &r))
    if (r.tag == T_NS && cur_u32(&r.body) == flag) return *cur_str(&r.body) == 0 ? NS_NEW : NS_JOINED;
  return NS_NONE;
}

static int start(const struct msg *m, int ctl) {
  struct child_ctx ctx = {.sync = -1, .console = -1, .fifo = -1, .stdio = {-1, -1, -1}};
  struct log_cfg logs = {.pipes = {-1, -1}};
  int sp[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) fail("create sync socket");
  const char *console = msg_str(m, T_CONSOLE_SOCKET);
  if (console) ctx.console = connect_unix(console);
  /* The exec FIFO is made here rather than by the caller: Node has no mkfifo, and loading an
   * FFI addon just for it cost every `berth-runtime create` ~15 ms. */
  const char *fifo = msg_str(m, T_EXEC_FIFO);
  if (fifo && mkfifo(fifo, 0600) < 0) fail("create exec fifo %s", fifo);
  struct cur c;
  if (fifo && msg_find(m, T_EXEC_FIFO_OWNER, &c)) {
    uid_t uid = cur_u32(&c);
    gid_t gid = cur_u32(&c);
    if (chown(fifo, uid, gid) < 0) fail("chown exec fifo %s", fifo);
  }
  if (fifo && (ctx.fifo = open(fifo, O_PATH | O_CLOEXEC)) < 0) fail("open exec fifo %s", fifo);
  if (msg_find(m, T_STDIO_FILES, &c)) {
    int out[2], err[2];
    logs.paths[0] = cur_str(&c);
    logs.paths[1] = cur_str(&c);
    logs.max_size = cur_u64(&c);
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) fail("create stdio pipes");
    if ((ctx.stdio[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) fail("open /dev/null");
    ctx.stdio[1] = out[1];
    ctx.stdio[2] = err[1];
    logs.pipes[0] = out[0];
    logs.pipes[1] = err[0];
  }
  /* The first cgroup.procs write after a quiet spell waits for an RCU grace period (~5 ms
   * here; runc and crun wait too). Without hooks that could look at the process before it is
   * ready (T_DEFER_CGROUP), that wait runs alongside the rest of the start instead of before
   * it: in stage1 when it joins no namespace (its view of /sys/fs/cgroup is ours), else here
   * after "go". Either way the child waits for "C" before it reports ready. */
  int defer_cgroup = msg_count(m, T_DEFER_CGROUP) > 0;
  int stage1_places = defer_cgroup && !joins_namespace(m);
  pid_t p1 = fork();
  if (p1 < 0) fail("fork stage1");
  if (p1 == 0) {
    close(sp[0]);
    close(ctl);
    ctx.sync = g_errfd = sp[1];
    g_err_prefix = 1;
    stage1(m, &ctx, stage1_places);
  }
  close(sp[1]);
  /* stage1 reports the pid ("P<pid>"). A process that places itself in its cgroups
   * (T_CGROUP_SELF) reports "C" once it has, before it waits for "go": either comes first. */
  int placed = msg_count(m, T_CGROUP_SELF) == 0;
  char buf[2048];
  ssize_t n;
  for (;;) {
    n = recv(sp[0], buf, sizeof buf - 1, 0);
    if (n > 1 && buf[0] == 'P') {
      buf[n] = 0;
      g_child = (pid_t)atoi(buf + 1);
    } else if (n == 1 && buf[0] == 'C' && !placed) {
      placed = 1;
    } else {
      break;
    }
    if (g_child > 0 && placed) break;
  }
  if (!stage1_places || g_child <= 0) waitpid(p1, NULL, 0);
  if (g_child <= 0 || !placed) {
    if (n <= 0) failx(g_child <= 0 ? "start container process: stage1 exited without reporting a pid" : "start container process: it exited before it was in its cgroups");
    buf[n] = 0;
    if (buf[0] == 'E') failx("%s", buf + 1);
    failx("start container process: unexpected sync message");
  }

  if (ns_request(m, CLONE_NEWUSER) == NS_NEW) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/setgroups", g_child);
    if (msg_count(m, T_SETGROUPS_DENY) && write_file(path, "deny") < 0) fail("write %s", path);
    write_map(m, T_UIDMAP, g_child, "uid_map");
    write_map(m, T_GIDMAP, g_child, "gid_map");
  }
  if (!defer_cgroup) place_in_cgroups(m, g_child);
  if (msg_find(m, T_OOM_SCORE_ADJ, &c)) {
    char path[64], val[16];
    snprintf(path, sizeof path, "/proc/%d/oom_score_adj", g_child);
    snprintf(val, sizeof val, "%d", (int32_t)cur_u32(&c));
    if (write_file(path, val) < 0) fail("write %s", path);
  }
  const char *oom_file = msg_str(m, T_OOM_FILE);
  long oom_before = oom_file ? oom_count(oom_file) : -1;

  /* The start time is read here, while the process waits: later, /proc/<pid>/stat contends
   * with its execve for the mm lock. With the pid it identifies the process across pid reuse. */
  uint64_t start_time = 0, own_start = 0;
  proc_stat(g_child, NULL, &start_time);
  proc_stat(getpid(), NULL, &own_start);
  dprintf(ctl, "pid %d %llu %llu\n", g_child, (unsigned long long)start_time, (unsigned long long)own_start);
  char go = 0;
  while ((n = read(ctl, &go, 1)) < 0 && errno == EINTR) {}
  if (n != 1 || go != 'G') failx("wait for go: the caller closed the control channel");
  /* "G" carries the OCI state JSON for the shim-run hooks (it names the pid, known only now) */
  uint32_t slen;
  read_full(ctl, &slen, 4);
  if (slen > (1u << 20)) failx("read hook state: %u bytes is too large", slen);
  char *go_msg = malloc(slen + 1);
  if (!go_msg) failx("read hook state: out of memory");
  go_msg[0] = 'G';
  read_full(ctl, go_msg + 1, slen);
  if (send(sp[0], go_msg, slen + 1, MSG_NOSIGNAL) < 0) fail("release container process");
  free(go_msg);
  if (stage1_places) {
    int st = 0;
    while (waitpid(p1, &st, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      n = recv(sp[0], buf, sizeof buf - 1, MSG_DONTWAIT);
      buf[n > 0 ? n : 0] = 0;
      failx("%s", n > 1 && buf[0] == 'E' ? buf + 1 : "add process to its cgroups: stage1 failed");
    }
  } else if (defer_cgroup) {
    place_in_cgroups(m, g_child);
  }
  /* A child that failed meanwhile is gone (EPIPE): its "E<text>" is read just below. */
  if (defer_cgroup && send(sp[0], "C", 1, MSG_NOSIGNAL) < 0 && errno != EPIPE && errno != ECONNRESET) fail("report cgroup placement");
  n = recv(sp[0], buf, sizeof buf - 1, 0);
  if (n <= 0) failx("start container process: it exited before it was ready");
  buf[n] = 0;
  if (buf[0] == 'E') failx("%s", buf + 1);
  if (buf[0] != 'R') failx("start container process: unexpected sync message");
  close(sp[0]);
  dprintf(ctl, "ready\n");
  /* The control channel stays open (close-on-exec) until the shim exits: its end of file tells
   * a caller that did not spawn the shim, and so cannot wait for it, that it is gone. */
  g_errfd = -1;
  if (ctx.console >= 0) close(ctx.console);
  if (ctx.fifo >= 0) close(ctx.fifo);
  for (int i = 0; i < 3; i++)
    if (ctx.stdio[i] >= 0) close(ctx.stdio[i]);
  pid_t child = g_child;
  g_child = -1;
  return supervise(child, &logs, msg_str(m, T_EXIT_FILE), oom_file, oom_before);
}

int shim_main(const char *role) {
  if (fcntl(3, F_SETFD, FD_CLOEXEC) < 0) {
    fprintf(stderr, "berth-shim: fd 3 (control channel) is not open\n");
    return 2;
  }
  /* Stdio and the channel only: nothing else the caller left open reaches the supervisor, the
   * container or its hooks (Node's spawners pass on every descriptor not marked close-on-exec). */
  if (syscall(SYS_close_range, 4U, ~0U, 0U) < 0)
    for (long fd = 4, max = sysconf(_SC_OPEN_MAX); fd < max; fd++) close((int)fd);
  signal(SIGPIPE, SIG_IGN);
  sigset_t set;
  sigemptyset(&set);
  int sigs[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGALRM};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaddset(&set, sigs[i]);
  sigprocmask(SIG_BLOCK, &set, NULL);
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) fail("become child subreaper");
  struct msg m;
  msg_read(3, &m);
  uint16_t want = strcmp(role, "init") == 0 ? KIND_INIT : KIND_EXEC;
  if (m.kind != want) failx("read config message: kind %u does not match role %s", m.kind, role);
  /* Detached: a session of its own, so the caller's terminal signals do not reach it. A shim
   * spawned with setsid already leads one. */
  if (msg_count(&m, T_SETSID) && getsid(0) != getpid() && setsid() < 0) fail("setsid");
  return start(&m, 3);
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "cli") == 0) return cli_main(argc, argv);
  if (argc != 2 || (strcmp(argv[1], "init") != 0 && strcmp(argv[1], "exec") != 0)) {
    fprintf(stderr, "usage: berth-shim init|exec  (config message on fd 3)\n");
    return 2;
  }
  return shim_main(argv[1]);
}
