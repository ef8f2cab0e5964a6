/**
 * The fixed shell scripts of the seed (the guest contract): `boot.sh`, run as root on
 * every boot from the mounted seed; the cloud-init per-boot hook that mounts the seed
 * and runs it; and the `/etc/hosts` snippet for `host.lima.internal`. They are constants:
 * nothing from the template is ever spliced into them (the template's values reach them
 * only through `rdd.env` and files), so no quoting can go wrong here.
 *
 * POSIX sh only (busybox ash, dash, bash). Paths under `/` can be moved with RDD_ROOT,
 * RDD_RUN_DIR and RDD_LOG so that the tests run boot.sh for real in a temp directory.
 */

/** Where cloud-init's final stage (module scripts_per_boot) finds the hook. */
export const PerBootHookPath = "/var/lib/cloud/scripts/per-boot/00-rdd-boot.sh"

/** Where the hook mounts the seed (read-only) in the guest. */
export const SeedMountPoint = "/mnt/rdd-cidata"

/**
 * Replaces any `host.lima.internal` line with `$1 host.lima.internal`. Rewritten in place
 * (`cat >`), not renamed, because /etc/hosts may be a bind mount.
 */
export const hostsSnippet = `hosts="\${RDD_ROOT:-}/etc/hosts"
[ -n "$1" ] && [ -f "$hosts" ] || exit 0
{ grep -v -E '[[:space:]]host\\.lima\\.internal([[:space:]]|$)' "$hosts"; printf '%s\\thost.lima.internal\\n' "$1"; } >"$hosts.rdd-tmp" &&
  cat "$hosts.rdd-tmp" >"$hosts"
rm -f "$hosts.rdd-tmp"
`

/**
 * The per-boot hook. cloud-init runs it in its final stage (after the network is up),
 * and `cloud-init status` says `done` only once it returned, so readiness over SSH sees
 * provisioning finished. Each wait is bounded: the device normally exists already (cloud-init
 * just read the seed from it), and a missing one must fail the boot, not hang it.
 */
export const perBootHook = `#!/bin/sh
# rdd: mount the NoCloud seed and run its boot.sh (every boot).
set -u
mnt=${SeedMountPoint}
dev=
i=0
while [ "$i" -lt 30 ]; do
  if [ -b /dev/disk/by-label/cidata ]; then dev=/dev/disk/by-label/cidata; break; fi
  # without udev's by-label links, the seed is the second virtio disk
  if [ "$i" -ge 5 ] && [ -b /dev/vdb ]; then dev=/dev/vdb; break; fi
  sleep 1
  i=$((i + 1))
done
if [ -z "$dev" ]; then echo "rdd: no seed device (cidata) after 30 s" >&2; exit 1; fi
mkdir -p -m 700 "$mnt"
if ! grep -qs " $mnt " /proc/mounts; then
  # root-only whatever owner and modes Rock Ridge recorded on the host; plain ro where
  # the kernel lacks overriderockperm
  mount -t iso9660 -o ro,uid=0,gid=0,mode=0700,dmode=0700,overriderockperm "$dev" "$mnt" 2>/dev/null ||
    mount -t iso9660 -o ro "$dev" "$mnt" || { echo "rdd: cannot mount $dev on $mnt" >&2; exit 1; }
fi
cd "$mnt" || exit 1
# boot/ scripts already ran from bootcmd, early in this boot
RDD_BOOT_SCRIPTS_DONE=1 exec /bin/sh ./boot.sh
`

/**
 * boot.sh. Data files and system scripts come straight from the seed (root reads it; /run
 * may be noexec); user scripts are copied into the user's home, like Lima, because the
 * mount point is root-only. It stops at the first failure and always leaves
 * `boot-done` (`ok`, or `failed <script> exit <code>`), written by rename.
 */
