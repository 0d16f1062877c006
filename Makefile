# Development targets for the seed.cloudflow collection. See docs/developing.md.
# Every target creates/refreshes the venvs it needs (.venv/core-<version>) by itself.

SHELL := /bin/bash
.DEFAULT_GOAL := help
PORT ?= 0

# `make sanity CORES=2.21` limits a run to some ansible-core versions. Only a CORES given on the
# make command line counts (an environment variable of that name may mean something else).
ifeq ($(origin CORES),command line)
export SEED_CLOUDFLOW_CORES := $(CORES)
endif

# Any working Python 3.9+ runs the standard-library-only driver. pyenv shims on PATH may exit 127,
# so every candidate is actually run before it is chosen.
PYENV_ROOT ?= $(HOME)/.pyenv
BOOTSTRAP_PYTHON := $(shell for p in $(PYENV_ROOT)/versions/3.13*/bin/python3.13 $(PYENV_ROOT)/versions/3.1[0-9]*/bin/python3 python3 /usr/bin/python3; do \
	"$$p" -c 'import sys; sys.exit(sys.version_info < (3, 9))' >/dev/null 2>&1 && { echo "$$p"; break; }; done)
DRIVER = $(if $(BOOTSTRAP_PYTHON),$(BOOTSTRAP_PYTHON) hacking/run_tests.py,$(error no working python3 (3.9+) found))

.PHONY: help test lint sanity units integration emulator-tests build demo emulator bench soak venv clean

help:
	@echo 'make test         all checks on the oldest and newest ansible-core (what CI runs)'
	@echo 'make demo         run examples/*.yml against a local emulator'
	@echo 'make lint         ansible-lint, antsibull-docs lint, antsibull-changelog lint'
	@echo 'make sanity | units | integration   one ansible-test kind (make sanity CORES=2.21: one core)'
	@echo 'make build        build the artifact into build/, install it, ansible-doc every module'
	@echo 'make emulator     run the emulator in the foreground (PORT=0 picks a free port)'
	@echo 'make bench        run bench/run.py (BENCH_ARGS=--quick for a smoke run);  make soak: tests/reliability --soak'
	@echo 'make venv         create/refresh .venv/core-*;  make clean: remove venvs, build/, copies'

test:
	@$(DRIVER) test

lint:
	@$(DRIVER) test --label lint --steps lint

sanity:
	@$(DRIVER) test --label sanity --steps sanity

units:
	@$(DRIVER) test --label units --steps units

integration:
	@$(DRIVER) test --label integration --steps integration

emulator-tests:
	@$(DRIVER) test --label emulator-tests --steps emulator reliability

build:
	@$(DRIVER) build

demo:
	@$(DRIVER) demo

emulator:
	@$(DRIVER) emulator --port $(PORT)

bench:
	@$(DRIVER) bench $(BENCH_ARGS)

soak:
	@$(DRIVER) soak

venv:
	@$(DRIVER) venv

clean:
	rm -rf .venv build .cache tests/output
	rm -rf "$${XDG_CACHE_HOME:-$$HOME/.cache}/seed-cloudflow"
