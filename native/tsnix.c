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
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
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
  size_t done = 0;
  while (done < data_len) {
    ssize_t n = write(fd, (const char *)data + done, data_len - done);
    if (n >= 0) { done += (size_t)n; continue; }
    if (errno == EINTR) continue;
    int err = errno;
    close(fd);
    return throw_errno(env, "write", err);
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

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "peercred", NAPI_AUTO_LENGTH, get_peercred, NULL, &fn);
  napi_set_named_property(env, exports, "peercred", fn);
  napi_create_function(env, "flock", NAPI_AUTO_LENGTH, do_flock, NULL, &fn);
  napi_set_named_property(env, exports, "flock", fn);
  napi_create_function(env, "sendfile", NAPI_AUTO_LENGTH, do_sendfile, NULL, &fn);
  napi_set_named_property(env, exports, "sendfile", fn);
  napi_create_function(env, "readFileAt", NAPI_AUTO_LENGTH, read_file_at, NULL, &fn);
  napi_set_named_property(env, exports, "readFileAt", fn);
  napi_create_function(env, "writeFileAt", NAPI_AUTO_LENGTH, write_file_at, NULL, &fn);
  napi_set_named_property(env, exports, "writeFileAt", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
