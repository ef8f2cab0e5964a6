#!/bin/sh
# /init (PID 1) of the tiny SSH test guest (scripts/guest/tiny-ssh.sh): a busybox guest
# that speaks the guest contract of a real cloud guest in a few seconds under TCG:
# DHCP on the virtio NIC, the NoCloud seed (/dev/vdb, label cidata) mounted read-only at
# /mnt/rdd-cidata, the user and keys of rdd.env/authorized_keys, dropbear on port 22,
# /mnt/rdd-cidata/boot.sh run as root (it writes /run/rdd/boot-done), then the
# "QGUEST-READY id=<qg.id> ..." serial line. Kernel cmdline:
#   qg.mode=idle   the above (default)
#   qg.mode=never  everything but dropbear and the serial line: SSH never answers
#   qg.pwr=evdev|none   ACPI power button -> sync, unmount the data disk, poweroff
#   qg.id=<token>  echoed in the serial line so a stale or foreign log never matches
# `poweroff -f` because PID 1 is this script, not busybox init.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /run /tmp /var/log /var/lib/rdd-data
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts  # dropbear's ptys
mount -t tmpfs -o mode=0755 tmpfs /run
chmod 1777 /tmp
MODE=idle; PWR=evdev; ID=-
for a in $(cat /proc/cmdline); do case "$a" in
  qg.mode=*) MODE=${a#qg.mode=} ;;
  qg.pwr=*) PWR=${a#qg.pwr=} ;;
  qg.id=*) ID=${a#qg.id=} ;; esac; done
say() { echo "QG: $* (uptime $(cut -d' ' -f1 /proc/uptime))"; }
DATA=/var/lib/rdd-data

# Nothing coldplugs modules here (no udev/mdev): load what the contract's devices need.
modprobe -a virtio_pci virtio_rng virtio_blk virtio_net isofs || say "modprobe failed"
say "modules loaded"

# The power-button handler must exist before the guest says it is ready: a powerdown
# sent earlier is lost. Unmount the data disk first so it is clean at the next boot.
if [ "$PWR" != none ]; then
  modprobe -a button evdev
  for e in /sys/class/input/event*; do
    grep -q 'Power Button' "$e/device/name" 2>/dev/null || continue
    ( dd if="/dev/input/${e##*/}" of=/dev/null bs=1024 count=1 2>/dev/null
      say "power button -> poweroff"; sync
      for m in $(awk '$1 == "/dev/vda" {print $2}' /proc/mounts | tac); do   # binds first
        umount "$m" 2>/dev/null || mount -o remount,ro "$m" 2>/dev/null
      done
      poweroff -f ) &
  done
fi

ip link set lo up
for n in /sys/class/net/*; do
  n=${n##*/}; [ "$n" = lo ] && continue
  ip link set "$n" up
  # Waits for a lease (10 tries), then stays in the background to renew it.
  udhcpc -i "$n" -s /etc/udhcpc.sh -t 10 -T 1 -A 2 -n >/var/log/udhcpc.log 2>&1 || say "no DHCP lease on $n"
done
say "network: $(ip -4 -o addr show scope global | awk '{print $2, $4}' | tr '\n' ' ')"

# The persistent disk: the image's base disk is ext2 already; a blank /dev/vda (another
# base) gets one here (64 MiB at most, so a large overlay costs no time), mounted at
# $DATA; a second boot finds it and keeps its files.
if [ -b /dev/vda ]; then
  if [ "$(dd if=/dev/vda bs=1 skip=1080 count=2 2>/dev/null | od -An -tx1 | tr -d ' \n')" != 53ef ]; then
    kb=$(( $(cat /sys/block/vda/size) / 2 )); [ "$kb" -gt 65536 ] && kb=65536
    mke2fs -F -L rdd-data -i 16384 /dev/vda "$kb" >/dev/null 2>&1 && say "formatted /dev/vda (${kb} KiB)"
  fi
  mount -t ext2 /dev/vda "$DATA" 2>/dev/null || mount /dev/vda "$DATA" || say "cannot mount /dev/vda"
fi
say "disk mounted"

