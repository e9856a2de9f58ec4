// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ctwork: workloads with known behaviour for contrace's tests and benchmarks.
 *
 *   ctwork spin THREADS SECONDS          busy threads
 *   ctwork wake THREADS SECONDS          threads that sleep 1 ms, then compute ~100 us
 *   ctwork sleep MS COUNT                nanosleep MS, COUNT times
 *   ctwork futex MS COUNT                the main thread waits on a futex another thread wakes
 *                                        after sleeping MS, COUNT times
 *   ctwork server [ADDR:]PORT DELAY_MS N TCP server (default address 127.0.0.1; or a unix
 *                                        socket: unix:PATH, unix:@ABSTRACT): answers
 *                                        each request after DELAY_MS, one request at a time
 *                                        across all its clients, N requests in all
 *   ctwork client [ADDR:]PORT N [poll|efd] N requests, blocking in recv (or poll, then recv);
 *                                        ADDR may be IPv6 in brackets: [::1]:PORT; reports
 *                                        its socket's retransmits (TCP_INFO) as "retrans".
 *                                        efd: poll on an eventfd and the socket, as curl does;
 *                                        a thread writes the eventfd every 7 ms. By its own
 *                                        clock: time in polls that returned the socket alone
 *                                        ready ("sock_poll_ns"), the eventfd alone
 *                                        ("efd_poll_ns"), or both ("both_poll_ns": either
 *                                        may have ended the wait)
 *   ctwork hop ADDR:PORT N               N requests, each on a new connection, to PORT and
 *                                        PORT + 1 in turn (IPv4); before each one to PORT
 *                                        it blocks on a pipe and closes it, before each one
 *                                        to PORT + 1 it pauses 20 ms: the socket's struct
 *                                        file is then usually the pipe's, or the last
 *                                        connection's, reused, and its inode may be too (a
 *                                        cache by either address names the wrong endpoint)
 *   ctwork mem MB SECONDS                touch every page of MB of anonymous memory, over
 *                                        and over, for SECONDS (swaps in a limited cgroup)
 *
 * With CTWORK_CGROUP=DIR in the environment it first moves itself into that cgroup, and every
 * figure (wall time included) starts there.
 *
 * On exit each prints one JSON line: the on-CPU time, run-queue delay and context switches of
 * its threads according to the kernel (/proc/thread-self/schedstat and status), their count,
 * and the wall time; and its main thread's on-CPU time, run-queue delay and the process's
 * major faults before main() (majflt counts all of them, getrusage's figure).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static _Atomic uint64_t total_delay, total_oncpu, total_nvcsw, total_nivcsw;
static _Atomic int nthreads;
static unsigned retrans;	/* client: tcpi_total_retrans of its socket before close */
static uint64_t sock_poll_ns, efd_poll_ns, both_poll_ns;	/* client efd: its polls, by what
								 * they returned ready */
static _Atomic int efd_stop;
static double seconds;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* This thread's time on CPU and waiting on a run queue, as the kernel counts them. */
static void schedstat(uint64_t *oncpu, uint64_t *delay)
{
	unsigned long long on = 0, d = 0;
	FILE *f = fopen("/proc/thread-self/schedstat", "r");

	if (!f || fscanf(f, "%llu %llu", &on, &d) != 2)
		on = d = 0;
	if (f)
		fclose(f);
	*oncpu = on;
	*delay = d;
}

/* This thread's voluntary and involuntary context switches, as the kernel counts them. */
static void switches(uint64_t *nv, uint64_t *niv)
{
	unsigned long long v;
	char line[128];
	FILE *f = fopen("/proc/thread-self/status", "r");

	*nv = *niv = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "voluntary_ctxt_switches: %llu", &v) == 1)
			*nv = v;
		else if (sscanf(line, "nonvoluntary_ctxt_switches: %llu", &v) == 1)
			*niv = v;
	}
	if (f)
		fclose(f);
}

