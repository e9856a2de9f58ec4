// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Redaction: what is replaced, what is left alone, stable tokens, state saved between runs. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "progress.h"
#include "redact.h"
#include "ut.h"

static char *red(struct redactor *r, const char *in)
{
	struct ct_buf b = { 0 };

	redact__line(r, in, strlen(in), &b);
	ct_buf_add(&b, "", 0);
	return b.p;
}

#define EXPECT(r, in, want)                                                  \
	do {                                                                 \
		char *got_ = red(r, in);                                     \
		CHECK(!strcmp(got_, want), "'%s' -> '%s', want '%s'", in, got_, want); \
		free(got_);                                                  \
	} while (0)

static void test_kinds(void)
{
	struct redactor *r = redact__new();

	EXPECT(r, "mail bob.smith+ci@example.co.uk now", "mail USER_1 now");
	EXPECT(r, "asset 3f2a9c1e-7b4d-4e5f-9a0b-1c2d3e4f5a6b failed", "asset ID_1 failed");
	EXPECT(r, "GET https://immich.local:2283/api/assets/3f2a9c1e-7b4d-4e5f-9a0b-1c2d3e4f5a6b?x=1.",
	       "GET URL_1.");
	EXPECT(r, "connect to 10.0.0.5:2283 (via 192.168.1.254)", "connect to IP_1:2283 (via IP_2)");
	EXPECT(r, "v6 [2001:db8::5]:2283 and ::1 and fe80::1: down", "v6 [IP_3]:2283 and IP_4 and IP_5: down");
	EXPECT(r, "full 2001:0db8:85a3:0000:0000:8a2e:0370:7334.", "full IP_6.");
	CHECK(redact__written(r, CT_RED_IP) == 6 && redact__distinct(r, CT_RED_IP) == 6,
	      "six addresses: %lu", (unsigned long)redact__written(r, CT_RED_IP));
	redact__free(r);
}

static void test_left_alone(void)
{
	struct redactor *r = redact__new();
	const char *keep[] = {
		"[PERF] 76255/270798 (28.2% relative) processed. Avg: 0.150 s. Elapsed: 3.2 h. Est. "
		"remaining: 8.1 h/11.3 h",
		"[PERF] Processed:37775/403746(abs_total) [9.36%] Remaining:14.2h/3.0h(Elapsed)/17.3h"
		"(est_total_all) Average: 0.127s",
		"2026-11-24 10:15:00,123 INFO started at 12:30:45",
		"Traceback (most recent call last):",
		"  File \"/usr/lib/python3.11/socket.py\", line 706, in readinto",
		"    return self._sock.recv_into(b)",
		"ConnectionResetError: [Errno 104] Connection reset by peer",
		"version 1.2.3.4.5 and 300.1.1.1 and 1.2.3 and v10.0.0.1",
		"user@localhost is not an address",
		"deadbeef-dead-beef-dead-beefdeadbeefX and std::vector and a:b:c",
	};

	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		EXPECT(r, keep[i], keep[i]);
	redact__free(r);
}

static void test_stable(void)
{
	struct redactor *r = redact__new();
	char dir[] = "/tmp/contrace-redact-XXXXXX", path[64];
	struct safedir d;

	CHECK(mkdtemp(dir) && !safedir__open(&d, dir), "a folder for the state");
	snprintf(path, sizeof(path), "%s/state", dir);
	EXPECT(r, "a@example.com b@example.com a@example.com", "USER_1 USER_2 USER_1");
	EXPECT(r, "id 3f2a9c1e-7b4d-4e5f-9a0b-1c2d3e4f5a6b", "id ID_1");
	CHECK(redact__written(r, CT_RED_EMAIL) == 3 && redact__distinct(r, CT_RED_EMAIL) == 2,
	      "3 written, 2 distinct");
	CHECK(!redact__save(r, &d, "state"), "save");
	redact__free(r);

	/* A later snapshot of the same experiment: same values, same tokens; new ones continue. */
	r = redact__new();
	CHECK(!redact__load(r, d.fd, "state"), "load");
	EXPECT(r, "c@example.com then a@example.com", "USER_3 then USER_1");
	EXPECT(r, "3F2A9C1E-7B4D-4E5F-9A0B-1C2D3E4F5A6B 3f2a9c1e-7b4d-4e5f-9a0b-1c2d3e4f5a6b",
	       "ID_1 ID_1");
	CHECK(redact__written(r, CT_RED_EMAIL) == 2, "written counts this run only");
	redact__free(r);

	/* The state holds no value in clear. */
	{
		char buf[4096] = "";
		FILE *f = fopen(path, "r");
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);

		fclose(f);
		buf[n] = '\0';
		CHECK(!strstr(buf, "example") && !strstr(buf, "3f2a"), "no value stored: %s", buf);
	}
	/* A link in the folder is never read through. */
	unlink(path);
	CHECK(!symlink("/etc/passwd", path), "a planted link");
	r = redact__new();
	CHECK(redact__load(r, d.fd, "state") == -EINVAL, "a link as the state is refused");
	redact__free(r);
	unlink(path);
	safedir__close(&d);
	rmdir(dir);
}

static void test_bad_state(void)
{
	struct redactor *r = redact__new();
	char path[] = "/tmp/contrace-redact-XXXXXX";
	int fd = mkstemp(path);

	CHECK(write(fd, "contrace-redact v1 00ff\n7 12 3\n", 31) == 31, "write");
	close(fd);
	CHECK(redact__load(r, AT_FDCWD, path) == -22, "kind 7 is rejected");
	CHECK(redact__load(r, AT_FDCWD, "/nonexistent/state") == -2, "missing state is -ENOENT");
	unlink(path);
	redact__free(r);
}

static void test_binary_and_edges(void)
{
	struct redactor *r = redact__new();
	char junk[300];
	struct ct_buf b = { 0 };

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 7 + 3);
	redact__line(r, junk, sizeof(junk), &b);
	CHECK(b.len == sizeof(junk) && !memcmp(b.p, junk, sizeof(junk)), "binary passes through");
	ct_buf_free(&b);
	EXPECT(r, "http://", "http://");
	EXPECT(r, "x@", "x@");
	EXPECT(r, "@example.com", "@example.com");
	EXPECT(r, "::", "::");
	EXPECT(r, "1.2.3.4", "IP_1");
	EXPECT(r, "ftp://h/x", "URL_1");
	redact__free(r);
}

int main(void)
{
	RUN(test_kinds);
	RUN(test_left_alone);
	RUN(test_stable);
	RUN(test_bad_state);
	RUN(test_binary_and_edges);
	return UT_EXIT();
}