export const bootScript = `#!/bin/sh
# rdd boot script: run as root on every boot, with the seed as the working directory.
set -u
umask 022
seed=$(pwd)
root=\${RDD_ROOT:-}
run_dir=\${RDD_RUN_DIR:-$root/run/rdd}
log=\${RDD_LOG:-$root/var/log/rdd-provision.log}
session_wait=\${RDD_USER_SESSION_WAIT:-30}
skip_boot=\${RDD_BOOT_SCRIPTS_DONE:-0}

mkdir -p "$run_dir" "$(dirname "$log")" || exit 1
chmod 755 "$run_dir"
rm -f "$run_dir/boot-done" "$run_dir/boot-done.tmp"

set -a
. "$seed/rdd.env"
set +a

say() {
  echo "rdd: $*"
  echo "rdd $(date '+%Y-%m-%dT%H:%M:%S'): $*" >>"$log"
}

finish() {
  printf '%s\\n' "$1" >"$run_dir/boot-done.tmp" &&
    chmod 644 "$run_dir/boot-done.tmp" &&
    mv -f "$run_dir/boot-done.tmp" "$run_dir/boot-done"
}

failed() {
  say "$1 failed (exit $2)"
  finish "failed $1 exit $2"
  exit "$2"
}

# a command bounded in time where timeout(1) exists
bounded() {
  if command -v timeout >/dev/null 2>&1; then timeout "$@"; else shift; "$@"; fi
}

# single-quote $1 for sh -c
quote() {
  printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\\\\\''/g")"
}

run_system() {
  say "running provision/\${1##*/} as root"
  if [ -x "$1" ]; then "$1"; else /bin/sh "$1"; fi >>"$log" 2>&1 </dev/null
}

run_user() {
  # systemd: let the user's manager run without a login (systemctl --user in scripts)
  if [ -d "$root/run/systemd/system" ] && command -v loginctl >/dev/null 2>&1; then
    bounded 10 loginctl enable-linger "$RDD_USER" >>"$log" 2>&1
    n=0
    while [ "$n" -lt "$session_wait" ] && [ ! -e "/run/user/$RDD_UID/systemd/private" ]; do
      sleep 1
      n=$((n + 1))
    done
  fi
  script="$RDD_HOME/.rdd-user-script"
  envf="$RDD_HOME/.rdd-user-env"
  cp "$1" "$script" && cp "$seed/rdd.env" "$envf" &&
    chown "$RDD_USER" "$script" "$envf" && chmod 700 "$script" && chmod 600 "$envf" || return 1
  cmd="set -a; . $(quote "$envf"); set +a; if [ -d /run/user/$RDD_UID ]; then export XDG_RUNTIME_DIR=/run/user/$RDD_UID; fi; exec $(quote "$script")"
  say "running provision/\${1##*/} as $RDD_USER"
  if command -v sudo >/dev/null 2>&1; then
    sudo -iu "$RDD_USER" /bin/sh -c "$cmd"
  else
    su -l "$RDD_USER" -c "$cmd"
  fi >>"$log" 2>&1 </dev/null
  code=$?
  rm -f "$script" "$envf"
  return "$code"
}

write_data() {
  dest="$root$(cat "$1.path")"
  mode=$(cat "$1.mode" 2>/dev/null || echo 644)
  owner=$(cat "$1.owner" 2>/dev/null || echo root:root)
  say "writing \${dest#$root} (provision/\${1##*/}, $owner, $mode)"
  { mkdir -p "$(dirname "$dest")" && cp "$1" "$dest.rdd-tmp" && chmod "$mode" "$dest.rdd-tmp" &&
    chown "$owner" "$dest.rdd-tmp" && mv -f "$dest.rdd-tmp" "$dest"; } >>"$log" 2>&1
}

/bin/sh -c '${hostsSnippet.replace(/'/g, "'\\''")}' rdd-hosts "\${RDD_HOST_IP:-}" >>"$log" 2>&1

if [ "$skip_boot" != 1 ]; then
  for f in "$seed"/boot/*.sh; do
    [ -f "$f" ] || continue
    say "running boot/\${f##*/}"
    /bin/sh "$f" >>"$log" 2>&1 </dev/null
    code=$?
    [ "$code" -eq 0 ] || failed "boot/\${f##*/}" "$code"
  done
fi

for f in "$seed"/provision/*; do
  [ -f "$f" ] || continue
  case "\${f##*/}" in
    *-system.sh) run_system "$f" ;;
    *-user.sh) run_user "$f" ;;
    *-data) write_data "$f" ;;
    *) continue ;;
  esac
  code=$?
  [ "$code" -eq 0 ] || failed "provision/\${f##*/}" "$code"
done

say "provisioning done"
finish ok
`
