/*
 * The few system calls Node does not expose and tsnix needs:
 *
 *   peercred(fd) -> { pid, uid, gid }
 *     credentials of the process at the other end of a Unix socket (SO_PEERCRED), so the
 *     daemon applies allowed-users / trusted-users exactly as nix-daemon does;
 *   flock(fd, op) -> boolean
 *     op 0 = unlock, 1 = shared, 2 = exclusive; never blocks (LOCK_NB): false when the lock
 *     is held elsewhere. C++ Nix locks `.lock` files, gc.lock and temproots with flock(), so
 *     we must use the same primitive to interoperate with it;
 *   sendfile(outFd, inFd, position, length) -> bytes sent
 *     copies a file range to outFd inside the kernel (a pipe gets references to the page
 *     cache, /dev/null nothing to do), so `tsnix nar dump` does not read big files' contents
 *     into memory only to write them out again. Loops until `length` bytes are sent, the file
 *     ends (fewer: the caller decides) or an error; an error with nothing sent throws an Error
 *     whose code is the errno name (EINVAL/ENOSYS/…: outFd does not take sendfile, fall back;
 *     EAGAIN: a non-blocking outFd is full);
 *   readFileAt(dirFd, name, into) -> size * 2 + owner-executable, -1 or -2
 *     one call for what a NAR dump does per small file (openat relative to the directory,
 *     fstat, read, close), where Node's fs needs four calls, a Stats object with four Dates,
 *     and a lookup of the whole path twice. Reads the contents into `into` only if they fit
 *     (bigger files are the caller's to stream). -1: not a regular file, or any error (the
 *     caller looks again its own way and reports what it finds); -2: the file ended before
 *     its size (it changed while being read);
 *   writeFileAt(dirFd, name, data, executable, keepOpen) -> 0, an fd, or -1
 *     the same for a NAR restore: create `name` in directory `dirFd` (O_EXCL, no symlinks,
 *     mode 0666 less the umask), write `data`, add the x bits as C++ RestoreSink does (fstat,
 *     fchmod), close. -1 if it could not be created (nothing happened: the caller retries its
 *     own way and reports what it finds); with keepOpen, the open fd after writing `data`
 *     (the caller writes the rest, chmods and closes); errors after creating throw.
 *   putObject(tmp, target, data, fsync) -> 0 or an errno
 *   putObjectAsync(tmp, target, data, fsync) -> Promise of 0 or an errno
 *     a castore object write in one call (the async one a single thread-pool task, where
 *     Node's fs takes five round trips): create `tmp` (O_EXCL, mode 0444 less the umask),
 *     write `data`, fdatasync if `fsync`, close, rename onto `target`, making the target's
 *     directory if it is missing (then -1: its parent has a new entry to sync). Any failure
 *     removes `tmp` and answers the errno: nothing is left behind, and the caller retries its
 *     own way (reporting the error as Node's fs words it);
 *   touchObject(path) -> 1, 0 or -errno
 *     set atime to now and leave mtime as it is (utimensat, UTIME_OMIT): the castore's GC
 *     stamp is ctime, which this refreshes. 1 done, 0 no such file, -errno another error;
 *   syncDirs(paths) -> Promise of 0 or an errno
 *     open, fsync and close each directory, in order, in one thread-pool task (a batch's
 *     castore shard directories before its paths are registered); stops at the first error;
 *   sha256New() -> handle, sha256UpdateAsync(handle, pieces) -> Promise of 0, sha256Final(handle)
 *     an incremental SHA-256 whose updates run on the thread pool (one task hashes a list of
 *     pieces, in order, without copying them: the caller keeps them unchanged until it
 *     settles), so a big NAR whose chunks are never reused is hashed on another core in place,
 *     with no copy into a worker's ring and no message per slot. It is OpenSSL's (SHA-NI where
 *     the CPU has it), found at load time in the running Node (which links OpenSSL and exports
 *     its symbols); where it is not found the three calls are not exported and callers use
 *     node:crypto. One update at a time per handle (a second while one runs throws), and
 *     Final only when none runs.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <node_api.h>

/* The errno names JS callers test (`e.code`, as Node's own fs errors carry them). */
static const char *errno_name(int err) {
  switch (err) {
    case EINVAL: return "EINVAL";
    case ENOSYS: return "ENOSYS";
    case EAGAIN: return "EAGAIN";
    case EPIPE: return "EPIPE";
    case EBADF: return "EBADF";
    case EIO: return "EIO";
    case ENOSPC: return "ENOSPC";
    case EOVERFLOW: return "EOVERFLOW";
    case EDQUOT: return "EDQUOT";
    case EFBIG: return "EFBIG";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    default: return "ERR_NATIVE";
  }
}

/* Throw an Error "<what>: <strerror>" with `code` (the errno name) and `errno` (negative). */
static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_value c, m, e, no;
  napi_create_string_utf8(env, errno_name(err), NAPI_AUTO_LENGTH, &c);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_error(env, c, m, &e);
  napi_create_int32(env, -err, &no);
  napi_set_named_property(env, e, "errno", no);
  napi_throw(env, e);
  return NULL;
}

/* A Uint8Array argument's bytes. */
static bool get_bytes(napi_env env, napi_value v, void **data, size_t *len) {
  napi_typedarray_type t;
  return napi_get_typedarray_info(env, v, &t, len, data, NULL, NULL) == napi_ok && t == napi_uint8_array;
}

/* A directory entry's name as a C string: false if empty, too long, or holding NUL or '/'. */
static bool entry_name(const void *data, size_t len, char name[NAME_MAX + 1]) {
  if (len == 0 || len > NAME_MAX || memchr(data, 0, len) != NULL || memchr(data, '/', len) != NULL) return false;
  memcpy(name, data, len);
  name[len] = 0;
  return true;
}

static napi_value get_peercred(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "peercred(fd) needs a file descriptor");
    return NULL;
  }
  int32_t fd;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "peercred(fd): fd must be a non-negative integer");
    return NULL;
  }
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return throw_errno(env, "getsockopt(SO_PEERCRED)", errno);
  napi_value obj, pid, uid, gid;
  napi_create_object(env, &obj);
  napi_create_int32(env, cred.pid, &pid);
  napi_create_uint32(env, cred.uid, &uid);
  napi_create_uint32(env, cred.gid, &gid);
  napi_set_named_property(env, obj, "pid", pid);
  napi_set_named_property(env, obj, "uid", uid);
  napi_set_named_property(env, obj, "gid", gid);
  return obj;
}

static napi_value do_flock(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd, op;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int32(env, argv[1], &op) != napi_ok ||
      fd < 0 || op < 0 || op > 2) {
    napi_throw_type_error(env, NULL, "flock(fd, op): fd >= 0 and op in 0 (unlock), 1 (shared), 2 (exclusive)");
    return NULL;
  }
  int how = op == 0 ? LOCK_UN : op == 1 ? LOCK_SH : LOCK_EX;
  for (;;) {
    if (flock(fd, how | LOCK_NB) == 0) break;
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) {
      napi_value no;
      napi_get_boolean(env, 0, &no);
      return no;
    }
    return throw_errno(env, "flock", errno);
  }
  napi_value yes;
  napi_get_boolean(env, 1, &yes);
  return yes;
}

static napi_value do_sendfile(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t out_fd, in_fd;
  int64_t position, length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 ||
      napi_get_value_int32(env, argv[0], &out_fd) != napi_ok || napi_get_value_int32(env, argv[1], &in_fd) != napi_ok ||
      napi_get_value_int64(env, argv[2], &position) != napi_ok || napi_get_value_int64(env, argv[3], &length) != napi_ok ||
      out_fd < 0 || in_fd < 0 || position < 0 || length < 0) {
    napi_throw_type_error(env, NULL, "sendfile(outFd, inFd, position, length): non-negative integers expected");
    return NULL;
  }
  off_t off = (off_t)position;
  int64_t sent = 0;
  while (sent < length) {
    int64_t want = length - sent;
    ssize_t n = sendfile(out_fd, in_fd, &off, want > 0x40000000 ? 0x40000000 : (size_t)want);
    if (n > 0) { sent += n; continue; }
    if (n == 0) break; /* the file ended */
    if (errno == EINTR) continue;
    if (sent > 0) break; /* report progress; the next call meets the error again */
    return throw_errno(env, "sendfile", errno);
  }
  napi_value r;
  napi_create_int64(env, sent, &r);
  return r;
}

