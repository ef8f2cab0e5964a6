#!/usr/bin/env bash
# cloud.sh [--engine]
# Builds (once, cached) the real Debian cloud test guest and prints ONLY the path of its Lima
# template YAML on stdout; progress and errors go to stderr. Called by scripts/test-image.sh
# for `--cloud` and `--cloud --engine`.
#   rootfs : mmdebstrap from the mirror apt on this machine uses (bookworm, bookworm-updates,
#            bookworm-security), customized by scripts/guest/cloud-customize.sh
#   disk   : mkfs.ext4 -d (no loop device, no mount) + qemu-img convert -> base.qcow2
#   boot   : vmlinuz + initrd.img copied out of the rootfs (direct kernel boot, /dev/vda)
# --engine adds docker.io, containerd and apparmor (docker run needs apparmor_parser).
# Cache: $RDD_TEST_IMAGE_CACHE or ~/.cache/rdd-test-image, directory cloud-<key> where key
# hashes these scripts and the package list; built in a temp dir and renamed into place
# under a flock, so concurrent callers never see a half-built guest.
# See docs/cloud-guest.md for the boot-time measurements behind the customizations.
set -euo pipefail

variant=plain
case "${1:-}" in
  "") ;;
  --engine) variant=engine ;;
  -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "cloud.sh: unknown argument: $1 (expected --engine)" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${RDD_TEST_IMAGE_CACHE:-${HOME}/.cache/rdd-test-image}

packages=(linux-image-cloud-amd64 systemd-sysv udev dbus cloud-init openssh-server sudo
  iproute2 netbase e2fsprogs kmod sshfs busybox ca-certificates)
[ "$variant" = engine ] && packages+=(docker.io containerd apparmor)
# Sized for the guest's root: the qcow2 is sparse, and cloud-init's resizefs grows the
# filesystem to the overlay's size (the template's disk:) on first boot.
fs_size=3G
# Kernel command line; each flag beyond root/console is measured in docs/cloud-guest.md.
cmdline="root=/dev/vda rw console=ttyS0 mitigations=off cryptomgr.notests init_on_alloc=0 systemd.show_status=0"

key=$( { cat "$here/cloud.sh" "$here/cloud-customize.sh"; echo "${packages[*]}"; } \
  | sha256sum | cut -c1-16)
dir=$cache/cloud-$key

if [ -f "$dir/template.yaml" ]; then
  echo "$dir/template.yaml"
  exit 0
fi

log() { echo "cloud.sh: $*" >&2; }

# apt_uri SUITE: the first URI apt on this machine is configured with for SUITE (deb822
# .sources files and one-line .list files), so the build uses whatever mirror is reachable.
apt_uri() {
  local suite=$1 f
  {
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      awk -v s="$suite" '
        function flush() { if (deb && found && uri != "") print uri; deb = 0; found = 0; uri = "" }
        /^[ \t]*$/ { flush(); next }
        /^[ \t]*#/ { next }
        tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
        tolower($1) == "uris:" { uri = $2 }
        tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == s) found = 1 }
        END { flush() }' "$f"
    done
    { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } \
      | awk -v s="$suite" '$1 == "deb" {
          i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
          if ($(i + 1) == s) print $i }'
  } | awk 'NR == 1' 
}

build() {
  local arch
  arch=$(dpkg --print-architecture 2>/dev/null || echo unknown)
  [ "$arch" = amd64 ] || { log "only amd64 hosts are supported (this is $arch)"; return 1; }
  for tool in mmdebstrap mkfs.ext4 qemu-img; do
    command -v "$tool" >/dev/null || { log "missing tool: $tool (apt-get install mmdebstrap e2fsprogs qemu-utils)"; return 1; }
  done
  local main sec
  main=$(apt_uri bookworm)
  sec=$(apt_uri bookworm-security)
  [ -n "$main" ] || { log "apt on this machine has no source for bookworm"; return 1; }
  local -a mirrors=("deb $main bookworm bookworm-updates main")
  if [ -n "$sec" ]; then
    mirrors+=("deb $sec bookworm-security main")
  else
    log "warning: apt on this machine has no bookworm-security source; building without it"
  fi

  local tmp
  tmp=$(mktemp -d "$cache/build.XXXXXX")
  build_tmp=$tmp
  mkdir -p "$tmp/out"
  log "building the $variant cloud guest rootfs with mmdebstrap (about 3 minutes) from $main"
  local IFS=,
  # Docs, man pages and translations are never read in a test guest: fewer files to unpack.
  mmdebstrap --variant=apt --mode=root --format=directory \
    --include="${packages[*]}" \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --essential-hook="\"$here/cloud-customize.sh\" early \"\$1\" $variant" \
    --customize-hook="\"$here/cloud-customize.sh\" late \"\$1\" $variant" \
    bookworm "$tmp/rootfs" "${mirrors[@]}" >&2
  unset IFS

  local kernel initrd
  kernel=$(ls "$tmp"/rootfs/boot/vmlinuz-* | sort -V | tail -n 1)
  initrd=$(ls "$tmp"/rootfs/boot/initrd.img-* | sort -V | tail -n 1)
  cp "$kernel" "$tmp/out/vmlinuz"
  cp "$initrd" "$tmp/out/initrd.img"
  chroot "$tmp/rootfs" dpkg-query -W -f '${Package} ${Version}\n' > "$tmp/out/packages"

  log "making base.qcow2 (mkfs.ext4 -d, qemu-img convert)"
  truncate -s "$fs_size" "$tmp/base.raw"
  mkfs.ext4 -q -F -L rootfs -d "$tmp/rootfs" "$tmp/base.raw"
  qemu-img convert -f raw -O qcow2 "$tmp/base.raw" "$tmp/out/base.qcow2"
  rm -f "$tmp/base.raw"
  template "$dir" > "$tmp/out/template.yaml"
  mv "$tmp/out" "$dir"
  rm -rf "$tmp"
  log "built $dir"
}

template() {
  cat <<YAML
# Lima template for the rdd cloud test guest ($variant; built by scripts/guest/cloud.sh).
# Debian bookworm with cloud-init; ready when SSH answers and cloud-init status is done.
vmType: qemu
arch: x86_64
cpus: 2
memory: 1GiB
disk: 4GiB
images:
- location: "$1/base.qcow2"
  arch: x86_64
  kernel:
    location: "$1/vmlinuz"
    cmdline: "$cmdline"
  initrd:
    location: "$1/initrd.img"
YAML
}

build_tmp=
trap '[ -z "$build_tmp" ] || rm -rf "$build_tmp"' EXIT
mkdir -p "$cache"
# one lock per guest (key), so the plain and engine guests can be built at the same time
exec 9>"$cache/.cloud-$key.lock"
flock 9
if [ ! -f "$dir/template.yaml" ]; then
  build
fi
echo "$dir/template.yaml"
