# The README's two commands: `make run` and `make test`. Each sets up .venv from nothing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install clean app

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@# A CPU build of torch only when no torch is there: a CUDA user installs theirs first.
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --disable-pip-version-check "torch==2.13.0"
	$(PY) -m pip install --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	@if [ "$$(uname)" = "Linux" ] && [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ] && [ -z "$$QT_QPA_PLATFORM" ]; then \
	  echo "No display found, so the window cannot open here. Headless options:"; \
	  echo "  $(VENV)/bin/deblur --help                 # train / run / eval from the command line"; \
	  echo "  QT_QPA_PLATFORM=offscreen make run         # the app without a screen"; \
	  echo "  xvfb-run -a make run                       # the app on a virtual screen"; \
	else \
	  $(VENV)/bin/deblur-studio; \
	fi

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

# The double-clickable bundle, dist/DeblurStudio/ (docs/packaging.md): PyInstaller works in
# build-work/, then the bundle's own --self-test runs. Minutes of CPU, so not part of `test`.
app: $(STAMP)
	$(PY) -c "import PyInstaller" 2>/dev/null || $(PY) -m pip install --disable-pip-version-check -e ".[package]"
	nice $(PY) build/build_app.py $(APP_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache build-work dist
