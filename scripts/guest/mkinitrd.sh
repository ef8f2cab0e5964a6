#!/bin/sh
# mkinitrd.sh OUT BUSYBOX INIT [MODDIR]
# Builds the test guest's initramfs (gzip'd newc cpio): static busybox with its applet
# symlinks made here (no cost at boot), INIT as /init, and from MODDIR
# (<pkg>/lib/modules/<kver>) the modules the guest loads: button + evdev for the ACPI
# power button, the virtio ones for an optional virtio-serial port. busybox depmod
# writes modules.dep because `dpkg-deb -x` does not run depmod.
set -eu
OUT=$1; BB=$2; INIT=$3; MODDIR=${4:-}
R=$(mktemp -d)
trap 'rm -rf "$R"' EXIT
mkdir -p "$R/bin" "$R/sbin" "$R/usr/bin" "$R/usr/sbin" "$R/proc" "$R/sys" "$R/dev" \
         "$R/run" "$R/tmp" "$R/etc/acpi/PWRF" "$R/lib/modules"
cp "$BB" "$R/bin/busybox"
for p in $("$BB" --list-full); do [ "$p" = bin/busybox ] || ln -sf /bin/busybox "$R/$p"; done
if [ -n "$MODDIR" ]; then
  KV=$(basename "$MODDIR"); D="$R/lib/modules/$KV"; mkdir -p "$D"
  for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci \
           virtio_console button evdev; do
    f=$(find "$MODDIR" -name "$m.ko" | head -n 1)
    [ -n "$f" ] || { echo "mkinitrd: module $m.ko not found under $MODDIR" >&2; exit 1; }
    cp "$f" "$D/"
  done
  "$BB" depmod -b "$R" "$KV"
fi
printf '#!/bin/sh\npoweroff -f\n' > "$R/etc/acpi/PWRF/00000080"
chmod +x "$R/etc/acpi/PWRF/00000080"
cp "$INIT" "$R/init"; chmod +x "$R/init"
( cd "$R" && find . | sort | cpio -o -H newc --quiet -R 0:0 ) | gzip -9n > "$OUT"
