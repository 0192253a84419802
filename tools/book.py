"""Build the course book: a static site of the eight lessons, for students, with MyST.

    python tools/book.py [--out build/book]

Steps:

1. Stage the sources in ``OUT/src``: the README (the book's front page, with its two
   commands), the *student* copies of the lessons (``make student``'s: solution cells removed)
   with their committed outputs, and ``docs/instructors.md``; write the table of contents
   (``myst.yml``) lesson by lesson.
2. ``myst build --site`` (mystmd, pinned in ``package.json``) parses every page to MyST's
   JSON AST, resolves cross-references and links between pages, and renders the maths
   (KaTeX). Any error or warning it reports fails the build (a link to a page that does not
   exist among them), except the ones that only say it has no network (see OFFLINE_ONLY).
3. Write the HTML here, from that AST: one page per lesson with a sidebar table of contents,
   code cells (collapsed ones folded), and the outputs committed in the notebooks (figures,
   tables, text). A widget's output is saved without its state (``make notebooks`` replaces
   it with a one-line placeholder), so its place shows a note to run the cell in JupyterLab,
   on the hub or on Binder.
   Every internal ``href`` and ``src`` is checked to point at a file of the site.

Why not ``myst build --html``: that renders through a *site theme* (the book theme, a Remix
app), which mystmd downloads from GitHub (``api.mystmd.org`` → a release zip) on first use;
the theme is not published to npm, and CI reaches PyPI, Debian and npm only. The AST of step
2 is the theme's own input, so this step is the part of the theme the book needs.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_student import student_copy  # noqa: E402

MYST = ROOT / "node_modules" / ".bin" / "myst"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ("Interactive widget: its controls need a running kernel. Run this cell in "
               "JupyterLab (make lab), on the class hub or on Binder to move them.")
TITLE = "stackkit: the AI infrastructure stack, from chips to tokens"

CSS = """
body{margin:0;font:16px/1.55 system-ui,-apple-system,Segoe UI,sans-serif;color:#1d1d1f}
nav.toc{position:fixed;top:0;left:0;bottom:0;width:260px;overflow:auto;background:#f6f7f9;
 border-right:1px solid #ddd;padding:16px;box-sizing:border-box;font-size:14px}
nav.toc a{display:block;padding:4px 6px;color:#0b5394;text-decoration:none;border-radius:4px}
nav.toc a.current{background:#dde7f3;font-weight:600}
main{margin-left:260px;padding:24px 40px;max-width:960px}
pre{background:#f4f4f4;padding:10px;overflow:auto;border-radius:4px;font-size:13px}
code{font-family:ui-monospace,Menlo,Consolas,monospace}
.cell-output{margin:0 0 16px 0;overflow:auto}
.cell-output img{max-width:100%;height:auto}
.widget-note{border-left:4px solid #e08214;background:#fff7ec;padding:6px 10px;margin:6px 0}
details.cell>summary{cursor:pointer;color:#555;font-size:14px}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px}
@media (max-width:800px){nav.toc{position:static;width:auto}main{margin-left:0}}
"""


def stage(out: Path) -> Path:
    """Copy the book's sources into ``out/src`` and write its ``myst.yml``; the folder."""
    src = out / "src"
    if src.exists():
        shutil.rmtree(src)
    (src / "notebooks").mkdir(parents=True)
    (src / "docs").mkdir()
    # the Binder badges are remote images: the book links them as text instead, so that the
    # build never asks the network for a picture (it has none in CI, and needs none)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    readme = re.sub(r"\[!\[([^\]]*)\]\((https?://[^)]*)\)\]\((https?://[^)]*)\)",
                    r"[\1](\3)", readme)
    (src / "README.md").write_text(readme, encoding="utf-8")
    lessons = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for path in lessons:
        notebook = student_copy(json.loads(path.read_text(encoding="utf-8")))
        (src / "notebooks" / path.name).write_text(json.dumps(notebook), encoding="utf-8")
    shutil.copy(ROOT / "docs" / "instructors.md", src / "docs" / "instructors.md")
    toc = ["    - file: README.md"]
    toc += ["    - title: Lessons", "      children:"]
    toc += [f"        - file: notebooks/{p.name}" for p in lessons]
    toc += ["    - file: docs/instructors.md"]
    (src / "myst.yml").write_text("\n".join([
        "version: 1", "project:", f"  title: {json.dumps(TITLE)}", "  toc:", *toc,
        "site:", "  title: stackkit", "  template: ./_template", ""]), encoding="utf-8")
    # ``myst build --site`` only reads the site template's description; a local one keeps it
    # from asking api.mystmd.org for the book theme's (the HTML is written by render() below)
    (src / "_template").mkdir()
    (src / "_template" / "template.yml").write_text(
        "jtex: v1\ntitle: stackkit book (pages written by tools/book.py)\nkind: site\n"
        "build:\n  install: 'true'\n  start: 'true'\n", encoding="utf-8")
    return src


#: what mystmd reports that needs the network, which the build does not have: linkified bare
#: domains it cannot resolve, remote badge images it cannot download (they stay remote links)
OFFLINE_ONLY = re.compile(r"https?://|Unsupported image extension")


def run_myst(src: Path) -> list[str]:
    """``myst build --site``; fails on any error or warning except the network-only ones."""
    if not MYST.exists():
        raise SystemExit(f"{MYST} is missing: run `npm ci` (make book does) first")
    result = subprocess.run([str(MYST), "build", "--site", "--ci"], cwd=src,
                            capture_output=True, text=True, timeout=300, check=False)
    log = (result.stdout + result.stderr).splitlines()
    problems = [ln for ln in log if re.match(r"\s*(⛔️|⚠️)", ln)]
    fatal = [ln for ln in problems if not OFFLINE_ONLY.search(ln)]
    if result.returncode != 0 or fatal:
        raise SystemExit(f"myst build failed (exit {result.returncode}):\n" + "\n".join(log))
    return problems


# ------------------------------------------------------------------------- AST -> HTML

class Renderer:
    def __init__(self, slugs: set[str], public: set[str]) -> None:
        self.slugs, self.public = slugs, public

    def url(self, url: str) -> str:
        """A site-relative URL (``/chips``, ``/abc.png``) as a relative one of the flat site."""
        if not url.startswith("/"):
            return url
        path, _, anchor = url[1:].partition("#")
        if path in self.slugs:
            path = f"{path}.html"
        return path + (f"#{anchor}" if anchor else "")

    def children(self, node: dict) -> str:
        return "".join(self.node(child) for child in node.get("children", []))

    def node(self, node: dict) -> str:  # one branch per node type
        kind = node.get("type")
        esc = html.escape
        inline = {"emphasis": "em", "strong": "strong", "delete": "del", "underline": "u",
                  "subscript": "sub", "superscript": "sup", "blockquote": "blockquote",
                  "tableRow": "tr", "caption": "figcaption", "legend": "div"}
        if kind == "text":
            return esc(node.get("value", ""))
        if kind in inline:
            return f"<{inline[kind]}>{self.children(node)}</{inline[kind]}>"
        if kind == "paragraph":
            return f"<p>{self.children(node)}</p>\n"
        if kind == "heading":
            depth, ident = node.get("depth", 2), esc(node.get("html_id") or "")
            return f'<h{depth} id="{ident}">{self.children(node)}</h{depth}>\n'
        if kind == "inlineCode":
            return f"<code>{esc(node.get('value', ''))}</code>"
        if kind in ("math", "inlineMath"):
            return node.get("html") or f"<code>{esc(node.get('value', ''))}</code>"
        if kind == "list":
            tag = "ol" if node.get("ordered") else "ul"
            return f"<{tag}>{self.children(node)}</{tag}>\n"
        if kind == "listItem":
            return f"<li>{self.children(node)}</li>\n"
        if kind in ("link", "crossReference"):
            href = self.url(node.get("url") or ("#" + node.get("html_id", "")))
            return f'<a href="{esc(href)}">{self.children(node)}</a>'
        if kind == "image":
            url = node.get("url", "")
            source = node.get("urlSource", "")
            if url.lstrip("/") not in self.public and re.match(r"https?://", source):
                url = source  # a remote image mystmd could not download offline stays remote
            return f'<img src="{esc(self.url(url))}" alt="{esc(node.get("alt", ""))}">'
        if kind == "table":
            return f"<table>{self.children(node)}</table>\n"
        if kind == "tableCell":
            tag = "th" if node.get("header") else "td"
            return f"<{tag}>{self.children(node)}</{tag}>"
        if kind == "thematicBreak":
            return "<hr>\n"
        if kind == "break":
            return "<br>"
        if kind == "html":
            return node.get("value", "")
        if kind == "code":
            lang = esc(node.get("lang") or "")
            return f'<pre><code class="language-{lang}">{esc(node.get("value", ""))}</code></pre>\n'
        if kind == "block" and node.get("kind") == "notebook-code":
            return self.code_cell(node)
        if kind == "outputs":
            return self.children(node)
        if kind == "output":
            return f'<div class="cell-output">{self.output(node.get("jupyter_data", {}))}</div>\n'
        if kind in ("comment", "mystTarget"):
            return ""
        if kind == "admonition":
            return f'<div class="admonition">{self.children(node)}</div>\n'
        if kind == "container":
            return f"<figure>{self.children(node)}</figure>\n"
        return self.children(node)

    def code_cell(self, block: dict) -> str:
        data = block.get("data") or {}
        hidden = (data.get("jupyter") or {}).get("source_hidden", False)
        parts = [self.node(child) for child in block.get("children", [])]
        code = "".join(p for c, p in zip(block.get("children", []), parts, strict=True)
                       if c.get("type") == "code")
        rest = "".join(p for c, p in zip(block.get("children", []), parts, strict=True)
                       if c.get("type") != "code")
        if hidden:
            tags = data.get("tags") or []
            label = "the exercise's set-up" if "exercise-setup" in tags else "code"
            code = f'<details class="cell"><summary>Show {label}</summary>{code}</details>\n'
        return code + rest

    def output(self, output: dict) -> str:
        kind = output.get("output_type")
        if kind == "stream":
            return f"<pre>{html.escape(output.get('text', ''))}</pre>"
        if kind == "error":
            return f"<pre>{html.escape(output.get('ename', ''))}: " \
                   f"{html.escape(output.get('evalue', ''))}</pre>"
        data = output.get("data") or {}
        plain = (data.get("text/plain") or {}).get("content", "")
        if WIDGET_MIME in data or plain.startswith("(interactive widget"):
            return f'<div class="widget-note">{html.escape(WIDGET_NOTE)}</div>'
        for mime in ("image/svg+xml", "image/png", "image/jpeg", "image/gif"):
            if mime in data:
                src = self.url(data[mime].get("path", ""))
                alt = (data.get("text/plain") or {}).get("content", "figure")
                return f'<img src="{html.escape(src)}" alt="{html.escape(alt)}">'
        if "text/html" in data:
            return data["text/html"].get("content", "")
        if "text/plain" in data:
            return f"<pre>{html.escape(data['text/plain'].get('content', ''))}</pre>"
        return ""


def render(src: Path, out: Path) -> list[Path]:
    site = src / "_build" / "site"
    config = json.loads((site / "config.json").read_text(encoding="utf-8"))
    project = config["projects"][0]
    index = project["index"]
    pages = [{"slug": index, "title": "Home", "level": 1}, *project["pages"]]
    html_dir = out / "html"
    if html_dir.exists():
        shutil.rmtree(html_dir)
    html_dir.mkdir(parents=True)
    public = {p.name for p in (site / "public").iterdir()}
    for name in public:
        shutil.copy(site / "public" / name, html_dir / name)
    renderer = Renderer({p["slug"] for p in pages if "slug" in p}, public)
    written = []
    for page in pages:
        if "slug" not in page:
            continue
        content = json.loads((site / "content" / f"{page['slug']}.json").read_text("utf-8"))
        title = content["frontmatter"].get("title", page.get("title", ""))
        nav = []
        for p in pages:
            if "slug" not in p:
                nav.append(f"<div><strong>{html.escape(p.get('title', ''))}</strong></div>")
                continue
            current = ' class="current"' if p["slug"] == page["slug"] else ""
            label = p.get("title", p["slug"])
            nav.append(f'<a href="{p["slug"]}.html"{current}>{html.escape(label)}</a>')
        body = renderer.children(content["mdast"])
        target = html_dir / ("index.html" if page["slug"] == index else f"{page['slug']}.html")
        target.write_text(
            f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)} · stackkit</title><style>{CSS}</style></head>"
            f"<body><nav class=\"toc\"><p><a href=\"index.html\"><strong>stackkit</strong></a>"
            f"</p>{''.join(nav)}</nav><main><h1>{html.escape(title)}</h1>\n{body}</main>"
            f"</body></html>\n", encoding="utf-8")
        written.append(target)
    # the front page is also reachable by its slug, as the table of contents links it
    if index != "index":
        shutil.copy(html_dir / "index.html", html_dir / f"{index}.html")
    return written


def broken_links(html_dir: Path) -> list[str]:
    """Every internal href/src of the site that points at no file of it."""
    broken = []
    for page in sorted(html_dir.glob("*.html")):
        text = page.read_text(encoding="utf-8")
        ids = set(re.findall(r'\sid="([^"]+)"', text))
        for url in re.findall(r'(?:href|src)="([^"]*)"', text):
            url = html.unescape(url)
            if re.match(r"^[a-z][a-z0-9+.-]*:", url) or url.startswith("//"):
                continue  # an external link (https:, mailto:) or an inline image (data:)
            path, _, anchor = url.partition("#")
            if path and not (html_dir / path).is_file():
                broken.append(f"{page.name}: {url}")
            elif not path and anchor and anchor not in ids:
                broken.append(f"{page.name}: #{anchor}")
    return broken


def build(out: Path) -> tuple[list[Path], float]:
    start = time.perf_counter()
    src = stage(out)
    run_myst(src)
    pages = render(src, out)
    broken = broken_links(out / "html")
    if broken:
        raise SystemExit("broken internal links:\n" + "\n".join(broken))
    return pages, time.perf_counter() - start


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "build" / "book"))
    args = parser.parse_args(argv)
    pages, seconds = build(Path(args.out))
    print(f"built {len(pages)} pages in {Path(args.out) / 'html'} in {seconds:.1f} s "
          "(no broken internal links)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
