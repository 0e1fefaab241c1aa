/** FUSE_RENAME2: RENAME with renameat2(2) `flags`: RENAME_NOREPLACE (1), RENAME_EXCHANGE (2), RENAME_WHITEOUT (4). */
import { Opcode } from '../constants';
import { argTwoNamesBody, defineOp, type RequestOf } from '../op';
import { Rename2In } from '../structs';

export const RENAME2 = defineOp(Opcode.RENAME2, 'RENAME2', 'empty', argTwoNamesBody(Rename2In));
export type Rename2Request = RequestOf<typeof RENAME2>;
