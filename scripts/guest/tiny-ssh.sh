#!/usr/bin/env bash
# tiny-ssh.sh [--never-ready]   (run as: scripts/test-image.sh --tiny-ssh [--never-ready])
# Prints the absolute path of a Lima template for the tiny SSH test guest, building it
# first when the cache does not have it: the Debian cloud kernel (same package as the
# tiny guest) with a busybox initramfs that also holds Debian's dropbear and the kernel
# modules of the guest contract's devices. Its /init (guest/init-ssh.sh) speaks the
# contract of a real cloud guest: DHCP, NoCloud seed, user + keys, SSH, boot.sh.
# --never-ready: the same guest without dropbear (SSH never answers) nor serial line.
# Cache: $RDD_TEST_IMAGE_CACHE or ~/.cache/rdd-test-image, directory tiny-ssh-<hash of
# these scripts>, built under a flock and published by an atomic rename.
# Only the path goes to stdout; progress and errors go to stderr.
set -euo pipefail

variant=tiny-ssh
case "${1:-}" in
  "") ;;
  --never-ready) variant=tiny-ssh-never-ready ;;
  *) echo "test-image --tiny-ssh: unknown argument: $1 (expected --never-ready)" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${RDD_TEST_IMAGE_CACHE:-${HOME}/.cache/rdd-test-image}
key=$(cat "$here/tiny-ssh.sh" "$here/init-ssh.sh" "$here/udhcpc.sh" | sha256sum | cut -c1-16)
dir=$cache/tiny-ssh-$key

if [ -f "$dir/$variant.yaml" ]; then
  echo "$dir/$variant.yaml"
  exit 0
fi

log() { echo "test-image --tiny-ssh: $*" >&2; }

# Modules the guest loads, with everything their `depends=` names (dpkg-deb -x runs no depmod).
MODULES="virtio_pci virtio_blk virtio_net virtio_rng isofs button evdev"

download() {  # download DIR PKG... (one apt-get update on failure)
  local d=$1; shift
  (cd "$d" && apt-get download -qq "$@" >&2 2>/dev/null) && return 0
  log "apt-get download failed; running apt-get update once"
  apt-get update -qq >&2
  (cd "$d" && apt-get download -qq "$@" >&2)
}

