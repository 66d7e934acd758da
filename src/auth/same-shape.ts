/**
 * A compile-time check that two descriptions of one object shape agree, for types written in two
 * places (a zod schema and the type it validates, a generated wire type and a package's own).
 */

/**
 * `true` when `A` and `B` have the same members, each required or optional alike, with types
 * assignable both ways; `readonly` (of members and arrays) aside. Assignability alone would not do:
 * structural typing lets an optional member exist on one side only. Members are compared whole, so
 * a nested object's members are not compared key by key.
 *
 * @example
 * type Check<T extends true> = T;
 * export type RestrictionsMatch = Check<SameShape<z.infer<typeof restrictionsSchema>, TokenRestrictions>>;
 * // a member added to one side only: "Type 'false' does not satisfy the constraint 'true'"
 */
export type SameShape<A, B> = [MutuallyAssignable<Writable<A>, Writable<B>>, MutuallyAssignable<keyof A, keyof B>] extends [true, true] ? true : false;

/** Fails to compile unless `T` is `true`: `type X = AssertTrue<SameShape<A, B>>`. */
export type AssertTrue<T extends true> = T;

type MutuallyAssignable<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** `readonly` removed, from members and arrays alike, so a frozen type compares with its schema's output. */
type Writable<T> = T extends readonly (infer Item)[] ? Writable<Item>[] : T extends object ? { -readonly [K in keyof T]: Writable<T[K]> } : T;
