/*
 * berth-shim: the supervisor loop. Reaps children (it is a child subreaper), forwards signals
 * to the container process, copies its stdout/stderr pipes into CRI log files
 * (`<RFC3339Nano> <stdout|stderr> <P|F> <line>`, rotated to <path>.1 at max_size) and writes
 * the exit record atomically (tmp + rename).
 */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 16384

struct sink { const char *path; int fd; uint64_t size, max; };
struct stream { int in; const char *name; struct sink *sink; size_t used; char buf[LINE_MAX_BYTES]; };

static void sink_open(struct sink *s, int trunc) {
  s->fd = open(s->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (trunc ? O_TRUNC : 0), 0640);
  struct stat st;
  s->size = (s->fd >= 0 && fstat(s->fd, &st) == 0) ? (uint64_t)st.st_size : 0;
}

static void emit(struct stream *st, const char *data, size_t len, char tag) {
  struct sink *s = st->sink;
  if (s->fd < 0) return;
  char head[64];
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t h = strftime(head, sizeof head, "%Y-%m-%dT%H:%M:%S", &tm);
  h += (size_t)snprintf(head + h, sizeof head - h, ".%09ldZ %s %c ", ts.tv_nsec, st->name, tag);
  if (s->max && s->size > 0 && s->size + h + len + 1 > s->max) {
    char old[4096];
    snprintf(old, sizeof old, "%s.1", s->path);
    close(s->fd);
    rename(s->path, old);
    sink_open(s, 1);
    if (s->fd < 0) return;
  }
  /* one writev per line so a reader (or the other stream) never sees half a line */
  struct iovec iov[3] = {{head, h}, {(void *)data, len}, {(void *)"\n", 1}};
  ssize_t n;
  while ((n = writev(s->fd, iov, 3)) < 0 && errno == EINTR) {}
  if (n > 0) s->size += (uint64_t)n;
}

/* Reads what is available; returns 0 at end of file. */
static int pump(struct stream *st) {
  ssize_t n = read(st->in, st->buf + st->used, sizeof st->buf - st->used);
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  if (n == 0) {
    if (st->used) emit(st, st->buf, st->used, 'P');
    st->used = 0;
    return 0;
  }
  st->used += (size_t)n;
  size_t start = 0;
  for (size_t i = 0; i < st->used; i++)
    if (st->buf[i] == '\n') {
      emit(st, st->buf + start, i - start, 'F');
      start = i + 1;
    }
  memmove(st->buf, st->buf + start, st->used - start);
  st->used -= start;
  if (st->used == sizeof st->buf) { /* a line longer than the buffer: flush as partial */
    emit(st, st->buf, st->used, 'P');
    st->used = 0;
  }
  return 1;
}

long oom_count(const char *path) {
  char buf[1024];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
    if (strncmp(line, "oom_kill ", 9) == 0) return strtol(line + 9, NULL, 10);
  return -1;
}

static void write_exit_file(const char *path, int status, int oom) {
  char tmp[4096], body[256];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  int n = snprintf(body, sizeof body, "exit_code=%d\nsignal=%d\noom_killed=%d\nfinished_at=%lld%09ld\n", code, sig,
                   oom, (long long)ts.tv_sec, ts.tv_nsec);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  /* no fsync: the record describes a process that cannot outlive a reboot (like state.json) */
  int ok = write_all(fd, body, (size_t)n) == 0;
  close(fd);
  if (ok) rename(tmp, path);
}

int supervise(pid_t child, const struct log_cfg *logs, const char *exit_file, const char *oom_file, long oom_before) {
  sigset_t set;
  sigemptyset(&set);
  int sigs[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGALRM};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaddset(&set, sigs[i]);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  struct sink sinks[2] = {{logs->paths[0], -1, 0, logs->max_size}, {logs->paths[1], -1, 0, logs->max_size}};
  static struct stream streams[2];
  int nstreams = logs->pipes[0] >= 0 ? 2 : 0;
  for (int i = 0; i < nstreams; i++) {
    int shared = i == 1 && strcmp(logs->paths[0], logs->paths[1]) == 0;
    if (!shared) sink_open(&sinks[i], 0);
    streams[i] = (struct stream){.in = logs->pipes[i], .name = i ? "stderr" : "stdout", .sink = &sinks[shared ? 0 : i]};
  }
  int status = 0, done = 0;
  while (1) {
    struct pollfd pf[3] = {{sfd, POLLIN, 0}, {-1, POLLIN, 0}, {-1, POLLIN, 0}};
    for (int i = 0; i < nstreams; i++) pf[i + 1].fd = streams[i].in;
    int open_streams = (pf[1].fd >= 0) + (pf[2].fd >= 0);
    if (done && open_streams == 0) break;
    /* after the exit, only drain what is already buffered: a leftover grandchild may hold a pipe */
    int r = poll(pf, 3, done ? 0 : -1);
    if (r < 0 && errno != EINTR) break;
    if (r == 0 && done) break;
    for (int i = 0; i < nstreams; i++)
      if (pf[i + 1].fd >= 0 && (pf[i + 1].revents & (POLLIN | POLLHUP)) && !pump(&streams[i])) {
        close(streams[i].in);
        streams[i].in = -1;
      }
    if (pf[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) != sizeof si) continue;
      if (si.ssi_signo != SIGCHLD) {
        if (!done) kill(child, (int)si.ssi_signo);
        continue;
      }
      int st;
      pid_t w;
      while ((w = waitpid(-1, &st, WNOHANG)) > 0)
        if (w == child) status = st, done = 1;
    }
  }
  for (int i = 0; i < nstreams; i++)
    if (streams[i].used) emit(&streams[i], streams[i].buf, streams[i].used, 'P');
  long oom_after = oom_file ? oom_count(oom_file) : -1;
  int oom = oom_before >= 0 && oom_after > oom_before;
  if (exit_file) write_exit_file(exit_file, status, oom);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
