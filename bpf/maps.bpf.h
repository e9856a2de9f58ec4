/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The maps and settings every BPF file shares: their types, and extern declarations of the
 * one definition each has in job.bpf.c (bpftool links the objects into one skeleton).
 */
#ifndef CONTRACE_MAPS_BPF_H
#define CONTRACE_MAPS_BPF_H

#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "contrace.h"
#include "hist.h"

#define PF_KTHREAD 0x00200000
#define CT_FILE_NONE 0xff	/* ct_task.file_reason: the file is neither a socket nor a pipe */
#define CT_POLL_SOCKS 8	/* sockets of one poll or select block checked at its wakeup */

/* The scheduler's own per-task counters: exact whether or not a tracepoint fires. */
struct ct_sched_cnt {
	__u64 exec;		/* se.sum_exec_runtime: on-CPU ns */
	__u64 delay;		/* sched_info.run_delay: run-queue ns */
	__u64 runs;		/* sched_info.pcount: times it got a CPU */
	__u64 nvcsw, nivcsw;
};

struct ct_task {
	__u64 owner;		/* in ct_tslots: its task's ct_task_tag() (0: free); else unused */
	__u64 out_ts;		/* its last traced switch-out (0: none yet) */
	struct ct_sched_cnt cnt;	/* the counters at out_ts */
	__u64 cset;		/* css_set the job was resolved from */
	__u64 file;		/* file last classified by its mode (a struct file freed is soon
				 * another's: so also by...) */
	__u64 file_inode;	/* ...its inode and, */
	__u64 file_ino;		/* ...when it is a socket, that inode's number */
	__u32 gen;		/* ct_job_gen at resolution */
	__u16 job;
	__u16 pslot;		/* a process job's slot (--job NAME=pid:PID or --jobs-by-env), inherited
				 * at fork; 0: none */
	__u8 blocked;		/* it blocked at out_ts, for reason (else it was preempted) */
	__u8 reason;
	__u8 file_reason;	/* ...and what it was: CT_OFF_SOCKET, CT_OFF_PIPE or CT_FILE_NONE */
	__u8 ep_ok;		/* the current block is on the socket file, whose endpoint is ep */
	__u8 ep_kind;		/* ...its CT_SK_* (CT_SK_RTT: its smoothed RTT at the block is srtt_us) */
	__u8 penv;		/* pslot is an environment job's (--jobs-by-env), counted in ct_live */
	__u32 srtt_us;
	struct ct_ep ep;
	__u64 sk;		/* the cached socket file's struct sock */
	/*
	 * Requests: the current socket wait's connected TCP socket (0: none) and its write_seq as
	 * the wait began; and those of the last socket wait, which began a request unless it had
	 * the same socket at the same write_seq as the one before it.
	 */
	__u64 wait_sk;
	__u64 req_sk;
	__u32 wait_seq;
	__u32 req_seq;
	__u64 majflt;		/* task's maj_flt + 1 when last seen (0: not seen yet) */
	__u64 reclaim_ts;	/* in reclaim since (0: not in reclaim) */
	/*
	 * A block in poll, select or epoll (wake.bpf.c): the sockets polled, or the epoll
	 * instance, registered for the block that began at voluntary switch poll_block; and, once
	 * a socket's data has woken it (woke_block == that block), that socket's endpoint.
	 */
	__u64 poll_obj[CT_POLL_SOCKS];
	__u64 poll_block;
	__u64 woke_block;
	struct ct_ep woke_ep;
	__u64 woke_sk;		/* that socket when a connected TCP one (else 0), at woke_seq */
	__u32 woke_seq;
	__u32 woke_srtt_us;
	__u8 woke_kind;		/* that socket's CT_SK_* */
	__u8 poll_n;		/* entries of poll_obj in use */
	__u8 poll_epoll;	/* poll_obj[0] is a struct eventpoll */
};

struct ct_task_map {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ct_task);
};

/* Per-task state by the task's address (job.bpf.h, ct_task_get()). */
#define CT_TSLOTS 8192
struct ct_tslot_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CT_TSLOTS);
	__type(key, __u32);
	__type(value, struct ct_task);
};

struct ct_cgroup_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CT_MAX_CGROUPS);
	__type(key, struct ct_cgkey);
	__type(value, __u32);
};

/* max_entries of the three arrays below are set by user space from the CPU count. */
struct ct_stats_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ct_job_stats);
};

struct ct_hist {
	__u64 b[CT_HIST_NBUCKETS];
};

struct ct_hist_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ct_hist);
};

struct ct_pair_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ct_pair_stats);
};

/*
 * Endpoint and disk tables drop their least recently used entry when full, so a job that
 * touched a thousand ports cannot lock the next job out; user space counts what vanished.
 */
struct ct_ep_map {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CT_EP_ENTRIES);
	__type(key, struct ct_ep_key);
	__type(value, struct ct_ep_stats);
};

struct ct_disk_map {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CT_DISK_ENTRIES);
	__type(key, struct ct_disk_key);
	__type(value, struct ct_disk_stats);
};

