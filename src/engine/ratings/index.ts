/** Rating machinery: battles, aggregation, Bradley–Terry (three tie models, two solvers), intervals, Elo, Plackett–Luce, candidate aggregation. */
export * from './battles';
export * from './counts';
export * from './tie_models';
export * from './bradley_terry';
export * from './intervals';
export * from './elo';
export * from './plackett_luce';
export * from './matrices';
export * from './aggregation';
export * from './leaderboard';
export * from './diagonal_sandwich';
export * from './simulate';
export { binomial, multinomial, gamma, beta, logFactorial } from './distributions';
