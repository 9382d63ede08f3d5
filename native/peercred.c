/*
 * peercred: the credentials (pid, uid, gid) of the process at the other end of a Unix socket,
 * via getsockopt(SO_PEERCRED). Node's `net` does not expose them; the daemon needs them to
 * apply allowed-users / trusted-users exactly as nix-daemon does.
 *
 *   peercred(fd: number) -> { pid, uid, gid }   (throws on error)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <node_api.h>

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, "ERR_PEERCRED", msg);
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

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "peercred", NAPI_AUTO_LENGTH, get_peercred, NULL, &fn);
  napi_set_named_property(env, exports, "peercred", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
