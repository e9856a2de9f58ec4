// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Parsers of outside input and of the command line: numbers, names, cgroupfs files, --job. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cgroup.h"
#include "jobs.h"
#include "ut.h"
#include "util.h"
#include "window.h"

static void test_parse_numbers(void)
{
	double d;
	long l;

	CHECK(!ct_parse_double("-i", "2.5", 0.1, 10, &d) && d == 2.5, "2.5");
	CHECK(!ct_parse_double("-i", "1e1", 0.1, 10, &d) && d == 10, "1e1");
	CHECK(ct_parse_double("-i", "abc", 0.1, 10, &d) == -EINVAL, "abc");
	CHECK(ct_parse_double("-i", "", 0.1, 10, &d) == -EINVAL, "empty");
	CHECK(ct_parse_double("-i", "5s", 0.1, 10, &d) == -EINVAL, "trailing unit");
	CHECK(ct_parse_double("-i", "0", 0.1, 10, &d) == -EINVAL, "below range");
	CHECK(ct_parse_double("-i", "nan", 0.1, 10, &d) == -EINVAL, "nan");
	CHECK(ct_parse_double("-i", "inf", 0.1, 1e300, &d) == -EINVAL, "inf");
	CHECK(ct_parse_double("-i", "1e999", 0.1, 10, &d) == -EINVAL, "overflow");
	CHECK(!ct_parse_long("-n", "64", 4, 1024, &l) && l == 64, "64");
	CHECK(ct_parse_long("-n", "3", 4, 1024, &l) == -EINVAL, "below range");
	CHECK(ct_parse_long("-n", "99999999999999999999", 4, 1024, &l) == -EINVAL, "overflow");
	CHECK(ct_parse_long("-n", "1.5", 4, 1024, &l) == -EINVAL, "not whole");
}

static void test_names(void)
{
	char buf[CT_NAME_MAX];
	char longname[100];

	CHECK(ct_name_valid("jobA"), "jobA");
	CHECK(ct_name_valid("jenkins@1.service"), "systemd-style");
	CHECK(!ct_name_valid(""), "empty");
	CHECK(!ct_name_valid("a/b"), "slash");
	CHECK(!ct_name_valid("a b"), "space");
	CHECK(!ct_name_valid(".hidden"), "leading dot");
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK(!ct_name_valid(longname), "too long");
	ct_name_sanitize("docker-1a2b.scope", buf, sizeof(buf));
	CHECK(!strcmp(buf, "docker-1a2b.scope"), "kept: %s", buf);
	ct_name_sanitize("a b/c", buf, sizeof(buf));
	CHECK(!strcmp(buf, "a_b_c"), "sanitized: %s", buf);
	ct_name_sanitize("..", buf, sizeof(buf));
	CHECK(ct_name_valid(buf), "'..' sanitized to an invalid name '%s'", buf);
	ct_name_sanitize(longname, buf, sizeof(buf));
	CHECK(ct_name_valid(buf), "long name sanitized to an invalid name");
}

static uint64_t get(const struct ct_kv *kv, const char *key)
{
	uint64_t v;

	return kv__get(kv, key, &v) ? v : 0xdeadbeef;
}

static void test_kv_flat(void)
{
	struct ct_kv kv;
	uint64_t v;

	CHECK(!kv__parse_flat("usage_usec 39193762\nuser_usec 20024967\nnr_throttled 0\n", &kv),
	      "v2 cpu.stat");
	CHECK(kv.n == 3 && get(&kv, "usage_usec") == 39193762 &&
	      get(&kv, "nr_throttled") == 0, "v2 values");
	CHECK(!kv__parse_flat("nr_periods 7\nnr_throttled 2\nthrottled_time 123456789", &kv) &&
	      get(&kv, "throttled_time") == 123456789, "v1 cpu.stat without final newline");
	CHECK(!kv__get(&kv, "missing", &v), "absent key");
	CHECK(kv__parse_flat("", &kv) == -EINVAL && kv.n == 0, "empty");
	CHECK(!kv__parse_flat("a -1\nb 2x\nc 18446744073709551616\nd 5\n e\n", &kv) && kv.n == 1 &&
	      get(&kv, "d") == 5, "malformed lines skipped, n=%d", kv.n);
	CHECK(!kv__parse_flat("k 18446744073709551615\n", &kv) &&
	      get(&kv, "k") == UINT64_MAX, "u64 max");
}

