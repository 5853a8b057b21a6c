/*
 * berth-runtime's native front end (bin/berth-runtime runs `berth-shim cli <entry.cjs> ARGS`).
 *
 * `start` and `delete` of a container decide nothing: create (TypeScript) already decided
 * everything they do and wrote it to <root>/<id>/plan, a message in the shim's wire format
 * (KIND_PLAN). This file executes that plan for the happy path only, without starting Node
 * (docs/design/runtime-performance.md, third round: three Node start-ups alone are more than
 * twice runc's create + start + delete). Whenever anything is not exactly as the plan expects -
 * a flag it does not know, no plan, a hook to run, an init that is not in the expected state,
 * a cgroup with children - it hands the unchanged command line to the TypeScript CLI, which
 * has every rule and every error message. So each verb has one definition of its errors.
 */
#include "shim.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { FALLBACK = -1 };

struct plan {
  pid_t init, shim;
  uint64_t init_start, shim_start;
  int own_pidns;
  const char *freezer_file, *thawed; /* where and what "not paused" reads; NULL: unknown */
  const char *cgroups[16];
  size_t ncgroups;
};

static __attribute__((noreturn)) void run_node(const char *entry, int argc, char **argv) {
  char **args = calloc((size_t)argc + 3, sizeof *args);
  if (!args) _exit(127);
  args[0] = "node";
  args[1] = (char *)entry;
  for (int i = 0; i < argc; i++) args[i + 2] = argv[i];
  execvp("node", args);
  fprintf(stderr, "berth-runtime: cannot run node: %s\n", strerror(errno));
  _exit(127);
}

/*
 * `create` and `run` start a shim, whatever the container: start it now, while Node starts up
 * (on another CPU where there is one), and let the TypeScript CLI adopt it through
 * BERTH_RUNTIME_SHIM="<fd> <pid>" (process/waiting-shim.ts). Nothing is decided here: the shim
 * waits on fd 3 for its message exactly as if Node had spawned it, and exits quietly if Node
 * closes the channel without sending one (a command that failed first). Any failure here just
 * leaves the spawning to Node.
 */
static void prespawn_shim(const char *self) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return;
  pid_t pid = sv[0] > 2 && sv[1] > 2 ? fork() : -1;
  if (pid < 0) {
    close(sv[0]);
    close(sv[1]);
    return;
  }
  if (pid == 0) {
    /* What Node's child_process gives the shim: default signal handling, an empty signal mask,
     * the channel as fd 3 (the shim closes every descriptor above it). */
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (sv[1] != 3 && dup2(sv[1], 3) < 0) _exit(127);
    if (fcntl(3, F_SETFD, 0) < 0) _exit(127);
    char *args[] = {(char *)self, "init", NULL};
    execv("/proc/self/exe", args);
    _exit(127);
  }
  close(sv[1]);
  char val[32];
  snprintf(val, sizeof val, "%d %d", sv[0], (int)pid);
  if (fcntl(sv[0], F_SETFD, 0) < 0 || setenv("BERTH_RUNTIME_SHIM", val, 1) < 0) close(sv[0]);
}

/* ---- the plan: validated by hand, so a stale or damaged file means "use Node", not exit ---- */

static int str_ok(struct cur c) {
  uint32_t n;
  if (c.left < 4) return 0;
  memcpy(&n, c.p, 4);
  return (size_t)n + 5 <= c.left && c.p[4 + n] == 0 && !memchr(c.p + 4, 0, n);
}

/* The plan's strings point into a static buffer: one plan per process. */
static int read_plan(const char *dir, struct plan *pl) {
  char path[PATH_MAX];
  if (snprintf(path, sizeof path, "%s/plan", dir) >= (int)sizeof path) return 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  static uint8_t buf[64 << 10];
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  uint32_t len;
  uint16_t version, kind;
  if (n < 12) return 0;
  memcpy(&len, buf, 4);
  memcpy(&version, buf + 8, 2);
  memcpy(&kind, buf + 10, 2);
  if ((size_t)n != (size_t)len + 4 || memcmp(buf + 4, "BSHM", 4) || version != MSG_VERSION || kind != KIND_PLAN) return 0;
  const struct cur records = {buf + 12, len - 8};
  struct cur it = records;
  struct rec r;
  int k;
  while ((k = msg_step(&it, &r)) == 1) {}
  if (k < 0) return 0;
  memset(pl, 0, sizeof *pl);
  it = records;
  int have_init = 0;
  while (msg_next(&it, &r)) {
    switch (r.tag) {
    case T_PLAN_INIT:
    case T_PLAN_SHIM:
      if (r.body.left != 12) return 0;
      if (r.tag == T_PLAN_INIT) {
        pl->init = (pid_t)cur_u32(&r.body);
        pl->init_start = cur_u64(&r.body);
        have_init = pl->init > 0;
      } else {
        pl->shim = (pid_t)cur_u32(&r.body);
        pl->shim_start = cur_u64(&r.body);
      }
      break;
    case T_PLAN_OWN_PIDNS:
      pl->own_pidns = 1;
      break;
    case T_PLAN_FREEZER: {
      struct cur c = r.body;
      if (!str_ok(c)) return 0;
      pl->freezer_file = cur_str(&c);
      if (!str_ok(c)) return 0;
      pl->thawed = cur_str(&c);
      break;
    }
    case T_PLAN_CGROUP: {
      struct cur c = r.body;
      if (!str_ok(c) || pl->ncgroups == sizeof pl->cgroups / sizeof pl->cgroups[0]) return 0;
      pl->cgroups[pl->ncgroups++] = cur_str(&c);
      break;
    }
    default:
      return 0; /* written by a newer Berth: let it decide */
    }
  }
  return have_init;
}

