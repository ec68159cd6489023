// SPDX-License-Identifier: GPL-2.0-only
/* The shared pin engine, private to this module (see include/vfio/pinrun.h). */
#include "../pinrun/pinrun.c"
