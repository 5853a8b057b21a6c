/*
 * berth-shim: the container process between clone() and execve(). Waits for the supervisor's
 * "G", sets up the root filesystem (init only), stdio, credentials, then reports "R", waits on
 * the exec fifo and executes the program. Order follows runc's standard_init_linux.go.
 */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int g_rootfd = -1;
static int g_userns;
static const char *g_state = ""; /* OCI state JSON for hooks, from the "G" message */

static void fdpath(int fd, char *buf, size_t n) { snprintf(buf, n, "/proc/self/fd/%d", fd); }

static int openat2_in_root(const char *path, uint64_t flags) {
  struct open_how how = {.flags = flags | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  while (*path == '/') path++;
  if (*path == 0) path = ".";
  return (int)syscall(SYS_openat2, g_rootfd, path, &how, sizeof how);
}

/*
 * O_PATH fd of `path` (container-absolute) resolved inside the rootfs: symlinks and ".." can
 * not leave it (openat2 RESOLVE_IN_ROOT). With `create`, missing components are made as
 * directories, the last one as an empty file when `as_file`.
 */
static int resolve(const char *path, int create, int as_file) {
  int fd = openat2_in_root(path, O_PATH);
  if (fd >= 0 || errno != ENOENT || !create) {
    if (fd < 0) fail("resolve %s in rootfs", path);
    return fd;
  }
  char prefix[4096] = "";
  size_t plen = 0;
  int parent = fcntl(g_rootfd, F_DUPFD_CLOEXEC, 0);
  const char *p = path;
  while (*p) {
    while (*p == '/') p++;
    const char *end = strchrnul(p, '/');
    size_t len = (size_t)(end - p);
    if (len == 0) break;
    if (plen + len + 2 >= sizeof prefix) failx("resolve %s in rootfs: path too long", path);
    char comp[256];
    if (len >= sizeof comp) failx("resolve %s in rootfs: name too long", path);
    memcpy(comp, p, len);
    comp[len] = 0;
    prefix[plen++] = '/';
    memcpy(prefix + plen, p, len);
    plen += len;
    prefix[plen] = 0;
    int last = *end == 0 || end[strspn(end, "/")] == 0;
    fd = openat2_in_root(prefix, O_PATH);
    if (fd < 0 && errno == ENOENT) {
      if (last && as_file) {
        int f = openat(parent, comp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (f < 0 && errno != EEXIST) fail("create %s in rootfs", prefix);
        if (f >= 0) close(f);
      } else if (mkdirat(parent, comp, 0755) < 0 && errno != EEXIST) {
        fail("create directory %s in rootfs", prefix);
      }
      fd = openat2_in_root(prefix, O_PATH);
    }
    if (fd < 0) fail("resolve %s in rootfs", prefix);
    close(parent);
    parent = fd;
    p = end;
  }
  return parent;
}

/* Parent directory fd (created as needed) and base name of a container path. */
static int resolve_parent(const char *path, char *base, size_t n) {
  char dir[4096];
  const char *slash = strrchr(path, '/');
  if (!slash || slash[1] == 0 || strlen(slash + 1) >= n) failx("resolve %s: not an absolute file path", path);
  snprintf(base, n, "%s", slash + 1);
  snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
  return resolve(*dir ? dir : "/", 1, 0);
}

/* MS_* flags the kernel locks on a mount seen from a user namespace; a remount must keep them. */
static unsigned long locked_flags(const char *path) {
  struct statvfs st;
  if (!g_userns || statvfs(path, &st) < 0) return 0;
  unsigned long keep = ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_NOATIME | ST_NODIRATIME | ST_RDONLY;
  return (st.f_flag & keep) | ((st.f_flag & ST_RELATIME) ? MS_RELATIME : 0);
}

static void do_mount(struct cur *c) {
  char p[64];
  uint32_t flags = cur_u32(c), remount = cur_u32(c), as_file = cur_u32(c), nprop = cur_u32(c);
  uint32_t props[8];
  if (nprop > 8) failx("read config message: too many propagation flags");
  for (uint32_t i = 0; i < nprop; i++) props[i] = cur_u32(c);
  const char *src = cur_str(c), *target = cur_str(c), *fstype = cur_str(c), *data = cur_str(c);
  int fd = resolve(target, 1, (int)as_file);
  fdpath(fd, p, sizeof p);
  if (mount(src, p, *fstype ? fstype : NULL, flags, *data ? data : NULL) < 0)
    fail("mount %s on %s", src, target);
  close(fd);
  if (!remount && !nprop) return;
  fd = resolve(target, 0, 0); /* now the new mount */
  fdpath(fd, p, sizeof p);
  if (remount && mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | remount | locked_flags(p), NULL) < 0)
    fail("remount %s", target);
  for (uint32_t i = 0; i < nprop; i++)
    if (mount(NULL, p, NULL, props[i], NULL) < 0) fail("set propagation of %s", target);
  close(fd);
}

static void do_device(struct cur *c) {
  char base[256], p[64];
  uint32_t type = cur_u32(c), major = cur_u32(c), minor = cur_u32(c), mode = cur_u32(c);
  uint32_t uid = cur_u32(c), gid = cur_u32(c);
  const char *path = cur_str(c);
  int dir = resolve_parent(path, base, sizeof base);
  if (g_userns) { /* mknod is not allowed in a user namespace: bind the host's node */
    close(resolve(path, 1, 1));
    int fd = resolve(path, 0, 0);
    fdpath(fd, p, sizeof p);
    if (mount(path, p, NULL, MS_BIND, NULL) < 0) fail("bind device %s", path);
    close(fd);
  } else {
    mode_t t = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
    if (mknodat(dir, base, t | (mode & 07777), makedev(major, minor)) < 0) {
      if (errno != EEXIST) fail("create device %s", path);
    } else if (fchmodat(dir, base, mode & 07777, 0) < 0 || fchownat(dir, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0) {
      fail("set owner and mode of device %s", path);
    }
  }
  close(dir);
}

static void do_symlink(struct cur *c) {
  char base[256];
  const char *path = cur_str(c), *target = cur_str(c);
  int dir = resolve_parent(path, base, sizeof base);
  if (symlinkat(target, dir, base) < 0 && errno != EEXIST) fail("create symlink %s", path);
  close(dir);
}

/* Hook: fork+exec with the state JSON on stdin; fail on non-zero exit or timeout. */
static void run_hooks(const struct msg *m, uint16_t tag, const char *kind) {
  struct cur it = m->records;
  struct rec r;
  while (msg_next(&it, &r)) {
    if (r.tag != tag) continue;
    uint32_t timeout = cur_u32(&r.body);
    const char *path = cur_str(&r.body);
    char *argv[256], *envp[256];
    uint32_t na = cur_u32(&r.body);
    if (na > 255) failx("run %s hook %s: too many args", kind, path);
    for (uint32_t i = 0; i < na; i++) argv[i] = (char *)cur_str(&r.body);
    if (na == 0) argv[na++] = (char *)path;
    argv[na] = NULL;
    uint32_t ne = cur_u32(&r.body);
    if (ne > 255) failx("run %s hook %s: too many env entries", kind, path);
    for (uint32_t i = 0; i < ne; i++) envp[i] = (char *)cur_str(&r.body);
    envp[ne] = NULL;
    int pp[2];
    if (pipe2(pp, O_CLOEXEC) < 0) fail("run %s hook %s: pipe", kind, path);
    pid_t pid = fork();
    if (pid < 0) fail("run %s hook %s: fork", kind, path);
    if (pid == 0) {
      dup2(pp[0], 0);
      signal(SIGPIPE, SIG_DFL);
      execve(path, argv, envp);
      _exit(127);
    }
    close(pp[0]);
    write_all(pp[1], g_state, strlen(g_state));
    close(pp[1]);
    int status = 0;
    struct timespec tick = {0, 5 * 1000 * 1000};
    for (uint64_t waited = 0;; waited += 5) {
      pid_t w = waitpid(pid, &status, WNOHANG);
      if (w == pid) break;
      if (timeout && waited >= (uint64_t)timeout * 1000) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        failx("run %s hook %s: timed out after %us", kind, path, timeout);
      }
      nanosleep(&tick, NULL);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      failx("run %s hook %s: %s %d", kind, path, WIFEXITED(status) ? "exit status" : "killed by signal",
            WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
  }
}

static void after_pivot(const struct msg *m) {
  struct cur it = m->records;
  struct rec r;
  while (msg_next(&it, &r)) {
    if (r.tag != T_SYSCTL) continue;
    const char *key = cur_str(&r.body), *val = cur_str(&r.body);
    char path[512];
    int n = snprintf(path, sizeof path, "/proc/sys/%s", key);
    for (char *s = path + 10; n > 0 && *s; s++)
      if (*s == '.') *s = '/';
    if (write_file(path, val) < 0) fail("write sysctl %s", key);
  }
  it = m->records;
  while (msg_next(&it, &r)) {
    if (r.tag != T_READONLY_PATH) continue;
    const char *path = cur_str(&r.body);
    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
      if (errno == ENOENT) continue;
      fail("bind readonly path %s", path);
    }
    if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(path), NULL) < 0)
      fail("remount readonly path %s", path);
  }
  it = m->records;
  while (msg_next(&it, &r)) {
    if (r.tag != T_MASKED) continue;
    const char *path = cur_str(&r.body);
    struct stat st;
    if (stat(path, &st) < 0) {
      if (errno == ENOENT) continue;
      fail("stat masked path %s", path);
    }
    int rc = S_ISDIR(st.st_mode) ? mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0k")
                                 : mount("/dev/null", path, NULL, MS_BIND, NULL);
    if (rc < 0) fail("mask %s", path);
  }
  if (msg_count(m, T_READONLY_ROOT) && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags("/"), NULL) < 0)
    fail("remount root read-only");
}