/* Threads this program creates live wholly in the job: all their time counts. */
static void thread_done(void)
{
	uint64_t on, d, nv, niv;

	schedstat(&on, &d);
	switches(&nv, &niv);
	total_delay += d;
	total_oncpu += on;
	total_nvcsw += nv;
	total_nivcsw += niv;
	nthreads++;
}

static void burn(uint64_t ns)
{
	uint64_t end = now_ns() + ns;
	volatile uint64_t x = 0;

	while (now_ns() < end)
		x++;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void *spin_thread(void *a)
{
	(void)a;
	burn((uint64_t)(seconds * 1e9));
	thread_done();
	return NULL;
}

static void *wake_thread(void *a)
{
	uint64_t end = now_ns() + (uint64_t)(seconds * 1e9);

	(void)a;
	while (now_ns() < end) {
		sleep_ns(1000000);
		burn(100000);
	}
	thread_done();
	return NULL;
}

static int run_threads(int n, void *(*fn)(void *))
{
	pthread_t t[256];

	if (n < 1 || n > 256)
		return -1;
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, fn, NULL);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return 0;
}

static _Atomic uint32_t futex_word;
static int futex_ms, futex_count;

static long futex(_Atomic uint32_t *w, int op, uint32_t val)
{
	return syscall(SYS_futex, w, op, val, NULL, NULL, 0);
}

static void *futex_waker(void *a)
{
	(void)a;
	for (int i = 0; i < futex_count; i++) {
		sleep_ns((uint64_t)futex_ms * 1000000ULL);
		futex_word = 1;
		futex((_Atomic uint32_t *)&futex_word, FUTEX_WAKE_PRIVATE, 1);
		while (futex_word == 1)	/* the waiter re-arms */
			sched_yield();
	}
	thread_done();
	return NULL;
}

static void futex_waiter_loop(void)
{
	for (int i = 0; i < futex_count; i++) {
		while (futex_word == 0)
			futex((_Atomic uint32_t *)&futex_word, FUTEX_WAIT_PRIVATE, 0);
		futex_word = 0;
	}
}

