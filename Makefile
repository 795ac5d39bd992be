# Two commands do everything on a machine that has only python3:
#   make run   - set up, build the demo database if missing, serve the app on 127.0.0.1:8501
#   make test  - set up (incl. Chromium and LibreOffice for the browser/extract tests), run every test
# and a few more:
#   make lint  - ruff and mypy
#   make lock  - regenerate requirements.txt (the lock) from pyproject.toml after changing a dependency
# Setting up installs exactly the lock (pinned versions with hashes), then the package itself without
# dependencies, and does it again whenever the lock or pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DB := data/wehoplan.db
APT_PACKAGES := chromium libreoffice-calc postgresql nginx poppler-utils fonts-dejavu-core npm fonts-noto-color-emoji
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Sign-in cookies of a large ID token (many claims or groups) make the WebSocket handshake's
# Cookie line longer than the websockets library's 8 KB default; the app would never connect.
WS_MAX_LINE := 65536

LOCK_ARGS := pyproject.toml --extra dev --generate-hashes --universal --python-version 3.11 -o requirements.txt

.PHONY: run test setup system-deps demo bench bench-scale lint lock clean axe screenshots

# The lock holds the build backend (setuptools) too, so installing the package itself
# (--no-build-isolation) downloads nothing unpinned either.
$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP)

# Debian packages the tests need: Chromium (browser tests), LibreOffice (extracts open cleanly),
# PostgreSQL (every database test runs on a throwaway cluster too; its server binaries live under
# /usr/lib/postgresql/*/bin, off the PATH), nginx (replicas behind a load balancer), poppler-utils
# (pdftotext, pdfinfo, pdftoppm read the council packet back), DejaVu Sans (the packet's font), npm
# (axe-core for the accessibility tests) and a colour emoji font (the status markers in the
# screenshots; a person's own browser has one).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v soffice >/dev/null 2>&1 || missing="$$missing libreoffice-calc"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing="$$missing nginx"; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$$missing fonts-dejavu-core"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	[ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || missing="$$missing fonts-noto-color-emoji"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# axe-core (npm, pinned in package.json and package-lock.json) for the accessibility browser test of the
# public pages: `npm ci` installs exactly the lock into node_modules/.
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(AXE)

axe: $(AXE)

$(DB): $(STAMP)
	[ -n "$$WEHOPLAN_DATABASE_URL" ] || [ -f $(DB) ] || $(PY) -m wehoplan init-demo

demo: $(STAMP)
	$(PY) -m wehoplan init-demo --force

run: $(STAMP) $(DB)
	@# The laptop's demo file follows the code's schema (a shared server's database is upgraded by its operator).
	[ -n "$$WEHOPLAN_DATABASE_URL" ] || $(PY) -m wehoplan db upgrade --db $(DB)
	WEBSOCKETS_MAX_LINE_LENGTH=$(WS_MAX_LINE) $(PY) -m streamlit run app.py --server.address 127.0.0.1 --server.port 8501 \
	  --server.headless true --browser.gatherUsageStats false

test: $(STAMP) system-deps $(AXE) $(DB)
	$(PY) -m pytest -q --durations=15

# Refresh the README's pictures in docs/screenshots/ (make test writes its screenshots to a temporary folder).
screenshots: $(STAMP) system-deps $(AXE) $(DB)
	WEHOPLAN_UPDATE_SCREENSHOTS=1 $(PY) -m pytest -q tests/e2e/test_browser.py tests/e2e/test_public_a11y.py

bench: $(STAMP)
	$(PY) -m bench $(if $(SCALE),--scale)

# County scale: 2k, 10k, 50k and 100k actions x 60 months (`make bench SCALE=1` does the same).
bench-scale: $(STAMP)
	$(PY) -m bench --scale

lint: $(STAMP)
	$(PY) -m ruff check wehoplan tests bench app.py app_pages
	$(PY) -m mypy wehoplan

# Keeps every version already in requirements.txt; add --upgrade-package NAME to move one on purpose.
lock: $(STAMP)
	$(PY) -m uv pip compile $(LOCK_ARGS)

clean:
	rm -rf $(VENV) $(DB) .pytest_cache
