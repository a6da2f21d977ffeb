/**
 * A configuration entry by name, only if the configuration itself has it:
 * never a member every JavaScript object inherits. A group, project,
 * connector or webhook named `constructor`, `toString` or `__proto__` is as
 * unknown as any other name nobody configured (SECURITY.md, "Names are
 * looked up as names").
 */
export function ownEntry<T>(record: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}
