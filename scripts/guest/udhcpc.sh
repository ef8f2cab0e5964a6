#!/bin/sh
# busybox udhcpc event script of the tiny SSH test guest (installed as /etc/udhcpc.sh):
# applies the lease (address, default route, DNS). QEMU user networking per the guest
# contract hands out 192.168.5.15/24, gateway 192.168.5.2, DNS 192.168.5.3.
case "$1" in
  deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
  bound|renew)
    # `replace`, never flush, on renew: open SSH sessions keep their address.
    ip addr replace "$ip/${mask:-24}" dev "$interface"
    for r in $router; do ip route replace default via "$r" dev "$interface"; break; done
    : > /etc/resolv.conf
    [ -n "${domain:-}" ] && echo "search $domain" >> /etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done ;;
esac
exit 0
