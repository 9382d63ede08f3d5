/*
 * The few system calls Node does not expose and tsnix needs:
 *
 *   peercred(fd) -> { pid, uid, gid }
 *     credentials of the process at the other end of a Unix socket (SO_PEERCRED), so the
 *     daemon applies allowed-users / trusted-users exactly as nix-daemon does;
 *   flock(fd, op) -> boolean
 *     op 0 = unlock, 1 = shared, 2 = exclusive; never blocks (LOCK_NB): false when the lock
 *     is held elsewhere. C++ Nix locks `.lock` files, gc.lock and temproots with flock(), so
 *     we must use the same primitive to interoperate with it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <node_api.h>

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, "ERR_NATIVE", msg);
  return NULL;
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

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "peercred", NAPI_AUTO_LENGTH, get_peercred, NULL, &fn);
  napi_set_named_property(env, exports, "peercred", fn);
  napi_create_function(env, "flock", NAPI_AUTO_LENGTH, do_flock, NULL, &fn);
  napi_set_named_property(env, exports, "flock", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