static void test_kv_psi(void)
{
	struct ct_kv kv;
	uint64_t v;

	CHECK(!kv__parse_psi("some avg10=2.25 avg60=2.95 avg300=1.11 total=4331042\n"
			     "full avg10=0.00 avg60=0.00 avg300=0.00 total=17\n", &kv),
	      "cgroup PSI");
	CHECK(get(&kv, "some_total_us") == 4331042 && get(&kv, "full_total_us") == 17,
	      "PSI totals");
	CHECK(!kv__parse_psi("some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n", &kv) &&
	      kv.n == 1 && !kv__get(&kv, "full_total_us", &v), "system cpu PSI without full");
	CHECK(kv__parse_psi("some avg10=0.00\nfull total=\n", &kv) == -EINVAL, "no totals");
	CHECK(kv__parse_psi("bogus total=5\n", &kv) == -EINVAL, "unknown line");
}

static void test_delta(void)
{
	uint64_t cur[4] = { 10, 5, 7, UINT64_MAX }, prev[4] = { 4, 5, 9, 1 }, out[4];

	ct_delta(out, cur, prev, 4);
	CHECK(out[0] == 6, "growth %llu", (unsigned long long)out[0]);
	CHECK(out[1] == 0, "no change");
	CHECK(out[2] == 7, "a counter that went backwards was reset: all of it is new (%llu)",
	      (unsigned long long)out[2]);
	CHECK(out[3] == UINT64_MAX - 1, "large values");
}

static void test_job_specs(void)
{
	char root[4096];
	struct jobs js;
	char spec[4200];

	CHECK(!jobs__init(&js, 16), "init");
	CHECK(jobs__add_spec(&js, "nopath") == -EINVAL, "missing =");
	CHECK(jobs__add_spec(&js, "=/sys/fs/cgroup") == -EINVAL, "empty name");
	CHECK(jobs__add_spec(&js, "a=") == -EINVAL, "empty path");
	CHECK(jobs__add_spec(&js, "a b=/sys/fs/cgroup") == -EINVAL, "bad name");
	CHECK(jobs__add_spec(&js, "other=/sys/fs/cgroup") == -EINVAL, "reserved name");
	CHECK(jobs__add_spec(&js, "t=/tmp") == -EINVAL, "not a cgroup directory");
	CHECK(jobs__add_spec(&js, "t=/nonexistent/cg") == -ENOENT, "missing cgroup");
	if (!cgroup__default_root(root, sizeof(root))) {
		snprintf(spec, sizeof(spec), "a=%s", root);
		CHECK(!jobs__add_spec(&js, spec), "valid %s", spec);
		CHECK(jobs__add_spec(&js, spec) == -EEXIST, "duplicate name");
		CHECK(js.n == 1 && js.nhier == 1, "one job, one hierarchy");
	}
	jobs__free(&js);
}

