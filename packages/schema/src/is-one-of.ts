/** Whether `value` is one of a literal tuple's members, narrowing it to their union. */
export function isOneOf<T>(values: readonly T[], value: unknown): value is T {
  return (values as readonly unknown[]).includes(value);
}
