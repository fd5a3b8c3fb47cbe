# Workbench for the DRM_MODE_DUMB_KERNEL_MAP series.  See README.md.
#
#   make                      fetch and verify the base, apply the series
#   make KERNEL=/path/linux   apply the series to that tree, on a new branch
#   make test                 the CI tier of checks
#   make test-full            the CI tier plus the slow checks
#   make list                 the checks, with their tier
#   make bench                the benchmarks (not a test): base against patched
#   make export               write build/linux's commits back to series/
#
# Before the first run, as root: sh bench/setup (it installs make too).

BENCH := python3 bench/dumbkmap

.PHONY: all apply test test-full bench export list

all: apply

apply:
	$(BENCH) apply $(if $(KERNEL),--kernel '$(KERNEL)') \
		$(if $(BRANCH),--branch '$(BRANCH)') $(if $(FORCE),--force)

test:
	$(BENCH) test $(if $(ONLY),--only '$(ONLY)')

test-full:
	$(BENCH) test --full $(if $(ONLY),--only '$(ONLY)')

bench:
	$(BENCH) bench $(if $(ONLY),--only '$(ONLY)')

list:
	$(BENCH) test --list

export:
	$(BENCH) export
