#!/usr/bin/env bash
# Remove what install.sh put in place. Your models, training runs and settings stay
# (~/.local/share/DeblurStudio, ~/.config/DeblurStudio); delete those by hand if wanted.
set -euo pipefail

data="${XDG_DATA_HOME:-$HOME/.local/share}"
dest="${INSTALL_DIR:-$HOME/.local/opt/deblur-studio}"
link="$HOME/.local/bin/deblur-studio"

# The command only if it is ours (a link into the installed bundle).
if [ -L "$link" ] && [ "$(readlink "$link")" = "$dest/DeblurStudio" ]; then
  rm -f "$link"
fi
rm -f "$data/applications/deblur-studio.desktop"
for size in 16 24 32 48 64 128 256 512; do
  rm -f "$data/icons/hicolor/${size}x${size}/apps/deblur-studio.png"
done
# The folder only if it is an install (never a mistyped INSTALL_DIR such as $HOME).
if [ -x "$dest/DeblurStudio" ]; then
  rm -rf "$dest"
fi

command -v update-desktop-database >/dev/null && update-desktop-database -q "$data/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$data/icons/hicolor" 2>/dev/null || true
echo "Deblur Studio removed from $dest (your models, runs and settings were kept)"
