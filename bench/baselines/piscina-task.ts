// piscina baseline: the task echoes its input.
export default function echo(x: unknown): unknown {
  return x;
}