# copy_modules MODDIR DEST: MODULES and their dependencies, flat, then modules.dep.
copy_modules() {
  local moddir=$1 dest=$2 todo=$MODULES m f deps
  while :; do
    # shellcheck disable=SC2086
    set -- $todo; [ $# -gt 0 ] || break
    m=$1; shift; todo="$*"
    m=${m//-/_}; [ -f "$dest/$m.ko" ] && continue
    # Module names use "_", some file names "-" (virtio-rng.ko).
    f=$(find "$moddir" -name "$m.ko" -o -name "${m//_/-}.ko" | head -n 1)
    [ -n "$f" ] || { log "module $m.ko not found under $moddir"; return 1; }
    cp "$f" "$dest/$m.ko"
    deps=$(tr '\0' '\n' < "$f" | sed -n 's/^depends=//p' | tr ',' ' ')
    todo="$todo $deps"
  done
}

# copy_elf ROOT PKG FILE DEST: FILE into ROOT/DEST plus the shared libraries ldd names,
# resolved inside the extracted Debian packages (not the host's copies).
copy_elf() {
  local root=$1 pkg=$2 file=$3 dest=$4 libs lib
  install -D -m 755 "$file" "$root/$dest"
  libs=$(LD_LIBRARY_PATH="$pkg/lib/x86_64-linux-gnu:$pkg/usr/lib/x86_64-linux-gnu" ldd "$file")
  if grep -q 'not found' <<<"$libs"; then log "unresolved libraries for $file: $libs"; return 1; fi
  for lib in $(awk '$2 == "=>" && $3 ~ /^\// {print $3}' <<<"$libs"); do
    case "$lib" in "$pkg"/*) ;; *) log "$file needs $lib, not from a downloaded package"; return 1 ;; esac
    install -D -m 644 "$lib" "$root/lib/x86_64-linux-gnu/$(basename "$lib")"
  done
  install -D -m 755 "$pkg/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" "$root/lib64/ld-linux-x86-64.so.2"
}

build() {
  [ "$(dpkg --print-architecture 2>/dev/null || echo unknown)" = amd64 ] || { log "only amd64 hosts are supported"; return 1; }
  for tool in apt-get apt-cache dpkg-deb cpio gzip ldd; do
    command -v "$tool" >/dev/null || { log "missing tool: $tool"; return 1; }
  done
  local tmp kpkg deps kv R
  tmp=$(mktemp -d "$cache/build.XXXXXX"); build_tmp=$tmp
  kpkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}')
  if [ -z "$kpkg" ]; then
    log "apt-cache knows no linux-image-cloud-amd64; running apt-get update once"
    apt-get update -qq >&2
    kpkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}')
  fi
  [ -n "$kpkg" ] || { log "cannot resolve linux-image-cloud-amd64"; return 1; }
  # dropbear-bin's libraries (libc6 included) come from Debian too, not from this host.
  deps=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances dropbear-bin | awk '$1 ~ /Depends:$/ && $2 !~ /^</ {print $2}' | sort -u | tr '\n' ' ')
  log "downloading $kpkg busybox-static dropbear-bin $deps"
  # shellcheck disable=SC2086
  download "$tmp" "$kpkg" busybox-static dropbear-bin $deps
  mkdir -p "$tmp/pkg" "$tmp/out"
  for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$tmp/pkg"; done
  kv=$(basename "$(find "$tmp/pkg/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n 1)")
  [ -f "$tmp/pkg/boot/vmlinuz-$kv" ] || { log "no kernel image in $kpkg"; return 1; }
  cp "$tmp/pkg/boot/vmlinuz-$kv" "$tmp/out/vmlinuz"

  R=$tmp/root; local BB=$tmp/pkg/bin/busybox
  mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,run,tmp,etc,root,home,lib/modules/"$kv"}
  cp "$BB" "$R/bin/busybox"
  for p in $("$BB" --list-full); do [ "$p" = bin/busybox ] || ln -sf /bin/busybox "$R/$p"; done
  copy_modules "$tmp/pkg/lib/modules/$kv" "$R/lib/modules/$kv"
  "$BB" depmod -b "$R" "$kv"
  copy_elf "$R" "$tmp/pkg" "$tmp/pkg/usr/sbin/dropbear" usr/sbin/dropbear
  copy_elf "$R" "$tmp/pkg" "$tmp/pkg/usr/bin/dropbearkey" usr/bin/dropbearkey
  printf 'root:x:0:0:root:/root:/bin/sh\n' > "$R/etc/passwd"
  printf 'root:*:19000:0:99999:7:::\n' > "$R/etc/shadow"; chmod 600 "$R/etc/shadow"
  printf 'root:x:0:\ntty:x:5:\n' > "$R/etc/group"
  printf '/bin/sh\n/bin/ash\n' > "$R/etc/shells"
  install -m 755 "$here/udhcpc.sh" "$R/etc/udhcpc.sh"
  install -m 755 "$here/init-ssh.sh" "$R/init"
  ( cd "$R" && find . | sort | cpio -o -H newc --quiet -R 0:0 ) | gzip -9n > "$tmp/out/initrd.cpio.gz"

  # /dev/vda: a sparse 64 MiB disk formatted ext2 here (0.6 MB on the host), so the
  # guest's first boot does not spend seconds of TCG time in mke2fs.
  truncate -s 64M "$tmp/out/disk.raw"
  "$BB" mke2fs -F -L rdd-data -i 16384 "$tmp/out/disk.raw" >/dev/null
  {
    echo "kernel_package=$kpkg"; echo "kernel_release=$kv"
    for deb in "$tmp"/*.deb; do dpkg-deb -f "$deb" Package Version | tr '\n' ' '; echo; done
  } > "$tmp/out/versions"
  template "$dir" "qg.mode=idle" "the tiny SSH test guest" > "$tmp/out/tiny-ssh.yaml"
  template "$dir" "qg.mode=never" "the tiny SSH test guest whose SSH never answers" \
    > "$tmp/out/tiny-ssh-never-ready.yaml"
  mv "$tmp/out" "$dir"
  rm -rf "$tmp"
}

# template DIR GUEST_ARGS DESCRIPTION
template() {
  cat <<YAML
# Lima template for $3 (built by scripts/test-image.sh --tiny-ssh).
# Direct kernel boot of a Debian cloud kernel with a busybox + dropbear initramfs that
# follows the rdd guest contract (NoCloud seed, DHCP, SSH, boot.sh); it also prints
# "QGUEST-READY id=<vm name> ..." on its serial console once SSH is up and boot.sh is done.
vmType: qemu
arch: x86_64
cpus: 1
memory: 256MiB
images:
- location: "$1/disk.raw"
  arch: x86_64
  kernel:
    location: "$1/vmlinuz"
    cmdline: "console=ttyS0 quiet panic=-1 cryptomgr.notests qg.id={{.Name}} $2"
  initrd:
    location: "$1/initrd.cpio.gz"
ssh:
  localPort: 0
# No rdd.readyLine: rdd decides readiness over SSH, as for a cloud image (the guest
# still prints "QGUEST-READY id=<name>" on its console, for people reading the log).
YAML
}

build_tmp=
trap '[ -z "$build_tmp" ] || rm -rf "$build_tmp"' EXIT
mkdir -p "$cache"
exec 9>"$cache/.lock-tiny-ssh"
flock 9
if [ ! -f "$dir/$variant.yaml" ]; then
  build
fi
echo "$dir/$variant.yaml"
