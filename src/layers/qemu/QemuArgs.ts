/**
 * The QEMU command line of one VM, from its template and its files: pure, so the
 * exact flags are unit-tested. Flags follow reference/qemu-guest.md section 9 (the
 * measured fastest TCG boot): no default devices, serial console to a file, QMP on a
 * unix socket, pidfile, `-no-reboot` so a guest panic or reset ends QEMU, and
 * `-daemonize` so QEMU reports setup errors synchronously, then runs in its own
 * session and outlives the daemon.
 */
import * as LimaTemplate from "../../domain/LimaTemplate.js"
import type { VmFiles } from "../../domain/limavm/VmFiles.js"

export type Accel = "kvm" | "hvf" | "tcg"

// the layout is the instance's, not QEMU's: commands and controllers read it too
export { vmFiles, type VmFiles } from "../../domain/limavm/VmFiles.js"

/** Linux's sun_path is 108 bytes including the terminating NUL. */
export const MaxSocketPath = 107

export interface Boot {
  readonly kernel?: string
  readonly initrd?: string
  readonly cmdline?: string
  /** the VM's disk (`diffdisk`), with its format; absent for a diskless guest */
  readonly disk?: { readonly path: string; readonly format: "raw" | "qcow2" }
  /** the NoCloud seed ISO, attached read-only as the second virtio disk */
  readonly seed?: string
  /** user-mode networking with the guest's SSH port forwarded to this 127.0.0.1 port */
  readonly network?: { readonly sshLocalPort: number; readonly mac: string }
  /** virtiofs shares: each a virtiofsd socket and the tag the guest mounts */
  readonly virtiofs?: ReadonlyArray<{ readonly tag: string; readonly socket: string }>
  /** 9p shares (virtio-9p): host path, tag, read-only */
  readonly ninep?: ReadonlyArray<{ readonly tag: string; readonly path: string; readonly readonly: boolean }>
}

/** Lima's user-mode subnet: the guest is 192.168.5.15, the host 192.168.5.2, DNS 192.168.5.3. */
export const Subnet = "192.168.5.0/24"
export const GuestAddress = "192.168.5.15"
export const HostAddress = "192.168.5.2"

/** A stable locally administered MAC per VM name (Lima derives its MAC from the instance too). */
export const macFor = (name: string): string => {
  let h = 2166136261
  for (const c of Buffer.from(name)) h = Math.imul(h ^ c, 16777619) >>> 0
  const b = [(h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff]
  return ["52", "55", "55", ...b.map((x) => x.toString(16).padStart(2, "0"))].join(":")
}

export interface Machine {
  readonly name: string
  readonly arch: LimaTemplate.Arch
  readonly cpus: number
  readonly memoryMiB: number
  readonly accel: Accel
}

export const binaryFor = (arch: LimaTemplate.Arch): string =>
  arch === "aarch64" ? "qemu-system-aarch64" : arch === "x86_64" ? "qemu-system-x86_64" : `qemu-system-${arch}`

/** Console device name of the guest for a default kernel cmdline. */
export const consoleFor = (arch: LimaTemplate.Arch): string => (arch === "aarch64" ? "ttyAMA0" : "ttyS0")

export const args = (machine: Machine, boot: Boot, files: VmFiles): ReadonlyArray<string> => {
  const out: Array<string> = [
    "-name", `${machine.name},process=qvm-${machine.name}`,
    "-nodefaults", "-no-user-config", "-display", "none",
    "-machine", machine.arch === "x86_64" ? "pc" : "virt",
    "-accel", machine.accel
  ]
  // A host CPU model only where hardware acceleration runs it; TCG keeps QEMU's default model.
  if (machine.accel !== "tcg") out.push("-cpu", "host")
  else if (machine.arch !== "x86_64") out.push("-cpu", "max")
  out.push("-m", String(machine.memoryMiB), "-smp", String(machine.cpus))
  if (boot.virtiofs !== undefined && boot.virtiofs.length > 0) {
    // vhost-user needs guest memory that virtiofsd can map: a shared memfd backend
    out.push(
      "-object", `memory-backend-memfd,id=mem,size=${machine.memoryMiB}M,share=on`,
      "-numa", "node,memdev=mem"
    )
    boot.virtiofs.forEach((share, i) => {
      // one chardev + vhost-user-fs device per virtiofsd
      out.push(
        "-chardev", `socket,id=vfs${i},path=${escapeOption(share.socket)}`,
        "-device", `vhost-user-fs-pci,chardev=vfs${i},tag=${share.tag}`
      )
    })
  }
  if (boot.kernel !== undefined) {
    out.push("-kernel", boot.kernel)
    if (boot.initrd !== undefined) out.push("-initrd", boot.initrd)
    out.push("-append", boot.cmdline ?? `console=${consoleFor(machine.arch)}`)
  }
  if (boot.disk !== undefined) {
    out.push("-drive", `file=${escapeOption(boot.disk.path)},format=${boot.disk.format},if=virtio,discard=on`)
  }
  for (const [i, share] of (boot.ninep ?? []).entries()) {
    out.push("-virtfs", `local,path=${escapeOption(share.path)},mount_tag=${share.tag},security_model=none,id=fs${i}${share.readonly ? ",readonly=on" : ""}`)
  }
  if (boot.seed !== undefined) {
    out.push("-drive", `file=${escapeOption(boot.seed)},format=raw,if=virtio,media=cdrom,readonly=on`)
  }
  if (boot.network !== undefined) {
    out.push(
      "-netdev",
      `user,id=net0,net=${Subnet},dhcpstart=${GuestAddress},hostfwd=tcp:127.0.0.1:${boot.network.sshLocalPort}-:22`,
      "-device", `virtio-net-pci,netdev=net0,mac=${boot.network.mac}`,
      // entropy for the guest's first SSH host keys and TLS, as Lima gives it
      "-device", "virtio-rng-pci"
    )
  }
  out.push(
    "-chardev", `file,id=ser0,path=${escapeOption(files.serial)}`,
    "-serial", "chardev:ser0",
    "-qmp", `unix:${escapeOption(files.qmp)},server=on,wait=off`,
    "-pidfile", files.pid,
    "-D", files.log,
    "-no-reboot",
    "-daemonize"
  )
  return out
}

/** QEMU option values separate keys with commas; a literal comma is doubled. */
const escapeOption = (value: string): string => value.replace(/,/g, ",,")

/** The kernel cmdline with `{{.Name}}` expanded. */
export const cmdlineFor = (kernel: LimaTemplate.Kernel, name: string, arch: LimaTemplate.Arch): string =>
  kernel.cmdline === undefined ? `console=${consoleFor(arch)}` : LimaTemplate.expand(kernel.cmdline, name)

/** What the guest prints on its console once booted, when the template does not say (a getty's prompt). */
export const DefaultReadyLine = "login:"

export const readyLineFor = (template: LimaTemplate.LimaTemplate, name: string): string =>
  LimaTemplate.expand(template.readyLine ?? DefaultReadyLine, name)

/** The first image for the VM's arch (Lima's choice). */
export const imageFor = (template: LimaTemplate.LimaTemplate): LimaTemplate.Image | undefined =>
  template.images.find((i) => i.arch === template.arch)