/*
 * pivot_root refuses (EINVAL) a new root whose parent mount is shared, which it is after
 * rootfsPropagation "shared" made / rshared, and an unbindable rootfs cannot be bound onto
 * itself: make only the mount that holds the rootfs private (in this namespace; runc does the
 * same for shared). The longest mount point that contains `rootfs`.
 */
static void holding_mount_private(const char *rootfs) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f) fail("read /proc/self/mountinfo");
  static char line[8192], best[4096];
  size_t best_len = 0;
  int best_shared = 0;
  while (fgets(line, sizeof line, f)) {
    /* id parent major:minor root mountpoint options [optional fields...] - fstype source opts */
    char *save = NULL, *mp = NULL;
    int shared = 0, i = 0;
    for (char *tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save), i++) {
      if (i == 4) mp = tok;
      else if (i >= 6 && strcmp(tok, "-") == 0) break;
      else if (i >= 6 && (strncmp(tok, "shared:", 7) == 0 || strcmp(tok, "unbindable") == 0)) shared = 1;
    }
    if (!mp) continue;
    size_t n = strlen(mp);
    int contains = strcmp(mp, "/") == 0 || (strncmp(rootfs, mp, n) == 0 && (rootfs[n] == '/' || rootfs[n] == 0));
    /* a later line for the same mount point is the mount on top */
    if (contains && n >= best_len && n < sizeof best) {
      memcpy(best, mp, n + 1);
      best_len = n;
      best_shared = shared;
    }
  }
  fclose(f);
  if (best_len && best_shared && mount(NULL, best, NULL, MS_PRIVATE, NULL) < 0) fail("make %s private", best);
}

