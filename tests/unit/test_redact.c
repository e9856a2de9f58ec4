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
		/* the id with its dash: the salt and hashes are hex, and once held "3f2a" */
		CHECK(!strstr(buf, "example") && !strstr(buf, "3f2a9c1e-") &&
		      !strstr(buf, "3F2A9C1E-"), "no value stored: %s", buf);
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
	EXPECT(r, "@example.com", "@HOST_1");
	EXPECT(r, "::", "::");
	EXPECT(r, "1.2.3.4", "IP_1");
	EXPECT(r, "ftp://h/x", "URL_1");
	redact__free(r);
}

/*
 * Planted secrets and identities, each the way real CI logs carry it (an HTTP client's
 * verbose trace, env dumps, YAML, JSON, Python reprs, git and ssh output). Every value must
 * go; keys and syntax stay.
 */
static void test_credentials(void)
{
	struct redactor *r = redact__new();
	static const char *const cases[][2] = {
		{ "> Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abc-_x",
		  "> Authorization: Bearer SECRET_1" },
		{ "-H 'Authorization: Basic dXNlcjpodW50ZXIy'", "-H 'Authorization: Basic SECRET_2'" },
		{ "token was Bearer abc.def/ghi", "token was Bearer SECRET_3" },
		{ "got Basic YWxhZGRpbjpvcGVuc2VzYW1l back", "got Basic SECRET_4 back" },
		{ "x-api-key: 9f8e7d6c5b4a", "x-api-key: SECRET_5" },
		{ "X-Api-Key:k3y", "X-Api-Key:SECRET_6" },
		{ "> Cookie: session=abc123; csrftoken=xyz", "> Cookie: SECRET_7" },
		{ "< Set-Cookie: sid=s3cr3t; Path=/; HttpOnly", "< Set-Cookie: SECRET_8" },
		{ "login password=hunter2 user=bob", "login password=SECRET_9 user=bob" },
		{ "DB_PASSWORD=p4ss!word", "DB_PASSWORD=SECRET_10" },
		{ "export POSTGRES_PASSWORD='two words'", "export POSTGRES_PASSWORD='SECRET_11'" },
		{ "{\"password\": \"s3cret\", \"user\": \"bob\"}", "{\"password\": \"SECRET_12\", \"user\": \"bob\"}" },
		{ "{'api_key': 'abc', 'n': 1}", "{'api_key': 'SECRET_13', 'n': 1}" },
		{ "  client_secret: zzz", "  client_secret: SECRET_14" },
		{ "spring.datasource.password = qwerty", "spring.datasource.password = SECRET_15" },
		{ "GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789",
		  "GITHUB_TOKEN=SECRET_16" },
		{ "using ghp_abcdefghijklmnopqrstuvwxyz0123456789 now", "using SECRET_16 now" /* the same token: the same value */ },
		{ "pat github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz0123456789ABCDEFGHIJ",
		  "pat SECRET_17" },
		{ "key AKIAIOSFODNN7EXAMPLE in env", "key SECRET_18 in env" },
		{ "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		  "aws_secret_access_key = SECRET_19" },
		{ "glpat-abcdefghij0123456789 and xoxb-1234567890-abcdef",
		  "SECRET_20 and SECRET_21" },
		{ "ssh ci@buildhost-07 failed", "ssh USER_1 failed" },
		{ "git@github.com:org/repo.git", "USER_2:org/repo.git" },
		{ "deploy@10.0.0.7: Permission denied", "USER_3: Permission denied" },
		{ "File \"/home/alice/ci/test_x.py\", line 3", "File \"/home/USER_4/ci/test_x.py\", line 3" },
		{ "HOME=/Users/bob.smith", "HOME=/Users/USER_5" },
		{ "fetch from build-07.ci.example.com:8080 ok", "fetch from HOST_1:8080 ok" },
		{ "resolve immich.local failed", "resolve HOST_2 failed" },
		{ "see www.example.org/x?token=abc.", "see URL_1." },
		{ "clone github.com/org/repo?ref=main done", "clone URL_2 done" },
		/* a URL whose end is glued to an '@' is still a URL (fuzz_redact found its host left) */
		{ "get immich.local:466/a/b@% now", "get URL_3@% now" },
		{ "eth0 52:54:00:12:34:56 and AA-BB-CC-DD-EE-FF", "eth0 MAC_1 and MAC_2" },
		{ "asset 3f2a9c1e7b4d4e5f9a0b1c2d3e4f5a6b failed", "asset ID_1 failed" },
	};
	uint64_t secrets = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		EXPECT(r, cases[i][0], cases[i][1]);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		secrets += strstr(cases[i][1], "SECRET_") != NULL;
	CHECK(redact__distinct(r, CT_RED_SECRET) == 21, "21 distinct secrets: %lu",
	      (unsigned long)redact__distinct(r, CT_RED_SECRET));
	CHECK(secrets == 21, "the table itself: %lu lines with secrets", (unsigned long)secrets);
	/* Redacting the output again changes nothing and writes no token. */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t before = redact__written(r, CT_RED_SECRET) + redact__written(r, CT_RED_EMAIL);

		EXPECT(r, cases[i][1], cases[i][1]);
		CHECK(before == redact__written(r, CT_RED_SECRET) + redact__written(r, CT_RED_EMAIL),
		      "no token written for '%s'", cases[i][1]);
	}
	redact__free(r);
}

/* Lines of real CI logs that hold nothing private: they must come through unchanged. */
static void test_ci_lines_kept(void)
{
	struct redactor *r = redact__new();
	const char *keep[] = {
		"  File \"/usr/lib/python3.11/site-packages/requests/adapters.py\", line 501, in send",
		"requests.exceptions.ConnectionError: HTTPConnectionPool(host='localhost', port=2283)",
		"Exception in thread \"main\" java.lang.NullPointerException at Foo.bar(Foo.java:12)",
		"commit 1f0e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6",
		"Basic tests passed: 12, token count 5, password policy ok",
		"npm WARN deprecated lodash@4.17.21 and @types/node",
		"[INFO] Building jar: /var/lib/jenkins/workspace/job/target/app-1.0.jar",
		"real 0m1.234s user 0m0.5s sys 0m0.1s; 12:30:45.678 took 3.5 ms",
		"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		"PWD=/var/lib/jenkins HOSTNAME_FILE=/etc/hostname",
		"test_login (tests.test_auth.AuthTest) ... ok",
		"ran pytest -k 'not slow' -x -vv in setup.py and main.c and README.md",
	};

	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		EXPECT(r, keep[i], keep[i]);
	redact__free(r);
}

int main(void)
{
	RUN(test_kinds);
	RUN(test_left_alone);
	RUN(test_stable);
	RUN(test_bad_state);
	RUN(test_binary_and_edges);
	RUN(test_credentials);
	RUN(test_ci_lines_kept);
	return UT_EXIT();
}
