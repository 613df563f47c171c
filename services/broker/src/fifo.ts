/**
 * A first-in first-out queue with O(1) `push` and `shift`: a ring buffer that doubles when full.
 * It has the three members of an array that mqemitter's message queue uses, so it can stand in
 * for that array (see `createEmitter`).
 */
export class Fifo<T> {
  private items: Array<T | undefined>;
  private head = 0;
  private count = 0;

  constructor(initialCapacity = 1024) {
    this.items = new Array(Math.max(1, initialCapacity));
  }

  get length(): number {
    return this.count;
  }

  push(item: T): number {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) % this.items.length] = item;
    return ++this.count;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.count--;
    return item;
  }

  private grow() {
    const next = new Array<T | undefined>(this.items.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = this.items[(this.head + i) % this.items.length];
    this.items = next;
    this.head = 0;
  }
}
