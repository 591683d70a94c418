#!/usr/bin/env bash
# Writes the public API the build reports as undeclared into each package's PublicAPI.Unshipped.txt.
# Builds the solution once with the PublicApiAnalyzers diagnostics as plain warnings, then:
#   RS0016 (public symbol not declared)      -> its line is added to the project's PublicAPI.Unshipped.txt;
#   RS0017 (declared symbol no longer public) -> its line is removed from PublicAPI.Unshipped.txt, or, when it was
#                                                shipped, recorded there as *REMOVED*.
# Review the diff before committing it: every line is a change of the public surface.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
dotnet build Marketing.Sdk.sln -c Release -nologo -p:TreatWarningsAsErrors=false -p:WarningsAsErrors= >"$log" 2>&1 || true
grep -oE "(RS0016|RS0017): Symbol '.*' (is not part of the declared public API|is part of the declared API).* \[[^]]*\.csproj\]" "$log" \
  | sed -E "s/^(RS001[67]): Symbol '(.*)' is (not )?part of the declared.* \[(.*)\/[^/]*\.csproj\]$/\1\t\4\t\2/" \
  | sort -u > "$log.api" || true
while IFS=$'\t' read -r id dir symbol; do
  unshipped="$dir/PublicAPI.Unshipped.txt"
  [ -f "$unshipped" ] || printf '#nullable enable\n' > "$unshipped"
  if [ "$id" = RS0016 ]; then
    printf '%s\n' "$symbol" >> "$unshipped"
  elif grep -qxF -- "$symbol" "$unshipped"; then
    grep -vxF -- "$symbol" "$unshipped" > "$unshipped.tmp"; mv "$unshipped.tmp" "$unshipped"
  else
    printf '*REMOVED*%s\n' "$symbol" >> "$unshipped"
  fi
done < "$log.api"
for f in src/*/PublicAPI.Unshipped.txt; do
  { head -n 1 "$f"; tail -n +2 "$f" | LC_ALL=C sort -u; } > "$f.tmp" && mv "$f.tmp" "$f"
done
echo "$(wc -l < "$log.api") public API changes written; build log: $log"
git status --short -- 'src/*/PublicAPI.*.txt'
