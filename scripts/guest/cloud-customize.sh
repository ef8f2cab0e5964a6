#!/bin/sh
# cloud-customize.sh PHASE ROOTFS VARIANT [PROFILE]
# mmdebstrap hooks for scripts/guest/cloud.sh: make the Debian rootfs boot as a Lima-style
# cloud guest (direct kernel boot, root on /dev/vda, NoCloud seed on /dev/vdb).
# PHASE is early (essential hook: before the kernel and initramfs-tools are installed, so the
# initrd is generated once, already small) or late (customize hook). VARIANT is plain|engine.
# PROFILE is fast (default) or recipe (only what booting needs: the baseline that
# docs/cloud-guest.md measures the speedups against).
set -eu
phase=$1
root=$2
variant=$3
profile=${4:-fast}

if [ "$phase" = early ]; then
  [ "$profile" = recipe ] && exit 0
  # An initrd with only what mounting /dev/vda needs (udev loads the rest from the root fs):
  # a fraction of the default MODULES=most initrd, less to load and unpack under TCG.
  mkdir -p "$root/etc/initramfs-tools/conf.d" "$root/usr/share/initramfs-tools/modules.d"
  echo MODULES=list > "$root/etc/initramfs-tools/conf.d/rdd.conf"
  printf '%s\n' virtio_pci virtio_blk ext4 > "$root/usr/share/initramfs-tools/modules.d/rdd-guest"
  exit 0
fi

# --- what booting needs (the recipe) -------------------------------------------------------
echo lima > "$root/etc/hostname"
if [ "$profile" = recipe ]; then
  echo '/dev/vda / ext4 defaults,errors=remount-ro 0 1' > "$root/etc/fstab"
else
  # passno 0: nobody checks a freshly made fs in a fresh overlay, and systemd-fsck-root
  # would first wait for dev-vda.device.
  echo '/dev/vda / ext4 defaults,errors=remount-ro 0 0' > "$root/etc/fstab"
fi
cat > "$root/etc/systemd/network/10-rdd-dhcp.network" <<'UNIT'
[Match]
Name=en* eth*

[Network]
DHCP=ipv4
UNIT
chroot "$root" systemctl enable systemd-networkd.service >/dev/null 2>&1
# Without the locales package update-locale exits 255 and cloud-init's locale module turns
# `cloud-init status` into error.
echo 'locale: C.UTF-8' > "$root/etc/cloud/cloud.cfg.d/90-rdd-locale.cfg"

if [ "$variant" = engine ]; then
  # Users come from the seed's user-data (users_groups, in cloud-init.service); give every
  # regular user the docker group before sshd accepts the first session.
  cat > "$root/usr/local/sbin/rdd-docker-group" <<'SH'
#!/bin/sh
getent passwd | awk -F: '$3 >= 1000 && $3 < 60000 { print $1 }' | while read -r u; do
  usermod -aG docker "$u"
done
SH
  chmod 755 "$root/usr/local/sbin/rdd-docker-group"
  cat > "$root/etc/systemd/system/rdd-docker-group.service" <<'UNIT'
[Unit]
Description=Give regular users the docker group (rdd test guest)
After=cloud-init.service
Before=ssh.service cloud-config.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/rdd-docker-group

[Install]
WantedBy=multi-user.target
UNIT
  chroot "$root" systemctl enable rdd-docker-group.service >/dev/null 2>&1
fi

[ "$profile" = recipe ] && exit 0

# --- speedups, measured in docs/cloud-guest.md ----------------------------------------------
# Units that do nothing useful in a short-lived test VM but cost boot time or wake up later.
chroot "$root" systemctl mask e2scrub_reap.service e2scrub_all.timer fstrim.timer \
  apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer logrotate.timer \
  man-db.timer getty@tty1.service >/dev/null 2>&1

# networkd-wait-online gates cloud-init's network stage: one DHCP link is enough, bounded.
mkdir -p "$root/etc/systemd/system/systemd-networkd-wait-online.service.d"
cat > "$root/etc/systemd/system/systemd-networkd-wait-online.service.d/rdd.conf" <<'UNIT'
[Service]
ExecStart=
ExecStart=/lib/systemd/systemd-networkd-wait-online --any --timeout=30
UNIT

# cloud-init: only the NoCloud seed (no probing of other clouds), only ed25519 host keys
# (RSA key generation takes seconds under TCG), /etc/hosts naming the seed's hostname (else
# every sudo first waits for DNS to fail on it), and only the modules a Lima seed can use
# offline (no apt, snap, ntp, config-management agents, console key printing).
cat > "$root/etc/cloud/cloud.cfg.d/91-rdd-fast.cfg" <<'CFG'
datasource_list: [ NoCloud, None ]
ssh_genkeytypes: [ ed25519 ]
manage_etc_hosts: true
cloud_init_modules:
 - bootcmd
 - write-files
 - resizefs
 - mounts
 - set_hostname
 - update_hostname
 - update_etc_hosts
 - ca-certs
 - users-groups
 - ssh
cloud_config_modules:
 - locale
 - set-passwords
 - timezone
 - runcmd
cloud_final_modules:
 - package-update-upgrade-install
 - write-files-deferred
 - scripts-vendor
 - scripts-per-once
 - scripts-per-boot
 - scripts-per-instance
 - scripts-user
 - final-message
 - power-state-change
CFG
