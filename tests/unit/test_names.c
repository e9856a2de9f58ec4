// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Device and endpoint names, the port range, memory.stat's key filter, keyed deltas. */
#include <arpa/inet.h>
#include <string.h>
#include "cgroup.h"
#include "keyed.h"
#include "names.h"
#include "ut.h"

static void test_uevent(void)
{
	char b[16];

	CHECK(names__parse_uevent("MAJOR=7\nMINOR=0\nDEVNAME=loop0\nDEVTYPE=disk\n", b, sizeof(b)) &&
	      !strcmp(b, "loop0"), "loop0: %s", b);
	CHECK(names__parse_uevent("DEVNAME=vda", b, sizeof(b)) && !strcmp(b, "vda"),
	      "last line without newline");
	CHECK(!names__parse_uevent("MAJOR=7\nMINOR=0\n", b, sizeof(b)), "no DEVNAME");
	CHECK(!names__parse_uevent("DEVNAME=\n", b, sizeof(b)), "empty name");
	CHECK(!names__parse_uevent("DEVNAME=a b\n", b, sizeof(b)), "a space");
	CHECK(!names__parse_uevent("DEVNAME=/etc/passwd\n", b, sizeof(b)), "a path");
	CHECK(!names__parse_uevent("DEVNAME=0123456789abcdef\n", b, sizeof(b)), "too long for 16");
	CHECK(!names__parse_uevent("XDEVNAME=vda\n", b, sizeof(b)), "only at a line start");
	CHECK(names__parse_uevent("DEVNAME=nvme0n1p2\n", b, sizeof(b)) && !strcmp(b, "nvme0n1p2"),
	      "nvme partition");
}

static void test_devnum(void)
{
	char b[24];

	names__devnum(7u << 20 | 3, b, sizeof(b));
	CHECK(!strcmp(b, "7:3"), "%s", b);
	names__devnum(259u << 20 | 1048575, b, sizeof(b));
	CHECK(!strcmp(b, "259:1048575"), "%s", b);
}

static void test_endpoint(void)
{
	struct ct_ep ep = { .family = CT_AF_INET, .port = 2283 };
	char b[64];
	bool local;

	inet_pton(AF_INET, "10.0.0.5", ep.addr);
	names__endpoint(&ep, b, sizeof(b), &local);
	CHECK(!strcmp(b, "10.0.0.5:2283") && !local, "%s", b);
	memset(&ep, 0, sizeof(ep));
	ep.family = CT_AF_INET6;
	ep.port = 443;
	ep.flags = CT_EP_LOCAL;
	inet_pton(AF_INET6, "fd00::1", ep.addr);
	names__endpoint(&ep, b, sizeof(b), &local);
	CHECK(!strcmp(b, "[fd00::1]:443") && local, "%s", b);
	ep.family = 0;
	names__endpoint(&ep, b, sizeof(b), &local);
	CHECK(!strcmp(b, "other"), "%s", b);
}

/* A stand-in for the recorder's map of unix names: knows hash 1 (a path), 2 (abstract). */
static size_t fake_lookup(void *arg, uint64_t hash, char *buf, size_t len)
{
	static const char path[] = "/run/postgresql/.s.PGSQL.5432", abs[] = "\0ctb\0x";
	const char *raw = hash == 1 ? path : hash == 2 ? abs : NULL;
	size_t n = hash == 1 ? sizeof(path) - 1 : sizeof(abs) - 1;

	(void)arg;
	if (!raw || n > len)
		return 0;
	memcpy(buf, raw, n);
	return n;
}

/* Unix sockets are named by their path or abstract name, or by hash when it is not known. */
static void test_unix_endpoint(void)
{
	struct ct_ep ep = { .family = CT_AF_UNIX };
	uint64_t h;
	char b[CT_EP_NAME_LEN], s[8];
	bool local;

	names__set_unix_lookup(fake_lookup, NULL);
	names__endpoint(&ep, b, sizeof(b), &local);
	CHECK(!strcmp(b, "unix"), "unnamed: %s", b);
	h = 1;
	memcpy(ep.addr, &h, sizeof(h));
	ep.flags = CT_EP_LOCAL;
	names__endpoint(&ep, b, sizeof(b), &local);
	CHECK(!strcmp(b, "unix:/run/postgresql/.s.PGSQL.5432") && local, "path: %s", b);
	h = 2;
	memcpy(ep.addr, &h, sizeof(h));
	names__endpoint(&ep, b, sizeof(b), &local);
	CHECK(!strcmp(b, "unix:@ctb@x"), "abstract, NULs as /proc shows them: %s", b);
	h = 0xabc;
	memcpy(ep.addr, &h, sizeof(h));
	names__endpoint(&ep, b, sizeof(b), &local);
	CHECK(!strcmp(b, "unix:#0000000000000abc"), "unknown: %s", b);
	names__set_unix_lookup(NULL, NULL);
	names__unix_show("/a\n\x7f\0junk", 8, s, sizeof(s));
	CHECK(!strcmp(s, "/a??"), "control characters shown as ?, a path ends at NUL: %s", s);
	names__unix_show("/abcdefghij", 11, s, sizeof(s));
	CHECK(!strcmp(s, "/abcdef"), "truncated to the buffer: %s", s);
	names__unix_show("x", 1, s, 0);
}

