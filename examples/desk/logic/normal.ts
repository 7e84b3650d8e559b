/**
 * Phi(x), the standard normal cdf, by Marsaglia's Taylor series (J. Stat. Softw. 11(4), 2004):
 * Phi(x) = 1/2 + phi(x) (x + x^3/3 + x^5/(3 5) + ...), summed until a term no longer changes the sum.
 * Absolute error about 1e-15 on [-8, 8] (relative accuracy is lost deep in the lower tail, which a
 * buy share does not need); 0 and 1 outside, where Phi is within 7e-16 of them.
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < -8) return 0;
  if (x > 8) return 1;
  const q = x * x;
  let sum = x;
  let term = x;
  let previous = 0;
  for (let i = 1; sum !== previous; ) {
    previous = sum;
    i += 2;
    term *= q / i;
    sum += term;
  }
  return 0.5 + sum * Math.exp(-0.5 * q - 0.91893853320467274178); // log(sqrt(2 pi)) = 0.9189...
}
