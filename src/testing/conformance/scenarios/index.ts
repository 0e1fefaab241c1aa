/**
 * The conformance scenarios, in report order. Each drives the filesystem
 * the way the kernel would for one family of behaviour and records every
 * deviation; names and descriptions are what the report shows.
 * docs/conformance-scenarios.md says what each covers.
 */
import type { Scenario } from '../kit';
import { directIoOrdering } from './cache';
import { errnos } from './errors';
import { interruptEffects, interrupts } from './interrupts';
import { append, appliedWhenAnswered, openFlags, readBounds, readsDuringWrites, sparse, writePatterns } from './io';
import { hardLinks, symlinks } from './links';
import { flock, posixLocks } from './locks';
import { generations, lookupBalance, lookupForget, readdirplusLookups } from './lookup';
import { oldMinors } from './minors';
import { model } from './model';
import { oddNames, oddNamesEverywhere } from './names';
import { readdirContents, readdirOffsets } from './readdir';
import { rename, renameDirectories, renameFiles } from './rename';
import { copyFileRange, fallocate, lseek } from './space';
import { mknod, statx, tmpfile } from './special';
import { access, flushFsync, statfs } from './sync';
import { attrsFresh, times } from './times';
import { treeWalk } from './tree';
import { openUnlinked } from './unlinked';
import { setattr, setattrFields, truncate } from './setattr';
import { xattrNames, xattrs, xattrValues } from './xattr';

export const SCENARIOS: readonly Scenario[] = [
  treeWalk, lookupForget, readdirplusLookups, generations, lookupBalance, oddNames, oddNamesEverywhere, readdirOffsets, readdirContents, rename, renameDirectories, renameFiles, hardLinks, symlinks, xattrs, xattrValues, xattrNames, setattr, setattrFields, truncate, sparse, openFlags, append, readBounds, writePatterns, appliedWhenAnswered, readsDuringWrites, openUnlinked, attrsFresh, times, statfs, flushFsync, access, fallocate, lseek, copyFileRange, mknod, tmpfile, statx, directIoOrdering, interrupts, interruptEffects, errnos, posixLocks, flock, oldMinors, model,
];
