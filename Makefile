# opencoreml: `make demo` and `make test` install everything they need on a fresh
# Debian/Ubuntu machine (system packages via apt when missing, Python packages via pip).
PYTHON ?= python3
PIP := $(PYTHON) -m pip
APT_PACKAGES := protobuf-compiler libprotobuf-dev nlohmann-json3-dev g++ make
DEMO_MODEL := tests/data/corpus/torch_mlp_fp32/model.mlpackage
export CMAKE_BUILD_PARALLEL_LEVEL ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: demo test install system-deps python-deps clean

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

python-deps:
	$(PIP) install -q --disable-pip-version-check "scikit-build-core>=0.10" "pybind11>=2.12" "protobuf>=4.21" \
	  "numpy>=1.21" "scipy-openblas32>=0.3.27" cmake ninja pytest pillow

install: system-deps python-deps
	$(PIP) install -q --disable-pip-version-check --no-build-isolation .

demo: install
	opencoreml info $(DEMO_MODEL)
	opencoreml validate $(DEMO_MODEL) tests/data/corpus/torch_mlp_nn/model.mlmodel
	opencoreml predict $(DEMO_MODEL) tests/data/corpus/torch_mlp_fp32/inputs.npz

test: install
	$(PYTHON) -m pytest -q

clean:
	rm -rf build dist *.egg-info
