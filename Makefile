.PHONY: setup chat serve test lint format bench reliability dist lowest-deps clean

setup:
	bash scripts/setup.sh

# Set up, then one streamed turn from the terminal (preview provider when no key is set).
chat: setup
	.venv/bin/victor chat "$(or $(Q),What can you do in this workspace?)"

serve: setup
	.venv/bin/victor serve

test:
	bash scripts/test.sh

lint:
	.venv/bin/ruff check server tests bench examples
	.venv/bin/ruff format --check server tests bench

format:
	.venv/bin/ruff format server tests bench

bench: setup
	.venv/bin/python bench/run_all.py

# Full-size reliability runs: 50 kill -9s, 1,000-turn soak, 50 MB documents (CI runs a
# smaller size of the same tests as part of `make test`).
reliability: setup
	VICTOR_RELIABILITY_FULL=1 .venv/bin/python -m pytest -q tests/reliability

# The artifacts: wheel + sdist (python -m build), the universal .vsix (its first start fetches
# the pinned dependencies from PyPI) and one for this platform with every dependency's wheel
# (installs offline), all in dist/. VSIX_TARGET=darwin-arm64 etc. for another platform.
VSIX_TARGET ?= linux-x64
dist: setup
	rm -rf dist
	.venv/bin/python -m build --outdir dist .
	cd extension && [ "$$(cat node_modules/.victor-lock-hash 2>/dev/null)" = "$$(sha256sum package-lock.json | cut -d' ' -f1)" ] || \
	  { npm ci --loglevel=error --no-audit --no-fund >/dev/null && sha256sum package-lock.json | cut -d' ' -f1 >node_modules/.victor-lock-hash; }
	VERSION=$$(.venv/bin/python -c 'import victor; print(victor.__version__)') && \
	  bash extension/scripts/package.sh --wheel "$$PWD/dist/victor_lsp-$$VERSION-py3-none-any.whl" \
	    -o "$$PWD/dist/victor-lsp-$$VERSION.vsix" && \
	  bash extension/scripts/package.sh --wheel "$$PWD/dist/victor_lsp-$$VERSION-py3-none-any.whl" \
	    --target $(VSIX_TARGET) -o "$$PWD/dist/victor-lsp-$(VSIX_TARGET)-$$VERSION.vsix"
	@ls -la dist

# The tests against the lowest dependency versions pyproject.toml allows (a few minutes).
lowest-deps:
	bash scripts/lowest-deps.sh

clean:
	rm -rf .venv build dist *.egg-info extension/node_modules extension/dist extension/bundled
