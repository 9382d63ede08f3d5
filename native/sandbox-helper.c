/*
 * tsnix sandbox helper: a small static binary used inside OCI containers.
 *
 *   helper exec PERSONALITY_HEX BUILDER [ARGS...]
 *       The exec shim of a one-container-per-build run: sets the personality (Nix sets
 *       ADDR_NO_RANDOMIZE, and PER_LINUX32 for 32-bit systems), makes stdin /dev/null, sends
 *       stderr to stdout so the log keeps its order, and execs BUILDER with
 *       argv[0] = basename(BUILDER) as Nix does.
 *       runc can do neither of the first and last itself.
 *
 *   helper strip-xattrs PATH
 *       Removes the extended attributes of every file under PATH (not following symlinks),
 *       except the ones Nix ignores (security.selinux, system.nfs4_acl, security.csm), as
 *       Nix's canonicalisation does; Node has no xattr API.
 *
 *   helper agent
 *       PID 1 of a long-lived per-slot container. For each build it reads a request file,
 *       clone3()s a child into fresh mount/pid/ipc/uts(/net) namespaces, builds the build's
 *       root from binds of host paths the slot exposes, pivots into it, drops to the build
 *       uid/gid and execs the builder (PID 1 of its namespace, so nothing outlives it).
 *       The policy (which mounts, which flags) is decided by the TypeScript side and
 *       arrives as a list of operations; this program only carries them out.
 *
 * Agent protocol. stdin, one command per line:
 *   "B <request file>"   start a build (one at a time)
 *   "K"                  kill the running build (SIGKILL to its PID 1)
 * stdout, frames of [type:1][length:4 big-endian][payload]:
 *   'R' ready (payload: protocol version)
 *   'S' builder started: empty payload, or the setup error (the builder did not run)
 *   'L' builder output (stdout and stderr of the build, merged)
 *   'X' build finished: "exit N" or "signal N"
 *   'E' agent error for the current command (e.g. unreadable request)
 * EOF on stdin kills any running build and exits.
 *
 * Request file: NUL-terminated strings; "TSNIX1" then operations (see parse_request()).
 *
 * Build: gcc -static -O2 -o sandbox-helper sandbox-helper.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
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
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <ftw.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#define KEYCTL_JOIN_SESSION_KEYRING 1

static const char *NEWROOT = "/.tsnix/newroot";

/* ---------- small utilities ---------- */

static int write_all(int fd, const void *buf, size_t n) {
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* ---------- exec shim ---------- */

static int cmd_exec(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: helper exec PERSONALITY_HEX BUILDER [ARGS...]\n");
        return 1;
    }
    unsigned long persona = strtoul(argv[2], NULL, 16);
    /* runc gives the container pipes for all three; Nix gives stdin /dev/null. */
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull < 0 || dup2(devnull, 0) < 0) { perror("/dev/null"); return 1; }
    if (devnull > 2) close(devnull);
    if (dup2(1, 2) < 0) { perror("dup2"); return 1; }
    if (persona != 0) {
        int cur = personality(0xffffffff);
        if (cur == -1 || personality((unsigned long)cur | persona) == -1) {
            fprintf(stderr, "error: cannot set personality: %s\n", strerror(errno));
            return 1;
        }
    }
    const char *builder = argv[3];
    argv[3] = (char *)base_name(builder);
    extern char **environ;
    execve(builder, argv + 3, environ);
    /* Nix's wording and colours (the daemon quotes this line in the failure message). */
    fprintf(stderr, "\033[31;1merror:\033[0m executing '\033[35;1m%s\033[0m': \033[35;1m%s\033[0m\n", builder, strerror(errno));
    return 1;
}

/* ---------- agent: request ---------- */

enum { OP_MOUNT, OP_BIND, OP_MKDIR, OP_FILE, OP_SYMLINK, OP_MASK, OP_READONLY };

struct op {
    int kind;
    const char *a, *b, *c, *e; /* meaning per kind */
    unsigned long flags;
};

