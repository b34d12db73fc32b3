# The two commands of the README's quick start, and the few others a developer wants.
# `make run` and `make test` install whatever Debian 12 packages are missing first.

# Build: FFmpeg's libraries for ffmpeg-next, clang for bindgen, a C++ compiler for RocksDB.
# Tests: the ffmpeg CLI, which derives edited copies of the test footage; Chromium and its
# WebDriver for the page's browser tests, with Noto fonts so that Arabic titles render.
APT_PACKAGES := pkg-config clang libclang-dev g++ make \
	libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev \
	ffmpeg curl chromium chromium-driver fonts-noto-core

# Benchmarks only: Python to build Meta's vPDQ, the accuracy and speed baseline, in a venv.
BENCH_APT_PACKAGES := python3 python3-venv python3-dev libavfilter-dev libavdevice-dev
VPDQ_VENV ?= $(HOME)/.cache/firstseen-vpdq

DATA_DIR ?= ./data
LISTEN ?= 127.0.0.1:50051

.PHONY: deps bench-deps run test lint bench accuracy fuzz

deps: PACKAGES = $(APT_PACKAGES)
bench-deps: PACKAGES = $(APT_PACKAGES) $(BENCH_APT_PACKAGES)
deps bench-deps:
	@missing=""; \
	for package in $(PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q --no-install-recommends $$missing; \
	fi
	@command -v cargo >/dev/null || { echo "cargo is missing: install Rust 1.88 or newer (https://rustup.rs)"; exit 1; }

run: deps
	cargo run --release -- serve --data-dir $(DATA_DIR) --listen $(LISTEN)

test: deps
	cargo test --all-targets

lint: deps
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings

$(VPDQ_VENV)/bin/python: | bench-deps
	/usr/bin/python3 -m venv $(VPDQ_VENV)
	$(VPDQ_VENV)/bin/pip install -q vpdq

bench: bench-deps $(VPDQ_VENV)/bin/python
	VPDQ_PYTHON=$(VPDQ_VENV)/bin/python cargo bench --bench fingerprint
	cargo bench --bench scale -- 1000000 10000000
	cargo bench --bench hostile
	cargo bench --bench access
	VPDQ_PYTHON=$(VPDQ_VENV)/bin/python cargo bench --bench accuracy

accuracy: bench-deps $(VPDQ_VENV)/bin/python
	VPDQ_PYTHON=$(VPDQ_VENV)/bin/python cargo bench --bench accuracy

# A longer fuzzing campaign than the one `make test` runs: fingerprints off the wire and mutated
# real videos through the decoder.
FUZZ_CASES ?= 5000
fuzz: deps
	PROPTEST_CASES=$(FUZZ_CASES) cargo test --release --test fuzz
