"""`buyintent report`: where buying demand went unanswered, from a scored batch output.

Per note and per product: buying comments by intent; unmet demand (notes where the
placement policy of models/placement.py would place a link, ranked by requests); top
requested products and attributes; diversion and spam per note for moderation. Written as
CSV, PNG charts and one static index.html.
"""
from __future__ import annotations

import html
import logging
import warnings
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from models.labels import BUYING_INTENTS, INTENTS
from models.placement import NoteInfo, PlacementPolicy, ScoredComment, place
from serving.settings import REPO

log = logging.getLogger(__name__)
COLUMNS = ["id", "note_id", "note_title", "note_domain", "intent", "intent_scores", "diversion", "mentions", "likes"]
CJK_FONTS = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC", "SimHei", "PingFang SC", "DejaVu Sans"]


def load_scored(folder: str | Path) -> pd.DataFrame:
    parts = sorted(Path(folder).glob("part-*.parquet"))
    if not parts:
        raise FileNotFoundError(f"{folder}: no part-*.parquet files (is it a `buyintent batch` output?)")
    return pd.concat([pq.read_table(p, columns=COLUMNS).to_pandas() for p in parts], ignore_index=True)


def _notes(df: pd.DataFrame, policy: PlacementPolicy) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-note counts, and the unmet-demand table from the placement policy."""
    rows, unmet = [], []
    for note_id, group in df.groupby("note_id", sort=False):
        title = group["note_title"].iloc[0] or note_id
        domain = group["note_domain"].iloc[0] or "other"
        note = NoteInfo(id=note_id, title=title, domain=domain)
        comments = [ScoredComment(r.id, r.intent, dict(r.intent_scores), bool(r.diversion), list(r.mentions),
                                  int(r.likes or 0)) for r in group.itertuples()]
        decision = place(note, comments, policy)
        counts = decision["demand"]["by_intent"]
        row = {"note_id": note_id, "note_title": title, "domain": domain, "comments": len(group),
               "buying": decision["demand"]["buying"], "requests": decision["demand"]["requests"], **counts,
               "diversion": int(group["diversion"].sum()), "flagged": len(decision["flagged"])}
        rows.append(row)
        blue = [s for s in decision["suggestions"] if s["kind"] == "comment_blue_link"]
        if blue:
            top = decision["demand"]["top_products"]
            unmet.append({"note_id": note_id, "note_title": title, "domain": domain, "requests": row["requests"],
                          "buying": row["buying"], "comments": row["comments"],
                          "top_product": top[0]["product"] if top else title,
                          "blue_link_anchors": " ".join(s["comment_id"] for s in blue),
                          "ad_link_pilot_industry": domain in policy.ad_pilot_domains,
                          "ad_link_demand_met": row["requests"] >= policy.min_ad_requests
                          and row["requests"] / row["comments"] >= policy.min_ad_request_share})
    notes = pd.DataFrame(rows)
    unmet_df = pd.DataFrame(unmet, columns=["note_id", "note_title", "domain", "requests", "buying", "comments",
                                            "top_product", "blue_link_anchors", "ad_link_pilot_industry",
                                            "ad_link_demand_met"])
    return notes, unmet_df.sort_values(["requests", "buying"], ascending=False)


def _mentions(df: pd.DataFrame, types: tuple[str, ...], fallback_to_note: bool) -> pd.DataFrame:
    buying = df[df["intent"].isin(BUYING_INTENTS) & ~df["diversion"]]
    records = []
    for r in buying.itertuples():
        names = {m["text"] for m in r.mentions if m["type"] in types}
        if not names and fallback_to_note:
            names = {r.note_title or r.note_id}  # a request with no mention asks for the note's product
        records += [{"name": n, "intent": r.intent} for n in names]
    if not records:
        return pd.DataFrame(columns=["name", "buying", *sorted(BUYING_INTENTS)])
    table = pd.DataFrame(records).pivot_table(index="name", columns="intent", aggfunc="size", fill_value=0)
    for intent in BUYING_INTENTS:
        if intent not in table:
            table[intent] = 0
    table = table[[i for i in INTENTS if i in BUYING_INTENTS]]
    table.insert(0, "buying", table.sum(axis=1))
    return table.sort_values("buying", ascending=False).reset_index()


def _charts(out: Path, df, notes, unmet, products) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from matplotlib import font_manager

    plt.rcParams["font.sans-serif"] = CJK_FONTS
    plt.rcParams["axes.unicode_minus"] = False
    available = {f.name for f in font_manager.fontManager.ttflist}
    if not available & set(CJK_FONTS[:-1]):
        # Charts still render; Chinese labels show as boxes. The HTML tables are unaffected.
        log.warning("no CJK font found (install e.g. fonts-wqy-microhei): chart labels will not show Chinese")
    warnings.filterwarnings("ignore", message="Glyph .* missing from font")
    made = []

    def save(fig, name):
        fig.tight_layout()
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        made.append(name)

    fig, ax = plt.subplots(figsize=(7, 3.5))
    df["intent"].value_counts().reindex(INTENTS, fill_value=0).plot.bar(ax=ax, color="#4C72B0")
    ax.set_title("comments by intent")
    save(fig, "intents.png")

    top = products.head(15).set_index("name").iloc[::-1]
    if len(top):
        fig, ax = plt.subplots(figsize=(8, 5))
        top[[c for c in top.columns if c != "buying"]].plot.barh(stacked=True, ax=ax)
        ax.set_title("most requested products (buying comments by intent)")
        ax.set_ylabel("")
        save(fig, "top_products.png")

    top = unmet.head(15).iloc[::-1]
    if len(top):
        fig, ax = plt.subplots(figsize=(8, 5))
        ax.barh([f"{t[:18]} ({n})" for t, n in zip(top["note_title"], top["note_id"])], top["requests"], color="#DD8452")
        ax.set_title("unmet demand: link and product requests per note")
        save(fig, "unmet_demand.png")

    hot = notes.sort_values("flagged", ascending=False).head(15).iloc[::-1]
    if len(hot) and hot["flagged"].max() > 0:
        fig, ax = plt.subplots(figsize=(8, 5))
        labels = [f"{t[:18]} ({n})" for t, n in zip(hot["note_title"], hot["note_id"])]
        ax.barh(labels, hot["spam"], label="spam", color="#C44E52")
        ax.barh(labels, hot["diversion"], left=hot["spam"], label="diversion", color="#8172B3")
        ax.legend()
        ax.set_title("moderation hot spots: spam and diversion per note")
        save(fig, "moderation.png")
    return made


def build_report(scored: str | Path, out: str | Path, *, policy: PlacementPolicy | None = None) -> Path:
    """Write the report files and return the path of index.html."""
    policy = policy or PlacementPolicy.from_yaml(REPO / "configs" / "placement.yaml")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    df = load_scored(scored)
    notes, unmet = _notes(df, policy)
    products = _mentions(df, ("product", "brand"), fallback_to_note=True)
    attributes = _mentions(df, ("attribute",), fallback_to_note=False)
    moderation = notes[notes["flagged"] > 0].sort_values("flagged", ascending=False)
    tables = {"notes.csv": notes, "unmet_demand.csv": unmet, "products.csv": products,
              "attributes.csv": attributes, "moderation.csv": moderation}
    for name, table in tables.items():
        table.to_csv(out / name, index=False)
    charts = _charts(out, df, notes, unmet, products)

    def section(title, table, n=20):
        return f"<h2>{html.escape(title)}</h2>" + table.head(n).to_html(index=False, border=0, classes="t")

    page = [
        "<!doctype html><meta charset='utf-8'><title>buyintent daily report</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:1100px}.t{border-collapse:collapse;font-size:13px}"
        ".t td,.t th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left}img{max-width:100%}</style>",
        "<h1>buyintent daily report</h1>",
        f"<p>{len(df):,} scored comments under {len(notes):,} notes; {int(df['intent'].isin(BUYING_INTENTS).sum()):,} "
        f"with buying intent; {len(unmet):,} notes with unmet link demand; {len(moderation):,} notes with comments "
        "to moderate. CSV files beside this page hold the full tables.</p>",
        *[f"<img src='{c}' alt='{c}'>" for c in charts],
        section("Unmet demand (ranked)", unmet), section("Most requested products", products),
        section("Most requested attributes", attributes), section("Moderation hot spots", moderation),
    ]
    (out / "index.html").write_text("\n".join(page), encoding="utf-8")
    return out / "index.html"