static napi_value number(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

static napi_value read_file_at(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t dir_fd;
  size_t name_len, into_len;
  void *name_data, *into_data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      napi_get_value_int32(env, argv[0], &dir_fd) != napi_ok ||
      !get_bytes(env, argv[1], &name_data, &name_len) || !get_bytes(env, argv[2], &into_data, &into_len)) {
    napi_throw_type_error(env, NULL, "readFileAt(dirFd, name, into): an fd and two Uint8Arrays expected");
    return NULL;
  }
  char name[NAME_MAX + 1];
  if (!entry_name(name_data, name_len, name)) return number(env, -1);
  int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return number(env, -1);
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return number(env, -1);
  }
  size_t size = (size_t)st.st_size;
  if (size <= into_len) {
    size_t got = 0;
    while (got < size) {
      ssize_t n = read(fd, (char *)into_data + got, size - got);
      if (n > 0) { got += (size_t)n; continue; }
      if (n < 0 && errno == EINTR) continue;
      close(fd);
      return number(env, n == 0 ? -2 : -1);
    }
  }
  close(fd);
  return number(env, (double)size * 2 + ((st.st_mode & S_IXUSR) ? 1 : 0));
}

/* write all of `data` to `fd`, waiting while a non-blocking fd (a pipe) is full: 0 or an errno */
static int write_all(int fd, const void *data, size_t len) {
  const char *p = data;
  size_t done = 0;
  while (done < len) {
    ssize_t n = write(fd, p + done, len - done);
    if (n > 0) { done += (size_t)n; continue; }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      struct pollfd pf = { fd, POLLOUT, 0 };
      poll(&pf, 1, -1);
      continue;
    }
    return n < 0 ? errno : EIO;
  }
  return 0;
}

/* fdatasync through EINTR: 0 or an errno */
static int datasync(int fd) {
  while (fdatasync(fd) != 0) if (errno != EINTR) return errno;
  return 0;
}

static napi_value write_file_at(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  int32_t dir_fd;
  bool executable, keep_open;
  size_t name_len, data_len;
  void *name_data, *data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5 ||
      napi_get_value_int32(env, argv[0], &dir_fd) != napi_ok ||
      !get_bytes(env, argv[1], &name_data, &name_len) || !get_bytes(env, argv[2], &data, &data_len) ||
      napi_get_value_bool(env, argv[3], &executable) != napi_ok || napi_get_value_bool(env, argv[4], &keep_open) != napi_ok) {
    napi_throw_type_error(env, NULL, "writeFileAt(dirFd, name, data, executable, keepOpen): an fd, two Uint8Arrays and two booleans expected");
    return NULL;
  }
  char name[NAME_MAX + 1];
  if (!entry_name(name_data, name_len, name)) return number(env, -1);
  int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) return number(env, -1);
  int werr = write_all(fd, data, data_len);
  if (werr != 0) {
    close(fd);
    return throw_errno(env, "write", werr);
  }
  if (keep_open) return number(env, fd);
  if (executable) {
    struct stat st;
    if (fstat(fd, &st) != 0 || fchmod(fd, (st.st_mode & 07777) | S_IXUSR | S_IXGRP | S_IXOTH) != 0) {
      int err = errno;
      close(fd);
      return throw_errno(env, "fchmod", err);
    }
  }
  if (close(fd) != 0 && errno != EINTR) return throw_errno(env, "close", errno);
  return number(env, 0);
}

/* ---- castore object files ---------------------------------------------------------------- */

/* A string argument as a NUL-terminated UTF-8 path in `buf` (as Node encodes string paths). */
static bool get_path(napi_env env, napi_value v, char buf[PATH_MAX]) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok || len == 0 || len >= PATH_MAX) return false;
  napi_get_value_string_utf8(env, v, buf, PATH_MAX, &len);
  return strlen(buf) == len; /* no NUL inside */
}

/* Make the directory `target` is in (a castore shard, made on first use, as `mkdir -p` would):
   1 made, 0 there already, -1 failed or `target` has no directory part. */
static int make_parent(const char *target) {
  const char *slash = strrchr(target, '/');
  if (slash == NULL || slash == target) return -1;
  char dir[PATH_MAX];
  memcpy(dir, target, (size_t)(slash - target));
  dir[slash - target] = 0;
  if (mkdir(dir, 0777) == 0) return 1;
  return errno == EEXIST ? 0 : -1;
}

/* create tmp, write, fdatasync (if asked), close, rename onto target (making its directory: -1);
   0 or an errno, tmp gone on failure */
static int put_object_file(const char *tmp, const char *target, const char *data, size_t len, bool sync) {
  int fd;
  do fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444); while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno;
  int err = write_all(fd, data, len);
  if (err == 0 && sync) err = datasync(fd);
  if (close(fd) != 0 && err == 0 && errno != EINTR) err = errno;
  int made = 0;
  if (err == 0 && rename(tmp, target) != 0) {
    err = errno;
    if (err == ENOENT) {
      int m = make_parent(target);
      if (m >= 0 && rename(tmp, target) == 0) { err = 0; made = m; }
    }
  }
  if (err != 0) unlink(tmp);
  return err != 0 ? err : -made;
}

static bool put_object_args(napi_env env, napi_callback_info info, char tmp[PATH_MAX], char target[PATH_MAX],
                            napi_value *data_value, void **data, size_t *len, bool *sync) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 ||
      !get_path(env, argv[0], tmp) || !get_path(env, argv[1], target) || !get_bytes(env, argv[2], data, len) ||
      napi_get_value_bool(env, argv[3], sync) != napi_ok) {
    napi_throw_type_error(env, NULL, "putObject(tmp, target, data, fsync): two non-empty paths, a Uint8Array and a boolean expected");
    return false;
  }
  *data_value = argv[2];
  return true;
}

static napi_value put_object(napi_env env, napi_callback_info info) {
  char tmp[PATH_MAX], target[PATH_MAX];
  napi_value dv;
  void *data;
  size_t len;
  bool sync;
  if (!put_object_args(env, info, tmp, target, &dv, &data, &len, &sync)) return NULL;
  return number(env, put_object_file(tmp, target, data, len, sync));
}

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref keep; /* the data, or the paths array: alive until done */
  int err;
  /* putObjectAsync */
  char tmp[PATH_MAX], target[PATH_MAX];
  const char *data;
  size_t len;
  bool sync;
  /* syncDirs, putObjectsAnonAsync: NUL-separated paths */
  char *dirs;
  size_t ndirs;
} job_t;

static void job_done(napi_env env, napi_status status, void *p) {
  job_t *j = p;
  napi_value r;
  napi_create_int32(env, status == napi_ok ? j->err : EIO, &r);
  napi_resolve_deferred(env, j->deferred, r);
  if (j->keep) napi_delete_reference(env, j->keep);
  napi_delete_async_work(env, j->work);
  free(j->dirs);
  free(j);
}

/* Run `exec(data)` on the thread pool, then `complete` here, which settles `*deferred`: the
   promise, or NULL with an error thrown and nothing queued (the caller frees `data`). */
static napi_value queue_task(napi_env env, const char *label, napi_async_execute_callback exec,
                             napi_async_complete_callback complete, void *data, napi_deferred *deferred,
                             napi_async_work *work) {
  napi_value promise, name;
  napi_create_string_utf8(env, label, NAPI_AUTO_LENGTH, &name);
  if (napi_create_async_work(env, NULL, name, exec, complete, data, work) != napi_ok) {
    napi_throw_error(env, NULL, "could not make a thread-pool task");
    return NULL;
  }
  if (napi_create_promise(env, deferred, &promise) != napi_ok || napi_queue_async_work(env, *work) != napi_ok) {
    napi_delete_async_work(env, *work);
    napi_throw_error(env, NULL, "could not queue a thread-pool task");
    return NULL;
  }
  return promise;
}

static napi_value start_job(napi_env env, job_t *j, napi_async_execute_callback exec) {
  napi_value promise = queue_task(env, "tsnix:fs", exec, job_done, j, &j->deferred, &j->work);
  if (promise == NULL) {
    if (j->keep) napi_delete_reference(env, j->keep);
    free(j->dirs);
    free(j);
  }
  return promise;
}

