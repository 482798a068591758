"""The HTML report: self-contained (no CDN, images inline), every number disclosure-checked."""