static void test_port_range(void)
{
	uint16_t lo = 0, hi = 0;

	CHECK(names__parse_port_range("32768\t60999\n", &lo, &hi) && lo == 32768 && hi == 60999,
	      "%u %u", lo, hi);
	CHECK(names__parse_port_range("1024 65535", &lo, &hi) && lo == 1024 && hi == 65535, "space");
	CHECK(!names__parse_port_range("60999\t32768\n", &lo, &hi), "reversed");
	CHECK(!names__parse_port_range("0\t100\n", &lo, &hi), "port 0");
	CHECK(!names__parse_port_range("1\t70000\n", &lo, &hi), "above 65535");
	CHECK(!names__parse_port_range("32768\n", &lo, &hi), "one number");
	CHECK(!names__parse_port_range("32768\t60999 x\n", &lo, &hi), "trailing text");
	CHECK(!names__parse_port_range("", &lo, &hi), "empty");
}

static void test_memstat_keys(void)
{
	static const char *const keys[] = { "pgmajfault", "pswpin", NULL };
	struct ct_kv kv;
	uint64_t v;

	CHECK(!kv__parse_flat_keys("cache 4096\npgmajfault 12\nswap 999\npswpin 3\nbad\n"
				   "pswpin -1\n", keys, &kv), "parse");
	CHECK(kv.n == 2 && kv__get(&kv, "pgmajfault", &v) && v == 12 &&
	      kv__get(&kv, "pswpin", &v) && v == 3 && !kv__get(&kv, "swap", &v),
	      "only the listed keys, and a negative value is no value: n %d", kv.n);
	CHECK(kv__parse_flat_keys("cache 1\nswap 2\n", keys, &kv), "none of the keys: an error");
}

struct kk {
	uint32_t slot, id;
};

static void test_keyed_delta(void)
{
	struct keyed base, cur;
	uint64_t v[2], out[2];

	keyed__init(&base, sizeof(struct kk), sizeof(v));
	keyed__init(&cur, sizeof(struct kk), sizeof(v));
	for (uint32_t i = 0; i < 100; i++) {
		struct kk k = { i % 7, i };

		v[0] = i;
		v[1] = 1000 + i;
		CHECK(!keyed__add(&base, &k, v), "add");
		v[0] = i + 5;
		v[1] = i % 2 ? 1000 + i : 3;	/* odd: unchanged; even: went back (reset) */
		CHECK(!keyed__add(&cur, &k, v), "add");
	}
	{
		struct kk k = { 9, 1000 };	/* new in cur */

		v[0] = 42;
		v[1] = 43;
		keyed__add(&cur, &k, v);
	}
	keyed__sort(&base);
	keyed__sort(&cur);
	CHECK(cur.n == 101, "n %zu", cur.n);
	for (size_t i = 0; i < cur.n; i++) {
		const struct kk *k = keyed__key(&cur, i);

		keyed__delta(&cur, i, &base, out);
		if (k->slot == 9) {
			CHECK(out[0] == 42 && out[1] == 43, "a new key: all of it is new");
			continue;
		}
		CHECK(out[0] == 5, "delta %lu", (unsigned long)out[0]);
		CHECK(out[1] == (k->id % 2 ? 0 : 3), "reset counter: the current value");
	}
	{
		struct kk k = { 3, 10 };

		CHECK(keyed__find(&base, &k) && !keyed__find(&base, &(struct kk){ 3, 11 }),
		      "find by key (10 %% 7 == 3; 11 is in slot 4)");
	}
	keyed__swap(&base, &cur);
	CHECK(base.n == 101 && cur.n == 100, "swap");
	keyed__free(&base);
	keyed__free(&cur);
}

int main(void)
{
	RUN(test_uevent);
	RUN(test_devnum);
	RUN(test_endpoint);
	RUN(test_unix_endpoint);
	RUN(test_port_range);
	RUN(test_memstat_keys);
	RUN(test_keyed_delta);
	return UT_EXIT();
}
