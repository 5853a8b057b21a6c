#!/usr/bin/env bash
# Runs a command where OCI runtimes can be compared and tested without touching cgroups or
# mounts outside this session's own (DESIGN.md): in a cgroup namespace rooted at a cgroup made
# beneath the caller's own in every hierarchy, and a private mount namespace in which each v1
# hierarchy is remounted (so "/" in every hierarchy is that cgroup, also for a runtime such as
# crun that reads absolute paths from the hierarchy root) and /sys/fs/cgroup/unified is
# unmounted (crun refuses this host's hybrid layout otherwise). Whatever the command leaves in
# those cgroups, and the cgroups themselves, are removed afterwards; its mounts go with the
# namespace.
#
# Usage: scripts/in-private-cgroups.sh COMMAND [ARGS...]
set -euo pipefail
if [ -z "${BERTH_PRIVATE_CGROUPS:-}" ]; then
  parent="berth-private-$$"
  made=()
  while IFS=: read -r _ ctrls path; do
    [ -n "$ctrls" ] || continue
    mnt=/sys/fs/cgroup/${ctrls#name=}
    [ -d "$mnt" ] || continue
    d="$mnt${path%/}/$parent"
    mkdir "$d"
    made+=("$d")
    if [ -f "$d/cpuset.cpus" ]; then cat "$(dirname "$d")/cpuset.cpus" > "$d/cpuset.cpus"; cat "$(dirname "$d")/cpuset.mems" > "$d/cpuset.mems"; fi
  done < /proc/self/cgroup
  rc=0
  (
    for d in "${made[@]}"; do echo "$BASHPID" > "$d/cgroup.procs"; done
    exec env BERTH_PRIVATE_CGROUPS=1 unshare --cgroup --mount --propagation private "$0" "$@"
  ) || rc=$?
  for d in "${made[@]}"; do
    find "$d" -depth -mindepth 1 -type d -exec rmdir {} \; 2>/dev/null || true
    rmdir "$d" || echo "in-private-cgroups: could not remove $d" >&2
  done
  exit $rc
fi
while IFS=: read -r _ ctrls _; do
  [ -n "$ctrls" ] || continue
  mnt=/sys/fs/cgroup/${ctrls#name=}
  [ -d "$mnt" ] || continue
  opts=${ctrls}; [ "${ctrls#name=}" != "$ctrls" ] && opts="none,$ctrls"
  umount "$mnt" && mount -t cgroup -o "$opts" cgroup "$mnt"
done < /proc/self/cgroup
umount /sys/fs/cgroup/unified 2>/dev/null || true
unset BERTH_PRIVATE_CGROUPS
exec "$@"