static void put_exec(napi_env env, void *p) {
  job_t *j = p;
  j->err = put_object_file(j->tmp, j->target, j->data, j->len, j->sync);
}

static napi_value put_object_async(napi_env env, napi_callback_info info) {
  job_t *j = calloc(1, sizeof *j);
  if (j == NULL) { napi_throw_error(env, NULL, "out of memory"); return NULL; }
  napi_value dv;
  void *data;
  if (!put_object_args(env, info, j->tmp, j->target, &dv, &data, &j->len, &j->sync)) { free(j); return NULL; }
  j->data = data;
  napi_create_reference(env, dv, 1, &j->keep);
  return start_job(env, j, put_exec);
}

static void sync_dirs_exec(napi_env env, void *p) {
  job_t *j = p;
  const char *d = j->dirs;
  for (size_t i = 0; i < j->ndirs; i++, d += strlen(d) + 1) {
    int fd;
    do fd = open(d, O_RDONLY | O_CLOEXEC); while (fd < 0 && errno == EINTR);
    if (fd < 0) { j->err = errno; return; }
    int err = 0;
    while (fsync(fd) != 0) { if (errno != EINTR) { err = errno; break; } }
    if (close(fd) != 0 && err == 0 && errno != EINTR) err = errno;
    if (err != 0) { j->err = err; return; }
  }
}

static napi_value sync_dirs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  bool is_array = false;
  uint32_t n = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[0], &n) != napi_ok) {
    napi_throw_type_error(env, NULL, "syncDirs(paths): an array of paths expected");
    return NULL;
  }
  size_t total = 1;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    size_t len;
    if (napi_get_element(env, argv[0], i, &v) != napi_ok || napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
      napi_throw_type_error(env, NULL, "syncDirs(paths): an array of paths expected");
      return NULL;
    }
    total += len < PATH_MAX ? len + 1 : PATH_MAX;
  }
  job_t *j = calloc(1, sizeof *j);
  char *buf = malloc(total + PATH_MAX);
  if (j == NULL || buf == NULL) { free(j); free(buf); napi_throw_error(env, NULL, "out of memory"); return NULL; }
  size_t at = 0;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    if (napi_get_element(env, argv[0], i, &v) != napi_ok || !get_path(env, v, buf + at)) {
      free(j); free(buf);
      napi_throw_type_error(env, NULL, "syncDirs(paths): an array of non-empty paths expected");
      return NULL;
    }
    at += strlen(buf + at) + 1;
  }
  j->dirs = buf;
  j->ndirs = n;
  return start_job(env, j, sync_dirs_exec);
}

static napi_value touch_object(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char path[PATH_MAX];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || !get_path(env, argv[0], path)) {
    napi_throw_type_error(env, NULL, "touchObject(path): a non-empty path expected");
    return NULL;
  }
  const struct timespec times[2] = { { 0, UTIME_NOW }, { 0, UTIME_OMIT } };
  if (utimensat(AT_FDCWD, path, times, 0) == 0) return number(env, 1);
  return number(env, errno == ENOENT ? 0 : -errno);
}

/* ---- SHA-256 on the thread pool ------------------------------------------------------------ */

/* OpenSSL's EVP digest calls, looked up in the process (Node exports them); all or none. */
static struct {
  void *(*ctx_new)(void);
  void (*ctx_free)(void *);
  const void *(*md)(void);
  int (*init)(void *, const void *, void *);
  int (*update)(void *, const void *, size_t);
  int (*final)(void *, unsigned char *, unsigned int *);
} ossl;

static bool have_openssl(void) {
  static int state = -1;
  if (state >= 0) return state == 1;
  ossl.ctx_new = (void *(*)(void))dlsym(RTLD_DEFAULT, "EVP_MD_CTX_new");
  ossl.ctx_free = (void (*)(void *))dlsym(RTLD_DEFAULT, "EVP_MD_CTX_free");
  ossl.md = (const void *(*)(void))dlsym(RTLD_DEFAULT, "EVP_sha256");
  ossl.init = (int (*)(void *, const void *, void *))dlsym(RTLD_DEFAULT, "EVP_DigestInit_ex");
  ossl.update = (int (*)(void *, const void *, size_t))dlsym(RTLD_DEFAULT, "EVP_DigestUpdate");
  ossl.final = (int (*)(void *, unsigned char *, unsigned int *))dlsym(RTLD_DEFAULT, "EVP_DigestFinal_ex");
  state = ossl.ctx_new && ossl.ctx_free && ossl.md && ossl.init && ossl.update && ossl.final ? 1 : 0;
  return state == 1;
}

typedef struct { void *ctx; bool busy; bool failed; } sha_t;

static void sha_finalize(napi_env env, void *data, void *hint) {
  sha_t *h = data;
  /* a task still running keeps the handle referenced, so this never races one */
  ossl.ctx_free(h->ctx);
  free(h);
}

static napi_value sha256_new(napi_env env, napi_callback_info info) {
  sha_t *h = calloc(1, sizeof *h);
  if (h == NULL || (h->ctx = ossl.ctx_new()) == NULL || ossl.init(h->ctx, ossl.md(), NULL) != 1) {
    if (h != NULL && h->ctx != NULL) ossl.ctx_free(h->ctx);
    free(h);
    napi_throw_error(env, NULL, "sha256New: could not make an OpenSSL digest context");
    return NULL;
  }
  napi_value ext;
  if (napi_create_external(env, h, sha_finalize, NULL, &ext) != napi_ok) {
    ossl.ctx_free(h->ctx);
    free(h);
    napi_throw_error(env, NULL, "sha256New: could not wrap the context");
    return NULL;
  }
  return ext;
}

static sha_t *get_sha(napi_env env, napi_value v) {
  napi_valuetype t;
  void *p = NULL;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external || napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return p;
}

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref keep_pieces, keep_handle;
  sha_t *h;
  uint32_t n;
  const char **data;
  size_t *len;
} sha_job_t;

static void sha_exec(napi_env env, void *p) {
  sha_job_t *j = p;
  for (uint32_t i = 0; i < j->n && !j->h->failed; i++)
    if (j->len[i] > 0 && ossl.update(j->h->ctx, j->data[i], j->len[i]) != 1) j->h->failed = true;
}

static void sha_done(napi_env env, napi_status status, void *p) {
  sha_job_t *j = p;
  j->h->busy = false;
  if (status != napi_ok) j->h->failed = true;
  napi_value r;
  napi_create_int32(env, j->h->failed ? EIO : 0, &r);
  napi_resolve_deferred(env, j->deferred, r);
  napi_delete_reference(env, j->keep_pieces);
  napi_delete_reference(env, j->keep_handle);
  napi_delete_async_work(env, j->work);
  free(j->data);
  free(j->len);
  free(j);
}

static napi_value sha256_update_async(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  bool is_array = false;
  uint32_t n = 0;
  sha_t *h;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || (h = get_sha(env, argv[0])) == NULL ||
      napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[1], &n) != napi_ok) {
    napi_throw_type_error(env, NULL, "sha256UpdateAsync(handle, pieces): a handle from sha256New and an array of Uint8Arrays expected");
    return NULL;
  }
  if (h->busy) {
    napi_throw_error(env, NULL, "sha256UpdateAsync: an update of this hash is still running");
    return NULL;
  }
  sha_job_t *j = calloc(1, sizeof *j);
  const char **data = malloc((n ? n : 1) * sizeof *data);
  size_t *len = malloc((n ? n : 1) * sizeof *len);
  if (j == NULL || data == NULL || len == NULL) { free(j); free(data); free(len); napi_throw_error(env, NULL, "out of memory"); return NULL; }
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    void *d;
    if (napi_get_element(env, argv[1], i, &v) != napi_ok || !get_bytes(env, v, &d, &len[i])) {
      free(j); free(data); free(len);
      napi_throw_type_error(env, NULL, "sha256UpdateAsync(handle, pieces): pieces must be Uint8Arrays");
      return NULL;
    }
    data[i] = d;
  }
  j->h = h;
  j->n = n;
  j->data = data;
  j->len = len;
  napi_create_reference(env, argv[1], 1, &j->keep_pieces);
  napi_create_reference(env, argv[0], 1, &j->keep_handle);
  napi_value promise = queue_task(env, "tsnix:sha256", sha_exec, sha_done, j, &j->deferred, &j->work);
  if (promise == NULL) {
    napi_delete_reference(env, j->keep_pieces);
    napi_delete_reference(env, j->keep_handle);
    free(j); free(data); free(len);
    return NULL;
  }
  h->busy = true;
  return promise;
}

