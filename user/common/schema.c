// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "schema.h"

const char *const ct_off_names[CT_OFF_NR] = {
	[CT_OFF_DISK] = "disk",	    [CT_OFF_DSTATE] = "uninterruptible",
	[CT_OFF_SOCKET] = "socket", [CT_OFF_POLL] = "poll",
	[CT_OFF_LOCK] = "lock",	    [CT_OFF_SLEEP] = "sleep",
	[CT_OFF_CHILD] = "child",   [CT_OFF_PIPE] = "pipe",
	[CT_OFF_SERVE] = "serve",   [CT_OFF_OTHER] = "other",
};

const char *const ct_lost_keys[CT_LK_NR] = {
	[CT_LK_STORAGE_FULL] = "storage_full",
	[CT_LK_RECURSION] = "recursion",
	[CT_LK_ENDPOINTS_FULL] = "endpoints_full",
	[CT_LK_DISK_FULL] = "disk_full",
	[CT_LK_ENDPOINTS_EVICTED] = "endpoints_evicted",
	[CT_LK_DISK_EVICTED] = "disk_evicted",
	[CT_LK_JOBS_FULL] = "jobs_full",
	[CT_LK_REPAIRED] = "repaired",
	[CT_LK_REPAIRED_NS] = "repaired_ns",
	[CT_LK_UNSPLIT] = "unsplit",
	[CT_LK_UNSPLIT_NS] = "unsplit_ns",
};

/* A path "obj.key" whose value must be an integer, or "obj" which must be an object. */
static const struct {
	const char *obj, *key, *name;
} job_required[] = {
	{ "cpu", "oncpu_ns", "cpu.oncpu_ns" },
	{ "runq", "ns", "runq.ns" },
	{ "offcpu", NULL, "offcpu" },
};

int schema__job_missing(const json_t *job, const char **first)
{
	int n = 0;

	for (size_t i = 0; i < sizeof(job_required) / sizeof(job_required[0]); i++) {
		const json_t *o = json_object_get(job, job_required[i].obj);

		if (job_required[i].key ? !json_is_integer(json_object_get(o, job_required[i].key)) :
					  !json_is_object(o)) {
			if (!n++)
				*first = job_required[i].name;
		}
	}
	return n;
}
