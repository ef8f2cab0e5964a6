#!/usr/bin/env bash
# test-image.sh [--never-boots | --cloud [--engine]]
# Prints the absolute path of a ready-to-use Lima template (YAML) for the tiny QEMU test
# guest, building the guest first when the cache does not have it yet:
#   kernel   : the real package behind linux-image-cloud-amd64 (apt-get download + dpkg-deb -x)
#   initramfs: busybox-static + scripts/guest/init.sh (readiness marker on the serial
#              console, power-off on the ACPI power button)
# --never-boots prints a template for the same guest told never to signal readiness.
# --cloud [--engine] prints the template of the real Debian cloud-init guest instead
# (scripts/guest/cloud.sh; --engine adds docker.io and containerd).
# Cache: $RDD_TEST_IMAGE_CACHE or ~/.cache/rdd-test-image, one directory per hash of the
# build scripts; a flock serialises concurrent builders and the finished directory
# appears by an atomic rename, so parallel test files never see a half-built guest.
# Only the path goes to stdout; progress and errors go to stderr.
set -euo pipefail

# --tiny-ssh [--never-ready]: the tiny guest that speaks the SSH guest contract (own builder).
if [ "${1:-}" = --tiny-ssh ]; then shift; exec bash "$(dirname "${BASH_SOURCE[0]}")/guest/tiny-ssh.sh" "$@"; fi

variant=booting
case "${1:-}" in
  "") ;;
  --never-boots) variant=never-boots ;;
  --cloud) shift; exec bash "$(dirname "${BASH_SOURCE[0]}")/guest/cloud.sh" "$@" ;;
  -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "test-image: unknown argument: $1 (expected --never-boots or --cloud)" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${RDD_TEST_IMAGE_CACHE:-${HOME}/.cache/rdd-test-image}
key=$(cat "$here/test-image.sh" "$here/guest/init.sh" "$here/guest/mkinitrd.sh" | sha256sum | cut -c1-16)
dir=$cache/$key

if [ -f "$dir/$variant.yaml" ]; then
  echo "$dir/$variant.yaml"
  exit 0
fi

log() { echo "test-image: $*" >&2; }

build() {
  local arch
  arch=$(dpkg --print-architecture 2>/dev/null || echo unknown)
  if [ "$arch" != amd64 ]; then
    log "only amd64 hosts are supported (this is $arch)"; return 1
  fi
  for tool in apt-get apt-cache dpkg-deb cpio gzip; do
    command -v "$tool" >/dev/null || { log "missing tool: $tool"; return 1; }
  done
  local tmp updated=0 kpkg
  tmp=$(mktemp -d "$cache/build.XXXXXX")
  build_tmp=$tmp
  resolve() { apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}'; }
  kpkg=$(resolve)
  if [ -z "$kpkg" ]; then
    log "apt-cache knows no linux-image-cloud-amd64; running apt-get update once"
    apt-get update -qq >&2; updated=1
    kpkg=$(resolve)
  fi
  [ -n "$kpkg" ] || { log "cannot resolve linux-image-cloud-amd64"; return 1; }
  log "downloading $kpkg and busybox-static"
  if ! (cd "$tmp" && apt-get download -qq "$kpkg" busybox-static >&2); then
    [ "$updated" = 1 ] && { log "apt-get download failed"; return 1; }
    log "apt-get download failed; running apt-get update once"
    apt-get update -qq >&2
    (cd "$tmp" && apt-get download -qq "$kpkg" busybox-static >&2)
  fi
  mkdir -p "$tmp/pkg" "$tmp/out"
  for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$tmp/pkg"; done
  local kv
  kv=$(basename "$(find "$tmp/pkg/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n 1)")
  [ -f "$tmp/pkg/boot/vmlinuz-$kv" ] || { log "no kernel image in $kpkg"; return 1; }
  cp "$tmp/pkg/boot/vmlinuz-$kv" "$tmp/out/vmlinuz"
  sh "$here/guest/mkinitrd.sh" "$tmp/out/initrd.cpio.gz" "$tmp/pkg/bin/busybox" \
     "$here/guest/init.sh" "$tmp/pkg/lib/modules/$kv"
  # Lima templates need images[].location (the disk); the guest runs from its
  # initramfs, so a tiny blank raw disk satisfies the format at no boot cost.
  truncate -s 1M "$tmp/out/disk.raw"
  {
    echo "kernel_package=$kpkg"
    echo "kernel_release=$kv"
    dpkg-deb -f "$tmp"/busybox-static_*.deb Package Version | tr '\n' ' '; echo
  } > "$tmp/out/versions"
  template "$dir" "qg.mode=idle" "the booting rdd test guest" > "$tmp/out/booting.yaml"
  template "$dir" "qg.mode=never qg.pwr=none" "the rdd test guest that never signals readiness" \
    > "$tmp/out/never-boots.yaml"
  mv "$tmp/out" "$dir"
  rm -rf "$tmp"
}

# template DIR GUEST_ARGS DESCRIPTION
template() {
  cat <<YAML
# Lima template for $3 (built by scripts/test-image.sh).
# Direct kernel boot of a Debian cloud kernel with a busybox initramfs; the guest prints
# "QGUEST-READY id=<vm name> ..." on its serial console once booted.
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
# rdd extension (ignored by Lima): the serial-console text that means "booted".
rdd:
  readyLine: "QGUEST-READY id={{.Name}} "
YAML
}

build_tmp=
trap '[ -z "$build_tmp" ] || rm -rf "$build_tmp"' EXIT
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ ! -f "$dir/$variant.yaml" ]; then
  build
fi
echo "$dir/$variant.yaml"