static int tcp_socket(int family)
{
	int one = 1, fd = socket(family, SOCK_STREAM, 0);

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* "PORT" (127.0.0.1), "ADDR:PORT", "[ADDR6]:PORT", "unix:PATH" or "unix:@ABSTRACT". */
static socklen_t endpoint(const char *spec, struct sockaddr_storage *ss)
{
	const char *colon = strrchr(spec, ':');
	char host[64] = "127.0.0.1";
	uint16_t port = htons((uint16_t)atoi(colon ? colon + 1 : spec));

	memset(ss, 0, sizeof(*ss));
	if (!strncmp(spec, "unix:", 5)) {
		struct sockaddr_un *u = (struct sockaddr_un *)ss;
		size_t n = strlen(spec + 5);

		u->sun_family = AF_UNIX;
		if (n >= sizeof(u->sun_path))
			n = sizeof(u->sun_path) - 1;
		memcpy(u->sun_path, spec + 5, n);
		if (spec[5] != '@')
			return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
		u->sun_path[0] = 0;
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	}
	if (colon && spec[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec - 2), spec + 1);
		a->sin6_family = AF_INET6;
		a->sin6_port = port;
		inet_pton(AF_INET6, host, &a->sin6_addr);
		return sizeof(*a);
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	if (colon)
		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
	a->sin_family = AF_INET;
	a->sin_port = port;
	inet_pton(AF_INET, host, &a->sin_addr);
	return sizeof(*a);
}

#define MAX_CONN 64

static int server(const char *spec, int delay_ms, int n)
{
	struct sockaddr_storage a;
	socklen_t len = endpoint(spec, &a);
	struct pollfd p[MAX_CONN + 1];
	int ls = tcp_socket(a.ss_family), np = 1, served = 0;
	char buf[64];

	if (a.ss_family == AF_UNIX && ((struct sockaddr_un *)&a)->sun_path[0])
		unlink(((struct sockaddr_un *)&a)->sun_path);
	if (bind(ls, (struct sockaddr *)&a, len) || listen(ls, 16)) {
		perror("ctwork server: bind/listen");
		return 1;
	}
	printf("listening %s\n", spec);
	fflush(stdout);
	p[0] = (struct pollfd){ .fd = ls, .events = POLLIN };
	/* One request at a time, whoever sent it: the shape of a single-threaded API server. */
	while (served < n && poll(p, (nfds_t)np, -1) > 0) {
		if ((p[0].revents & POLLIN) && np <= MAX_CONN) {
			int c = accept(ls, NULL, NULL);

			if (c >= 0)
				p[np++] = (struct pollfd){ .fd = c, .events = POLLIN };
		}
		for (int i = 1; i < np && served < n; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (recv(p[i].fd, buf, 1, 0) != 1 ||
			    (sleep_ns((uint64_t)delay_ms * 1000000ULL), send(p[i].fd, "y", 1, 0)) != 1) {
				close(p[i].fd);
				p[i--] = p[--np];
				continue;
			}
			served++;
		}
	}
	for (int i = 0; i < np; i++)
		close(p[i].fd);
	return 0;
}

/* Touch a page of each 4 KiB of @mb MiB, round after round, for @secs seconds. */
static int mem(long mb, double secs)
{
	size_t len = (size_t)mb << 20;
	volatile char *m = malloc(len);
	uint64_t end = now_ns() + (uint64_t)(secs * 1e9);
	unsigned char round = 0;

	if (!m) {
		perror("ctwork mem: malloc");
		return 1;
	}
	do {
		round++;
		for (size_t i = 0; i < len; i += 4096)
			m[i] = (char)round;
	} while (now_ns() < end);
	free((void *)m);
	return 0;
}

static void *efd_ticker(void *arg)
{
	int efd = *(int *)arg;
	uint64_t one = 1;

	while (!efd_stop) {
		sleep_ns(7000000);
		if (write(efd, &one, sizeof(one)) != sizeof(one))
			break;
	}
	return NULL;
}

/* Wait for @fd to be readable in poll beside @efd, timing each poll by what ended it. */
static int efd_wait(int fd, int efd)
{
	struct pollfd p[2] = { { .fd = efd, .events = POLLIN }, { .fd = fd, .events = POLLIN } };
	uint64_t v, t0;

	for (;;) {
		t0 = now_ns();
		if (poll(p, 2, 60000) < 1)
			return -1;
		if (p[1].revents & POLLIN) {
			if (p[0].revents & POLLIN) {
				both_poll_ns += now_ns() - t0;
				if (read(efd, &v, sizeof(v)) != sizeof(v))
					return -1;
			} else {
				sock_poll_ns += now_ns() - t0;
			}
			return 0;
		}
		efd_poll_ns += now_ns() - t0;
		if (read(efd, &v, sizeof(v)) != sizeof(v))
			return -1;
	}
}

static int client(const char *spec, int n, int use_poll)
{
	struct sockaddr_storage a;
	socklen_t len = endpoint(spec, &a);
	int fd = tcp_socket(a.ss_family);
	struct tcp_info ti;
	socklen_t tlen = sizeof(ti);
	int efd = -1;
	pthread_t tick;
	char b;

	if (connect(fd, (struct sockaddr *)&a, len)) {
		perror("ctwork client: connect");
		return 1;
	}
	if (use_poll == 2) {
		efd = eventfd(0, 0);
		if (efd < 0 || pthread_create(&tick, NULL, efd_ticker, &efd))
			return 1;
	}
	for (int i = 0; i < n; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (send(fd, "x", 1, 0) != 1)
			return 1;
		if (use_poll == 1 && poll(&p, 1, 60000) != 1)
			return 1;
		if (use_poll == 2 && efd_wait(fd, efd))
			return 1;
		if (recv(fd, &b, 1, 0) != 1)
			return 1;
	}
	/* The kernel's own count of this socket's retransmitted segments, for the tests. */
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tlen) == 0)
		retrans = ti.tcpi_total_retrans;
	close(fd);
	if (use_poll == 2) {
		efd_stop = 1;
		pthread_join(tick, NULL);
		close(efd);
	}
	return 0;
}

