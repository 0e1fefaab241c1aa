/** FUSE_SETUPMAPPING: DAX window mapping: virtiofs only, never sent on /dev/fuse. */
import { Opcode } from '../constants';
import { argBody, defineOp, type RequestOf } from '../op';
import { SetupmappingIn } from '../structs';

export const SETUPMAPPING = defineOp(Opcode.SETUPMAPPING, 'SETUPMAPPING', 'empty', argBody(SetupmappingIn));
export type SetupmappingRequest = RequestOf<typeof SETUPMAPPING>;
