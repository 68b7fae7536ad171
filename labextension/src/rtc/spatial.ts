/**
 * Spatial voice: how loud and from which side a peer sounds, from where the
 * two avatars stand. Pure functions; the mixer applies them.
 */

/** Full volume up to half the radius, then falling to 10% at the drop distance. */
export function gainFor(distance: number, radius: number, dropRadius: number): number {
  const near = radius / 2;
  if (distance <= near) {
    return 1;
  }
  if (distance >= dropRadius) {
    return 0.1;
  }
  return 1 - (0.9 * (distance - near)) / (dropRadius - near);
}

/** Stereo pan from -1 (left) to 1 (right) by how far to the side the peer is. */
export function panFor(dx: number, radius: number): number {
  return Math.max(-1, Math.min(1, dx / radius));
}