static void *pipe_writer(void *arg)
{
	sleep_ns(2000000);
	return (void *)(long)(write(*(int *)arg, "p", 1) != 1);
}

/*
 * Block in read on a new pipe until a thread writes it, then close it, its read end last: the
 * next file this thread opens on this CPU usually gets that end's struct file.
 */
static int pipe_block(void)
{
	int p[2], bad;
	pthread_t t;
	void *r;
	char c;

	if (pipe(p) || pthread_create(&t, NULL, pipe_writer, &p[1]))
		return -1;
	bad = read(p[0], &c, 1) != 1;
	pthread_join(t, &r);
	close(p[1]);
	close(p[0]);
	return bad || r ? -1 : 0;
}

static int client_hop(const char *spec, int n)
{
	struct sockaddr_storage a;
	socklen_t len = endpoint(spec, &a);
	struct sockaddr_in *in = (struct sockaddr_in *)&a;
	uint16_t port = ntohs(in->sin_port);
	char b;

	if (a.ss_family != AF_INET)
		return 1;
	for (int i = 0; i < n; i++) {
		int fd;

		/*
		 * Before one to the first server, a block on a pipe: the socket then usually gets
		 * the pipe's file. Before one to the second, a pause: the last connection's inode,
		 * freed after an RCU grace period, may then be the new socket's too, with its file
		 * (only the inode's number tells them apart).
		 */
		if (i % 2 == 0 && pipe_block())
			return 1;
		if (i % 2)
			sleep_ns(20000000);
		fd = tcp_socket(AF_INET);
		in->sin_port = htons((uint16_t)(port + i % 2));
		if (connect(fd, (struct sockaddr *)&a, len)) {
			perror("ctwork hop: connect");
			return 1;
		}
		if (send(fd, "x", 1, 0) != 1 || recv(fd, &b, 1, 0) != 1)
			return 1;
		close(fd);
	}
	return 0;
}

/*
 * CTWORK_CGROUP=DIR: move into DIR first, so that wall_ns (taken from here) is the time this
 * process spent in the job: the ground truth for its thread time.
 */
static int join_cgroup(const char *dir)
{
	char path[4096];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "w");
	ok = f && fprintf(f, "%d\n", (int)getpid()) > 0;
	if (f && fclose(f))
		ok = 0;
	if (!ok)
		fprintf(stderr, "ctwork: cannot join %s: %s\n", path, strerror(errno));
	return !ok;
}

/*
 * RATE spawns of /bin/true a second for SECONDS, each waited for (a build's many short
 * processes). Their CPU time, by getrusage(RUSAGE_CHILDREN), goes into children_ns.
 */
extern char **environ;
static unsigned spawned;
static uint64_t children_ns;

static int spawn_storm(int rate, double secs)
{
	uint64_t t0 = now_ns(), end = t0 + (uint64_t)(secs * 1e9), due, now;
	char *args[] = { "/bin/true", NULL };
	struct rusage ru;
	pid_t pid;

	while (now_ns() < end) {
		if (posix_spawn(&pid, args[0], NULL, NULL, args, environ) ||
		    waitpid(pid, NULL, 0) != pid)
			return 1;
		due = t0 + (uint64_t)(++spawned * (1e9 / rate));
		now = now_ns();	/* read once: a second read could pass due, and the wait wrap */
		if (due > now)
			sleep_ns(due - now);
	}
	getrusage(RUSAGE_CHILDREN, &ru);
	children_ns = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
		      (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: ctwork spin|wake THREADS SECONDS | sleep|futex MS COUNT |\n"
			"              server [ADDR:]PORT DELAY_MS N | client [ADDR:]PORT N [poll] |\n"
			"              hop ADDR:PORT N | mem MB SECONDS | spawn RATE SECONDS\n");
	return 2;
}

