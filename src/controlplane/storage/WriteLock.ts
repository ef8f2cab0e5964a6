/**
 * The store's write lock: one holder at a time, as a `Semaphore` of one permit,
 * but taken without suspending when it is free.
 *
 * Effect's `Semaphore.take` is an async operation that resumes at once when a
 * permit is free. The fiber still suspends and is resumed from the scheduler,
 * so every API write paid a scheduler hop, and its request was answered from a
 * fiber observer instead of inline (profile of 8,000 creates, 2026-12-06: the
 * commit and the answer ran under `drainQueueOnCurrentThread`, not under the
 * request). Here a free lock is taken synchronously; only a contended one waits.
 *
 * Waiting and waking follow the semaphore: a release wakes every waiter and each
 * tries again, so a waiter interrupted after its wake-up strands no one.
 */
import * as Effect from "effect/Effect"

export interface WriteLock {
  /** runs `self` holding the lock; released however `self` ends, interruption included */
  readonly withLock: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /**
   * Runs `body` holding the lock if it is free now, and releases it before returning;
   * undefined (nothing run) when another writer holds it. `body` is synchronous: the
   * lock is never held across a suspension, so a caller that is interrupted cannot
   * leave it taken.
   */
  readonly tryNow: <A>(body: () => A) => { readonly value: A } | undefined
}

export const make = (): WriteLock => {
  let held = false
  const waiters = new Set<() => void>()

  const take: Effect.Effect<void> = Effect.suspend(() => {
    if (!held) {
      held = true
      return Effect.void
    }
    return Effect.flatMap(
      Effect.async<void>((resume) => {
        const wake = () => {
          waiters.delete(wake)
          resume(Effect.void)
        }
        waiters.add(wake)
        return Effect.sync(() => {
          waiters.delete(wake)
        })
      }),
      () => take
    )
  })

  const releaseNow = () => {
    held = false
    if (waiters.size > 0) for (const wake of [...waiters]) wake()
  }
  const release = Effect.sync(releaseNow)

  return {
    withLock: (self) => Effect.uninterruptibleMask((restore) => Effect.zipRight(restore(take), Effect.ensuring(restore(self), release))),
    tryNow: (body) => {
      if (held) return undefined
      held = true
      try {
        return { value: body() }
      } finally {
        releaseNow()
      }
    }
  }
}
