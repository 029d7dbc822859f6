"""Render one real mail (the service's own Jinja2 templates, renderer and company
settings) with realistic data, and picture its HTML part.

Writes `<out>/mail-<template>.html` (the HTML part exactly as sent) and, when a Chromium
is installed (`apt-get install -y chromium`), `<out>/mail-<template>.png` — a headless
screenshot of it. The attachment (the offer's PDF) is not part of the picture.

Run: `uv run --frozen python scripts/render_mail.py [--template quotation_sent] [--out docs]`
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from integration.mail.domain.mails import Template
from integration.mail.render import Renderer
from integration.mail.settings import MailSettings

ROOT = Path(__file__).resolve().parents[1]

# What the dispatcher hands the templates for each mail: the event's values plus the
# customer's name it looks up (see integration.mail.consumers / dispatch).
SAMPLES: dict[Template, dict[str, Any]] = {
    Template.QUOTATION_SENT: {
        "number": "OF-2026-00142",
        "customer_name": "Ioana Ștefănescu",
        "message": "Conform discuției de ieri, am inclus și corpurile de iluminat pentru "
        "hala de producție, cu montaj în două etape.",
        "valid_until": "2026-12-18",
        "totals": {"net": "18450.00", "vat": "3874.50", "gross": "22324.50"},
    },
    Template.QUOTATION_REMINDER: {
        "number": "OF-2026-00142",
        "customer_name": "Ioana Ștefănescu",
        "valid_until": "2026-12-18",
        "days_before_expiry": 3,
        "totals": {"net": "18450.00", "vat": "3874.50", "gross": "22324.50"},
    },
    Template.ORDER_SHIPPED: {
        "number": "CMD-2026-00987",
        "order_id": "3f1c2d7e-5b8a-4c1e-9d2f-0a6b7c8d9e01",
        "customer_name": "Ioana Ștefănescu",
    },
}

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def file_name(template: Template) -> str:
    return "mail-" + template.value.replace("_", "-")


def render_html(template: Template) -> str:
    renderer = Renderer(MailSettings().company())
    rendered = renderer.render(template, SAMPLES[template])
    return rendered.html


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def screenshot(browser: str, html: Path, png: Path, size: str) -> None:
    with tempfile.TemporaryDirectory(prefix="render-mail-") as profile:
        subprocess.run(
            [
                browser,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--screenshot={png}",
                f"--window-size={size}",
                html.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
            env={**os.environ, "HOME": profile},
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--template", default=Template.QUOTATION_SENT.value, choices=[t.value for t in SAMPLES]
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--size", default="800,720", help="window WIDTH,HEIGHT in pixels")
    args = parser.parse_args(argv)
    template = Template(args.template)
    args.out.mkdir(parents=True, exist_ok=True)
    html_path = args.out / f"{file_name(template)}.html"
    html_path.write_text(render_html(template), encoding="utf-8")
    print(f"wrote {html_path}")
    browser = chromium()
    if browser is None:
        print("no Chromium found (apt-get install -y chromium): HTML only", file=sys.stderr)
        return 0
    png_path = args.out / f"{file_name(template)}.png"
    screenshot(browser, html_path, png_path, args.size)
    print(f"wrote {png_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