static napi_value sha256_final(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  sha_t *h;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || (h = get_sha(env, argv[0])) == NULL) {
    napi_throw_type_error(env, NULL, "sha256Final(handle): a handle from sha256New expected");
    return NULL;
  }
  if (h->busy) {
    napi_throw_error(env, NULL, "sha256Final: an update of this hash is still running");
    return NULL;
  }
  unsigned char md[32];
  unsigned int mdlen = 0;
  if (h->failed || ossl.final(h->ctx, md, &mdlen) != 1 || mdlen != 32) {
    napi_throw_error(env, NULL, "sha256Final: the hash failed or was finished already");
    return NULL;
  }
  h->failed = true; /* finished: further use is an error */
  void *out;
  napi_value buf;
  napi_create_buffer_copy(env, 32, md, &out, &buf);
  return buf;
}

/* ---- NAR directory walk (narWalk*) ---------------------------------------------------------
 *
 * One directory of a NAR dump at a time, on the thread pool: list it (getdents64), sort the
 * names bytewise (NAR order), and for each entry write its NAR framing into a caller's buffer
 * — with the whole contents of small regular files (openat, fstat, read, close) and symlink
 * targets (readlinkat) — until the buffer or the hole table is full. Anything else becomes a
 * hole: the framing stops just after the entry's "node" token and the caller dumps the node
 * there (a directory: another walk; a big file: streamed; anything odd or failing: looked at
 * again the slow way, which reports it). So the JS thread only hands bytes on, while other
 * cores do the system calls.
 *
 *   narWalkOpen(path) -> handle        nothing opened until the first fill
 *   narWalkFill(handle, out, meta, smallMax, inlineBig, outFd) -> Promise   one fill, on the thread
 *                                      pool; inlineBig: bigger files' contents too, across fills;
 *                                      outFd >= 0: write the bytes to that fd as they come (below)
 *   narWalkWait(handle, block) -> bool whether the handle's fill (if any) has run; with block,
 *                                      wait until it has
 *   narWalkClose(handle)               wait, then close the directory and free the listing
 *
 * meta (Int32Array): [0] bytes written to out, [1] holes, [2] flags (1 the directory is done,
 * 2 it could not be opened or listed: errno in [3]); from [8], 8 ints per hole: offset in out
 * where its node goes, kind (1 directory, 2 big regular file, 3 look again, 4 a file shorter
 * than its size), name offset and length in out, size (low, high 32 bits), executable. (Kind 4
 * for an inlined big file: its contents so far are in the bytes; nothing follows.)
 *
 * With outFd (a direct fill: the caller has written everything before it, and `out` is only a
 * staging buffer), the bytes go to outFd every WALK_DIRECT_FLUSH bytes and at the end, blocking,
 * as C++ `nix-store --dump` writes a file after reading it: a pipe's reader then works while the
 * next files are read. The fill runs until the directory ends or its first hole (no limit of one
 * buffer). [0] is then 0 and a hole's offset 0 (its name stays at its offset in `out`); [4], [5]
 * are the bytes written (low, high 32 bits); flag 4: the directory's opening ("(" "type"
 * "directory") was written, on a first fill whose listing worked; flag 8: a write failed,
 * errno in [3] (nothing more is written).
 */
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>

enum { HOLE_DIR = 1, HOLE_BIG = 2, HOLE_NODE = 3, HOLE_SHORT = 4 };
enum { WALK_DONE = 1, WALK_FAILED = 2, WALK_HEADER = 4, WALK_WRITE_FAILED = 8 };
#define WALK_META_HEAD 8
#define WALK_DIRECT_FLUSH (32 * 1024)
#define WALK_HOLE_INTS 8

typedef struct { uint32_t off; uint16_t len; uint8_t type; } walk_ent_t;

typedef struct {
  char *path;
  int fd;
  bool listed, closed;
  char *names;
  walk_ent_t *ents;
  size_t n, next;
  /* A small file opened for the last fill that did not fit: the next fill starts with it. */
  int pending_fd;
  struct stat pending_st;
  /* A big file whose contents are being copied into fills (inline_big): what is left of it. */
  int big_fd;
  uint64_t big_size, big_left;
  uint32_t big_name;
  uint16_t big_name_len;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool busy;
} walk_t;

typedef struct {
  walk_t *w;
  napi_async_work work;
  napi_deferred deferred;
  napi_ref keep_walk, keep_out, keep_meta;
  uint8_t *out;
  size_t out_len;
  int32_t *meta;
  size_t meta_len;
  size_t small_max;
  bool inline_big;
  int out_fd;
} walk_job_t;

/* NAR order: bytewise, a prefix first (C++ sorts std::string names). */
static int walk_cmp(const void *a, const void *b, void *names) {
  const walk_ent_t *x = a, *y = b;
  const char *base = names;
  int c = memcmp(base + x->off, base + y->off, x->len < y->len ? x->len : y->len);
  return c != 0 ? c : (int)x->len - (int)y->len;
}

static void walk_release(walk_t *w) {
  if (w->big_fd >= 0) { close(w->big_fd); w->big_fd = -1; }
  if (w->fd >= 0) { close(w->fd); w->fd = -1; }
  if (w->pending_fd >= 0) { close(w->pending_fd); w->pending_fd = -1; }
  free(w->names); w->names = NULL;
  free(w->ents); w->ents = NULL;
  w->n = w->next = 0;
}

/* Open and list the directory; errno on failure. */
static int walk_list(walk_t *w) {
  int fd;
  do fd = open(w->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC); while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno;
  w->fd = fd;
  size_t ncap = 64 * 1024, nlen = 0, ecap = 256;
  w->names = malloc(ncap);
  w->ents = malloc(ecap * sizeof *w->ents);
  char *buf = malloc(64 * 1024);
  if (w->names == NULL || w->ents == NULL || buf == NULL) { free(buf); return ENOMEM; }
  for (;;) {
    long got = syscall(SYS_getdents64, fd, buf, 64 * 1024);
    if (got < 0) { if (errno == EINTR) continue; int err = errno; free(buf); return err; }
    if (got == 0) break;
    for (long at = 0; at < got;) {
      /* struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, name */
      uint16_t reclen;
      memcpy(&reclen, buf + at + 16, 2);
      uint8_t type = (uint8_t)buf[at + 18];
      const char *name = buf + at + 19;
      at += reclen;
      size_t len = strlen(name);
      if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.')) continue;
      if (nlen + len > ncap) {
        while (nlen + len > ncap) ncap *= 2;
        char *p = realloc(w->names, ncap);
        if (p == NULL) { free(buf); return ENOMEM; }
        w->names = p;
      }
      if (w->n == ecap) {
        ecap *= 2;
        walk_ent_t *p = realloc(w->ents, ecap * sizeof *p);
        if (p == NULL) { free(buf); return ENOMEM; }
        w->ents = p;
      }
      memcpy(w->names + nlen, name, len);
      w->ents[w->n++] = (walk_ent_t){ (uint32_t)nlen, (uint16_t)len, type };
      nlen += len;
    }
  }
  free(buf);
  qsort_r(w->ents, w->n, sizeof *w->ents, walk_cmp, w->names);
  return 0;
}

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

/* NAR integers are little-endian whatever the host's order. */
static void put_u64le(uint8_t *o, uint64_t v) {
  for (int i = 0; i < 8; i++) o[i] = (uint8_t)(v >> (8 * i));
}

/* Append a NAR string (u64 length, bytes, zero padding). */
static size_t put_str(uint8_t *o, const void *s, size_t len) {
  put_u64le(o, len);
  memcpy(o + 8, s, len);
  memset(o + 8 + len, 0, pad8(len) - len);
  return 8 + pad8(len);
}
#define PUT_TOK(o, lit) put_str((o), (lit), sizeof(lit) - 1)

/* "entry" "(" "name" NAME "node": 72 bytes plus the padded name. */
static size_t put_entry_head(uint8_t *o, const char *name, size_t len) {
  size_t k = PUT_TOK(o, "entry");
  k += PUT_TOK(o + k, "(");
  k += PUT_TOK(o + k, "name");
  k += put_str(o + k, name, len);
  k += PUT_TOK(o + k, "node");
  return k;
}

