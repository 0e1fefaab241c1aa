/**
 * The conformance scenarios, in report order. Each drives the filesystem
 * the way the kernel would for one family of behaviour and records every
 * deviation; names and descriptions are what the report shows.
 * docs/conformance-scenarios.md says what each covers.
 */
import type { Scenario } from '../kit';
import { directIoOrdering } from './cache';
import { interrupts } from './interrupts';
import { appliedWhenAnswered, sparse } from './io';
import { hardLinks } from './links';
import { lookupForget } from './lookup';
import { oldMinors } from './minors';
import { oddNames } from './names';
import { readdirOffsets } from './readdir';
import { rename } from './rename';
import { setattr } from './setattr';
import { xattrs } from './xattr';

export const SCENARIOS: readonly Scenario[] = [
  lookupForget, oddNames, readdirOffsets, rename, hardLinks, xattrs, setattr, sparse, appliedWhenAnswered, directIoOrdering, interrupts, oldMinors,
];
