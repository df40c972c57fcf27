"""Render the station roster's printable page with headless Chromium, to look at it.

Solves the bundled station scenario, exports roster.html (and a redacted copy), then has
Chromium take a screenshot at A4 size (794 x 1123 px, 96 dpi) and print the page to PDF. The
PDF's page count and page size are printed, and with poppler's pdftoppm each PDF page is
turned into a PNG as well, so every printed page can be inspected.

    python benchmarks/render_html.py [--out DIR] [--time-limit 10] [--redact]

Needs Debian's `chromium` (and `poppler-utils` for the per-page PNGs); fonts-noto-cjk gives
the Chinese text a real CJK font.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import matcher
from matcher.export import export_files
from matcher.output import write_folder
from matcher.scenario import read_scenario

ROOT = Path(__file__).resolve().parent.parent
STATION = ROOT / "scenarios" / "station" / "scenario.yaml"
A4_POINTS = (595.28, 841.89)
# Chromium must neither reach the network nor keep state between runs.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--hide-scrollbars")


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("Chromium not found: apt-get install -y chromium")


def render(page: Path, png: Path, pdf: Path) -> None:
    browser = chromium()
    with tempfile.TemporaryDirectory() as profile:
        common = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
        subprocess.run([*common, f"--screenshot={png}", "--window-size=794,1123", page.as_uri()],
                       check=True, capture_output=True, timeout=120)
        subprocess.run([*common, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri()],
                       check=True, capture_output=True, timeout=120)


def pdf_pages(pdf: Path) -> list[tuple[float, float]]:
    """Each page's size in points, read from the MediaBox entries Chromium writes."""
    text = pdf.read_bytes().decode("latin-1")
    boxes = re.findall(r"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", text)
    return [(float(w), float(h)) for w, h in boxes]


def page_pngs(pdf: Path, prefix: Path) -> list[Path]:
    if not shutil.which("pdftoppm"):
        return []
    subprocess.run(["pdftoppm", "-png", "-r", "80", str(pdf), str(prefix)], check=True, timeout=120)
    return sorted(prefix.parent.glob(prefix.name + "-*.png"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="folder for the roster and renders (default: a temp folder)")
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--redact", action="store_true", help="render the redacted page instead")
    args = parser.parse_args()
    out = (args.out or Path(tempfile.mkdtemp(prefix="render-html-"))).resolve()
    scenario = read_scenario(STATION)
    started = time.perf_counter()
    roster_dir = matcher.solve(scenario, time_limit_s=args.time_limit).write(out / "roster")
    solved = time.perf_counter()
    write_folder(roster_dir, export_files(scenario, roster_dir, ["html"], redact=args.redact))
    exported = time.perf_counter()
    page = roster_dir / "roster.html"
    png, pdf = out / "roster.png", out / "roster.pdf"
    render(page, png, pdf)
    rendered = time.perf_counter()
    sizes = pdf_pages(pdf)
    a4 = all(abs(w - A4_POINTS[0]) < 2 and abs(h - A4_POINTS[1]) < 2 for w, h in sizes)
    print(f"solve {solved - started:.1f} s, export {exported - solved:.2f} s, "
          f"render {rendered - exported:.1f} s")
    print(f"page:       {page} ({page.stat().st_size:,} bytes)")
    print(f"screenshot: {png}")
    print(f"pdf:        {pdf}: {len(sizes)} page(s), "
          f"{'all A4' if a4 else 'NOT all A4: ' + ', '.join(f'{w:g}x{h:g} pt' for w, h in sizes)}")
    for path in page_pngs(pdf, out / "pdf-page"):
        print(f"pdf page:   {path}")


if __name__ == "__main__":
    main()
