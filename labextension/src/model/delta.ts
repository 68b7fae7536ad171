/**
 * The server sends who came near and who went (and who became capped and who
 * no longer is) as changes to the set the welcome started: one message per
 * position batch, whatever the size of the crowd.
 */
export function applyDelta(
  ids: Set<string>,
  added: readonly string[],
  removed: readonly string[]
): void {
  for (const id of removed) {
    ids.delete(id);
  }
  for (const id of added) {
    ids.add(id);
  }
}