/* FNV-1a 64 over @n bytes, written from its definition: the reference for ct_env_hash. */
static uint64_t fnv1a(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static void test_env(void)
{
	static const char env[] = "HOME=/root\0BUILD_TAGX=no\0BUILD_TAG=jenkins-app-41\0"
				  "EMPTY=\0BUILD_TAG=second\0LAST=tail";
	size_t n = sizeof(env) - 1, vlen = 0;
	const char *v;
	unsigned char ref[300];
	char big[300];
	struct jobs js;

	v = ct_env_find(env, n, "BUILD_TAG", &vlen);
	CHECK(v && vlen == 14 && !memcmp(v, "jenkins-app-41", 14), "a variable, not its prefix twin");
	v = ct_env_find(env, n, "EMPTY", &vlen);
	CHECK(v && vlen == 0, "an empty value is found, empty");
	v = ct_env_find(env, n, "LAST", &vlen);
	CHECK(v && vlen == 4 && !memcmp(v, "tail", 4), "the last string without its NUL");
	CHECK(!ct_env_find(env, n, "BUILD", &vlen), "a prefix of a name is not the name");
	CHECK(!ct_env_find(env, n, "HOME=/root", &vlen), "a whole string is not a name");
	CHECK(!ct_env_find(env, 0, "HOME", &vlen), "nothing in an empty environment");

	CHECK(fnv1a((const unsigned char *)"a", 1) == 0xaf63dc4c8601ec8cULL, "FNV-1a reference");
	ref[0] = 1;
	memcpy(ref + 1, "jenkins-app-41", 14);
	CHECK(ct_env_hash(0, 10, "jenkins-app-41", 14) == fnv1a(ref, 15),
	      "the hash is FNV-1a of the variable's index + 1 and the value");
	ref[0] = 2;
	CHECK(ct_env_hash(1, 20, "jenkins-app-41", 14) == fnv1a(ref, 15), "the tie's index");
	memset(big, 'x', sizeof(big));
	ref[0] = 1;
	memset(ref + 1, 'x', sizeof(ref) - 1);
	/* "BUILD_TAG=" (10) + 245 bytes + NUL fill a 256-byte piece: the rest is not seen */
	CHECK(ct_env_hash(0, 10, big, sizeof(big)) == fnv1a(ref, 1 + CT_ENV_BUF - 1 - 10),
	      "a long value is keyed by what the kernel side reads of it");

	CHECK(!jobs__init(&js, 16), "init");
	CHECK(!jobs__set_env(&js, "--jobs-by-env", "BUILD_TAG") && js.env_nvars == 1 &&
		      !strcmp(js.env_vars[0], "BUILD_TAG"), "VAR");
	jobs__free(&js);
	CHECK(!jobs__init(&js, 16), "init");
	CHECK(!jobs__set_env(&js, "--jenkins", "BUILD_TAG,JENKINS_NODE_COOKIE") &&
		      js.env_nvars == 2 && !strcmp(js.env_vars[1], "JENKINS_NODE_COOKIE"), "VAR,TIE");
	CHECK(jobs__set_env(&js, "--jobs-by-env", "X") == -EINVAL, "only once");
	jobs__free(&js);
	static const char *const bad[] = { "", "A-B", "1A", "A,", ",B", "A,B,C", "A B",
		"A1234567890123456789012345678901234567890123456789012345678901Z" }; /* 63 */
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(!jobs__init(&js, 16), "init");
		CHECK(jobs__set_env(&js, "--jobs-by-env", bad[i]) == -EINVAL && !js.env_nvars,
		      "refused: '%s'", bad[i]);
		jobs__free(&js);
	}
	CHECK(!jobs__init(&js, 16), "init");
	CHECK(jobs__set_name_var(&js, "--name-by-env", "A=B") == -EINVAL, "name var with =");
	CHECK(!jobs__set_name_var(&js, "--name-by-env", "BUILD_TAG"), "name var");
	jobs__free(&js);
}

static void test_format_durations(void)
{
	static const struct {
		uint64_t ns;
		const char *want;
	} cases[] = {
		{ 0, "0ns" },		 { 999, "999ns" },	  { 1000, "1us" },
		{ 12345, "12.3us" },	 { 999499, "999us" },	  { 999500, "1ms" },
		{ 999500000, "1s" },	 { 1230000000, "1.23s" }, { 119940000000ULL, "120s" },
		{ 120000000000ULL, "2min" }, { 5400000000000ULL, "90min" },
		{ 7200000000000ULL, "2h" },
	};
	char buf[32];

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ct_fmt_dur(cases[i].ns, buf, sizeof(buf));
		CHECK(!strcmp(buf, cases[i].want), "%llu ns: got %s, want %s",
		      (unsigned long long)cases[i].ns, buf, cases[i].want);
	}
}

int main(void)
{
	RUN(test_format_durations);
	RUN(test_parse_numbers);
	RUN(test_names);
	RUN(test_kv_flat);
	RUN(test_kv_psi);
	RUN(test_delta);
	RUN(test_job_specs);
	RUN(test_env);
	return UT_EXIT();
}