struct request {
    char *buf; /* owns all strings */
    unsigned long clone_flags;
    const char *root;
    struct op *ops;
    size_t nops;
    int lo_up;
    const char *hostname;
    uid_t uid;
    gid_t gid;
    unsigned long persona;
    const char *cwd;
    const char *exe;
    char **argv;
    size_t argc;
    char **envp;
    size_t envc;
};

static void free_request(struct request *r) {
    free(r->buf);
    free(r->ops);
    free(r->argv);
    free(r->envp);
    memset(r, 0, sizeof *r);
}

static char *read_file(const char *path, size_t *len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf) { close(fd); return NULL; }
        if (n == cap) {
            if (cap > (256u << 20)) { free(buf); close(fd); errno = EFBIG; return NULL; }
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) { free(buf); close(fd); return NULL; }
            buf = nb;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno; free(buf); close(fd); errno = e; return NULL;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = 0;
    *len = n;
    return buf;
}

static size_t next_pow2(size_t n) {
    size_t c = 2;
    while (c < n) c <<= 1;
    return c;
}

/* Make room for element cnt plus a NULL terminator; capacity is next_pow2(cnt + 2). */
static int grow(void **arr, size_t elem, size_t cnt) {
    size_t cap = next_pow2(cnt + 2);
    if (*arr != NULL && cnt > 0 && next_pow2(cnt + 1) == cap) return 0;
    void *np = realloc(*arr, elem * cap);
    if (!np) return -1;
    *arr = np;
    return 0;
}

#define PUSH(arr, cnt, val)                                            \
    do {                                                               \
        void *a_ = (arr);                                              \
        if (grow(&a_, sizeof(*(arr)), (cnt)) != 0) goto oom;           \
        (arr) = a_;                                                    \
        (arr)[(cnt)++] = (val);                                        \
    } while (0)

/* Returns NULL on success, else a static error message. */
static const char *parse_request(const char *path, struct request *r) {
    size_t len;
    memset(r, 0, sizeof *r);
    r->buf = read_file(path, &len);
    if (!r->buf) return "cannot read the request file";
    if (len == 0 || r->buf[len - 1] != 0) return "request file does not end with a NUL";
    char **tok = NULL;
    size_t nt = 0;
    for (size_t i = 0; i < len; i += strlen(r->buf + i) + 1) PUSH(tok, nt, r->buf + i);
    if (nt == 0 || strcmp(tok[0], "TSNIX1") != 0) { free(tok); return "bad request header"; }
    size_t i = 1;
#define NEED(k) do { if (i + (k) > nt) { free(tok); return "truncated request"; } } while (0)
    while (i < nt) {
        const char *op = tok[i++];
        struct op o = {0};
        if (strlen(op) != 1) { free(tok); return "bad request operation"; }
        switch (op[0]) {
        case 'c': NEED(1); r->clone_flags = strtoul(tok[i++], NULL, 10); break;
        case 'r': NEED(1); r->root = tok[i++]; break;
        case 'm': NEED(5); o.kind = OP_MOUNT; o.a = tok[i]; o.b = tok[i + 1]; o.c = tok[i + 2];
                  o.flags = strtoul(tok[i + 3], NULL, 10); o.e = tok[i + 4]; i += 5; PUSH(r->ops, r->nops, o); break;
        case 'b': NEED(3); o.kind = OP_BIND; o.a = tok[i]; o.b = tok[i + 1]; o.flags = strtoul(tok[i + 2], NULL, 10);
                  i += 3; PUSH(r->ops, r->nops, o); break;
        case 'd': NEED(2); o.kind = OP_MKDIR; o.b = tok[i]; o.flags = strtoul(tok[i + 1], NULL, 8); i += 2;
                  PUSH(r->ops, r->nops, o); break;
        case 'f': NEED(1); o.kind = OP_FILE; o.b = tok[i++]; PUSH(r->ops, r->nops, o); break;
        case 'l': NEED(2); o.kind = OP_SYMLINK; o.a = tok[i]; o.b = tok[i + 1]; i += 2; PUSH(r->ops, r->nops, o); break;
        case 'k': NEED(1); o.kind = OP_MASK; o.b = tok[i++]; PUSH(r->ops, r->nops, o); break;
        case 'o': NEED(1); o.kind = OP_READONLY; o.b = tok[i++]; PUSH(r->ops, r->nops, o); break;
        case 'n': r->lo_up = 1; break;
        case 'h': NEED(1); r->hostname = tok[i++]; break;
        case 'u': NEED(2); r->uid = (uid_t)strtoul(tok[i], NULL, 10); r->gid = (gid_t)strtoul(tok[i + 1], NULL, 10); i += 2; break;
        case 'p': NEED(1); r->persona = strtoul(tok[i++], NULL, 16); break;
        case 'w': NEED(1); r->cwd = tok[i++]; break;
        case 'x': NEED(1); r->exe = tok[i++]; break;
        case 'a': NEED(1); PUSH(r->argv, r->argc, tok[i]); i++; break;
        case 'e': NEED(1); PUSH(r->envp, r->envc, tok[i]); i++; break;
        default: free(tok); return "unknown request operation";
        }
    }
    free(tok);
    if (!r->root || !r->exe || !r->cwd || r->argc == 0) return "incomplete request";
    r->argv[r->argc] = NULL;
    if (r->envp) r->envp[r->envc] = NULL;
    else { r->envp = calloc(1, sizeof(char *)); if (!r->envp) goto oom; }
    return NULL;
oom:
    return "out of memory";
}