static void setup_rootfs(const struct msg *m) {
  const char *rootfs = msg_str(m, T_ROOTFS);
  if (!rootfs) failx("set up rootfs: the message has no rootfs");
  /* Node refuses such a message too: in the runtime's own mount namespace the mounts and
   * pivot_root below would change the host's file system view. */
  if (ns_request(m, CLONE_NEWNS) == NS_NONE) failx("set up rootfs: the process has no mount namespace of its own");
  struct cur c;
  uint32_t prop = msg_find(m, T_ROOT_PROPAGATION, &c) ? cur_u32(&c) : (MS_REC | MS_SLAVE);
  if (mount(NULL, "/", NULL, prop, NULL) < 0) fail("set propagation of /");
  if (prop & (MS_SHARED | MS_UNBINDABLE)) holding_mount_private(rootfs);
  if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0) fail("bind rootfs %s", rootfs);
  if ((g_rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) fail("open rootfs %s", rootfs);
  struct cur it = m->records;
  struct rec r;
  while (msg_next(&it, &r)) {
    if (r.tag == T_MOUNT) do_mount(&r.body);
  }
  it = m->records;
  while (msg_next(&it, &r)) {
    if (r.tag == T_DEVICE) do_device(&r.body);
  }
  it = m->records;
  while (msg_next(&it, &r)) {
    if (r.tag == T_SYMLINK) do_symlink(&r.body);
  }
  run_hooks(m, T_HOOK_CREATE_CONTAINER, "createContainer");
  /* pivot_root(".", ".") stacks the old root on the new one; detach it (runc does the same). */
  if (fchdir(g_rootfd) < 0) fail("enter rootfs %s", rootfs);
  if (syscall(SYS_pivot_root, ".", ".") < 0) fail("pivot_root to %s", rootfs);
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) fail("make old root a slave");
  if (umount2(".", MNT_DETACH) < 0) fail("unmount old root");
  if (chdir("/") < 0) fail("chdir to new root");
  /* the new root came from a private mount: give it the configured propagation */
  if ((prop & (MS_SHARED | MS_UNBINDABLE)) && mount(NULL, "/", NULL, prop, NULL) < 0) fail("set propagation of the new /");
  close(g_rootfd);
  after_pivot(m);
}

