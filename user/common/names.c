// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "names.h"
#include "util.h"

void names__devnum(uint32_t dev, char *buf, size_t len)
{
	snprintf(buf, len, "%u:%u", dev >> 20, dev & 0xfffff);
}

bool names__parse_uevent(const char *text, char *buf, size_t len)
{
	const char *p = text;

	while (p && *p) {
		const char *eol = strchr(p, '\n'), *end = eol ? eol : p + strlen(p);

		if (!strncmp(p, "DEVNAME=", 8)) {
			const char *v = p + 8;
			size_t n = (size_t)(end - v);

			if (!n || n >= len || *v == '/')
				return false;
			for (size_t i = 0; i < n; i++)
				if (!isgraph((unsigned char)v[i]))
					return false;
			memcpy(buf, v, n);
			buf[n] = 0;
			return true;
		}
		p = eol ? eol + 1 : NULL;
	}
	return false;
}

/* A few dozen devices at most on a CI node: a small table, never evicted. */
#define DEV_CACHE 256
static struct {
	uint32_t dev;
	char name[32];
} dev_cache[DEV_CACHE];
static int dev_cached;

const char *names__dev(uint32_t dev)
{
	char path[64], text[1024], num[24];
	int i;

	for (i = 0; i < dev_cached; i++)
		if (dev_cache[i].dev == dev)
			return dev_cache[i].name;
	if (dev_cached == DEV_CACHE)
		i = DEV_CACHE - 1;	/* full: the last slot is reused */
	else
		i = dev_cached++;
	dev_cache[i].dev = dev;
	names__devnum(dev, num, sizeof(num));
	snprintf(path, sizeof(path), "/sys/dev/block/%s/uevent", num);
	if (!dev || ct_read_file(path, text, sizeof(text)) <= 0 ||
	    !names__parse_uevent(text, dev_cache[i].name, sizeof(dev_cache[i].name)))
		snprintf(dev_cache[i].name, sizeof(dev_cache[i].name), "%s", num);
	return dev_cache[i].name;
}

static size_t (*unix_lookup)(void *arg, uint64_t hash, char *buf, size_t len);
static void *unix_lookup_arg;

void names__set_unix_lookup(size_t (*fn)(void *arg, uint64_t hash, char *buf, size_t len),
			    void *arg)
{
	unix_lookup = fn;
	unix_lookup_arg = arg;
}

void names__unix_show(const char *raw, size_t n, char *buf, size_t len)
{
	size_t k = 0;

	if (!len)
		return;
	for (size_t i = 0; i < n && k + 1 < len; i++) {
		unsigned char c = (unsigned char)raw[i];

		if (!c && i > 0 && raw[0])
			break;		/* a path ends at its NUL */
		/* '@' for NULs as /proc/net/unix shows them; nothing unprintable in a name */
		buf[k++] = !c ? '@' : (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	buf[k] = 0;
}

static void unix_name(const struct ct_ep *ep, char *buf, size_t len)
{
	char raw[108], shown[CT_EP_NAME_LEN - 5];
	uint64_t h;
	size_t n;

	memcpy(&h, ep->addr, sizeof(h));
	if (!h) {
		snprintf(buf, len, "unix");
		return;
	}
	n = unix_lookup ? unix_lookup(unix_lookup_arg, h, raw, sizeof(raw)) : 0;
	if (!n) {
		snprintf(buf, len, "unix:#%016llx", (unsigned long long)h);
		return;
	}
	names__unix_show(raw, n, shown, sizeof(shown));
	snprintf(buf, len, "unix:%s", shown);
}

void names__endpoint(const struct ct_ep *ep, char *buf, size_t len, bool *local)
{
	char a[INET6_ADDRSTRLEN] = "?";

	*local = ep->flags & CT_EP_LOCAL;
	switch (ep->family) {
	case CT_AF_INET:
		inet_ntop(AF_INET, ep->addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ep->port);
		break;
	case CT_AF_INET6:
		inet_ntop(AF_INET6, ep->addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ep->port);
		break;
	case CT_AF_UNIX:
		unix_name(ep, buf, len);
		break;
	default:
		snprintf(buf, len, "other");
		break;
	}
}

bool names__parse_port_range(const char *text, uint16_t *lo, uint16_t *hi)
{
	char *end;
	unsigned long a, b;

	a = strtoul(text, &end, 10);
	if (end == text || (*end != ' ' && *end != '\t'))
		return false;
	text = end;
	b = strtoul(text, &end, 10);
	if (end == text || (*end && *end != '\n') || a < 1 || a > b || b > 65535)
		return false;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return true;
}
