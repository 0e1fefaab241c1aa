// A filesystem module as `devfuse conformance` loads it (docs/conformance.md):
// the factory returns a fresh filesystem each call; `inspect` beside it lets
// the kit count the inodes the filesystem still holds (its leak checks).
// Here the factory is devfuse's memfs: put yours in its place.
'use strict';
const { memfs } = require('devfuse');

exports.makeFs = () => memfs();

exports.inspect = (fs) => ({ liveInodes: () => fs.state.inodeCount });
