// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "schema.h"

const char *const ct_off_names[CT_OFF_NR] = {
	[CT_OFF_DISK] = "disk",	    [CT_OFF_DSTATE] = "uninterruptible",
	[CT_OFF_SOCKET] = "socket", [CT_OFF_POLL] = "poll",
	[CT_OFF_LOCK] = "lock",	    [CT_OFF_SLEEP] = "sleep",
	[CT_OFF_CHILD] = "child",   [CT_OFF_PIPE] = "pipe",
	[CT_OFF_OTHER] = "other",
};

const char *const ct_lost_keys[CT_LK_NR] = {
	[CT_LK_STORAGE_FULL] = "storage_full",
	[CT_LK_RECURSION] = "recursion",
	[CT_LK_ENDPOINTS_FULL] = "endpoints_full",
	[CT_LK_DISK_FULL] = "disk_full",
	[CT_LK_ENDPOINTS_EVICTED] = "endpoints_evicted",
	[CT_LK_DISK_EVICTED] = "disk_evicted",
	[CT_LK_REPAIRED] = "repaired",
	[CT_LK_REPAIRED_NS] = "repaired_ns",
	[CT_LK_UNSPLIT] = "unsplit",
	[CT_LK_UNSPLIT_NS] = "unsplit_ns",
};
