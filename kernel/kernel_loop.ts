// Work the event loop does on every pass besides reading the console: device completion
// polling, periodic samplers. Subsystems register a poller at init.

export type Poller = () => void;
const pollers = new Array<Poller>(0);

export function registerPoller(p: Poller): void {
  pollers.push(p);
}

export function runPollers(): void {
  for (let i = 0; i < pollers.length; i++) pollers[i]();
}