/*
 * Whether `need` more bytes fit in a fill's buffer — for a direct fill after writing out what it
 * holds if they do not (*err: 0, or the write's errno, and then false).
 */
static bool walk_room(walk_job_t *j, size_t *at, size_t need, uint64_t *written, int *err) {
  if (j->out_len - *at >= need) return true;
  if (j->out_fd < 0 || *at == 0) return false;
  *err = write_all(j->out_fd, j->out, *at);
  if (*err != 0) return false;
  *written += *at;
  *at = 0;
  return j->out_len >= need;
}

static void walk_exec(napi_env env, void *p) {
  walk_job_t *j = p;
  walk_t *w = j->w;
  int32_t *meta = j->meta;
  uint8_t *out = j->out;
  size_t cap = j->out_len, at = 0, holes = 0;
  size_t max_holes = (j->meta_len - WALK_META_HEAD) / WALK_HOLE_INTS;
  int flags = 0, err = 0, werr = 0;
  bool direct = j->out_fd >= 0;
  uint64_t written = 0;
  size_t flush_at = cap / 2 < WALK_DIRECT_FLUSH ? cap / 2 : WALK_DIRECT_FLUSH;
  if (direct) max_holes = 1;
  if (w->closed) { flags = WALK_FAILED; err = EBADF; goto end; }
  if (!w->listed) {
    w->listed = true;
    err = walk_list(w);
    if (err != 0) { walk_release(w); flags = WALK_FAILED; goto end; }
    if (direct) {
      at += PUT_TOK(out + at, "(");
      at += PUT_TOK(out + at, "type");
      at += PUT_TOK(out + at, "directory");
      flags |= WALK_HEADER;
    }
  }
  for (;;) {
    if (direct && at >= flush_at) {
      if ((werr = write_all(j->out_fd, out, at)) != 0) break;
      written += at;
      at = 0;
    }
    if (w->big_fd >= 0) {
      /* Go on copying a big file's contents, keeping room for its padding and two ")". */
      if (cap - at < 40 + 4096) break;
      size_t n = cap - at - 40;
      if (n > w->big_left) n = (size_t)w->big_left;
      size_t got = 0;
      while (got < n) {
        ssize_t r = read(w->big_fd, out + at + got, n - got);
        if (r > 0) { got += (size_t)r; continue; }
        if (r < 0 && errno == EINTR) continue;
        break;
      }
      if (got < n) {
        /* Shorter than its size: a hole the caller reports (the name copied after the bytes). */
        size_t name_at = at + got;
        memcpy(out + name_at, w->names + w->big_name, w->big_name_len);
        int32_t *h = meta + WALK_META_HEAD + holes * WALK_HOLE_INTS;
        h[0] = (int32_t)(at + got); h[1] = HOLE_SHORT; h[2] = (int32_t)name_at; h[3] = w->big_name_len;
        h[4] = h[5] = h[6] = h[7] = 0;
        holes++;
        at += got;
        close(w->big_fd);
        w->big_fd = -1;
        walk_release(w);
        flags = WALK_DONE; /* nothing after it is read: the caller fails here */
        goto end;
      }
      at += n;
      w->big_left -= n;
      if (w->big_left > 0) break;
      memset(out + at, 0, pad8((size_t)w->big_size) - (size_t)w->big_size);
      at += pad8((size_t)w->big_size) - (size_t)w->big_size;
      at += PUT_TOK(out + at, ")");
      at += PUT_TOK(out + at, ")");
      close(w->big_fd);
      w->big_fd = -1;
      continue;
    }
    if (w->next >= w->n || holes >= max_holes) break;
    const walk_ent_t *e = &w->ents[w->next];
    const char *name = w->names + e->off;
    char cname[NAME_MAX + 1];
    memcpy(cname, name, e->len);
    cname[e->len] = 0;
    size_t head = 72 + pad8(e->len);
    /* The most a symlink or the framing of a hole takes; a small file checks its own size. */
    if (!walk_room(j, &at, head + 64 + 8 + PATH_MAX + 32, &written, &werr)) break;
    int kind = 0, type = e->type;
    struct stat st;
    int fd = -1;
    if (w->pending_fd >= 0) {
      fd = w->pending_fd; st = w->pending_st; w->pending_fd = -1; type = DT_REG;
    } else if (type == DT_UNKNOWN) {
      if (fstatat(w->fd, cname, &st, AT_SYMLINK_NOFOLLOW) != 0) type = -1;
      else type = S_ISREG(st.st_mode) ? DT_REG : S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : -1;
    }
    if (type == DT_DIR) {
      kind = HOLE_DIR;
    } else if (type == DT_REG) {
      if (fd < 0) {
        do fd = openat(w->fd, cname, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC); while (fd < 0 && errno == EINTR);
        if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) { close(fd); fd = -1; }
      }
      if (fd < 0) {
        kind = HOLE_NODE;
      } else if ((size_t)st.st_size > j->small_max && j->inline_big && st.st_size > 0) {
        /* Its framing now, its contents from the top of the loop, across fills. */
        bool x = (st.st_mode & S_IXUSR) != 0;
        size_t k = at + put_entry_head(out + at, name, e->len);
        k += PUT_TOK(out + k, "(");
        k += PUT_TOK(out + k, "type");
        k += PUT_TOK(out + k, "regular");
        if (x) { k += PUT_TOK(out + k, "executable"); k += put_str(out + k, "", 0); }
        k += PUT_TOK(out + k, "contents");
        put_u64le(out + k, (uint64_t)st.st_size);
        at = k + 8;
        w->big_fd = fd;
        w->big_size = w->big_left = (uint64_t)st.st_size;
        w->big_name = e->off;
        w->big_name_len = e->len;
        w->next++;
        continue;
      } else if ((size_t)st.st_size > j->small_max) {
        close(fd);
        kind = HOLE_BIG;
      } else {
        size_t size = (size_t)st.st_size;
        bool x = (st.st_mode & S_IXUSR) != 0;
        size_t need = head + (x ? 88 : 64) + 8 + pad8(size) + 32;
        if (!walk_room(j, &at, need, &written, &werr)) { w->pending_fd = fd; w->pending_st = st; break; }
        size_t k = at + put_entry_head(out + at, name, e->len);
        size_t name_at = at + 56; /* after "entry" "(" "name" and the length */
        k += PUT_TOK(out + k, "(");
        k += PUT_TOK(out + k, "type");
        k += PUT_TOK(out + k, "regular");
        if (x) { k += PUT_TOK(out + k, "executable"); k += put_str(out + k, "", 0); }
        k += PUT_TOK(out + k, "contents");
        put_u64le(out + k, size);
        k += 8;
        size_t got = 0;
        while (got < size) {
          ssize_t r = read(fd, out + k + got, size - got);
          if (r > 0) { got += (size_t)r; continue; }
          if (r < 0 && errno == EINTR) continue;
          break;
        }
        close(fd);
        if (got < size) {
          /* Changed while read (or a read error): the caller reports it. */
          kind = HOLE_SHORT;
          int32_t *h = meta + WALK_META_HEAD + holes * WALK_HOLE_INTS;
          at += put_entry_head(out + at, name, e->len);
          h[0] = (int32_t)at; h[1] = kind; h[2] = (int32_t)name_at; h[3] = e->len;
          h[4] = (int32_t)(uint32_t)size; h[5] = (int32_t)(size >> 32); h[6] = x; h[7] = 0;
          holes++;
          w->next++;
          break;
        }
        memset(out + k + size, 0, pad8(size) - size);
        k += pad8(size);
        k += PUT_TOK(out + k, ")");
        k += PUT_TOK(out + k, ")");
        at = k;
        w->next++;
        continue;
      }
    } else if (type == DT_LNK) {
      size_t k = at + put_entry_head(out + at, name, e->len);
      k += PUT_TOK(out + k, "(");
      k += PUT_TOK(out + k, "type");
      k += PUT_TOK(out + k, "symlink");
      k += PUT_TOK(out + k, "target");
      /* A target of PATH_MAX - 1 bytes or more is refused by the slow way, as is a failure. */
      ssize_t len = readlinkat(w->fd, cname, (char *)out + k + 8, PATH_MAX - 1);
      if (len > 0 && len < PATH_MAX - 1) {
        put_u64le(out + k, (uint64_t)len);
        memset(out + k + 8 + len, 0, pad8((size_t)len) - (size_t)len);
        k += 8 + pad8((size_t)len);
        k += PUT_TOK(out + k, ")");
        k += PUT_TOK(out + k, ")");
        at = k;
        w->next++;
        continue;
      }
      kind = HOLE_NODE;
    } else {
      kind = HOLE_NODE;
    }
    /* A hole: the framing up to the node; the caller dumps the node and closes the entry. */
    size_t name_at = at + 56; /* after "entry" "(" "name" and the length */
    at += put_entry_head(out + at, name, e->len);
    int32_t *h = meta + WALK_META_HEAD + holes * WALK_HOLE_INTS;
    uint64_t size = kind == HOLE_BIG ? (uint64_t)st.st_size : 0;
    h[0] = (int32_t)at; h[1] = kind; h[2] = (int32_t)name_at; h[3] = e->len;
    h[4] = (int32_t)(uint32_t)size; h[5] = (int32_t)(size >> 32);
    h[6] = kind == HOLE_BIG && (st.st_mode & S_IXUSR) != 0; h[7] = 0;
    holes++;
    w->next++;
  }
  if (werr == 0 && w->next == w->n && w->pending_fd < 0 && w->big_fd < 0) { flags |= WALK_DONE; walk_release(w); }
