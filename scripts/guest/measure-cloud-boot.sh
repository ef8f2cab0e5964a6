#!/usr/bin/env bash
# measure-cloud-boot.sh TEMPLATE.yaml [RUNS] [--engine]
# Boots the cloud test guest of TEMPLATE (printed by `scripts/test-image.sh --cloud`) with bare
# qemu-system-x86_64 -accel tcg with the flags rdd's qemu driver passes (src/layers/qemu/QemuArgs.ts;
# docs/guest-contract: qcow2 overlay on base.qcow2, NoCloud seed ISO "cidata" on vdb, user-mode net with an ssh hostfwd,
# serial to a file, QMP) and prints, per run, seconds from QEMU start to:
#   serial  first serial console byte
#   ssh     `ssh -o BatchMode=yes ... true` succeeds (polled every 0.5 s)
#   ready   `cloud-init status` says done (one `cloud-init status --wait` over SSH) and the
#           seed's per-boot hook has written /run/rdd/boot-done
#   docker  (--engine) `docker info` answers as the user (group docker), then
#           `docker import` + `docker run` of a busybox image print hi (AppArmor works)
#   off     seconds from QMP system_powerdown to QEMU's exit
# MEASURE_ANALYZE=DIR saves systemd-analyze and cloud-init analyze output there per run.
# Each run uses a fresh overlay and seed (a first boot). Output: one TSV line per run on stdout.
set -euo pipefail

tpl=${1:?usage: measure-cloud-boot.sh TEMPLATE.yaml [RUNS] [--engine]}
runs=${2:-1}
engine=0
[ "${3:-}" = --engine ] && engine=1

field() { sed -n "s/^ *$1: *\"\(.*\)\"$/\1/p" "$tpl" | head -n 1; }
base=$(sed -n 's/^- location: *"\(.*\)"$/\1/p' "$tpl" | head -n 1)
kernel=$(sed -n '/^  kernel:/,/^  initrd:/s/^ *location: *"\(.*\)"$/\1/p' "$tpl")
initrd=$(sed -n '/^  initrd:/,$s/^ *location: *"\(.*\)"$/\1/p' "$tpl")
cmdline=$(field cmdline)
disk=$(sed -n 's/^disk: *\([0-9]*\)GiB$/\1G/p' "$tpl")
mem=$(sed -n 's/^memory: *\([0-9]*\)GiB$/\1/p' "$tpl")
cpus=$(sed -n 's/^cpus: *\([0-9]*\)$/\1/p' "$tpl")

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
log() { echo "measure: $*" >&2; }

