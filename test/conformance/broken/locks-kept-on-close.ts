/** Locks kept in a table that close never cleans: a flock outlives the file description that held it. */
import { memfsWith } from './base';
export { inspect } from './base';

export const scenario = 'flock';
export const make = memfsWith((m) => {
  m.state.locks.releaseHandle = () => undefined;
  m.state.locks.clear = () => undefined;
  return {};
});
