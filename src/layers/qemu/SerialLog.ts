/**
 * Reading a VM's serial console log: find the guest's readiness line by tailing the
 * file from the last offset read (cheap to repeat every 50 ms), and show its last lines
 * when a boot fails. The console adds `\r` before `\n` (tty ONLCR); a prompt such as
 * `login: ` has no newline at all, so the unfinished last line is checked too.
 */
import * as fs from "node:fs"

export interface Scan {
  /** bytes of the file consumed so far */
  readonly offset: number
  /** the unfinished last line */
  readonly carry: string
  readonly ready: boolean
}

export const initialScan: Scan = { offset: 0, carry: "", ready: false }

const ChunkBytes = 1 << 20

/** Reads what was appended since `scan` and checks it for `readyLine`. */
export const advance = (file: string, readyLine: string, scan: Scan): Scan => {
  if (scan.ready) return scan
  let fd: number
  try {
    fd = fs.openSync(file, "r")
  } catch {
    return scan
  }
  try {
    let { carry, offset } = scan
    const size = fs.fstatSync(fd).size
    // Truncated (a new QEMU started on this file): start over.
    if (size < offset) {
      offset = 0
      carry = ""
    }
    const buffer = Buffer.alloc(ChunkBytes)
    while (offset < size) {
      const n = fs.readSync(fd, buffer, 0, Math.min(ChunkBytes, size - offset), offset)
      if (n <= 0) break
      offset += n
      const lines = (carry + buffer.toString("latin1", 0, n)).split("\n")
      carry = lines.pop() ?? ""
      for (const line of lines) {
        if (line.replace(/\r/g, "").includes(readyLine)) return { offset, carry: "", ready: true }
      }
      // Keep the unfinished line bounded: a console that never prints a newline must not grow it forever.
      if (carry.length > 65536) carry = carry.slice(-4096)
    }
    return { offset, carry, ready: carry.replace(/\r/g, "").includes(readyLine) }
  } finally {
    fs.closeSync(fd)
  }
}

/** The last `count` non-empty lines of the log (without `\r`), for error messages. */
export const tail = (file: string, count = 20): string => {
  try {
    const fd = fs.openSync(file, "r")
    try {
      const size = fs.fstatSync(fd).size
      const length = Math.min(size, 64 * 1024)
      const buffer = Buffer.alloc(length)
      fs.readSync(fd, buffer, 0, length, size - length)
      return buffer.toString("utf8").replace(/\r/g, "").split("\n").filter((l) => l.trim() !== "").slice(-count).join("\n")
    } finally {
      fs.closeSync(fd)
    }
  } catch {
    return ""
  }
}
