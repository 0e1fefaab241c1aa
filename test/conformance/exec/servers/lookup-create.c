/* Fault: the entry a CREATE returns is not counted as a lookup, so the kernel's FORGETs free the inode while the kernel still holds it (ESTALE after). Caught by lookup-forget. */
#include "minifs.h"

void install_fault(struct fault_ops *f) { f->create_lookups = 0; }