int main(int argc, char **argv)
{
	uint64_t start = now_ns(), on0, d0, on1, d1, nv0, niv0, nv1, niv1, pre_on, pre_d;
	struct rusage ru, ru0;
	pthread_t t1;
	int ret = 0;

	/* Its time before the move (fork, exec): up to a tick of it may be charged to the job
	 * when the switch into it was not traced (the move is then placed by its runtime). */
	schedstat(&pre_on, &pre_d);
	getrusage(RUSAGE_SELF, &ru0);
	if (getenv("CTWORK_CGROUP") && join_cgroup(getenv("CTWORK_CGROUP")))
		return 1;
	start = now_ns();
	schedstat(&on0, &d0);
	/* Set by the tests' in_cg: the main thread's schedstat as it entered the job's cgroup. */
	if (getenv("CTWORK_T0") && !getenv("CTWORK_CGROUP"))
		sscanf(getenv("CTWORK_T0"), "%" SCNu64 " %" SCNu64, &on0, &d0);
	switches(&nv0, &niv0);
	if (argc < 4 && !(argc == 4 || (argc >= 3 && !strcmp(argv[1], "client"))))
		return usage();
	if (!strcmp(argv[1], "spin") || !strcmp(argv[1], "wake")) {
		seconds = atof(argv[3]);
		ret = run_threads(atoi(argv[2]), argv[1][0] == 's' ? spin_thread : wake_thread);
	} else if (!strcmp(argv[1], "sleep")) {
		for (int i = 0; i < atoi(argv[3]); i++)
			sleep_ns((uint64_t)atoi(argv[2]) * 1000000ULL);
	} else if (!strcmp(argv[1], "futex")) {
		futex_ms = atoi(argv[2]);
		futex_count = atoi(argv[3]);
		/* The main thread waits, so no pthread_join adds futex time of its own. */
		pthread_create(&t1, NULL, futex_waker, NULL);
		futex_waiter_loop();
		pthread_join(t1, NULL);
	} else if (!strcmp(argv[1], "server") && argc == 5) {
		ret = server(argv[2], atoi(argv[3]), atoi(argv[4]));
	} else if (!strcmp(argv[1], "client")) {
		ret = client(argv[2], atoi(argv[3]),
			     argc <= 4 ? 0 : !strcmp(argv[4], "poll") ? 1 : !strcmp(argv[4], "efd") ? 2 : 0);
	} else if (!strcmp(argv[1], "hop")) {
		ret = client_hop(argv[2], atoi(argv[3]));
	} else if (!strcmp(argv[1], "mem")) {
		ret = mem(atol(argv[2]), atof(argv[3]));
	} else if (!strcmp(argv[1], "spawn")) {
		ret = spawn_storm(atoi(argv[2]), atof(argv[3]));
	} else {
		return usage();
	}
	/* The main thread started outside the job: count only its time since it entered it. */
	schedstat(&on1, &d1);
	switches(&nv1, &niv1);
	total_delay += d1 - d0;
	total_oncpu += on1 - on0;
	total_nvcsw += nv1 - nv0;
	total_nivcsw += niv1 - niv0;
	nthreads++;
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"run_delay_ns\":%llu,\"oncpu_ns\":%llu,\"nvcsw\":%llu,\"nivcsw\":%llu,"
	       "\"threads\":%d,\"wall_ns\":%llu,\"majflt\":%ld,\"pre_oncpu_ns\":%llu,"
	       "\"pre_run_delay_ns\":%llu,\"retrans\":%u,\"pre_majflt\":%ld,\"sock_poll_ns\":%llu,"
	       "\"efd_poll_ns\":%llu,\"both_poll_ns\":%llu,\"spawned\":%u,\"children_ns\":%llu}\n",
	       (unsigned long long)total_delay, (unsigned long long)total_oncpu,
	       (unsigned long long)total_nvcsw, (unsigned long long)total_nivcsw, nthreads,
	       (unsigned long long)(now_ns() - start), ru.ru_majflt, (unsigned long long)pre_on,
	       (unsigned long long)pre_d, retrans, ru0.ru_majflt, (unsigned long long)sock_poll_ns,
	       (unsigned long long)efd_poll_ns, (unsigned long long)both_poll_ns, spawned,
	       (unsigned long long)children_ns);
	return ret ? 1 : 0;
}
