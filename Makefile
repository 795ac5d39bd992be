# Two commands do everything on a machine that has only python3:
#   make run   - set up, build the demo database if missing, serve the app on 127.0.0.1:8501
#   make test  - set up (incl. Chromium and LibreOffice for the browser/extract tests), run every test
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DB := data/wehoplan.db
APT_PACKAGES := chromium libreoffice-calc
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup system-deps demo bench lint clean

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

setup: $(STAMP)

# Debian packages the tests need: Chromium (browser tests) and LibreOffice (extracts open cleanly).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v soffice >/dev/null 2>&1 || missing="$$missing libreoffice-calc"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(DB): $(STAMP)
	[ -n "$$WEHOPLAN_DATABASE_URL" ] || [ -f $(DB) ] || $(PY) -m wehoplan init-demo

demo: $(STAMP)
	$(PY) -m wehoplan init-demo --force

run: $(STAMP) $(DB)
	$(PY) -m streamlit run app.py --server.address 127.0.0.1 --server.port 8501 \
	  --server.headless true --browser.gatherUsageStats false

test: $(STAMP) system-deps $(DB)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) -m bench

lint: $(STAMP)
	$(PY) -m ruff check wehoplan tests bench app.py pages

clean:
	rm -rf $(VENV) $(DB) .pytest_cache