end:
  if (direct && werr == 0 && at > 0) {
    /* The rest; a hole's name stays where it is in `out`. */
    werr = write_all(j->out_fd, out, at);
    if (werr == 0) written += at;
  }
  if (direct) {
    if (werr != 0) { flags |= WALK_WRITE_FAILED; err = werr; }
    at = 0;
    if (holes > 0) meta[WALK_META_HEAD] = 0;
    meta[4] = (int32_t)(uint32_t)written;
    meta[5] = (int32_t)(uint32_t)(written >> 32);
  }
  meta[0] = (int32_t)at;
  meta[1] = (int32_t)holes;
  meta[2] = flags;
  meta[3] = err;
  pthread_mutex_lock(&w->mu);
  w->busy = false;
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
}

static void walk_done(napi_env env, napi_status status, void *p) {
  walk_job_t *j = p;
  napi_value u;
  napi_get_undefined(env, &u);
  napi_resolve_deferred(env, j->deferred, u);
  napi_delete_reference(env, j->keep_walk);
  napi_delete_reference(env, j->keep_out);
  napi_delete_reference(env, j->keep_meta);
  napi_delete_async_work(env, j->work);
  free(j);
}

static void walk_finalize(napi_env env, void *data, void *hint) {
  walk_t *w = data;
  walk_release(w);
  pthread_mutex_destroy(&w->mu);
  pthread_cond_destroy(&w->cv);
  free(w->path);
  free(w);
}

static walk_t *get_walk(napi_env env, napi_value v) {
  void *p = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external || napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return p;
}

static napi_value narwalk_open(napi_env env, napi_callback_info info) {
  size_t argc = 1, len;
  napi_value argv[1], r;
  void *data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || !get_bytes(env, argv[0], &data, &len) ||
      len == 0 || len >= PATH_MAX || memchr(data, 0, len) != NULL) {
    napi_throw_type_error(env, NULL, "narWalkOpen(path): a non-empty path as a Uint8Array expected");
    return NULL;
  }
  walk_t *w = calloc(1, sizeof *w);
  char *path = malloc(len + 1);
  if (w == NULL || path == NULL) { free(w); free(path); napi_throw_error(env, NULL, "out of memory"); return NULL; }
  memcpy(path, data, len);
  path[len] = 0;
  w->path = path;
  w->fd = -1;
  w->pending_fd = -1;
  w->big_fd = -1;
  pthread_mutex_init(&w->mu, NULL);
  pthread_cond_init(&w->cv, NULL);
  if (napi_create_external(env, w, walk_finalize, NULL, &r) != napi_ok) {
    free(path); free(w);
    napi_throw_error(env, NULL, "could not make a walk handle");
    return NULL;
  }
  return r;
}

static napi_value narwalk_fill(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  walk_t *w;
  void *out, *meta;
  bool inline_big = false;
  int32_t out_fd = -1;
  size_t out_len, meta_len;
  double small_max;
  napi_typedarray_type mt;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 || (w = get_walk(env, argv[0])) == NULL ||
      !get_bytes(env, argv[1], &out, &out_len) ||
      napi_get_typedarray_info(env, argv[2], &mt, &meta_len, &meta, NULL, NULL) != napi_ok || mt != napi_int32_array ||
      meta_len < WALK_META_HEAD + WALK_HOLE_INTS || napi_get_value_double(env, argv[3], &small_max) != napi_ok ||
      out_len > INT32_MAX || out_len < 4 * PATH_MAX) {
    napi_throw_type_error(env, NULL, "narWalkFill(handle, out, meta, smallMax): a walk handle, a Uint8Array (16 KiB to 2 GiB), an Int32Array of 16+ and a number expected");
    return NULL;
  }
  pthread_mutex_lock(&w->mu);
  bool busy = w->busy;
  w->busy = true;
  pthread_mutex_unlock(&w->mu);
  if (busy) { napi_throw_error(env, NULL, "narWalkFill: a fill of this walk is still running"); return NULL; }
  walk_job_t *j = calloc(1, sizeof *j);
  if (j == NULL) { w->busy = false; napi_throw_error(env, NULL, "out of memory"); return NULL; }
  j->w = w;
  j->out = out;
  j->out_len = out_len;
  j->meta = meta;
  j->meta_len = meta_len;
  /* A small file must fit an empty buffer with its framing. */
  j->small_max = small_max < 0 ? 0 : small_max > (double)(out_len / 2) ? out_len / 2 : (size_t)small_max;
  if (argc >= 5) napi_get_value_bool(env, argv[4], &inline_big);
  if (argc >= 6) napi_get_value_int32(env, argv[5], &out_fd);
  j->inline_big = inline_big;
  /* (Big files' contents inline would stop at no hole: direct fills leave them to the caller.) */
  j->out_fd = inline_big ? -1 : out_fd;
  napi_create_reference(env, argv[0], 1, &j->keep_walk);
  napi_create_reference(env, argv[1], 1, &j->keep_out);
  napi_create_reference(env, argv[2], 1, &j->keep_meta);
  napi_value promise = queue_task(env, "tsnix:narwalk", walk_exec, walk_done, j, &j->deferred, &j->work);
  if (promise == NULL) {
    napi_delete_reference(env, j->keep_walk);
    napi_delete_reference(env, j->keep_out);
    napi_delete_reference(env, j->keep_meta);
    free(j);
    pthread_mutex_lock(&w->mu);
    w->busy = false;
    pthread_mutex_unlock(&w->mu);
  }
  return promise;
}

static void walk_wait(walk_t *w) {
  pthread_mutex_lock(&w->mu);
  while (w->busy) pthread_cond_wait(&w->cv, &w->mu);
  pthread_mutex_unlock(&w->mu);
}

static napi_value narwalk_wait(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], r;
  walk_t *w;
  bool block;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || (w = get_walk(env, argv[0])) == NULL ||
      napi_get_value_bool(env, argv[1], &block) != napi_ok) {
    napi_throw_type_error(env, NULL, "narWalkWait(handle, block): a walk handle and a boolean expected");
    return NULL;
  }
  pthread_mutex_lock(&w->mu);
  while (block && w->busy) pthread_cond_wait(&w->cv, &w->mu);
  bool idle = !w->busy;
  pthread_mutex_unlock(&w->mu);
  napi_get_boolean(env, idle, &r);
  return r;
}

static napi_value narwalk_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  walk_t *w;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || (w = get_walk(env, argv[0])) == NULL) {
    napi_throw_type_error(env, NULL, "narWalkClose(handle): a walk handle expected");
    return NULL;
  }
  walk_wait(w);
  w->closed = true;
  walk_release(w);
  return NULL;
}

/* ---- end of the NAR directory walk --------------------------------------------------------- */