struct ct_ring_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);	/* one per CPU, set by user space */
	__type(key, __u32);
	__type(value, struct ct_ring);
};

/* A port a job serves (family, local port) -> its slot; see sched.bpf.c's socket_wait. */
struct ct_server_key {
	__u32 family;
	__u32 port;
};

struct ct_server_map {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ct_server_key);
	__type(value, __u32);
};

/* A unix socket's name by its hash (sock.bpf.h): user space names endpoints with it. */
struct ct_unix_name_map {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CT_UNIX_NAMES);
	__type(key, __u64);
	__type(value, struct ct_unix_name);
};

struct ct_unix_scratch_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ct_unix_name);
};

/* Processes of --job NAME=pid:PID found at start (user space fills it), by thread id. */
struct ct_pid_job_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CT_PID_JOBS);
	__type(key, __u32);
	__type(value, struct ct_pid_job);
};

/* --jobs-by-env: values (and ties) seen -> their job; slots ready for new values. */
struct ct_env_job_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CT_ENV_JOBS);
	__type(key, __u64);
	__type(value, struct ct_env_job);
};

struct ct_env_pool_map {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, CT_ENV_POOL);
	__type(value, __u32);
};

extern struct ct_task_map ct_tasks SEC(".maps");
extern struct ct_tslot_map ct_tslots SEC(".maps");
extern struct ct_ring_map ct_rings SEC(".maps");	/* [cpu] */
extern struct ct_cgroup_map ct_cgroups SEC(".maps");
extern struct ct_stats_map ct_stats SEC(".maps");	/* [cpu][slot] */
extern struct ct_hist_map ct_hists SEC(".maps");	/* [cpu][slot][kind] */
extern struct ct_pair_map ct_pairs SEC(".maps");	/* [cpu][victim][culprit] */
extern struct ct_ep_map ct_eps SEC(".maps");		/* (slot, endpoint) */
extern struct ct_disk_map ct_disk SEC(".maps");	/* (slot, device, operation) */
extern struct ct_server_map ct_servers SEC(".maps");	/* (family, port): the serving job */
extern struct ct_unix_name_map ct_unix_names SEC(".maps");	/* name hash -> name */
extern struct ct_pid_job_map ct_pid_jobs SEC(".maps");	/* tid -> process job, at start */
extern struct ct_unix_scratch_map ct_unix_scratch SEC(".maps");	/* [cpu]: a name being read */
extern struct ct_env_job_map ct_env_jobs SEC(".maps");	/* ct_env_hash -> job */
extern struct ct_env_pool_map ct_env_pool SEC(".maps");	/* free slots, baselines taken */

extern const volatile __u32 targ_max_jobs;
extern const volatile bool targ_switch_state_arg;
extern const volatile bool targ_retrans_err_arg;
extern const volatile __u32 targ_nhier;
extern const volatile __u32 targ_hier[CT_MAX_HIER];
extern volatile __u32 ct_job_gen;
extern const volatile __u64 targ_t0_ns;	/* tasks started since are counted from birth */
extern const volatile __u32 targ_drop_idle_pct;	/* tests: ignore this % of switches out of idle */
extern __u64 ct_drops;
extern __u32 ct_tslot_fall[CT_TSLOTS];	/* tasks whose state is in task storage, by ct_tslots entry */
extern const volatile __u32 targ_tslot_mask;	/* ct_tslots entries used, less one (tests: fewer) */
/*
 * One bit per thread id (pid_max is at most 2^22): set while the thread is in a poll, select
 * or epoll wait registered for wake.bpf.c, cleared when it next blocks in anything else. A
 * wakeup looks here before the wakee's task storage or saved registers: with hundreds of
 * tasks those are cold cache lines, and this is one hot line per 64 threads. A stale bit only
 * sends a wakeup to the full check.
 */
#define CT_POLLER_WORDS (1U << 16)
extern __u64 ct_pollers[CT_POLLER_WORDS];

static __always_inline __u64 *ct_poller_word(__u32 tid)
{
	return &ct_pollers[(tid >> 6) & (CT_POLLER_WORDS - 1)];
}

static __always_inline __u64 ct_poller_bit(__u32 tid)
{
	return 1ULL << (tid & 63);
}
extern __u64 ct_ep_full;	/* endpoint events lost: ct_eps full */
extern __u64 ct_disk_full;	/* disk events lost: ct_disk or the request table full */
extern __u64 ct_ep_created, ct_disk_created;	/* entries ever made in ct_eps, ct_disk */
extern const volatile __u16 targ_eph_lo, targ_eph_hi;	/* ephemeral port range */
extern struct ct_ep_stats ct_zero_ep;
extern struct ct_disk_stats ct_zero_disk;
extern const volatile __u32 targ_env_nvars;	/* --jobs-by-env: 1 (VAR) or 2 (VAR,TIE); 0: off */
extern __s32 ct_live[CT_MAX_JOBS_LIMIT];	/* tasks in each environment job */
extern __u64 ct_env_full;	/* processes with a new value that found no slot ready */

#endif /* CONTRACE_MAPS_BPF_H */
