"""Regenerate docs/presets.md from the preset files: python -m csmetrics_cli.presets."""

from pathlib import Path

from csmetrics_cli.presets import markdown

target = Path(__file__).resolve().parents[2] / "docs" / "presets.md"
target.write_text(markdown(), encoding="utf-8")
print(f"wrote {target}")