/* ---------- agent: the build child ---------- */

static int status_fd = -1; /* setup errors go here; closed by exec */

static void die(const char *fmt, ...) {
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof msg) n = sizeof msg - 1;
    int e = errno;
    n += snprintf(msg + n, sizeof msg - (size_t)n, ": %s", strerror(e));
    if ((size_t)n >= sizeof msg) n = sizeof msg - 1;
    write_all(status_fd, msg, (size_t)n);
    _exit(1);
}

static char *in_root(const char *p) {
    static char buf[3][8192];
    static int k = 0;
    k = (k + 1) % 3;
    if (snprintf(buf[k], sizeof buf[k], "%s%s", NEWROOT, p) >= (int)sizeof buf[k]) {
        errno = ENAMETOOLONG;
        die("path too long: %s", p);
    }
    return buf[k];
}

/* Flags a bind remount must keep (they may be locked in a user namespace). */
static unsigned long kept_flags(const char *target) {
    struct statvfs sv;
    if (statvfs(target, &sv) != 0) return 0;
    unsigned long f = 0;
    if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
    if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
    if (sv.f_flag & ST_RDONLY) f |= MS_RDONLY;
    return f;
}

static void bind_mount(const char *src, const char *tgt, unsigned long flags) {
    if (mount(src, tgt, NULL, MS_BIND | MS_REC, NULL) != 0) die("bind-mounting '%s' on '%s'", src, tgt);
    unsigned long f = kept_flags(tgt) | flags;
    if (mount(NULL, tgt, NULL, MS_REMOUNT | MS_BIND | f, NULL) != 0) die("remounting '%s'", tgt);
}

static void lo_up(void) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("cannot create a socket");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    ifr.ifr_flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) == -1) die("cannot set loopback interface flags");
    close(fd);
}

