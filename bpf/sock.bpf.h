/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A socket's endpoint as contrace names it: family, peer or local address and port. */
#ifndef CONTRACE_SOCK_BPF_H
#define CONTRACE_SOCK_BPF_H

#include <bpf/bpf_endian.h>
#include "maps.bpf.h"

#define CT_IPPROTO_TCP 6
#define ntohs16(x) ((__u16)(((x) >> 8) | ((x) << 8)))

#define CT_UNIX_PATH 108		/* sizeof(sockaddr_un.sun_path) */
#define CT_UNIX_AUTOBIND 6		/* an automatic name: a NUL and five hex digits */

/*
 * The name of the unix_address at @addr (a path, or an abstract name with its leading NUL) as
 * a 64-bit FNV-1a hash, kept with the name itself in ct_unix_names for user space; 0 when it
 * has none, CT_UNIX_AUTO when it is a name the kernel made up (autobind), not one a program
 * chose. A global function (job.bpf.c): verified once, not at each of its callers.
 */
#define CT_UNIX_AUTO 1ULL
extern __u64 ct_unix_hash(__u64 addr);

/*
 * A unix socket's endpoint: its own name when it has one that was chosen (a listening socket,
 * or one accepted from it, which shares its name: the served side), else its peer's. Named by
 * the hash of the name, in addr; unnamed ones are all "unix".
 */
static __always_inline void ct_unix_endpoint(struct sock *sk, struct ct_ep *ep)
{
	struct unix_sock *u = (struct unix_sock *)sk;
	struct unix_address *a = BPF_CORE_READ(u, addr);
	struct sock *peer;
	__u64 h = 0;

	if (a) {
		h = ct_unix_hash((__u64)a);
		if (h && h != CT_UNIX_AUTO) {
			ep->flags = CT_EP_LOCAL;
			__builtin_memcpy(ep->addr, &h, sizeof(h));
			return;
		}
	}
	peer = BPF_CORE_READ(u, peer);
	a = peer ? BPF_CORE_READ((struct unix_sock *)peer, addr) : NULL;
	h = a ? ct_unix_hash((__u64)a) : 0;
	if (h == CT_UNIX_AUTO)
		h = 0;
	__builtin_memcpy(ep->addr, &h, sizeof(h));
}

/*
 * A peer on this machine (127.0.0.0/8, ::1, ::ffff:127.x): TCP's RTT to it is no network
 * round trip but the peer's think time seen through delayed ACKs.
 */
static __always_inline bool ct_ep_loopback(const struct ct_ep *ep)
{
	const __u32 *w = (const __u32 *)ep->addr;

	if (ep->family == CT_AF_INET)
		return ep->addr[0] == 127;
	return ep->family == CT_AF_INET6 && !w[0] && !w[1] &&
	       ((!w[2] && w[3] == bpf_htonl(1)) || (w[2] == bpf_htonl(0xffff) && ep->addr[12] == 127));
}

/*
 * Who @sk talks to. A connection whose local port is a listening one (outside the ephemeral
 * range) while its peer's is inside it is the served side: it is named by its local port, so
 * a server's thousand clients make one endpoint, not a thousand. True when @sk is an inet
 * socket with a peer (not a listening or unconnected one).
 */
static __always_inline bool ct_sk_endpoint(struct sock *sk, struct ct_ep *ep)
{
	__u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family), dport, lport;
	bool served;
	__u32 a4;

	__builtin_memset(ep, 0, sizeof(*ep));
	if (fam == CT_AF_UNIX) {
		ep->family = CT_AF_UNIX;
		ct_unix_endpoint(sk, ep);
		return false;
	}
	if (fam != CT_AF_INET && fam != CT_AF_INET6)
		return false;
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
		return dport;
	}
	ep->port = dport;
	if (fam == CT_AF_INET) {
		a4 = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(ep->addr, &a4, 4);
	} else {
		BPF_CORE_READ_INTO(&ep->addr, sk, __sk_common.skc_v6_daddr);
	}
	return true;
}

#define CT_SK_RTT	1	/* a TCP connection across a network */
#define CT_SK_EXCHANGE	2	/* a connected TCP socket: its write_seq tells one exchange from the next */

/*
 * @sk's endpoint into @ep, and what more can be read of it: CT_SK_RTT when it is a TCP
 * connection across a network, the one case where TCP's smoothed RTT is a round trip worth
 * showing (not on loopback); CT_SK_EXCHANGE when it is a connected TCP socket.
 */
static __always_inline __u8 ct_sk_endpoint_kind(struct sock *sk, struct ct_ep *ep)
{
	bool conn = ct_sk_endpoint(sk, ep);

	if (!ep->family || ep->family == CT_AF_UNIX ||
	    BPF_CORE_READ(sk, sk_protocol) != CT_IPPROTO_TCP)
		return 0;
	return (conn ? CT_SK_EXCHANGE : 0) | (ct_ep_loopback(ep) ? 0 : CT_SK_RTT);
}

/*
 * The end of what the application has queued on TCP socket @sk (write_seq): it moves with the
 * application's writes only, not with retransmits or ACKs. A socket wait that begins with the
 * same socket at the same write_seq as the task's previous one continues that exchange (a
 * response arriving in pieces); one after a write begins the next request.
 */
static __always_inline __u32 ct_sk_write_seq(struct sock *sk)
{
	return BPF_CORE_READ((struct tcp_sock *)sk, write_seq);
}

#define CT_S_IFMT	00170000
#define CT_S_IFSOCK	0140000
#define CT_S_IFIFO	0010000

/* TCP's smoothed RTT of socket @sk in us (srtt_us holds 8 x the RTT in us). */
static __always_inline __u32 ct_sk_srtt_us(struct sock *sk)
{
	return BPF_CORE_READ((struct tcp_sock *)sk, srtt_us) >> 3;
}

/* The struct sock behind file @f (read, not a BTF pointer), 0 unless it is a socket. */
static __always_inline __u64 ct_file_sock(struct file *f)
{
	struct socket *so;

	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & CT_S_IFMT) != CT_S_IFSOCK)
		return 0;
	so = BPF_CORE_READ(f, private_data);
	return so ? (__u64)BPF_CORE_READ(so, sk) : 0;
}

#endif /* CONTRACE_SOCK_BPF_H */
