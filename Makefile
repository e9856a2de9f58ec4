# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# contrace: build with `make`, test with `make test`, benchmark with `make bench`.

OUTPUT ?= .output
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc
PREFIX ?= /usr/local

ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' \
	-e 's/ppc64le/powerpc/' -e 's/riscv64/riscv/' -e 's/s390x/s390/')
VMLINUX := vmlinux/$(ARCH)/vmlinux.h
ifeq ($(wildcard $(VMLINUX)),)
$(error no $(VMLINUX): architecture '$(ARCH)' is not supported yet; generate one with scripts/gen-vmlinux.sh on such a machine)
endif

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_HDRS := $(wildcard bpf/*.bpf.h) $(wildcard include/*.h) $(VMLINUX)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
SKEL := $(OUTPUT)/contrace.skel.h

# user/ by stage: common/ (shared by all, the windows.jsonl schema and reader), record/,
# snapshot/, report/, pstats/; main.c and the command table on top (docs/ARCHITECTURE.md).
USER_DIRS := user user/common user/record user/snapshot user/report user/pstats
USER_SRCS := $(foreach d,$(USER_DIRS),$(wildcard $(d)/*.c))
USER_HDRS := $(foreach d,$(USER_DIRS),$(wildcard $(d)/*.h)) $(wildcard include/*.h)
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))
# Everything but main.o, as an archive: a unit test links only the objects it uses (the
# histogram tests do not pull in the tracer, the skeleton or libbpf's objects).
LIB_OBJS := $(filter-out $(OUTPUT)/user/main.o,$(USER_OBJS))
LIB := $(OUTPUT)/libcontrace.a

DEPLIBS := libbpf jansson libmicrohttpd
CFLAGS ?= -g -O2
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wno-missing-field-initializers \
	-Iinclude $(addprefix -I,$(USER_DIRS)) -I$(OUTPUT) $(shell pkg-config --cflags $(DEPLIBS))
LDLIBS += $(shell pkg-config --libs $(DEPLIBS)) -lelf -lz -lm -lpthread
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-Ivmlinux/$(ARCH) -Iinclude -Ibpf

# Fuzz targets: libFuzzer with ASan/UBSan, each linked with the user code it exercises.
FUZZ_SRCS := $(wildcard tests/fuzz/*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(OUTPUT)/fuzz/%,$(FUZZ_SRCS))
FUZZ_LIB := user/record/cgroup.c user/common/histo.c user/common/jw.c user/common/util.c user/pstats/pstats.c \
	user/common/progress.c user/snapshot/redact.c user/common/span.c user/snapshot/logcopy.c \
	user/common/names.c user/common/safefile.c user/common/schema.c
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Iinclude $(addprefix -I,$(USER_DIRS)) $(shell pkg-config --cflags jansson)

UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
WORKLOAD := $(OUTPUT)/ctwork
# make bench's floors, loaded by ctfloor: empty programs on the scheduler tracepoints, and the
# same plus the least per-task accounting (state per task and the scheduler's counters), with
# the state in an array as contrace keeps it, and in task storage.
FLOOR := $(OUTPUT)/ctfloor $(OUTPUT)/floor.bpf.o $(OUTPUT)/pertask.bpf.o \
	$(OUTPUT)/pertask-storage.bpf.o

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all test unit bench format format-check clean install demo

all: contrace $(WORKLOAD) $(FLOOR) $(UNIT_BINS) $(FUZZ_BINS)

contrace: $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# job.bpf.o, which defines the shared maps, goes first: bpftool 7.1's linker misplaces an
# extern map when an object defining a map of its own precedes the one that defines it.
$(OUTPUT)/contrace.bpf.o: $(OUTPUT)/bpf/job.bpf.o $(filter-out $(OUTPUT)/bpf/job.bpf.o,$(BPF_OBJS))
	$(call msg,BPFLINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(SKEL): $(OUTPUT)/contrace.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name contrace > $@

# Only tracer.c includes the skeleton: only it waits for the BPF build.
$(OUTPUT)/user/record/tracer.o: $(SKEL)

$(OUTPUT)/user/%.o: user/%.c $(USER_HDRS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(OUTPUT)/tests/%: tests/unit/%.c tests/unit/ut.h $(LIB) $(USER_HDRS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $< $(LIB) $(LDLIBS) -o $@

$(WORKLOAD): tests/workload/ctwork.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -lpthread -o $@

$(OUTPUT)/%.bpf.o: tests/workload/%.bpf.c $(VMLINUX) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/pertask-storage.bpf.o: tests/workload/pertask.bpf.c $(VMLINUX) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DPERTASK_STORAGE -c $< -o $@

$(OUTPUT)/ctfloor: tests/workload/ctfloor.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(shell pkg-config --libs libbpf) -lelf -lz -o $@

$(OUTPUT)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB) $(USER_HDRS) | $(OUTPUT)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< $(FUZZ_LIB) $(shell pkg-config --libs jansson) -lz -o $@

$(OUTPUT) $(OUTPUT)/bpf $(OUTPUT)/tests $(OUTPUT)/fuzz:
	$(Q)mkdir -p $@

test: all
	$(Q)tests/run.sh

unit: all
	$(Q)tests/run.sh unit

bench: all
	$(Q)scripts/bench.sh

demo: all
	$(Q)scripts/demo.sh

install: contrace
	install -D -m 0755 contrace $(DESTDIR)$(PREFIX)/bin/contrace

FORMAT_SRCS = $(wildcard bpf/*.c bpf/*.h include/*.h tests/unit/*.c tests/unit/*.h \
	tests/workload/*.c) $(USER_SRCS) $(filter user/%,$(USER_HDRS))
format:
	$(Q)clang-format -i $(FORMAT_SRCS)

format-check:
	$(Q)clang-format --dry-run --Werror $(FORMAT_SRCS)

clean:
	$(call msg,CLEAN)
	$(Q)rm -rf $(OUTPUT) contrace
