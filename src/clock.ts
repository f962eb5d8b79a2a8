/** Time is injected so tests can pin it (expired third-party certificates, token lifetimes). */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

export function fixedClock(at: Date | string): Clock {
  const t = new Date(at);
  return () => new Date(t.getTime());
}