static int send_fd(int sock, int fd) {
  char byte = 0, cbuf[CMSG_SPACE(sizeof(int))];
  memset(cbuf, 0, sizeof cbuf);
  struct iovec iov = {&byte, 1};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &fd, sizeof fd);
  return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

static void setup_stdio(const struct msg *m, struct child_ctx *ctx, uid_t uid, gid_t gid) {
  if (ctx->console >= 0) {
    int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) fail("open /dev/pts/ptmx");
    int unlock = 0;
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0) fail("unlock pty");
    int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    if (slave < 0) fail("open pty peer");
    struct cur c;
    if (msg_find(m, T_CONSOLE_SIZE, &c)) {
      struct winsize ws = {0};
      ws.ws_row = (unsigned short)cur_u32(&c);
      ws.ws_col = (unsigned short)cur_u32(&c);
      if (ioctl(slave, TIOCSWINSZ, &ws) < 0) fail("set console size");
    }
    if (fchown(slave, uid, gid) < 0) fail("chown console");
    if (send_fd(ctx->console, master) < 0) fail("send console master over the console socket");
    close(master);
    close(ctx->console);
    if (setsid() < 0) fail("setsid");
    if (ioctl(slave, TIOCSCTTY, 0) < 0) fail("set controlling terminal");
    for (int i = 0; i < 3; i++)
      if (dup2(slave, i) < 0) fail("dup2 console");
    if (slave > 2) close(slave);
  } else if (ctx->stdio[0] >= 0) {
    for (int i = 0; i < 3; i++)
      if (dup2(ctx->stdio[i], i) < 0) fail("dup2 stdio");
  }
}

static void drop_privileges(const struct msg *m, uid_t uid, gid_t gid, const uint8_t *gids_raw, uint32_t ngids) {
  struct cur c;
  int has_caps = msg_find(m, T_CAPS, &c);
  uint64_t bnd = 0, eff = 0, perm = 0, inh = 0, amb = 0;
  if (has_caps) {
    bnd = cur_u64(&c), eff = cur_u64(&c), perm = cur_u64(&c), inh = cur_u64(&c), amb = cur_u64(&c);
    for (int cap = 0; cap < 64; cap++) {
      if (bnd & (1ULL << cap)) continue;
      if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
        if (errno == EINVAL) break; /* past the kernel's last capability */
        fail("drop capability %d from the bounding set", cap);
      }
    }
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) fail("set keepcaps");
  }
  gid_t gids[256];
  if (ngids > 256) failx("set groups: too many additional gids");
  memcpy(gids, gids_raw, ngids * sizeof(gid_t));
  if (setgroups(ngids, gids) < 0 && !(errno == EPERM && ngids == 0 && msg_count(m, T_SETGROUPS_DENY)))
    fail("set additional groups");
  if (setresgid(gid, gid, gid) < 0) fail("set gid %u", gid);
  if (setresuid(uid, uid, uid) < 0) fail("set uid %u", uid);
  if (!has_caps) return;
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) fail("clear keepcaps");
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {
      {(uint32_t)eff, (uint32_t)perm, (uint32_t)inh},
      {(uint32_t)(eff >> 32), (uint32_t)(perm >> 32), (uint32_t)(inh >> 32)},
  };
  if (syscall(SYS_capset, &hdr, data) < 0) fail("set capabilities");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) fail("clear ambient capabilities");
  for (int cap = 0; cap < 64; cap++)
    if ((amb & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      fail("raise ambient capability %d", cap);
}

static void load_seccomp(const struct msg *m) {
  struct cur c;
  if (!msg_find(m, T_SECCOMP, &c)) return;
  size_t len;
  const uint8_t *bytes = cur_bytes(&c, &len);
  if (len == 0 || len % sizeof(struct sock_filter) || len / 8 > 65535)
    failx("load seccomp filter: %zu bytes is not a valid sock_filter program", len);
  struct sock_filter *filter = malloc(len); /* the message copy is not aligned */
  if (!filter) failx("load seccomp filter: out of memory");
  memcpy(filter, bytes, len);
  struct sock_fprog prog = {.len = (unsigned short)(len / 8), .filter = filter};
  uint32_t flags = msg_find(m, T_SECCOMP_FLAGS, &c) ? cur_u32(&c) : 0;
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) < 0) fail("load seccomp filter");
}

