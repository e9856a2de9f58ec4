// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Definitions of the maps and settings declared in job.bpf.h. */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "job.bpf.h"

struct ct_task_map ct_tasks SEC(".maps");
struct ct_tslot_map ct_tslots SEC(".maps");
struct ct_ring_map ct_rings SEC(".maps");
struct ct_cgroup_map ct_cgroups SEC(".maps");
struct ct_stats_map ct_stats SEC(".maps");
struct ct_hist_map ct_hists SEC(".maps");
struct ct_pair_map ct_pairs SEC(".maps");
struct ct_ep_map ct_eps SEC(".maps");
struct ct_disk_map ct_disk SEC(".maps");
struct ct_server_map ct_servers SEC(".maps");
struct ct_unix_name_map ct_unix_names SEC(".maps");
struct ct_pid_job_map ct_pid_jobs SEC(".maps");
struct ct_unix_scratch_map ct_unix_scratch SEC(".maps");
struct ct_env_job_map ct_env_jobs SEC(".maps");
struct ct_env_pool_map ct_env_pool SEC(".maps");

const volatile __u32 targ_max_jobs = CT_MAX_JOBS_DEFAULT;
const volatile bool targ_switch_state_arg = false;
const volatile bool targ_retrans_err_arg = false;
const volatile __u32 targ_nhier = 0;
const volatile __u32 targ_hier[CT_MAX_HIER] = {};
volatile __u32 ct_job_gen = 0;
const volatile __u64 targ_t0_ns = 0;
const volatile __u32 targ_drop_idle_pct = 0;
__u64 ct_drops = 0;
__u32 ct_tslot_fall[CT_TSLOTS] = {};
const volatile __u32 targ_tslot_mask = CT_TSLOTS - 1;
__u64 ct_pollers[CT_POLLER_WORDS] = {};
__u64 ct_ep_full = 0;
__u64 ct_disk_full = 0;
__u64 ct_ep_created = 0;
__u64 ct_disk_created = 0;
const volatile __u16 targ_eph_lo = 32768;
const volatile __u16 targ_eph_hi = 60999;
struct ct_ep_stats ct_zero_ep = {};
struct ct_disk_stats ct_zero_disk = {};
const volatile __u32 targ_env_nvars = 0;
__s32 ct_live[CT_MAX_JOBS_LIMIT] = {};
__u64 ct_env_full = 0;

/* sock.bpf.h */
__noinline __u64 ct_unix_hash(__u64 addr)
{
	struct unix_address *a = (struct unix_address *)addr;
	__u32 len = (__u32)BPF_CORE_READ(a, len), zero = 0;
	void *name = (void *)a + bpf_core_field_offset(struct unix_address, name) + 2;
	struct ct_unix_name *n = bpf_map_lookup_elem(&ct_unix_scratch, &zero);
	__u64 h = CT_FNV_OFFSET;

	if (!n || len <= 2)
		return 0;
	len -= 2;		/* less sun_family */
	if (len > CT_UNIX_PATH)
		len = CT_UNIX_PATH;
	barrier_var(len);	/* keep the mask below: the verifier needs it to bound the read */
	len &= 127;
	if (bpf_probe_read_kernel(n->name, len, name))
		return 0;
	/* a path's name ends at its NUL; an abstract one (leading NUL) spans len */
	for (int i = 0; i < CT_UNIX_PATH && i < len; i++) {
		if (i > 0 && !n->name[i] && n->name[0])
			break;
		h = (h ^ (__u8)n->name[i]) * CT_FNV_PRIME;
	}
	if (!n->name[0] && len == CT_UNIX_AUTOBIND)
		return CT_UNIX_AUTO;
	/* the name, once, for user space to show (a server may be gone when it looks) */
	if (!bpf_map_lookup_elem(&ct_unix_names, &h)) {
		n->len = len;
		bpf_map_update_elem(&ct_unix_names, &h, n, BPF_NOEXIST);
	}
	return h;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * A task is freed (after its last switch and every program that could see it): its ct_tslots
 * entry is free again, or there is one task fewer in task storage for that entry. Here, in
 * the object's first file, so that it is the first program attached: an entry made before it
 * was attached and never given back would be taken over by the next task at that address.
 */
SEC("tp_btf/sched_process_free")
int BPF_PROG(ct_sched_process_free, struct task_struct *p)
{
	ct_task_put(p);
	return 0;
}
