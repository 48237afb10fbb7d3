/* SPDX-License-Identifier: BSD-3-Clause */
#include "ut.h"
int main(void) { return ut_summary("placeholder"); }
