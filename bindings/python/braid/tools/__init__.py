"""Command-line tools shipped with braid: ``python -m braid.tools.im2rec`` (image folder -> RecordIO)."""
