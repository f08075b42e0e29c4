#!/usr/bin/env bash
# Install the Deblur Studio bundle for the current user: no root, nothing outside $HOME.
#   bash install.sh [BUNDLE_DIR]
# BUNDLE_DIR is the one-folder bundle (the folder holding the DeblurStudio binary); by
# default the folder this script sits in (when shipped inside the bundle) or the
# repository's dist/DeblurStudio. It is copied to ~/.local/opt/deblur-studio (override
# with INSTALL_DIR), with a menu entry, icons and a `deblur-studio` command in ~/.local/bin.
# Run it again to update; uninstall.sh removes it all.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ $# -ge 1 ]; then
  src="$1"
elif [ -x "$here/DeblurStudio" ]; then
  src="$here"
else
  src="$here/../../dist/DeblurStudio"
fi
if [ ! -x "$src/DeblurStudio" ]; then
  echo "install.sh: no bundle at $src (expected $src/DeblurStudio; build it with 'make app')" >&2
  exit 1
fi
src="$(cd "$src" && pwd)"

data="${XDG_DATA_HOME:-$HOME/.local/share}"
dest="${INSTALL_DIR:-$HOME/.local/opt/deblur-studio}"
bin_dir="$HOME/.local/bin"
icons_src="$src/_internal/resources/icons"
desktop_src="$here/deblur-studio.desktop"

# Never replace a folder that is not an earlier install (INSTALL_DIR=$HOME by mistake).
if [ -e "$dest" ] && [ ! -x "$dest/DeblurStudio" ]; then
  echo "install.sh: $dest exists and is not a Deblur Studio install; choose another INSTALL_DIR" >&2
  exit 1
fi
# Copy beside the old install, then swap, so a failed copy leaves the old one working.
mkdir -p "$(dirname "$dest")"
rm -rf "$dest.new"
cp -a "$src" "$dest.new"
rm -rf "$dest"
mv "$dest.new" "$dest"

for size in 16 24 32 48 64 128 256 512; do
  if [ -f "$icons_src/deblur-studio-$size.png" ]; then
    mkdir -p "$data/icons/hicolor/${size}x${size}/apps"
    cp "$icons_src/deblur-studio-$size.png" "$data/icons/hicolor/${size}x${size}/apps/deblur-studio.png"
  fi
done

mkdir -p "$data/applications"
sed "s|@EXEC@|\"$dest/DeblurStudio\"|" "$desktop_src" > "$data/applications/deblur-studio.desktop"
chmod 644 "$data/applications/deblur-studio.desktop"

mkdir -p "$bin_dir"
ln -sfn "$dest/DeblurStudio" "$bin_dir/deblur-studio"

# Refresh the menu and icon caches where the tools exist (desktops also notice by themselves).
command -v update-desktop-database >/dev/null && update-desktop-database -q "$data/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$data/icons/hicolor" 2>/dev/null || true

echo "Deblur Studio installed in $dest"
echo "  menu entry: $data/applications/deblur-studio.desktop"
echo "  command:    $bin_dir/deblur-studio$(case ":$PATH:" in *":$bin_dir:"*) ;; *) echo " (add $bin_dir to PATH to type it)";; esac)"
echo "  check it:   QT_QPA_PLATFORM=offscreen \"$dest/DeblurStudio\" --self-test"
