# probe.sh — what a builder sees in its sandbox, printed in a form that does not depend on
# the machine, the store location or the run: store dir → <store>, store hashes → <hash>,
# mount ids dropped, listings sorted. Run by /bin/sh = static busybox (sandbox-paths).
# Output goes to $out (ordinary builds) or to the log (PROBE_TO_LOG=1, fixed-output builds).
# Keep fd 3 on the log: C++ Nix ends a build at EOF on its log pty.
if [ -n "${PROBE_TO_LOG:-}" ]; then exec 3>&2 2>&1; else exec 3>&2 > "$out" 2>&1; fi
S=$NIX_STORE
norm() { sed -e "s#$S#<store>#g" -e 's#[0123456789abcdfghijklmnpqrsvwxyz]\{32\}-#<hash>-#g'; }
sec() { echo "== $1"; }
sec argv; tr '\0' ' ' < /proc/$$/cmdline | norm; echo
sec id; id
sec hostname; hostname; cat /proc/sys/kernel/domainname
sec pwd; pwd
sec umask; umask
sec ulimit-core; ulimit -c
sec personality; cat /proc/self/personality
sec env; env | grep -v '^SHLVL=' | sort | norm
sec ls-root; for f in /* /.[!.]*; do [ -e "$f" ] || [ -L "$f" ] && stat -c '%n %F %a %u:%g' "$f"; done | sort
sec ls-etc; for f in /etc/*; do stat -c '%n %F %a' "$f"; done | sort
# Host files bound into fixed-output builds (resolv.conf, services, hosts) vary by machine: only Nix's own are printed.
sec etc-files; for f in /etc/passwd /etc/group /etc/nsswitch.conf; do [ -f "$f" ] && { echo "-- $f"; cat "$f"; }; done
[ -z "${PROBE_TO_LOG:-}" ] && { echo "-- /etc/hosts"; cat /etc/hosts; }
sec ls-dev; for f in /dev/* /dev/pts/* /dev/shm/*; do [ -e "$f" ] || [ -L "$f" ] && echo "$(stat -c '%n %F %a' "$f")$( [ -L "$f" ] && echo " -> $(readlink "$f")")"; done | sort
sec ls-build; for f in /build /build/* /build/.[!.]*; do [ -e "$f" ] && stat -c '%n %F %a %u:%g' "$f"; done | norm | sort
# An isolated store under /tmp puts its own path's first component into the sandbox's /tmp: not listed.
sec ls-tmp; stat -c '%n %F %a %u:%g' /tmp; ls -A /tmp | { case $S in /tmp/*) grep -vx "$(echo "$S" | cut -d/ -f3)" ;; *) cat ;; esac; }
sec store; stat -c '<store> %F %a' "$S"; ls -A "$S" | norm | sort
sec mounts; awk '{ i = 7; while ($i != "-") i++; print $5, $(i + 1), $6 }' /proc/self/mountinfo | norm | sort
sec net-interfaces; sed -n 's/^ *\([a-z0-9]*\):.*/\1/p' /proc/net/dev | sort
sec net-addresses; ip -o addr 2>&1 | sed -e 's/^[0-9]*: //' -e 's/ *\\.*//' | sort
sec net-routes; tail -n +2 /proc/net/route | wc -l
sec status; grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status
sec uid-map; cat /proc/self/uid_map /proc/self/gid_map | sed 's/  */ /g'
sec fds; for fd in 0 1 2 3; do echo "$fd $(readlink /proc/$$/fd/$fd | sed -e 's/:\[[0-9]*\]//' -e 's#/dev/pts/[0-9]*#/dev/pts/N#' | norm)"; done
sec tty; (: < /dev/tty) 2>&1 | sed 's/^.*: //'
sec pid; echo $$
sec cgroup; cat /proc/self/cgroup | sed 's/:.*:/:/' | sort -u
sec end
