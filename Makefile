# Convenience targets; the README's two commands are scripts/demo.sh and scripts/test.sh.
PD_EXTRA ?= $(HOME)/.local/lib/pd/extra
EXTERNAL  = build/fsync~.pd_linux
# Double-precision Pd (pd64, Pd 0.55+) loads only this name.
EXTERNAL64 = build/fsync~.linux-amd64-64.so
# What Pd opens beside the external: its help and the [fsync.send] abstraction.
PD_FILES   = pd-help/fsync~-help.pd abstractions/fsync.send.pd abstractions/fsync.send-help.pd

.PHONY: build build64 install uninstall package cross test demo bench clean

build:
	cargo build --release
	mkdir -p build
	cp target/release/libfsync.so $(EXTERNAL)
	cp $(PD_FILES) build/

# The same source for double-precision Pd (t_float/t_sample f64, class_new64).
build64:
	cargo build --release --features pd64 --target-dir target/pd64
	mkdir -p build
	cp target/pd64/release/libfsync.so $(EXTERNAL64)

# Puts fsync~ where Pd finds it: $(PD_EXTRA)/fsync/ (Pd searches ~/.local/lib/pd/extra),
# with its help, [fsync.send] and the example patches (fsync/patches/: they declare
# -path fsync -path ../.., so they open from there as they are).
# Then [declare -path fsync] or -path ~/.local/lib/pd/extra/fsync, or add it in Preferences.
install: build build64
	mkdir -p $(PD_EXTRA)/fsync
	cp $(EXTERNAL) $(EXTERNAL64) $(addprefix build/,$(notdir $(PD_FILES))) README.md LICENSE $(PD_EXTRA)/fsync/
	cp -r patches $(PD_EXTRA)/fsync/

# Deken packages for every platform and float size (build/fsync[v…](OS-cpu-32|64).dek
# + .sha256): cross-built, stripped, symbol-checked; the Linux x86-64 ones also
# pass the real-Pd timing tests. See scripts/package.sh.
package:
	bash scripts/package.sh

# Cross-built binaries only (build/cross/<platform>-<floatsize>/), symbol-checked.
cross:
	bash scripts/cross.sh

uninstall:
	rm -rf $(PD_EXTRA)/fsync

test:
	bash scripts/test.sh

demo:
	bash scripts/demo.sh

# Benchmarks (not part of CI; a smoke version is): sync accuracy and CPU cost,
# fsync~ side by side with the workshop's mrpeach recipe, figures printed.
bench: build
	python3 bench/sync.py --events 50 --plot bench/sync.png
	python3 bench/cost.py --seconds 60 --repeat 3

clean:
	cargo clean
	rm -rf build