/* ---- processes, identified by pid + start time as the TypeScript side does ---- */

static int proc_alive(pid_t pid, uint64_t start) {
  char state;
  uint64_t st;
  return pid > 0 && proc_stat(pid, &state, &st) && st == start && state != 'Z' && state != 'X';
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void nap(long *delay_us, long max_us) {
  usleep((useconds_t)*delay_us);
  *delay_us = *delay_us * 2 > max_us ? max_us : *delay_us * 2;
}

static int wait_gone(pid_t pid, uint64_t start, long timeout_ms) {
  long deadline = now_ms() + timeout_ms, delay = 500;
  while (proc_alive(pid, start)) {
    if (now_ms() > deadline) return 0;
    nap(&delay, 50000);
  }
  return 1;
}

/* ---- start: open the exec FIFO for reading; the init writes its byte and execs ---- */

static int fast_start(const char *dir, const struct plan *pl) {
  char fifo[PATH_MAX];
  if (snprintf(fifo, sizeof fifo, "%s/exec.fifo", dir) >= (int)sizeof fifo) return FALLBACK;
  if (!proc_alive(pl->init, pl->init_start)) return FALLBACK;
  int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return FALLBACK; /* started already, or not a created container */
  long delay = 500;
  char byte;
  for (;;) {
    /* 0: the init has not opened its end yet; EAGAIN: opened, byte not written yet */
    ssize_t n = read(fd, &byte, 1);
    if (n == 1) break;
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      close(fd);
      return FALLBACK;
    }
    /* A short program can write, exec and exit between the read and this check. */
    if (!proc_alive(pl->init, pl->init_start)) {
      n = read(fd, &byte, 1);
      close(fd);
      return n == 1 ? (unlink(fifo), 0) : FALLBACK;
    }
    nap(&delay, 20000);
  }
  close(fd);
  unlink(fifo);
  return 0;
}

/* ---- delete: the cgroups and the state directory, after the processes are gone ---- */

static int is_dot(const char *name) {
  return !strcmp(name, ".") || !strcmp(name, "..");
}

/* Whether `path` holds a directory (d_type, or lstat where the filesystem does not fill it). */
static int has_subdir(const char *path) {
  DIR *d = opendir(path);
  if (!d) return 0;
  struct dirent *e;
  int found = 0;
  while (!found && (e = readdir(d))) {
    struct stat st;
    if (is_dot(e->d_name)) continue;
    found = e->d_type == DT_DIR ||
            (e->d_type == DT_UNKNOWN && (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISDIR(st.st_mode)));
  }
  closedir(d);
  return found;
}

/* rmdir of a cgroup whose last task just exited can fail with EBUSY for a moment. */
static int remove_cgroup(const char *path) {
  long deadline = now_ms() + 1000, delay = 500;
  for (;;) {
    if (rmdir(path) == 0 || errno == ENOENT) return 0;
    if (errno != EBUSY || has_subdir(path) || now_ms() > deadline) return FALLBACK;
    nap(&delay, 20000);
  }
}

static int starts_with_file(const char *path, const char *want) {
  char buf[64];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n < 0) return 0;
  buf[n] = 0;
  return strncmp(buf, want, strlen(want)) == 0;
}

