/** A key that cannot be used; `field` tells which setting is at fault, so the message can name its variable. */
export class KeyMaterialError extends Error {
  constructor(
    readonly field: 'key' | 'alg' | 'kid',
    readonly problem: string,
  ) {
    super(problem);
    this.name = 'KeyMaterialError';
  }
}