static void run_op(const struct op *o) {
    switch (o->kind) {
    case OP_MOUNT: {
        const char *fstype = o->c[0] ? o->c : NULL;
        if (mount(o->a, in_root(o->b), fstype, o->flags, o->e[0] ? o->e : NULL) != 0)
            die("mounting %s on '%s'", o->a, o->b);
        break;
    }
    case OP_BIND:
        bind_mount(o->a, in_root(o->b), o->flags);
        break;
    case OP_MKDIR:
        if (mkdir(in_root(o->b), (mode_t)o->flags) != 0 && errno != EEXIST) die("creating directory '%s'", o->b);
        if (chmod(in_root(o->b), (mode_t)o->flags) != 0) die("setting the mode of '%s'", o->b);
        break;
    case OP_FILE: {
        int fd = open(in_root(o->b), O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0) die("creating '%s'", o->b);
        close(fd);
        break;
    }
    case OP_SYMLINK:
        if (symlink(o->a, in_root(o->b)) != 0) die("creating symlink '%s'", o->b);
        break;
    case OP_MASK: {
        const char *t = in_root(o->b);
        struct stat st;
        if (lstat(t, &st) != 0) break; /* nothing to hide */
        if (S_ISDIR(st.st_mode)) {
            if (mount("tmpfs", t, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") != 0) die("masking '%s'", o->b);
        } else if (mount("/dev/null", t, NULL, MS_BIND, NULL) != 0) die("masking '%s'", o->b);
        break;
    }
    case OP_READONLY: {
        const char *t = in_root(o->b);
        struct stat st;
        if (lstat(t, &st) != 0) break;
        bind_mount(t, t, MS_RDONLY);
        break;
    }
    }
}

static void build_child(const struct request *r, int log_w) {
    /* Nothing done here may leak back to the slot: everything below is in new namespaces. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) die("making mounts private");
    bind_mount(r->root, NEWROOT, MS_RDONLY | MS_NOSUID | MS_NODEV);
    for (size_t i = 0; i < r->nops; i++) run_op(&r->ops[i]);
    if (r->lo_up) lo_up();
    if (chdir(NEWROOT) != 0) die("entering the new root");
    if (syscall(SYS_pivot_root, ".", ".") != 0) die("pivot_root");
    if (umount2(".", MNT_DETACH) != 0) die("detaching the old root");
    if (chdir("/") != 0) die("chdir /");
    if (r->hostname && sethostname(r->hostname, strlen(r->hostname)) != 0) die("sethostname");
    /* A fresh session keyring: no keys shared with earlier builds of this slot. */
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0) die("joining a new session keyring");
    if (setsid() < 0) die("setsid");
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull < 0) die("opening /dev/null");
    if (dup2(devnull, 0) < 0 || dup2(log_w, 1) < 0 || dup2(log_w, 2) < 0) die("setting up stdio");
    if (devnull > 2) close(devnull);
    /* Every other descriptor (the status pipe included) closes at exec. */
    if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) die("close_range");
    struct rlimit core = {0, RLIM_INFINITY};
    if (setrlimit(RLIMIT_CORE, &core) != 0) die("setrlimit");
    umask(022);
    if (setgroups(0, NULL) != 0 && errno != EPERM) die("setgroups");
    if (setgid(r->gid) != 0 || getegid() != r->gid) die("setgid");
    if (setuid(r->uid) != 0 || geteuid() != r->uid) die("setuid");
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) die("prctl");
    if (r->persona) {
        int cur = personality(0xffffffff);
        if (cur == -1 || personality((unsigned long)cur | r->persona) == -1) die("cannot set personality");
    }
    if (chdir(r->cwd) != 0) die("changing into '%s'", r->cwd);
    execve(r->exe, r->argv, r->envp);
    /* Like Nix: a builder that cannot be executed is a failed build with the reason in its log. */
    char msg[8192];
    int n = snprintf(msg, sizeof msg, "\033[31;1merror:\033[0m executing '\033[35;1m%s\033[0m': \033[35;1m%s\033[0m\n", r->exe, strerror(errno));
    if (n > 0) write_all(2, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
    _exit(1);
}

/* ---------- agent: the loop ---------- */

static void frame(char type, const void *payload, uint32_t n) {
    unsigned char h[5] = {(unsigned char)type, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
                          (unsigned char)(n >> 8), (unsigned char)n};
    if (write_all(1, h, 5) != 0 || (n && write_all(1, payload, n) != 0)) _exit(3); /* caller is gone */
}