/* ---- castore objects created unnamed (O_TMPFILE) -------------------------------------------
 *
 *   putObjectAnon(dir, target, data, fsync, mtime) -> 0, -1, -2 or an errno
 *     a castore object write with one directory entry made instead of three: an unnamed file in
 *     `dir` (O_TMPFILE, mode 0444 less the umask), `data` written, mtime set to `mtime` seconds
 *     (if >= 0: the materialised store's canonical time, so linking it there needs no utimes),
 *     fdatasync if `fsync`, then linked in as `target` — linkat refuses an existing name, so
 *     there is no look-up first and nothing to rename. 0 stored; -1 stored, after making the
 *     target's directory (its parent has a new entry to sync); -2 the target existed already:
 *     it was touched (atime now, which moves the GC stamp ctime) and kept. An errno: nothing was
 *     stored (EOPNOTSUPP/EISDIR/EINVAL: the filesystem has no O_TMPFILE; the caller writes its
 *     usual way from then on). A crash leaves nothing: an unnamed file vanishes with its last fd.
 */

/* How to give an unnamed file a name: AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH (ENOENT without
   it), /proc/self/fd/N works for anyone with /proc. -1 unknown, 1 AT_EMPTY_PATH, 0 /proc. */
static int anon_link_empty_path = -1;

static int anon_link_once(int fd, const char *target, int how) {
  if (how) return linkat(fd, "", AT_FDCWD, target, AT_EMPTY_PATH);
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  return linkat(AT_FDCWD, proc, AT_FDCWD, target, AT_SYMLINK_FOLLOW);
}

/* 0 linked, or an errno (ENOENT: the target's directory is missing) */
static int anon_link(int fd, const char *target) {
  if (anon_link_empty_path >= 0) return anon_link_once(fd, target, anon_link_empty_path) == 0 ? 0 : errno;
  if (anon_link_once(fd, target, 1) == 0) { anon_link_empty_path = 1; return 0; }
  int err = errno;
  if (err != ENOENT && err != EPERM) return err;
  if (anon_link_once(fd, target, 0) == 0) { anon_link_empty_path = 0; return 0; }
  int err2 = errno;
  if (err2 != ENOENT) anon_link_empty_path = 0; /* /proc resolved the fd: the empty path was refused */
  return err2;
}

static int put_object_anon(const char *dir, const char *target, const char *data, size_t len, bool sync, double mtime) {
  int fd;
  do fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0444); while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno;
  int err = write_all(fd, data, len);
  if (err == 0 && mtime >= 0) {
    const struct timespec times[2] = { { 0, UTIME_OMIT }, { (time_t)mtime, 0 } };
    if (futimens(fd, times) != 0) err = errno;
  }
  if (err == 0 && sync) err = datasync(fd);
  int made = 0;
  if (err == 0) {
    err = anon_link(fd, target);
    if (err == ENOENT) {
      int m = make_parent(target);
      if (m >= 0) { made = m; err = anon_link(fd, target); }
    }
    if (err == EEXIST) {
      const struct timespec now[2] = { { 0, UTIME_NOW }, { 0, UTIME_OMIT } };
      close(fd);
      return utimensat(AT_FDCWD, target, now, 0) == 0 ? -2 : errno;
    }
  }
  close(fd);
  return err != 0 ? err : -made;
}

static napi_value put_object_anon_call(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  char dir[PATH_MAX], target[PATH_MAX];
  void *data;
  size_t len;
  bool sync;
  double mtime;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5 ||
      !get_path(env, argv[0], dir) || !get_path(env, argv[1], target) || !get_bytes(env, argv[2], &data, &len) ||
      napi_get_value_bool(env, argv[3], &sync) != napi_ok || napi_get_value_double(env, argv[4], &mtime) != napi_ok) {
    napi_throw_type_error(env, NULL, "putObjectAnon(dir, target, data, fsync, mtime): two non-empty paths, a Uint8Array, a boolean and a number expected");
    return NULL;
  }
  return number(env, put_object_anon(dir, target, data, len, sync, mtime));
}

/*   putObjectAnonAsync(dir, target, data, fsync, mtime) -> Promise of the same answer
 *     putObjectAnon as one thread-pool task (`data` must not change until it settles). */
typedef struct { job_t base; double mtime; } anon_job_t; /* base first: job_done frees it whole */

static void put_anon_exec(napi_env env, void *p) {
  anon_job_t *j = p;
  j->base.err = put_object_anon(j->base.tmp, j->base.target, j->base.data, j->base.len, j->base.sync, j->mtime);
}

static napi_value put_object_anon_async(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  anon_job_t *j = calloc(1, sizeof *j);
  if (j == NULL) { napi_throw_error(env, NULL, "out of memory"); return NULL; }
  void *data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5 ||
      !get_path(env, argv[0], j->base.tmp) || !get_path(env, argv[1], j->base.target) || !get_bytes(env, argv[2], &data, &j->base.len) ||
      napi_get_value_bool(env, argv[3], &j->base.sync) != napi_ok || napi_get_value_double(env, argv[4], &j->mtime) != napi_ok) {
    free(j);
    napi_throw_type_error(env, NULL, "putObjectAnonAsync(dir, target, data, fsync, mtime): two non-empty paths, a Uint8Array, a boolean and a number expected");
    return NULL;
  }
  j->base.data = data;
  napi_create_reference(env, argv[2], 1, &j->base.keep);
  return start_job(env, &j->base, put_anon_exec);
}

/* ---- end of the unnamed castore objects ---------------------------------------------------- */

/* ---- castore object writes in batches ------------------------------------------------------
 *   putObjectsAnonAsync(dir, targets, datas, fsync, mtime, results) -> Promise of 0
 *     putObjectAnon for each targets[i] / datas[i], in order, as one thread-pool task: a batch of
 *     small objects pays one round trip to the pool (tens of µs of wake-ups each on a busy
 *     machine) instead of one per object. results[i] (an Int32Array as long as `targets`) gets
 *     putObjectAnon's answer for object i; an object's failure does not stop the others. The
 *     arrays and their contents must not change until the promise settles. The promise gives
 *     EIO (results untouched) if the task could not run.
 */
/* The targets go in base.dirs (NUL-separated, freed by job_done with the job); base.keep holds
   [datas, results] alive until it has run. */
typedef struct {
  job_t base;
  double mtime;
  int32_t *results;
  struct { const char *data; size_t len; } obj[]; /* base.ndirs of them */
} batch_job_t; /* base first: job_done frees it whole */

static void put_batch_exec(napi_env env, void *p) {
  batch_job_t *j = p;
  const char *t = j->base.dirs;
  for (size_t i = 0; i < j->base.ndirs; i++, t += strlen(t) + 1)
    j->results[i] = put_object_anon(j->base.tmp, t, j->obj[i].data, j->obj[i].len, j->base.sync, j->mtime);
}

static napi_value put_objects_anon_async(napi_env env, napi_callback_info info) {
  static const char *usage = "putObjectsAnonAsync(dir, targets, datas, fsync, mtime, results): a path, an array of paths, an array of Uint8Arrays as long, a boolean, a number and an Int32Array as long expected";
  size_t argc = 6;
  napi_value argv[6];
  bool is_array = false, sync = false;
  uint32_t n = 0, nd = 0;
  double mtime = 0;
  char dir[PATH_MAX];
  napi_typedarray_type rt;
  size_t rlen = 0;
  void *rdata = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6 || !get_path(env, argv[0], dir) ||
      napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[1], &n) != napi_ok ||
      napi_is_array(env, argv[2], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[2], &nd) != napi_ok || nd != n ||
      napi_get_value_bool(env, argv[3], &sync) != napi_ok || napi_get_value_double(env, argv[4], &mtime) != napi_ok ||
      napi_get_typedarray_info(env, argv[5], &rt, &rlen, &rdata, NULL, NULL) != napi_ok || rt != napi_int32_array || rlen != n) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  size_t total = 1;
  for (uint32_t i = 0; i < n; i++) {
    napi_value t;
    size_t len;
    if (napi_get_element(env, argv[1], i, &t) != napi_ok || napi_get_value_string_utf8(env, t, NULL, 0, &len) != napi_ok) {
      napi_throw_type_error(env, NULL, usage);
      return NULL;
    }
    total += len < PATH_MAX ? len + 1 : PATH_MAX;
  }
  batch_job_t *j = calloc(1, sizeof *j + (size_t)n * sizeof j->obj[0]);
  char *targets = malloc(total + PATH_MAX);
  if (j == NULL || targets == NULL) { free(j); free(targets); napi_throw_error(env, NULL, "out of memory"); return NULL; }
  size_t at = 0;
  for (uint32_t i = 0; i < n; i++) {
    napi_value t, d;
    void *bytes;
    if (napi_get_element(env, argv[1], i, &t) != napi_ok || !get_path(env, t, targets + at) ||
        napi_get_element(env, argv[2], i, &d) != napi_ok || !get_bytes(env, d, &bytes, &j->obj[i].len)) {
      free(j); free(targets);
      napi_throw_type_error(env, NULL, usage);
      return NULL;
    }
    j->obj[i].data = bytes;
    at += strlen(targets + at) + 1;
  }
  memcpy(j->base.tmp, dir, sizeof dir);
  j->base.sync = sync;
  j->base.dirs = targets;
  j->base.ndirs = n;
  j->mtime = mtime;
  j->results = rdata;
  napi_value keep;
  napi_create_array_with_length(env, 2, &keep);
  napi_set_element(env, keep, 0, argv[2]);
  napi_set_element(env, keep, 1, argv[5]);
  napi_create_reference(env, keep, 1, &j->base.keep);
  return start_job(env, &j->base, put_batch_exec);
}

