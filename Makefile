# The two commands of the README's quick start, and the few others a developer wants.
# `make run` and `make test` install whatever Debian 12 packages are missing first.

# Build: FFmpeg's libraries for ffmpeg-next, clang for bindgen, a C++ compiler for RocksDB.
# Tests: the ffmpeg CLI, which derives edited copies of the test footage.
APT_PACKAGES := pkg-config clang libclang-dev g++ make \
	libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev \
	ffmpeg

DATA_DIR ?= ./data
LISTEN ?= 127.0.0.1:50051

.PHONY: deps run test lint bench

deps:
	@missing=""; \
	for package in $(APT_PACKAGES); do \
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

bench: deps
	cargo bench --bench fingerprint