struct build {
    int active;
    pid_t pid;
    int pidfd, log_r, status_r;
    int exited;
    int wstatus_kind; /* 0 exit, 1 signal */
    int wstatus_val;
    char status_msg[4096];
    size_t status_len;
};

static void start_build(struct build *b, const char *path) {
    struct request r;
    const char *err = parse_request(path, &r);
    if (err) {
        char msg[4200];
        int n = snprintf(msg, sizeof msg, "%s (%s): %s", err, path, strerror(errno));
        frame('E', msg, (uint32_t)(n > 0 ? n : 0));
        free_request(&r);
        return;
    }
    int logp[2], stp[2];
    if (pipe2(logp, O_CLOEXEC) != 0 || pipe2(stp, O_CLOEXEC) != 0) {
        frame('E', "pipe2 failed", 12);
        free_request(&r);
        return;
    }
    int pidfd = -1;
    struct clone_args ca;
    memset(&ca, 0, sizeof ca);
    ca.flags = (r.clone_flags & (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWCGROUP)) | CLONE_PIDFD;
    ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
    ca.exit_signal = SIGCHLD;
    long pid = syscall(SYS_clone3, &ca, sizeof ca);
    if (pid < 0) {
        char msg[256];
        int n = snprintf(msg, sizeof msg, "clone3 failed: %s", strerror(errno));
        frame('E', msg, (uint32_t)n);
        close(logp[0]); close(logp[1]); close(stp[0]); close(stp[1]);
        free_request(&r);
        return;
    }
    if (pid == 0) {
        close(logp[0]);
        close(stp[0]);
        close(0);
        status_fd = stp[1];
        build_child(&r, logp[1]);
        _exit(1);
    }
    close(logp[1]);
    close(stp[1]);
    free_request(&r);
    memset(b, 0, sizeof *b);
    b->active = 1;
    b->pid = (pid_t)pid;
    b->pidfd = pidfd;
    b->log_r = logp[0];
    b->status_r = stp[0];
}

static void kill_build(struct build *b) {
    if (b->active && !b->exited && b->pidfd >= 0) syscall(SYS_pidfd_send_signal, b->pidfd, SIGKILL, NULL, 0);
}

