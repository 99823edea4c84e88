/**
 * Freezes an object and everything reachable from it, so validated settings and the table model cannot be changed
 * by the code they are handed to. Returns its argument.
 */
export function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object" && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