/* ---- end of the batched castore object writes ---------------------------------------------- */

/* ---- a read-only shared mapping of a file's start (the SQLite WAL-index probe) -------------
 *   mapShared(path, length) -> ArrayBuffer
 *     The first `length` bytes (at most one page) of `path`, mapped MAP_SHARED read-only: reading
 *     them is a memory load instead of a pread system call. The file must stay at least that long
 *     while the buffer lives (the mapping is released with it); an error is thrown when it is
 *     shorter now or cannot be mapped.
 */
#include <sys/mman.h>

static void unmap_shared(napi_env env, void *data, void *hint) {
  (void)env;
  munmap(data, (size_t)(uintptr_t)hint);
}

static napi_value map_shared(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char path[PATH_MAX];
  uint32_t length = 0;
  long page = sysconf(_SC_PAGESIZE);
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || !get_path(env, argv[0], path) ||
      napi_get_value_uint32(env, argv[1], &length) != napi_ok || length == 0 || (long)length > page) {
    napi_throw_type_error(env, NULL, "mapShared(path, length): a path and a length of 1 to one page expected");
    return NULL;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) { napi_throw_error(env, NULL, strerror(errno)); return NULL; }
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size < (off_t)length) {
    close(fd);
    napi_throw_error(env, NULL, "mapShared: the file is shorter than the length asked for");
    return NULL;
  }
  void *m = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, fd, 0);
  int err = errno;
  close(fd);
  if (m == MAP_FAILED) { napi_throw_error(env, NULL, strerror(err)); return NULL; }
  napi_value ab;
  if (napi_create_external_arraybuffer(env, m, length, unmap_shared, (void *)(uintptr_t)page, &ab) != napi_ok) {
    munmap(m, (size_t)page);
    napi_throw_error(env, NULL, "mapShared: could not make the buffer");
    return NULL;
  }
  return ab;
}

/* ---- end of the shared mapping ------------------------------------------------------------- */

/* ---- a connection's next request without a turn of the event loop -------------------------
 *   readWhenReady(fd, into, budgetMs) -> n > 0 bytes read into `into`; 0 end of input; < 0 not now
 *     The daemon serves one request at a time per connection, and a client usually sends the next
 *     one within microseconds of the reply. Waiting for it in Node's event loop costs two epoll
 *     calls and the stream machinery per round trip (~15 µs of CPU, ~25 µs of latency here); this
 *     waits in poll() on the connection and on the loop's own epoll descriptor, so anything else
 *     the loop has to do ends the wait at once: -1 another descriptor is ready (a client, thread-
 *     pool work done, a signal; libuv's epoll is level-triggered, so looking consumes nothing),
 *     -4 work is due now (an immediate, a timer); -2 `budgetMs` passed; -3 the read failed (the
 *     stream will report it). The caller then waits the usual way. The socket stays non-blocking.
 *   writeSome(fd, data) -> bytes written by one write() (non-blocking), or -errno
 */
#include <sys/epoll.h>
#include <uv.h>

/* Whether the loop has a ready descriptor other than `fd` (level-triggered, so nothing is consumed). */
static int loop_has_other(int epfd, int fd) {
  struct epoll_event ev[16];
  int n = epoll_wait(epfd, ev, 16, 0);
  for (int i = 0; i < n; i++) if (ev[i].data.fd != fd) return 1;
  return 0;
}

static napi_value read_when_ready(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], out;
  int32_t fd, budget;
  void *data;
  size_t len;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 ||
      !get_bytes(env, argv[1], &data, &len) || len == 0 ||
      napi_get_value_int32(env, argv[2], &budget) != napi_ok) {
    napi_throw_type_error(env, NULL, "readWhenReady(fd, into, budgetMs): a descriptor, a Buffer and a number expected");
    return NULL;
  }
  uv_loop_t *loop;
  int32_t result = -1;
  if (napi_get_uv_event_loop(env, &loop) == napi_ok) {
    int epfd = uv_backend_fd(loop);
    int due = uv_backend_timeout(loop);
    int timeout = due < 0 || due > budget ? budget : due;
    if (epfd < 0 || loop_has_other(epfd, fd)) result = -1;
    else {
      struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = epfd, .events = POLLIN } };
      int r = poll(p, 2, timeout); /* EINTR too ends the wait: the loop handles the signal */
      if (r > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t n;
        do n = read(fd, data, len); while (n < 0 && errno == EINTR);
        result = n >= 0 ? (int32_t)n : -3;
      } else result = r > 0 ? -1 : due == 0 ? -4 : -2;
    }
  }
  napi_create_int32(env, result, &out);
  return out;
}

static napi_value write_some(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out;
  int32_t fd;
  void *data;
  size_t len;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 || !get_bytes(env, argv[1], &data, &len)) {
    napi_throw_type_error(env, NULL, "writeSome(fd, data): a descriptor and bytes expected");
    return NULL;
  }
  ssize_t n;
  do n = write(fd, data, len); while (n < 0 && errno == EINTR);
  napi_create_int32(env, n >= 0 ? (int32_t)n : -errno, &out);
  return out;
}

/* ---- end of the connection fast path ------------------------------------------------------- */

/* ---- benchmarks: CPU time of waited-for children ------------------------------------------ */
#include <sys/resource.h>

/* [user, system] µs of every child (and their waited-for descendants) reaped so far: the
 * benchmarks take the difference around one run, at µs instead of GNU time's 10 ms. */
static napi_value children_cpu(napi_env env, napi_callback_info info) {
  (void)info;
  struct rusage ru;
  napi_value out;
  if (getrusage(RUSAGE_CHILDREN, &ru) != 0) { napi_throw_error(env, NULL, strerror(errno)); return NULL; }
  napi_create_array_with_length(env, 2, &out);
  napi_set_element(env, out, 0, number(env, (double)ru.ru_utime.tv_sec * 1e6 + (double)ru.ru_utime.tv_usec));
  napi_set_element(env, out, 1, number(env, (double)ru.ru_stime.tv_sec * 1e6 + (double)ru.ru_stime.tv_usec));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  static const struct { const char *name; napi_callback fn; } calls[] = {
    { "peercred", get_peercred }, { "flock", do_flock }, { "sendfile", do_sendfile },
    { "readFileAt", read_file_at }, { "writeFileAt", write_file_at },
    { "putObject", put_object }, { "putObjectAsync", put_object_async },
    { "touchObject", touch_object }, { "syncDirs", sync_dirs },
    { "sha256New", sha256_new }, { "sha256UpdateAsync", sha256_update_async }, { "sha256Final", sha256_final },
    { "narWalkOpen", narwalk_open }, { "narWalkFill", narwalk_fill }, { "narWalkWait", narwalk_wait }, { "narWalkClose", narwalk_close },
    { "putObjectAnon", put_object_anon_call }, { "putObjectAnonAsync", put_object_anon_async },
    { "putObjectsAnonAsync", put_objects_anon_async }, { "mapShared", map_shared },
    { "readWhenReady", read_when_ready }, { "writeSome", write_some },
    { "childrenCpu", children_cpu },
  };
  for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
    if (strncmp(calls[i].name, "sha256", 6) == 0 && !have_openssl()) continue;
    napi_value fn;
    napi_create_function(env, calls[i].name, NAPI_AUTO_LENGTH, calls[i].fn, NULL, &fn);
    napi_set_named_property(env, exports, calls[i].name, fn);
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
