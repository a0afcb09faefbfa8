// Event: something tasks wait for and other code signals (a wait queue).
//
// A task's step returns `this.waitFor(event)`; the scheduler then blocks it on the event.
// signal() wakes every task waiting at that moment (broadcast) and returns how many; a
// signal with nobody waiting is counted but not remembered (tasks check their condition
// before waiting, as with a condition variable). Safe to call from a task's step, a poller
// or a shell command.
import { Task } from "./task";
import { wakeTask } from "./scheduler";

export class Event {
  waiters: Array<Task> = new Array<Task>(0);
  signals: u64 = 0;

  constructor(public name: string) {}

  signal(): i32 {
    this.signals++;
    const woken = this.waiters;
    this.waiters = new Array<Task>(0);
    for (let i = 0; i < woken.length; i++) wakeTask(woken[i]);
    return woken.length;
  }

  /** Removes a task that stops waiting (killed). */
  forget(task: Task): void {
    const i = this.waiters.indexOf(task);
    if (i >= 0) this.waiters.splice(i, 1);
  }
}