work=$(mktemp -d /tmp/measure-cloud.XXXXXX)
qpid=
cleanup() {
  if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then kill "$qpid"; wait "$qpid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

ssh-keygen -q -t ed25519 -N '' -f "$work/key"
user=rdduser
seed() {
  local s=$work/seed
  rm -rf "$s"; mkdir -p "$s"
  cat > "$s/user-data" <<EOF
#cloud-config
users:
- name: $user
  uid: 1000
  homedir: /home/$user
  shell: /bin/bash
  sudo: ALL=(ALL) NOPASSWD:ALL
  lock_passwd: true
  ssh_authorized_keys:
  - $(cat "$work/key.pub")
hostname: lima-measure
write_files:
- path: /var/lib/cloud/scripts/per-boot/00-rdd-boot.sh
  permissions: '0755'
  content: |
    #!/bin/sh
    set -eu
    mkdir -p /mnt/rdd-cidata
    dev=/dev/disk/by-label/cidata; [ -e "\$dev" ] || dev=/dev/vdb
    mountpoint -q /mnt/rdd-cidata || mount -o ro "\$dev" /mnt/rdd-cidata
    cd /mnt/rdd-cidata && sh ./boot.sh
EOF
  printf 'instance-id: measure-%s\nlocal-hostname: lima-measure\n' "$RANDOM$RANDOM" > "$s/meta-data"
  cat > "$s/network-config" <<'EOF'
version: 2
ethernets:
  rdd0:
    match:
      name: "en*"
    dhcp4: true
  rdd1:
    match:
      name: "eth*"
    dhcp4: true
EOF
  cat > "$s/boot.sh" <<'EOF'
#!/bin/sh
mkdir -p /run/rdd && echo ok > /run/rdd/boot-done.tmp && mv /run/rdd/boot-done.tmp /run/rdd/boot-done
EOF
  genisoimage -quiet -output "$work/cidata.iso" -volid cidata -joliet -rock \
    "$s/user-data" "$s/meta-data" "$s/network-config" "$s/boot.sh"
}

port=$((20000 + RANDOM % 20000))
SSH=(ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  -o LogLevel=ERROR -o ConnectTimeout=5 -i "$work/key" -p "$port" "$user@127.0.0.1")

qmp() {
  python3 - "$work/qmp.sock" "$1" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rw")
f.readline()
for cmd in ("qmp_capabilities", sys.argv[2]):
    f.write(json.dumps({"execute": cmd}) + "\n"); f.flush()
    while "return" not in json.loads(f.readline()): pass
EOF
}

printf 'run\tserial\tssh\tready\tdocker\toff\tload\n'
for run in $(seq 1 "$runs"); do
  seed
  rm -f "$work/diffdisk" "$work/serial.log" "$work/qmp.sock"
  qemu-img create -q -f qcow2 -F qcow2 -b "$base" "$work/diffdisk" "$disk"
  load=$(cut -d' ' -f1 /proc/loadavg)
  t0=$(now)
  # The flags of src/layers/qemu/QemuArgs.ts for this template, in its order, except
  # -pidfile, -D and -daemonize: QEMU stays a child here so the script can wait for it.
  qemu-system-x86_64 -name "lima-measure,process=qvm-lima-measure" \
    -nodefaults -no-user-config -display none -machine pc -accel tcg \
    -m $((mem * 1024)) -smp "$cpus" \
    -kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
    -drive "file=$work/diffdisk,format=qcow2,if=virtio,discard=on" \
    -drive "file=$work/cidata.iso,format=raw,if=virtio,media=cdrom,readonly=on" \
    -netdev "user,id=net0,net=192.168.5.0/24,dhcpstart=192.168.5.15,hostfwd=tcp:127.0.0.1:$port-:22" \
    -device virtio-net-pci,netdev=net0,mac=52:55:55:12:34:56 \
    -device virtio-rng-pci \
    -chardev "file,id=ser0,path=$work/serial.log" -serial chardev:ser0 \
    -qmp "unix:$work/qmp.sock,server=on,wait=off" -no-reboot &
  qpid=$!
  t_serial=- t_ssh=- t_ready=- t_docker=- t_off=-
  deadline=$(( $(date +%s) + 600 ))
  until [ -s "$work/serial.log" ]; do sleep 0.05; [ "$(date +%s)" -lt "$deadline" ] || break; done
  t_serial=$(since "$t0")
  until "${SSH[@]}" true 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || { log "run $run: no SSH within 600 s"; break; }
    sleep 0.5
  done
  t_ssh=$(since "$t0")
  status=$("${SSH[@]}" 'cloud-init status --wait >/dev/null; cloud-init status; until [ -f /run/rdd/boot-done ]; do sleep 0.2; done' 2>&1 || true)
  t_ready=$(since "$t0")
  log "run $run: $(echo "$status" | tr '\n' ' ')"
  if [ "$engine" = 1 ]; then
    "${SSH[@]}" 'until docker info >/dev/null 2>&1; do sleep 0.5; done' || true
    t_docker=$(since "$t0")
    # A tiny image without a registry: busybox and the libraries it links.
    out=$("${SSH[@]}" 'set -e; d=$(mktemp -d); mkdir -p $d/bin; cp /bin/busybox $d/bin/;
      for l in $(ldd /bin/busybox | grep -o "/[^ ]*"); do mkdir -p $d$(dirname $l); cp $l $d$l; done;
      tar -C $d -c . | docker import - bb >/dev/null; docker run --rm bb /bin/busybox echo hi' 2>&1 || true)
    log "run $run: docker run printed: $out"
  fi
  if [ -n "${MEASURE_ANALYZE:-}" ]; then
    # Where the time went (not timed: after the figures above).
    mkdir -p "$MEASURE_ANALYZE"
    "${SSH[@]}" 'systemd-analyze; systemd-analyze blame | head -n 25; systemd-analyze critical-chain;
      sudo cloud-init analyze blame | head -n 40; cloud-init status --long; df -h /;
      sudo grep -iE "warn|error|fail" /var/log/cloud-init.log | head -n 30' \
      > "$MEASURE_ANALYZE/analyze.$run.txt" 2>&1 || true
  fi
  t1=$(now)
  qmp system_powerdown
  wait "$qpid" || true
  qpid=
  t_off=$(since "$t1")
  cp "$work/serial.log" "/tmp/measure-cloud-serial.$run.log"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$t_serial" "$t_ssh" "$t_ready" "$t_docker" "$t_off" "$load"
done
