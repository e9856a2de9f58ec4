// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Disk per job x device x operation: requests, bytes, queue time (entered the block layer ->
 * issued to the driver) and device time (issued -> completed), as histograms.
 *
 * A request is charged to whoever submitted it, decided when it is made from a bio
 * (block_io_start runs in the submitter's context): the bio's blkcg where that is a job's
 * cgroup, else the submitting task's job; kernel threads (flushers, journal, loop workers,
 * kswapd) are the `writeback` line. Completion runs in interrupt context and never decides.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "job.bpf.h"

#define CT_REQ_OP_MASK		0xff
#define CT_REQ_OP_READ		0
#define CT_REQ_OP_WRITE		1
#define CT_REQ_OP_FLUSH		2
#define CT_REQ_OP_DISCARD	3
#define CT_INFLIGHT		8192

/* Hierarchy of the io (blkio) controller: where a bio's blkcg is looked up among jobs... */
const volatile __u32 targ_blkcg_hier = CT_HIER_V2;
/* ...if any job is in that hierarchy at all (else the lookup could never match). */
const volatile bool targ_blkcg_on = false;

struct ct_rq {
	__u64 start;		/* entered the block layer (0: not seen) */
	__u64 issue;		/* issued to the driver (0: not yet) */
	struct ct_disk_key key;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CT_INFLIGHT);
	__type(key, __u64);
	__type(value, struct ct_rq);
} ct_rqs SEC(".maps");

static __always_inline __u32 disk_op(__u32 flags)
{
	switch (flags & CT_REQ_OP_MASK) {
	case CT_REQ_OP_READ: return CT_DISK_READ;
	case CT_REQ_OP_WRITE: return CT_DISK_WRITE;
	case CT_REQ_OP_FLUSH: return CT_DISK_FLUSH;
	case CT_REQ_OP_DISCARD: return CT_DISK_DISCARD;
	default: return CT_DISK_OTHER;
	}
}

/* The job whose cgroup the bio was issued for, if its blkcg is one (else `other`). */
static __always_inline __u32 blkcg_job(struct bio *bio)
{
	struct cgroup_subsys_state *css;

	if (!targ_blkcg_on || !bio || !bpf_core_field_exists(bio->bi_blkg))
		return CT_SLOT_OTHER;
	css = &BPF_CORE_READ(bio, bi_blkg, blkcg)->css;
	if (!BPF_CORE_READ(css, parent))	/* the root: nobody's in particular */
		return CT_SLOT_OTHER;
	return ct_cgroup_job(css, targ_blkcg_hier);
}

/* Who submits @bio, now, from the submitter's context. */
static __always_inline __u32 submitter(struct bio *bio)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct ct_task *c;
	__u32 slot = blkcg_job(bio);

	if (slot != CT_SLOT_OTHER)
		return slot;
	if (t->flags & PF_KTHREAD)
		return CT_SLOT_WRITEBACK;
	c = ct_task_get(t);
	return c ? ct_job_of(t, c) : CT_SLOT_OTHER;
}

static __always_inline void rq_key(struct request *rq, struct ct_disk_key *k)
{
	struct block_device *part = rq->part;

	/* rq->part is set only where the queue keeps I/O statistics; the disk always is. */
	k->dev = part ? part->bd_dev : BPF_CORE_READ(rq, q, disk, part0, bd_dev);
	k->op = disk_op(rq->cmd_flags);
	k->pad = 0;
}

static __always_inline struct ct_disk_stats *disk_stats(const struct ct_disk_key *k)
{
	return ct_keyed_get(&ct_disk, k, &ct_zero_disk, &ct_disk_full, &ct_disk_created);
}

/* A request was made from a bio: it starts now, for whoever submits it. */
static __always_inline void rq_start(struct request *rq)
{
	__u64 id = (__u64)rq;
	struct ct_rq r = { .start = bpf_ktime_get_ns() };

	rq_key(rq, &r.key);
	r.key.slot = submitter(rq->bio);
	/* Any entry left by an earlier use of this request is stale: replace it. */
	if (bpf_map_update_elem(&ct_rqs, &id, &r, BPF_ANY))
		__sync_fetch_and_add(&ct_disk_full, 1);
}

