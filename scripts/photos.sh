#!/usr/bin/env bash
# Photographs to train style networks on: installs the Debian packages that
# ship natural photographs (scripts/lib.sh: IMP_PHOTO_PACKAGES) and prints
# the JPEG and PNG pictures they hold (40 kB or more), one path a line,
# sorted. Some are abstract wallpapers rather than photographs; look.
#
#   bash scripts/photos.sh               install, then list
#   bash scripts/photos.sh --list-only   list what is installed already
#   bash scripts/photos.sh --link DIR    install, then make DIR a folder of
#                                        symbolic links to them (a --content DIR)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mode=install link_dir=
case ${1:-} in
  --list-only) mode=list ;;
  --link) link_dir=${2:?--link needs a folder} ;;
  -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
  "") ;;
  *) imp_die "unknown option $1 (try --help)" ;;
esac
[ "$mode" = install ] && imp_install_photo_deps

list() {
  local p
  for p in "${IMP_PHOTO_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || continue
    dpkg -L "$p"
  done | grep -iE '\.(jpe?g|png)$' | while read -r f; do
    # Small files are icons and thumbnails, not photographs.
    [ -f "$f" ] && [ "$(stat -c %s "$f")" -ge 40000 ] && printf '%s\n' "$f"
  done | sort -u
}

if [ -n "$link_dir" ]; then
  mkdir -p "$link_dir"
  n=0
  while read -r f; do
    n=$((n + 1))
    ext=${f##*.}
    ln -sf "$f" "$link_dir/$(printf 'photo%04d' "$n").${ext,,}"
  done < <(list)
  imp_log "linked $n photographs into $link_dir"
else
  list
fi
