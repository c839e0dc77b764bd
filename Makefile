.PHONY: setup chat serve test lint format bench reliability clean

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

clean:
	rm -rf .venv build *.egg-info extension/node_modules extension/dist
