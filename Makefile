# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Development targets for the seed.cloudflow collection: thin wrappers around the nox sessions in
# noxfile.py (`.venv/nox/bin/nox -l` lists them). See docs/developing.md.

SHELL := /bin/bash
.DEFAULT_GOAL := help
PORT ?= 0

# nox itself lives in .venv/nox, made with any Python >= 3.10 that really runs (pyenv shims on
# PATH may exit 127, so every candidate is run before it is chosen).
PYENV_ROOT ?= $(HOME)/.pyenv
BOOTSTRAP_PYTHON := $(shell for p in python3 /usr/bin/python3 $(PYENV_ROOT)/versions/3.1[0-9]*/bin/python3; do \
	"$$p" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 10))' >/dev/null 2>&1 && { echo "$$p"; break; }; done)
NOX_VENV := .venv/nox
NOX := $(NOX_VENV)/bin/nox
NOX_PYTHON := $(NOX_VENV)/bin/python
# With SEED_CLOUDFLOW_CACHE set (several people running checks in one checkout), the session venvs
# and the reports go there instead.
NOX_ENVDIR := $(if $(SEED_CLOUDFLOW_CACHE),$(SEED_CLOUDFLOW_CACHE)/nox,.nox)
REPORT = $(NOX_ENVDIR)/report-$@.json
# `make test` runs two sessions at a time (most of an integration or reliability run is waiting for
# the emulator); JOBS=1 runs them one after the other, with their output as it comes.
JOBS ?= 2

# `make sanity CORES=2.21` runs sanity-2.21; without CORES, the cores `make test` runs. Only a
# CORES given on the make command line counts (an environment variable of that name may mean
# something else).
ifeq ($(origin CORES),command line)
per_core = $(foreach core,$(CORES),-s $(1)-$(core))
else
per_core = -t $(1)
endif

# $(call nox,<summary label>,<nox arguments>): run sessions, then print the summary, whose last
# line is "<label>: N passed, N failed"; non-zero exit if a session failed or none passed.
define nox
@mkdir -p $(NOX_ENVDIR); rm -f $(REPORT); \
$(NOX) --envdir $(NOX_ENVDIR) --report $(REPORT) $(2); nox_status=$$?; \
if [ -s $(REPORT) ]; then $(NOX_PYTHON) hacking/toolchain.py summary --label $(1) $(REPORT); \
else echo "$(1): 0 passed, 1 failed (nox wrote no report: exit $$nox_status)"; false; fi; summary_status=$$?; \
exit $$(( nox_status || summary_status ))
endef

.PHONY: help test lint sanity units integration reliability emulator-tests build ee demo emulator bench soak venv clean

help:
	@echo 'make test         every check on the oldest and the newest ansible-core this machine runs (what CI runs)'
	@echo 'make demo         run examples/*.yml against a local emulator'
	@echo 'make lint         antsibull-nox: ruff, mypy, ansible-lint, docs-check, extra-checks (zero sanity ignores, SPDX lines), build-import-check'
	@echo 'make sanity | units | integration | reliability   one kind (CORES=2.21: on that core only)'
	@echo 'make emulator-tests   the emulator package'"'"'s own tests;  make build: build, install, ansible-doc'
	@echo 'make ee           ansible-builder introspect on the installed artifact, create on the example EE definition'
	@echo 'make emulator     run the emulator in the foreground (PORT=0 picks a free port)'
	@echo 'make bench        bench/run.py, which then runs bench/render.py (BENCH_ARGS=--quick for a smoke run);  make soak: tests/reliability --soak'
	@echo 'make venv         create/refresh every session venv;  make clean: remove them, .venv, build/ and .cache/'
	@echo 'more: $(NOX) -l'

$(NOX): hacking/requirements-nox.txt
	@test -n "$(BOOTSTRAP_PYTHON)" || { echo 'no working python3 (3.10+, with venv) found'; exit 1; }
	rm -rf $(NOX_VENV)
	$(BOOTSTRAP_PYTHON) -m venv $(NOX_VENV)
	$(NOX_VENV)/bin/pip install --disable-pip-version-check -q -r hacking/requirements-nox.txt
	touch $@

test: $(NOX)
	$(call nox,test,--parallel $(JOBS))

lint: $(NOX)
	$(call nox,lint,-s lint ansible-lint docs-check extra-checks build-import-check)

sanity units integration reliability: $(NOX)
	$(call nox,$@,$(call per_core,$@) -- $(if $(filter sanity,$@),$(SANITY_ARGS))$(if $(filter integration,$@),$(INTEGRATION_ARGS)))

emulator-tests: $(NOX)
	$(call nox,$@,-s emulator)

build ee demo soak: $(NOX)
	$(call nox,$@,-s $@)

emulator: $(NOX)
	@$(NOX) --envdir $(NOX_ENVDIR) -s emulator-server -- --port $(PORT)

bench: $(NOX)
	@$(NOX) --envdir $(NOX_ENVDIR) -s bench -- $(BENCH_ARGS)

# every session makes its venv and then skips (it has nothing to do without its commands)
venv: $(NOX)
	$(NOX) --envdir $(NOX_ENVDIR) --install-only

clean:
	rm -rf .venv .nox build .cache tests/output $(if $(SEED_CLOUDFLOW_CACHE),$(NOX_ENVDIR))
