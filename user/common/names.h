/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Names as users know them: block devices (vda, loop0) and network endpoints (addr:port). */
#ifndef CONTRACE_NAMES_H
#define CONTRACE_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "contrace.h"

/* Kernel dev_t (major << 20 | minor) as "MAJ:MIN". */
void names__devnum(uint32_t dev, char *buf, size_t len);
/*
 * The DEVNAME= value of a uevent file's text ("MAJOR=7\nMINOR=0\nDEVNAME=loop0\n..."): a
 * non-empty name of at most @len - 1 printable, non-space, non-'/'-leading characters. false
 * when there is none.
 */
bool names__parse_uevent(const char *text, char *buf, size_t len);
/* The device's name from /sys/dev/block/MAJ:MIN/uevent (cached), else "MAJ:MIN". */
const char *names__dev(uint32_t dev);
/* Room for any endpoint's name: "unix:" and a 107-byte path, with its NUL. */
#define CT_EP_NAME_LEN 120

/*
 * An endpoint as text: "10.0.0.5:2283", "[fd00::1]:443", "unix:/run/x.sock" (an abstract
 * name: "unix:@name"; one whose name is not known: "unix:#HASH"), "unix" (unnamed),
 * "other". @local is set for an endpoint named by its local side (a served or listening
 * socket).
 */
void names__endpoint(const struct ct_ep *ep, char *buf, size_t len, bool *local);
/*
 * Where names__endpoint finds a unix socket's name by its hash (the recorder's BPF map):
 * @fn fills @buf with the raw name (a path; an abstract one starts with a NUL) and returns its
 * length, or 0 when it does not know it.
 */
void names__set_unix_lookup(size_t (*fn)(void *arg, uint64_t hash, char *buf, size_t len),
			    void *arg);
/* A raw unix socket name of @n bytes as shown: the path, or "@" and an abstract name. */
void names__unix_show(const char *raw, size_t n, char *buf, size_t len);

/* Read the ephemeral port range from ip_local_port_range text "32768\t60999"; false if bad. */
bool names__parse_port_range(const char *text, uint16_t *lo, uint16_t *hi);

#endif /* CONTRACE_NAMES_H */
