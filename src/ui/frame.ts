/**
 * One redraw per animation frame for everything that draws: charts ask for a redraw as often
 * as data arrives (a token, a training step), and all requests in a frame collapse into one
 * call per chart.
 */
const pending = new Map<object, () => void>();
let scheduled = false;

function flush(): void {
  scheduled = false;
  const jobs = [...pending.values()];
  pending.clear();
  for (const job of jobs) job();
}

/** Runs `draw` in the next animation frame; a later request for the same `owner` replaces it. */
export function drawNextFrame(owner: object, draw: () => void): void {
  pending.set(owner, draw);
  if (!scheduled) {
    scheduled = true;
    requestAnimationFrame(flush);
  }
}

export function cancelDraw(owner: object): void {
  pending.delete(owner);
}