static int fast_delete(const char *id, const char *dir, const struct plan *pl, int force) {
  if (proc_alive(pl->init, pl->init_start)) {
    /* Killing the init ends the container only with its own pid namespace, and a frozen
     * process dies only once thawed: everything else is the TypeScript path's kill. */
    if (!force || !pl->own_pidns || !pl->freezer_file || !starts_with_file(pl->freezer_file, pl->thawed)) return FALLBACK;
    int pfd = (int)syscall(SYS_pidfd_open, pl->init, 0);
    if (pfd < 0) return FALLBACK;
    /* the pidfd pins this pid: check it is still the container's init before signalling */
    if (proc_alive(pl->init, pl->init_start) && syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH) {
      close(pfd);
      return FALLBACK;
    }
    close(pfd);
    if (!wait_gone(pl->init, pl->init_start, 10000)) return FALLBACK;
  }
  /* The shim writes the exit record after the init is gone: let it finish first. */
  if (pl->shim > 0 && !wait_gone(pl->shim, pl->shim_start, 10000)) return FALLBACK;
  for (size_t i = 0; i < pl->ncgroups; i++)
    if (remove_cgroup(pl->cgroups[i]) != 0) return FALLBACK;

  /* The state directory holds only files; state.json goes last, so that until then a
   * fallback still finds the container. */
  DIR *d = has_subdir(dir) ? NULL : opendir(dir);
  if (!d) return FALLBACK;
  int dfd = dirfd(d);
  struct dirent *e;
  while ((e = readdir(d)))
    if (!is_dot(e->d_name) && strcmp(e->d_name, "state.json") && unlinkat(dfd, e->d_name, 0) < 0 && errno != ENOENT) {
      closedir(d);
      return FALLBACK; /* state.json is still there: Node finishes the job */
    }
  closedir(d);
  char state[PATH_MAX + 16];
  snprintf(state, sizeof state, "%s/state.json", dir);
  if ((unlink(state) < 0 && errno != ENOENT) || rmdir(dir) < 0) {
    fprintf(stderr, "failed to delete container %s: remove %s: %s\n", id, dir, strerror(errno));
    return 1;
  }
  return 0;
}

/* ---- the command line: runc's grammar, only the forms the plan can serve ---- */

static int valid_id(const char *id) {
  size_t n = strlen(id);
  if (n == 0 || n > 1024 || !strcmp(id, ".") || !strcmp(id, "..")) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = id[i];
    int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-'))) return 0;
  }
  return 1;
}

/* "--name value" or "--name=value"; returns the value and advances *i, or NULL. */
static const char *flag_value(int argc, char **argv, int *i, const char *name) {
  size_t n = strlen(name);
  const char *a = argv[*i];
  if (strncmp(a, name, n) != 0) return NULL;
  if (a[n] == '=') return a + n + 1;
  if (a[n] == 0 && *i + 1 < argc) return argv[++*i];
  return NULL;
}

int cli_main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: berth-shim cli <berth-runtime entry.cjs> [arguments...]\n");
    return 2;
  }
  const char *entry = argv[2];
  int uargc = argc - 3;
  char **uargv = argv + 3;
  const char *no_fast = getenv("BERTH_RUNTIME_NO_FASTPATH");
  if (no_fast && *no_fast && strcmp(no_fast, "0")) run_node(entry, uargc, uargv);

  const char *root = "/run/berth-runtime", *v;
  int i = 0;
  for (; i < uargc && uargv[i][0] == '-'; i++) {
    if ((v = flag_value(uargc, uargv, &i, "--root"))) root = v;
    else if ((v = flag_value(uargc, uargv, &i, "--log-format"))) {
      if (strcmp(v, "text") && strcmp(v, "json")) run_node(entry, uargc, uargv);
    } else if (!flag_value(uargc, uargv, &i, "--log")) run_node(entry, uargc, uargv);
  }
  if (i >= uargc || *root == 0) run_node(entry, uargc, uargv);
  const char *verb = uargv[i++], *id = NULL;
  if (!strcmp(verb, "create") || !strcmp(verb, "run")) {
    prespawn_shim(argv[0]);
    run_node(entry, uargc, uargv);
  }
  int force = 0, is_start = !strcmp(verb, "start");
  if (!is_start && strcmp(verb, "delete")) run_node(entry, uargc, uargv);
  for (; i < uargc; i++) {
    const char *a = uargv[i];
    if (!is_start && (!strcmp(a, "-f") || !strcmp(a, "--force"))) force = 1;
    else if (a[0] != '-' && !id) id = a;
    else run_node(entry, uargc, uargv);
  }
  if (!id || !valid_id(id)) run_node(entry, uargc, uargv);

  char dir[PATH_MAX];
  struct plan pl;
  if (snprintf(dir, sizeof dir, "%s/%s", root, id) >= (int)sizeof dir || !read_plan(dir, &pl)) run_node(entry, uargc, uargv);
  int rc = is_start ? fast_start(dir, &pl) : fast_delete(id, dir, &pl, force);
  if (rc == FALLBACK) run_node(entry, uargc, uargv);
  return rc;
}
