.PHONY: setup test lint serve eval bench
setup:
	python3.11 -m venv .venv && .venv/bin/pip install -e ".[dev]"
test:
	.venv/bin/pytest
lint:
	.venv/bin/ruff check assistant ui tests && .venv/bin/mypy
serve:
	.venv/bin/rsi-assistant serve
eval:
	.venv/bin/rsi-assistant eval
bench:
	.venv/bin/rsi-assistant bench