/* PATH search in the process's own environment, like runc (Go's exec.LookPath). */
static const char *lookup(const char *file, char **envp, char *buf, size_t n) {
  struct stat st;
  if (strchr(file, '/')) {
    if (stat(file, &st) < 0) return NULL;
    if (!S_ISREG(st.st_mode) || access(file, X_OK) < 0) {
      errno = EACCES;
      return NULL;
    }
    return file;
  }
  const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (char **e = envp; *e; e++)
    if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
  while (1) {
    const char *end = strchrnul(path, ':');
    int len = (int)(end - path);
    snprintf(buf, n, "%.*s/%s", len ? len : 1, len ? path : ".", file);
    if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0) return buf;
    if (*end == 0) return NULL;
    path = end + 1;
  }
}

/* Personality, I/O priority, scheduler and CPU affinity of the process (before privileges are
 * dropped: real-time classes need CAP_SYS_NICE / CAP_SYS_ADMIN). */
/* sched_setattr(2)'s struct, first version (glibc has no wrapper; the kernel header clashes with
 * glibc's sched.h). */
struct sched_attr_v0 {
  uint32_t size, sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
};

static void set_scheduling(const struct msg *m) {
  struct cur c;
  if (msg_find(m, T_PERSONALITY, &c) && personality(cur_u32(&c)) < 0) fail("set personality");
  if (msg_find(m, T_IOPRIO, &c) && syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, (int)cur_u32(&c)) < 0) fail("set I/O priority");
  if (msg_find(m, T_SCHED, &c)) {
    struct sched_attr_v0 attr = {.size = sizeof attr};
    attr.sched_policy = cur_u32(&c);
    attr.sched_flags = cur_u64(&c);
    attr.sched_nice = (int32_t)cur_u32(&c);
    attr.sched_priority = cur_u32(&c);
    attr.sched_runtime = cur_u64(&c);
    attr.sched_deadline = cur_u64(&c);
    attr.sched_period = cur_u64(&c);
    if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0) fail("set scheduler policy %u", attr.sched_policy);
  }
  if (msg_find(m, T_CPU_AFFINITY, &c)) {
    size_t len;
    const uint8_t *mask = cur_bytes(&c, &len);
    if (syscall(SYS_sched_setaffinity, 0, len, mask) < 0) fail("set CPU affinity");
  }
}

/* A new cgroup namespace, when the message asks for one. */
static void unshare_cgroupns(const struct msg *m) {
  if (ns_request(m, CLONE_NEWCGROUP) == NS_NEW && unshare(CLONE_NEWCGROUP) < 0) fail("unshare cgroup namespace");
}

/* The supervisor (or stage1) placed this process in its cgroups while it set up: wait for that. */
static void wait_for_placement(struct child_ctx *ctx) {
  char c = 0;
  if (recv(ctx->sync, &c, 1, 0) != 1 || c != 'C') failx("wait for cgroup placement: the supervisor went away");
}

