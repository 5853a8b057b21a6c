/*
 * berth-shim: shared declarations. The wire format is defined in TypeScript in
 * libs/runtime/src/process/protocol.ts; keep the tag numbers below in sync with it.
 *
 * Frame: u32 body length, then body = "BSHM" u16 version u16 kind, then records
 * (u16 tag, u32 length, payload). Integers little-endian. A string is u32 length, bytes, NUL.
 */
#ifndef BERTH_SHIM_H
#define BERTH_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "berth-shim reads its message as little-endian"
#endif

#define MSG_VERSION 1
enum { KIND_INIT = 1, KIND_EXEC = 2, KIND_PLAN = 3 };

enum tag {
  T_CONTAINER_ID = 1, T_ARG = 2, T_ENV = 3, T_CWD = 4, T_USER = 5, T_HOSTNAME = 6,
  T_DOMAINNAME = 7, T_NS = 8, T_UIDMAP = 9, T_GIDMAP = 10, T_SETGROUPS_DENY = 11,
  T_CGROUP_PROCS = 12, T_SECCOMP = 13, T_SECCOMP_FLAGS = 14, T_CONSOLE_SOCKET = 15,
  T_CONSOLE_SIZE = 16, T_EXEC_FIFO = 17, T_STDIO_FILES = 18, T_EXIT_FILE = 19, T_OOM_FILE = 20,
  T_OOM_SCORE_ADJ = 21, T_RLIMIT = 22, T_CAPS = 23, T_NO_NEW_PRIVS = 24, T_ROOTFS = 25,
  T_ROOT_PROPAGATION = 26, T_READONLY_ROOT = 27, T_MOUNT = 28, T_DEVICE = 29, T_SYMLINK = 30,
  T_MASKED = 31, T_READONLY_PATH = 32, T_SYSCTL = 33, T_HOOK_CREATE_CONTAINER = 34,
  T_HOOK_START_CONTAINER = 35, T_DEFER_CGROUP = 36, T_SETSID = 37,
  T_CGROUP_SELF = 38, T_EXEC_FIFO_OWNER = 39, T_TIME_OFFSET = 45,
  T_IOPRIO = 46, T_SCHED = 47, T_CPU_AFFINITY = 48, T_PERSONALITY = 49,
  /* KIND_PLAN (<state dir>/plan, written by create for fastpath.c) */
  T_PLAN_INIT = 40, T_PLAN_SHIM = 41, T_PLAN_OWN_PIDNS = 42, T_PLAN_FREEZER = 43, T_PLAN_CGROUP = 44,
};

struct cur { const uint8_t *p; size_t left; };
struct rec { uint16_t tag; struct cur body; };
struct msg { uint8_t *buf; size_t len; uint16_t kind; struct cur records; };

/* berth-shim.c */
void msg_read(int fd, struct msg *m);
int msg_next(struct cur *it, struct rec *r);
/* msg_next without failing: 1 a record, 0 the end, -1 a truncated header, -2 an overrun. */
int msg_step(struct cur *it, struct rec *r);
uint32_t cur_u32(struct cur *c);
uint64_t cur_u64(struct cur *c);
const char *cur_str(struct cur *c);
const uint8_t *cur_bytes(struct cur *c, size_t *len);
/* First record with `tag` (body cursor in *out); 0 when absent. */
int msg_find(const struct msg *m, uint16_t tag, struct cur *out);
/* The message's request for namespace type `flag` (CLONE_NEW*): none, a new one, or one joined by path. */
enum { NS_NONE, NS_NEW, NS_JOINED };
int ns_request(const struct msg *m, uint32_t flag);
const char *msg_str(const struct msg *m, uint16_t tag);
size_t msg_count(const struct msg *m, uint16_t tag);
/* NULL-terminated array of all strings of a repeated string tag. */
char **msg_strv(const struct msg *m, uint16_t tag);

/* Errors: `fail` reports "<what>: <strerror(errno)>" on the error channel and exits 1. */
extern int g_errfd;          /* where failures go: the sync socket (init) or the control fd */
extern int g_err_prefix;     /* nonzero: prefix the text with 'E' (sync socket) */
__attribute__((noreturn, format(printf, 1, 2))) void fail(const char *fmt, ...);
__attribute__((noreturn, format(printf, 1, 2))) void failx(const char *fmt, ...);
int write_all(int fd, const void *buf, size_t len);
int write_file(const char *path, const char *data);
/* Field 3 (state) and field 22 (start time) of /proc/<pid>/stat; 0 when unreadable. */
int proc_stat(pid_t pid, char *state, uint64_t *start_time);

/* init.c: runs in the cloned child; never returns. */
struct child_ctx {
  int sync;         /* SOCK_SEQPACKET to the supervisor */
  int console;      /* connected console socket or -1 */
  int fifo;         /* O_PATH fd of the exec fifo or -1 */
  int stdio[3];     /* fds for 0,1,2 in file mode, or -1 */
  int in_userns;    /* the process lives in a non-initial user namespace */
};
__attribute__((noreturn)) void child_main(const struct msg *m, struct child_ctx *ctx);

/* fastpath.c: `berth-shim cli <entry.cjs> ARGS`, berth-runtime's front end */
int cli_main(int argc, char **argv);
/* The shim itself (role "init" or "exec"), its message arriving on fd 3. */
int shim_main(const char *role);

/* supervise.c */
struct log_cfg { const char *paths[2]; uint64_t max_size; int pipes[2]; };
int supervise(pid_t child, const struct log_cfg *logs, const char *exit_file,
              const char *oom_file, long oom_before);
long oom_count(const char *path);

#endif
