#!/usr/bin/env bash
# The test command (README): fetches or installs the real test data, then runs the whole suite.
# Extra arguments go to `dotnet test` (e.g. -- --filter-class '*Symvers*').
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/data/fetch-testdata.sh
exec dotnet test ExportAudit.sln -c Release "$@"
