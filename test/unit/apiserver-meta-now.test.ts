/** Object timestamps (apiserver/Meta.ts `now`): RFC 3339 whole seconds, following the clock even when it is cached per second. */
import { afterEach, describe, expect, it, vi } from "vitest"
import * as Meta from "../../src/controlplane/apiserver/Meta.js"

describe("Meta.now", () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it("is the current second, and moves with the clock in either direction", () => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date("2026-12-06T05:00:00.999Z"))
    expect(Meta.now()).toBe("2026-12-06T05:00:00Z")
    vi.setSystemTime(new Date("2026-12-06T05:00:01.000Z"))
    expect(Meta.now()).toBe("2026-12-06T05:00:01Z")
    // the wall clock stepped back (NTP): the stamp follows it
    vi.setSystemTime(new Date("2026-12-06T04:59:59.500Z"))
    expect(Meta.now()).toBe("2026-12-06T04:59:59Z")
  })

  it("agrees with the real clock", () => {
    const before = Math.floor(Date.now() / 1000)
    const stamp = Date.parse(Meta.now()) / 1000
    expect(stamp).toBeGreaterThanOrEqual(before)
    expect(stamp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000))
  })
})
