/**
 * Where one VM keeps its files, under `<lima_home>/<name>/` (the layout Lima uses):
 * pure paths, shared by the VM drivers, the controllers and `rdd limavm list|logs`.
 */
/** The files of one VM under `<lima_home>/<name>/`. */
export interface VmFiles {
  readonly dir: string
  readonly template: string
  readonly disk: string
  readonly qmp: string
  readonly pid: string
  readonly serial: string
  readonly previousSerial: string
  /** QEMU's own messages after it daemonized (-D keeps its stderr) */
  readonly log: string
  /** the cloud-init NoCloud seed (volume `cidata`), regenerated at each start */
  readonly seed: string
  /** the VM's own SSH key pair (`id_ed25519`, `.pub`) */
  readonly sshKey: string
  /** `ssh -F <this> lima-<name>` reaches the guest, as with Lima */
  readonly sshConfig: string
  /** the SSH control master's socket */
  readonly sshControl: string
  /** what the driver resolved at create time: base disk, kernel, initrd (JSON) */
  readonly boot: string
  /** the host agent's log (forwards, mounts, readiness steps) */
  readonly agentLog: string
  /** the QEMU pid whose guest the host agent found ready (a restarted daemon re-attaches without a "Starting") */
  readonly readyPid: string
}

export const vmFiles = (limaHome: string, name: string): VmFiles => {
  const dir = `${limaHome.replace(/\/+$/, "")}/${name}`
  return {
    dir,
    template: `${dir}/lima.yaml`,
    disk: `${dir}/diffdisk`,
    qmp: `${dir}/qmp.sock`,
    pid: `${dir}/qemu.pid`,
    serial: `${dir}/serial.log`,
    previousSerial: `${dir}/serial.1.log`,
    log: `${dir}/qemu.log`,
    seed: `${dir}/cidata.iso`,
    sshKey: `${dir}/id_ed25519`,
    sshConfig: `${dir}/ssh.config`,
    sshControl: `${dir}/ssh.sock`,
    boot: `${dir}/boot.json`,
    agentLog: `${dir}/ha.log`,
    readyPid: `${dir}/ready.pid`
  }
}