void child_main(const struct msg *m, struct child_ctx *ctx) {
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, NULL);
  /* T_CGROUP_SELF: v1 `tasks` files. Writing "0" moves the calling thread - this whole process,
   * which has one - without the global cgroup lock that a pid written to cgroup.procs takes,
   * so without its RCU grace period (~5-15 ms here, on the critical path of every start). */
  if (msg_count(m, T_CGROUP_SELF)) {
    struct cur it = m->records;
    struct rec r;
    while (msg_next(&it, &r))
      if (r.tag == T_CGROUP_SELF) {
        const char *file = cur_str(&r.body);
        if (write_file(file, "0") < 0) fail("add process to cgroup %s", file);
      }
    if (send(ctx->sync, "C", 1, MSG_NOSIGNAL) < 0) fail("report cgroup placement");
  }
  g_userns = ctx->in_userns;
  size_t cap = (1u << 20) + 2;
  char *go = malloc(cap);
  if (!go) failx("wait for go: out of memory");
  ssize_t n = recv(ctx->sync, go, cap - 1, 0);
  if (n < 1 || go[0] != 'G') failx("wait for go: the supervisor went away");
  go[n] = 0;
  g_state = go + 1;
  /* our kernel uid is still the creator's, unmapped inside: become the namespace's root (runc) */
  if (g_userns && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) fail("become root in the user namespace");
  struct cur c;
  uid_t uid = 0;
  gid_t gid = 0;
  uint32_t umask_v = 022, ngids = 0;
  const uint8_t *gids = NULL;
  if (msg_find(m, T_USER, &c)) {
    uid = cur_u32(&c), gid = cur_u32(&c), umask_v = cur_u32(&c), ngids = cur_u32(&c);
    if ((size_t)ngids * 4 > c.left) failx("read config message: truncated gid list");
    gids = c.p;
  }
  if (m->kind == KIND_INIT) {
    /* A new cgroup namespace is rooted at the cgroups the process is in when it is made, so it
     * waits for the placement. The supervisor places the process before "go" unless the
     * placement was deferred (T_DEFER_CGROUP): then the mounts overlap the placement, and the
     * namespace follows it. */
    int deferred = msg_count(m, T_DEFER_CGROUP) > 0;
    if (!deferred) unshare_cgroupns(m);
    const char *s;
    if ((s = msg_str(m, T_HOSTNAME)) && sethostname(s, strlen(s)) < 0) fail("set hostname");
    if ((s = msg_str(m, T_DOMAINNAME)) && setdomainname(s, strlen(s)) < 0) fail("set domainname");
    umask(0);
    setup_rootfs(m);
    if (deferred) {
      wait_for_placement(ctx);
      unshare_cgroupns(m);
    }
  }
  struct cur it = m->records;
  struct rec r;
  while (msg_next(&it, &r)) {
    if (r.tag != T_RLIMIT) continue;
    uint32_t res = cur_u32(&r.body);
    struct rlimit rl = {.rlim_cur = cur_u64(&r.body), .rlim_max = cur_u64(&r.body)};
    if (setrlimit((int)res, &rl) < 0) fail("set rlimit %u", res);
  }
  set_scheduling(m);
  setup_stdio(m, ctx, uid, gid);
  const char *cwd = msg_str(m, T_CWD);
  if (cwd && chdir(cwd) < 0) fail("chdir to %s", cwd);
  int nnp = msg_count(m, T_NO_NEW_PRIVS) > 0;
  if (!nnp) load_seccomp(m); /* without no_new_privs this needs CAP_SYS_ADMIN: before dropping it */
  drop_privileges(m, uid, gid, gids, ngids);
  if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail("set no_new_privs");
  char **argv = msg_strv(m, T_ARG), **envp = msg_strv(m, T_ENV);
  if (!argv[0]) failx("exec: the process has no args");
  char pathbuf[4096];
  const char *exe = lookup(argv[0], envp, pathbuf, sizeof pathbuf);
  if (!exe && strchr(argv[0], '/')) fail("exec %s", argv[0]);
  if (!exe) failx("exec %s: executable file not found in $PATH", argv[0]);
  char fifo[64] = "";
  if (ctx->fifo >= 0) {
    fdpath(ctx->fifo, fifo, sizeof fifo);
    if (access(fifo, F_OK) < 0) fail("find exec fifo (is /proc mounted?)");
  }
  umask(umask_v);
  if (send(ctx->sync, "R", 1, MSG_NOSIGNAL) < 0) fail("report ready");
  g_err_prefix = 2; /* from now on failures go to the process's stderr */
  if (ctx->fifo >= 0) {
    int fd = open(fifo, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) fail("open exec fifo");
    close(fd);
    close(ctx->fifo);
  }
  if (m->kind == KIND_INIT) run_hooks(m, T_HOOK_START_CONTAINER, "startContainer");
  if (nnp) load_seccomp(m);
  signal(SIGPIPE, SIG_DFL);
  execve(exe, argv, envp);
  fail("exec %s", exe);
}
