#!/bin/sh
# /init (PID 1) of the rdd test guest. Behaviour comes from the kernel cmdline so one
# image serves every test (reference/qemu-guest.md 1.6):
#   qg.mode=idle   print the readiness marker, then idle (default)
#   qg.mode=exit   print the marker, then power off
#   qg.mode=never  never print the marker (a guest that never boots)
#   qg.pwr=evdev|acpid|none   how the ACPI power button is handled (none: ignored)
#   qg.id=<token>  echoed in the marker so a stale or foreign log never matches
# `poweroff -f` because PID 1 is this script, not busybox init.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
MODE=idle; PWR=evdev; VPORT=; ID=-
for a in $(cat /proc/cmdline); do case "$a" in
  qg.mode=*) MODE=${a#qg.mode=} ;;
  qg.pwr=*) PWR=${a#qg.pwr=} ;;
  qg.vport=*) VPORT=${a#qg.vport=} ;;
  qg.id=*) ID=${a#qg.id=} ;; esac; done
KO=/lib/modules/$(uname -r)
# The power-button handler must exist before the marker: a powerdown sent earlier is lost.
if [ "$PWR" != none ]; then
  insmod $KO/button.ko; insmod $KO/evdev.ko
  case "$PWR" in
    evdev) for e in /sys/class/input/event*; do
             grep -q 'Power Button' $e/device/name 2>/dev/null || continue
             ( dd if=/dev/input/${e##*/} of=/dev/null bs=1024 count=1 2>/dev/null
               echo "QG: power button -> poweroff"; poweroff -f ) &
           done ;;
    acpid) acpid -c /etc/acpi -l /tmp/acpid.log ;;
  esac
fi
[ -n "$VPORT" ] && modprobe -a virtio_pci virtio_console
MARK="QGUEST-READY id=$ID cpus=$(grep -c '^processor' /proc/cpuinfo) memkb=$(awk '/^MemTotal:/{print $2}' /proc/meminfo) uptime=$(cut -d' ' -f1 /proc/uptime)"
if [ "$MODE" != never ]; then
  printf '\n%s\n' "$MARK"
  [ -n "$VPORT" ] && for p in /sys/class/virtio-ports/*; do
    [ "$(cat $p/name)" = "$VPORT" ] && ( echo "$MARK" > /dev/${p##*/} ) &
  done
  [ "$MODE" = exit ] && poweroff -f
fi
while :; do sleep 3600; done
