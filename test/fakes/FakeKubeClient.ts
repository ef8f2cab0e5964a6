/**
 * KubeClient over the World: /readyz answers while a daemon serves the API (not
 * frozen); the discovery ConfigMap is a SubscriptionRef, so `watch` delivers its
 * current state and every change, as the real watch does. A partial fake
 * (`Layer.mock`): any other method a lifecycle program calls dies loudly,
 * naming it. Tests that need API behaviour use the real engine instead
 * (test/support/engine.ts).
 */
import { Effect, Layer, Option, Stream, SubscriptionRef } from "effect"
import { KubeClient, Unavailable } from "../../src/services/KubeClient.js"
import type { World } from "./World.js"

export const layer = (w: World) =>
  Layer.mock(KubeClient, {
    readyz: Effect.sync(() => w.apiUp()),
    get: (ref) =>
      ref.name === "rdd-controller-manager"
        ? Effect.suspend(() => (w.apiUp() ? SubscriptionRef.get(w.discovery) : Effect.fail(new Unavailable({ message: "connection refused" }))))
        : Effect.dieMessage(`FakeKubeClient.get is scripted for the discovery ConfigMap only, not ${ref.name}`),
    watch: () =>
      w.discovery.changes.pipe(
        Stream.filterMap((o) => (w.apiUp() ? o : Option.none())),
        Stream.map((object) => ({ type: "MODIFIED" as const, object }))
      )
  })
