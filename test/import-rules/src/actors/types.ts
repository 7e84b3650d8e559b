export type WorkerThing = number;