static int cmd_agent(void) {
    signal(SIGPIPE, SIG_IGN);
    /* The agent is PID 1 of the slot, but orphans of a build are reparented to the build's own
       PID 1 (nested PID namespace), so its only children are the builds it starts. */
    struct build b;
    memset(&b, 0, sizeof b);
    b.pidfd = b.log_r = b.status_r = -1;
    char line[8192];
    size_t line_len = 0;
    int stdin_open = 1;
    static char buf[65536];
    frame('R', "1", 1);
    for (;;) {
        struct pollfd p[4];
        int n = 0, i_in = -1, i_log = -1, i_st = -1, i_pid = -1;
        if (stdin_open) { p[n].fd = 0; p[n].events = POLLIN; i_in = n++; }
        if (b.active && b.log_r >= 0) { p[n].fd = b.log_r; p[n].events = POLLIN; i_log = n++; }
        if (b.active && b.status_r >= 0) { p[n].fd = b.status_r; p[n].events = POLLIN; i_st = n++; }
        if (b.active && !b.exited) { p[n].fd = b.pidfd; p[n].events = POLLIN; i_pid = n++; }
        if (n == 0) return 0;
        if (poll(p, (nfds_t)n, -1) < 0) {
            if (errno == EINTR) continue;
            return 2;
        }
        if (i_st >= 0 && p[i_st].revents) {
            ssize_t r = read(b.status_r, b.status_msg + b.status_len, sizeof b.status_msg - b.status_len);
            if (r > 0) b.status_len += (size_t)r;
            if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN) || b.status_len == sizeof b.status_msg) {
                close(b.status_r);
                b.status_r = -1;
                frame('S', b.status_msg, (uint32_t)b.status_len);
            }
        }
        if (i_log >= 0 && p[i_log].revents) {
            ssize_t r = read(b.log_r, buf, sizeof buf);
            if (r > 0) frame('L', buf, (uint32_t)r);
            else if (r == 0 || (errno != EINTR && errno != EAGAIN)) { close(b.log_r); b.log_r = -1; }
        }
        if (i_pid >= 0 && p[i_pid].revents) {
            siginfo_t si;
            memset(&si, 0, sizeof si);
            int wr = waitid((idtype_t)P_PIDFD, (id_t)b.pidfd, &si, WEXITED);
            if (wr == 0 || errno != EINTR) {
                b.exited = 1;
                /* waitid cannot fail for our own child; if it does, report a kill rather than spin */
                b.wstatus_kind = wr == 0 && si.si_code == CLD_EXITED ? 0 : 1;
                b.wstatus_val = wr == 0 ? si.si_status : SIGKILL;
                close(b.pidfd);
                b.pidfd = -1;
            }
        }
        if (b.active && b.exited && b.log_r < 0 && b.status_r < 0) {
            char msg[64];
            int m = snprintf(msg, sizeof msg, "%s %d", b.wstatus_kind == 0 ? "exit" : "signal", b.wstatus_val);
            frame('X', msg, (uint32_t)m);
            memset(&b, 0, sizeof b);
            b.pidfd = b.log_r = b.status_r = -1;
        }
        if (i_in >= 0 && p[i_in].revents) {
            ssize_t r = read(0, line + line_len, sizeof line - 1 - line_len);
            if (r <= 0) {
                if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
                if (r < 0) { char m[128]; int k = snprintf(m, sizeof m, "reading commands: %s", strerror(errno)); frame('E', m, (uint32_t)k); }
                stdin_open = 0;
                kill_build(&b);
                if (!b.active) return 0;
                continue;
            }
            line_len += (size_t)r;
            char *nl;
            while ((nl = memchr(line, '\n', line_len)) != NULL) {
                *nl = 0;
                if (line[0] == 'K') kill_build(&b);
                else if (line[0] == 'B' && line[1] == ' ') {
                    if (b.active) frame('E', "a build is already running", 26);
                    else start_build(&b, line + 2);
                } else frame('E', "unknown command", 15);
                size_t used = (size_t)(nl - line) + 1;
                memmove(line, nl + 1, line_len - used);
                line_len -= used;
            }
            if (line_len == sizeof line - 1) line_len = 0; /* overlong line: drop */
        }
    }
}

/* ---------- strip-xattrs ---------- */

static int strip_failed = 0;

static int strip_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)st; (void)type; (void)ftw;
    char names[65536];
    ssize_t n = llistxattr(path, names, sizeof names);
    if (n < 0) {
        if (errno == ENOTSUP) return 0;
        fprintf(stderr, "listing extended attributes of '%s': %s\n", path, strerror(errno));
        strip_failed = 1;
        return 0;
    }
    for (char *a = names; a < names + n; a += strlen(a) + 1) {
        if (strcmp(a, "security.selinux") == 0 || strcmp(a, "system.nfs4_acl") == 0 || strcmp(a, "security.csm") == 0) continue;
        if (lremovexattr(path, a) != 0) {
            fprintf(stderr, "removing extended attribute '%s' from '%s': %s\n", a, path, strerror(errno));
            strip_failed = 1;
        }
    }
    return 0;
}

static int cmd_strip_xattrs(const char *path) {
    if (nftw(path, strip_one, 64, FTW_PHYS) != 0) {
        fprintf(stderr, "walking '%s': %s\n", path, strerror(errno));
        return 1;
    }
    return strip_failed;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "exec") == 0) return cmd_exec(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "agent") == 0) return cmd_agent();
    if (argc == 3 && strcmp(argv[1], "strip-xattrs") == 0) return cmd_strip_xattrs(argv[2]);
    fprintf(stderr, "usage: %s exec PERSONALITY_HEX BUILDER [ARGS...] | agent | strip-xattrs PATH\n", argc > 0 ? argv[0] : "helper");
    return 2;
}
