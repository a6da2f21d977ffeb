/**
 * The bench's baseline activity: does nothing but tell the bench it ran, so a
 * baseline's end is timed the way the real figure is (when the effect happened).
 */
export function createBaselineActivities(onNoop: (key: string) => void = () => undefined) {
  return {
    async noop(key: string): Promise<void> {
      onNoop(key);
    },
  };
}

export type BaselineActivities = ReturnType<typeof createBaselineActivities>;
