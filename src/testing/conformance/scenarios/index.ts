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
import { generations, lookupBalance, lookupForget, readdirplusLookups } from './lookup';
import { oldMinors } from './minors';
import { oddNames, oddNamesEverywhere } from './names';
import { readdirContents, readdirOffsets } from './readdir';
import { rename, renameDirectories, renameFiles } from './rename';
import { setattr } from './setattr';
import { xattrs } from './xattr';

export const SCENARIOS: readonly Scenario[] = [
  lookupForget, readdirplusLookups, generations, lookupBalance, oddNames, oddNamesEverywhere, readdirOffsets, readdirContents, rename, renameDirectories, renameFiles, hardLinks, xattrs, setattr, sparse, appliedWhenAnswered, directIoOrdering, interrupts, oldMinors,
];
