#!/usr/bin/env bash
# The style gallery: every style of a models folder on the same three
# held-out photos (opencv-doc's, never training photos), beside a thumbnail
# (at most 256 px) of its painting, one blend of two styles, one strength
# ramp (0, 0.25, 0.5, 0.75, 1) and each style's `impasto style-score`
# numbers. Writes OUT/gallery/*.jpg and OUT/gallery.md.
#
#   bash scripts/gallery.sh [options]
#     --impasto BIN     the program (default build/apps/impasto/impasto)
#     --models DIR      the styles (default models/; `impasto styles --json`)
#     --out DIR         where gallery.md and gallery/ go (default docs)
#     --vgg DIR         VGG19 for the scores (default: impasto's default)
#     --painting NAME=PATH   the painting of style NAME (repeatable); else
#                       ../shared/styles/NAME.jpg or .png, else opencv-doc's
#                       NAME.jpg (starry: starry_night.jpg)
#     --reference-magenta DIR  score each style against Magenta too
#                       (default: ../shared/models/style/magenta-arbitrary-tflite
#                       when it exists; "none" to skip)
#     --size N          long side of the stylized photos (default 512)
#     --photos "A B C"  three photos (default opencv-doc's fruits, building, messi5)
#     --no-scores       skip style-score (quick looks)
#     --score-size S    style-score's working size (default its own, 256)
#     --score-photos "A B ..."  style-score's photos (default its own six)
# Installs opencv-doc and ImageMagick when the defaults need them.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
opencv=/usr/share/doc/opencv-doc/examples/data
impasto=$root/build/apps/impasto/impasto
models=$root/models
out=$root/docs
vgg=
size=512
scores=1
score_size=
score_photos=
magenta=$root/../shared/models/style/magenta-arbitrary-tflite
photos="$opencv/fruits.jpg $opencv/building.jpg $opencv/messi5.jpg"
declare -A painting_of=()

while [ $# -gt 0 ]; do
  case $1 in
    --impasto) impasto=${2:?}; shift ;;
    --models) models=${2:?}; shift ;;
    --out) out=${2:?}; shift ;;
    --vgg) vgg=${2:?}; shift ;;
    --painting) v=${2:?}; [[ $v == *=* ]] || imp_die "--painting wants NAME=PATH, not $v"
                painting_of[${v%%=*}]=${v#*=}; shift ;;
    --reference-magenta) magenta=${2:?}; shift ;;
    --size) size=${2:?}; shift ;;
    --photos) photos=${2:?}; shift ;;
    --no-scores) scores=0 ;;
    --score-size) score_size=${2:?}; shift ;;
    --score-photos) score_photos=${2:?}; shift ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) imp_die "unknown option $1 (try --help)" ;;
  esac
  shift
done

if ! command -v convert >/dev/null || [ ! -d "$opencv" ]; then
  imp_install_gallery_deps
fi
[ -x "$impasto" ] || imp_die "$impasto: no such program (build first, or give --impasto)"
command -v convert >/dev/null || imp_die "ImageMagick's convert is missing (apt install imagemagick)"
command -v python3 >/dev/null || imp_die "python3 is missing"
read -r -a photo_list <<< "$photos"
[ "${#photo_list[@]}" -eq 3 ] || imp_die "--photos wants three photos"
for p in "${photo_list[@]}"; do
  [ -r "$p" ] || imp_die "$p: missing (apt install opencv-doc, or give --photos)"
done
[ "$magenta" = none ] || [ -d "$magenta" ] || magenta=none
export IMPASTO_MODELS=$models

mapfile -t styles < <("$impasto" styles --json | python3 -c '
import json, sys
for s in json.load(sys.stdin)["styles"]:
    print(s["name"])')
[ "${#styles[@]}" -gt 0 ] || imp_die "$models: no styles (impasto styles --json lists none)"

painting() {
  local name=$1 f
  if [ -n "${painting_of[$name]:-}" ]; then printf '%s\n' "${painting_of[$name]}"; return; fi
  for f in "$root/../shared/styles/$name.jpg" "$root/../shared/styles/$name.png" \
           "$opencv/$name.jpg"; do
    [ -r "$f" ] && { printf '%s\n' "$f"; return; }
  done
  case $name in starry*) [ -r "$opencv/starry_night.jpg" ] && printf '%s\n' "$opencv/starry_night.jpg" ;; esac
  return 0
}

