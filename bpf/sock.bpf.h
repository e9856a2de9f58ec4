/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A socket's endpoint as contrace names it: family, peer or local address and port. */
#ifndef CONTRACE_SOCK_BPF_H
#define CONTRACE_SOCK_BPF_H

#include "maps.bpf.h"

#define CT_IPPROTO_TCP 6
#define ntohs16(x) ((__u16)(((x) >> 8) | ((x) << 8)))

/*
 * Who @sk talks to. A connection whose local port is a listening one (outside the ephemeral
 * range) while its peer's is inside it is the served side: it is named by its local port, so
 * a server's thousand clients make one endpoint, not a thousand.
 */
static __always_inline void ct_sk_endpoint(struct sock *sk, struct ct_ep *ep)
{
	__u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family), dport, lport;
	bool served;
	__u32 a4;

	__builtin_memset(ep, 0, sizeof(*ep));
	if (fam != CT_AF_INET && fam != CT_AF_INET6) {
		ep->family = fam == CT_AF_UNIX ? CT_AF_UNIX : 0;
		return;
	}
	ep->family = fam;
	dport = BPF_CORE_READ(sk, __sk_common.skc_dport);
	dport = ntohs16(dport);
	lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	served = lport && (lport < targ_eph_lo || lport > targ_eph_hi) &&
		 dport >= targ_eph_lo && dport <= targ_eph_hi;
	if (!dport || served) {
		ep->flags = CT_EP_LOCAL;
		ep->port = lport;
		if (fam == CT_AF_INET) {
			/* READ_INTO reads sizeof(*dst): an IPv4 address goes through a u32. */
			a4 = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
			__builtin_memcpy(ep->addr, &a4, 4);
		} else {
			BPF_CORE_READ_INTO(&ep->addr, sk, __sk_common.skc_v6_rcv_saddr);
		}
		return;
	}
	ep->port = dport;
	if (fam == CT_AF_INET) {
		a4 = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(ep->addr, &a4, 4);
	} else {
		BPF_CORE_READ_INTO(&ep->addr, sk, __sk_common.skc_v6_daddr);
	}
}

#endif /* CONTRACE_SOCK_BPF_H */