SEC("tp_btf/block_io_start")
int BPF_PROG(ct_block_io_start, struct request *rq)
{
	rq_start(rq);
	return 0;
}

/*
 * Kernels before 6.5 have no block_io_start: the request starts when inserted into the queue
 * (user space loads this program only then). A request re-inserted after a requeue keeps its
 * first start.
 */
SEC("tp_btf/block_rq_insert")
int BPF_PROG(ct_block_rq_insert, struct request *rq)
{
	__u64 id = (__u64)rq;

	if (!bpf_map_lookup_elem(&ct_rqs, &id))
		rq_start(rq);
	return 0;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(ct_block_rq_issue, struct request *rq)
{
	__u64 id = (__u64)rq, now = bpf_ktime_get_ns();
	struct ct_rq *p = bpf_map_lookup_elem(&ct_rqs, &id), r = {};

	if (p) {
		p->issue = now;
		return 0;
	}
	/* Not made from a bio (a flush), or made before recording began: no queue time. */
	r.issue = now;
	rq_key(rq, &r.key);
	r.key.slot = submitter(rq->bio);
	if (bpf_map_update_elem(&ct_rqs, &id, &r, BPF_NOEXIST))
		__sync_fetch_and_add(&ct_disk_full, 1);
	return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(ct_block_rq_complete, struct request *rq, int error, unsigned int nr_bytes)
{
	__u64 id = (__u64)rq, now = bpf_ktime_get_ns();
	struct ct_rq *p = bpf_map_lookup_elem(&ct_rqs, &id);
	struct ct_disk_stats *s;
	struct ct_disk_key k;
	__u64 d;

	if (!p) {
		/* Issued before recording began, or a later part of a partial completion. */
		rq_key(rq, &k);
		k.slot = CT_SLOT_OTHER;
		s = disk_stats(&k);
		if (s) {
			__sync_fetch_and_add(&s->count, 1);
			__sync_fetch_and_add(&s->bytes, nr_bytes);
			__sync_fetch_and_add(&s->no_start, 1);
		}
		return 0;
	}
	s = disk_stats(&p->key);
	if (s) {
		__sync_fetch_and_add(&s->count, 1);
		__sync_fetch_and_add(&s->bytes, nr_bytes);
		if (p->start && p->issue >= p->start) {
			d = p->issue - p->start;
			__sync_fetch_and_add(&s->queue_ns, d);
			ct_hist_add_atomic(s->qhist, d);
		} else {
			__sync_fetch_and_add(&s->no_start, 1);
		}
		if (p->issue) {
			d = now - p->issue;
			__sync_fetch_and_add(&s->dev_ns, d);
			ct_hist_add_atomic(s->dhist, d);
		}
	}
	bpf_map_delete_elem(&ct_rqs, &id);
	return 0;
}

/* @rq was merged into another request and is freed without completing: its bytes go there. */
SEC("tp_btf/block_rq_merge")
int BPF_PROG(ct_block_rq_merge, struct request *rq)
{
	__u64 id = (__u64)rq;
	struct ct_rq *p = bpf_map_lookup_elem(&ct_rqs, &id);
	struct ct_disk_stats *s;

	if (!p)
		return 0;
	s = disk_stats(&p->key);
	if (s)
		__sync_fetch_and_add(&s->merged, 1);
	bpf_map_delete_elem(&ct_rqs, &id);
	return 0;
}

/* A bio joined an existing request (submitter's context): counted as merged for its job. */
static __always_inline void bio_merge(struct bio *bio)
{
	struct ct_disk_stats *s;
	struct ct_disk_key k = {};

	k.dev = BPF_CORE_READ(bio, bi_bdev, bd_dev);
	k.op = disk_op(bio->bi_opf);
	k.slot = submitter(bio);
	s = disk_stats(&k);
	if (s)
		__sync_fetch_and_add(&s->merged, 1);
}

SEC("tp_btf/block_bio_backmerge")
int BPF_PROG(ct_block_bio_backmerge, struct bio *bio)
{
	bio_merge(bio);
	return 0;
}

SEC("tp_btf/block_bio_frontmerge")
int BPF_PROG(ct_block_bio_frontmerge, struct bio *bio)
{
	bio_merge(bio);
	return 0;
}