SEED=/mnt/rdd-cidata
mkdir -p "$SEED"
dev=$(findfs LABEL=cidata 2>/dev/null) || dev=/dev/vdb
mount -t iso9660 -o ro "$dev" "$SEED" || say "cannot mount the seed ($dev)"
RDD_USER=; RDD_UID=1000; RDD_HOME=; RDD_HOSTNAME=
[ -f "$SEED/rdd.env" ] && . "$SEED/rdd.env"   # plain assignments, not exported
case "$RDD_USER" in ""|root|*[!a-zA-Z0-9._-]*) say "no usable RDD_USER in the seed: '$RDD_USER'"; RDD_USER= ;; esac

if [ -n "$RDD_HOSTNAME" ]; then
  hostname "$RDD_HOSTNAME"; echo "$RDD_HOSTNAME" > /etc/hostname
  printf '127.0.0.1 localhost\n127.0.1.1 %s\n' "$RDD_HOSTNAME" > /etc/hosts
fi

if [ -n "$RDD_USER" ]; then
  H=${RDD_HOME:-/home/$RDD_USER}; SH=/bin/sh
  [ -n "${RDD_SHELL:-}" ] && [ -x "$RDD_SHELL" ] && SH=$RDD_SHELL
  # Locked password ("!" in shadow): dropbear still accepts key logins, refuses passwords.
  echo "$RDD_USER:x:$RDD_UID:$RDD_UID:rdd user:$H:$SH" >> /etc/passwd
  echo "$RDD_USER:!:19000:0:99999:7:::" >> /etc/shadow
  echo "$RDD_USER:x:$RDD_UID:" >> /etc/group
  mkdir -p "$H"
  if grep -q " $DATA " /proc/mounts; then
    # The home lives on the data disk, so the user's files survive a stop/start.
    mkdir -p "$DATA/home/$RDD_USER" && mount --bind "$DATA/home/$RDD_USER" "$H"
  fi
  mkdir -p "$H/.ssh"
  cp "$SEED/authorized_keys" "$H/.ssh/authorized_keys" 2>/dev/null || say "no authorized_keys in the seed"
  chown "$RDD_UID:$RDD_UID" "$H" "$H/.ssh" "$H/.ssh/authorized_keys" 2>/dev/null
  chmod 755 "$H"; chmod 700 "$H/.ssh"; chmod 600 "$H/.ssh/authorized_keys" 2>/dev/null
fi

say "seed read, user '$RDD_USER'"

if [ "$MODE" != never ]; then
  # The host key stays on the data disk when there is one: same key after a restart.
  K=/etc/dropbear; grep -q " $DATA " /proc/mounts && K=$DATA/dropbear
  mkdir -p "$K"
  # (the first key waits for the kernel RNG to be seeded: about a second under TCG, as
  # the contract's QEMU has no virtio-rng and TCG no RDRAND)
  [ -s "$K/ed25519" ] || dropbearkey -t ed25519 -f "$K/ed25519" >/dev/null 2>&1
  say "starting dropbear"
  dropbear -F -E -s -p 22 -r "$K/ed25519" -P /run/dropbear.pid >/var/log/dropbear.log 2>&1 &
  i=0   # wait (bounded) for the listening socket: port 22 = 0016, state LISTEN = 0A
  until grep -q ':0016 0\{8,32\}:0000 0A' /proc/net/tcp /proc/net/tcp6 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 100 ] && { say "dropbear is not listening"; break; }; sleep 0.1
  done
  say "ssh up"
fi

mkdir -p /run/rdd
if [ -f "$SEED/boot.sh" ]; then
  ( cd "$SEED" && exec sh ./boot.sh ) >>/var/log/rdd-boot.log 2>&1; rc=$?
  # A boot.sh that died before writing its verdict must not leave readiness hanging.
  [ -f /run/rdd/boot-done ] || echo "failed boot.sh exit $rc" > /run/rdd/boot-done
else
  echo ok > /run/rdd/boot-done
fi
say "boot-done: $(cat /run/rdd/boot-done)"

if [ "$MODE" != never ]; then
  printf '\nQGUEST-READY id=%s cpus=%s memkb=%s uptime=%s\n' "$ID" "$(grep -c '^processor' /proc/cpuinfo)" \
    "$(awk '/^MemTotal:/{print $2}' /proc/meminfo)" "$(cut -d' ' -f1 /proc/uptime)"
fi
while :; do sleep 3600; done
