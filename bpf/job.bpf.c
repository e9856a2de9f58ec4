// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Definitions of the maps and settings declared in job.bpf.h. */
#include "job.bpf.h"

struct ct_task_map ct_tasks SEC(".maps");
struct ct_ring_map ct_rings SEC(".maps");
struct ct_cgroup_map ct_cgroups SEC(".maps");
struct ct_stats_map ct_stats SEC(".maps");
struct ct_hist_map ct_hists SEC(".maps");
struct ct_pair_map ct_pairs SEC(".maps");
struct ct_ep_map ct_eps SEC(".maps");
struct ct_disk_map ct_disk SEC(".maps");
struct ct_server_map ct_servers SEC(".maps");
struct ct_unix_name_map ct_unix_names SEC(".maps");
struct ct_unix_scratch_map ct_unix_scratch SEC(".maps");

const volatile __u32 targ_max_jobs = CT_MAX_JOBS_DEFAULT;
const volatile bool targ_switch_state_arg = false;
const volatile bool targ_retrans_err_arg = false;
const volatile __u32 targ_nhier = 0;
const volatile __u32 targ_hier[CT_MAX_HIER] = {};
volatile __u32 ct_job_gen = 0;
const volatile __u64 targ_t0_ns = 0;
const volatile __u32 targ_drop_idle_pct = 0;
__u64 ct_drops = 0;
__u64 ct_ep_full = 0;
__u64 ct_disk_full = 0;
__u64 ct_ep_created = 0;
__u64 ct_disk_created = 0;
const volatile __u16 targ_eph_lo = 32768;
const volatile __u16 targ_eph_hi = 60999;
struct ct_ep_stats ct_zero_ep = {};
struct ct_disk_stats ct_zero_disk = {};

char LICENSE[] SEC("license") = "Dual BSD/GPL";