gal=$out/gallery
mkdir -p "$gal"
stem() { local b=${1##*/}; printf '%s\n' "${b%.*}"; }
# Pictures go to a temporary name and are renamed, like every output.
picture() { # stylize arguments... ending in the output name
  local dest=${*: -1} tmp
  tmp=$(dirname "$dest")/.tmp-$(basename "$dest")
  "$impasto" stylize "${@:1:$#-1}" --size "$size" --quality 85 -o "$tmp" >/dev/null || return 1
  mv -f "$tmp" "$dest"
}
thumb() { # in out max
  local tmp
  tmp=$(dirname "$2")/.tmp-$(basename "$2")
  convert "$1" -auto-orient -resize "$3x$3>" -quality 85 "$tmp"
  mv -f "$tmp" "$2"
}

md=$(mktemp "$out/.gallery.md.XXXXXX")
trap 'rm -f "$md"' EXIT
{
  printf '# Gallery\n\n'
  printf 'Written by `scripts/gallery.sh` from the styles in `%s`. ' "$(basename "$models")"
  printf 'The photos are from Debian'"'"'s `opencv-doc`, never used in training; '
  printf 'each stylized at a long side of %d px.\n\n' "$size"
  printf '| | '
  for p in "${photo_list[@]}"; do printf '%s | ' "$(stem "$p")"; done
  printf '\n|---|---|---|---|\n| photo | '
} > "$md"

for p in "${photo_list[@]}"; do
  thumb "$p" "$gal/photo-$(stem "$p").jpg" "$size"
  printf '![%s](gallery/photo-%s.jpg) | ' "$(stem "$p")" "$(stem "$p")" >> "$md"
done
printf '\n' >> "$md"

declare -A score_line=()
for s in "${styles[@]}"; do
  imp_log "style $s"
  art=$(painting "$s")
  cell="**$s**"
  if [ -n "$art" ]; then
    thumb "$art" "$gal/$s-painting.jpg" 256
    cell="**$s**<br>![$s painting](gallery/$s-painting.jpg)"
  else
    imp_log "no painting found for $s (give --painting $s=PATH)"
  fi
  printf '| %s | ' "$cell" >> "$md"
  for p in "${photo_list[@]}"; do
    picture "$p" --style "$s" "$gal/$s-$(stem "$p").jpg"
    printf '![%s, %s](gallery/%s-%s.jpg) | ' "$s" "$(stem "$p")" "$s" "$(stem "$p")" >> "$md"
  done
  printf '\n' >> "$md"
  if [ "$scores" = 1 ] && [ -n "$art" ]; then
    args=(style-score --style "$s" --painting "$art" --json)
    [ -n "$vgg" ] && args+=(--vgg "$vgg")
    [ -n "$score_size" ] && args+=(--size "$score_size")
    [ -n "$score_photos" ] && { read -r -a extra <<< "$score_photos"; args+=("${extra[@]}"); }
    [ "$magenta" != none ] && args+=(--reference-magenta "$magenta")
    score_line[$s]=$("$impasto" "${args[@]}" | python3 -c '
import json, sys
m = json.load(sys.stdin)["mean"]
cells = ["%.4g" % m["style_distance"], "%.4g" % m["content_distance"]]
if "style_ratio" in m:
    cells += ["%.3g" % m["reference_style_distance"], "%.3g" % m["reference_content_distance"],
              "%.2f" % m["style_ratio"], "%.2f" % m["content_ratio"]]
print(" | ".join(cells))')
  fi
done

first=${styles[0]}
p0=${photo_list[0]}
if [ "${#styles[@]}" -ge 2 ]; then
  second=${styles[1]}
  if ! picture "$p0" --blend "$first:0.5,$second:0.5" "$gal/blend-$first-$second.jpg"; then
    imp_log "no blend: $first and $second are not styles of one conditional network"
  else {
    printf '\n## A blend\n\nHalf %s, half %s (`--blend %s:0.5,%s:0.5`):\n\n' \
      "$first" "$second" "$first" "$second"
    printf '![blend of %s and %s](gallery/blend-%s-%s.jpg)\n' "$first" "$second" "$first" "$second"
  } >> "$md"
  fi
fi
{
  printf '\n## Strength\n\n%s at `--strength` 0, 0.25, 0.5, 0.75 and 1:\n\n' "$first"
  printf '| 0 | 0.25 | 0.5 | 0.75 | 1 |\n|---|---|---|---|---|\n| '
} >> "$md"
for k in 0 0.25 0.5 0.75 1; do
  picture "$p0" --style "$first" --strength "$k" "$gal/ramp-$first-$k.jpg"
  printf '![strength %s](gallery/ramp-%s-%s.jpg) | ' "$k" "$first" "$k" >> "$md"
done
printf '\n' >> "$md"

if [ "$scores" = 1 ]; then
  {
    where="opencv-doc's six held-out photos"
    [ -n "$score_photos" ] && where=$score_photos
    printf '\n## Scores\n\n`impasto style-score` on %s at %sx%s ' "$where" \
      "${score_size:-256}" "${score_size:-256}"
    printf '(lower is closer; style: Gram distance to the painting, relu1_1 to relu3_4; '
    printf 'content: relu2_2 distance to the photo'
    [ "$magenta" != none ] && printf '; reference: Magenta arbitrary style on the same painting, and the ratios ours / reference'
    printf ').\n\n'
    if [ "$magenta" != none ]; then
      printf '| style | style distance | content distance | ref. style | ref. content | style ratio | content ratio |\n'
      printf '|---|---|---|---|---|---|---|\n'
    else
      printf '| style | style distance | content distance |\n|---|---|---|\n'
    fi
    for s in "${styles[@]}"; do
      [ -n "${score_line[$s]:-}" ] && printf '| %s | %s |\n' "$s" "${score_line[$s]}"
    done
  } >> "$md"
fi
chmod 644 "$md"
mv -f "$md" "$out/gallery.md"
trap - EXIT
imp_log "wrote $out/gallery.md and $(find "$gal" -name '*.jpg' | wc -l) pictures in $gal"
