from models.placement import NoteInfo, PlacementPolicy, ScoredComment, place

POLICY = PlacementPolicy(min_ad_requests=3, min_ad_request_share=0.1, max_blue_links=2)


def comment(cid, intent, p=0.9, *, diversion=False, likes=0, mentions=()):
    scores = {k: 0.0 for k in ("ask_link", "ask_product", "ask_price", "want_buy", "none", "spam")}
    scores[intent] = p
    return ScoredComment(cid, intent, scores, diversion, list(mentions), likes)


def note(**kw):
    values = dict(id="n", title="口红合集", domain="beauty", products=("口红",), ad_link_invited=True, stores=("jd",))
    values.update(kw)
    return NoteInfo(**values)


ASKS = [comment(f"a{i}", "ask_link", likes=i) for i in range(4)]


def kinds(result):
    return [s["kind"] for s in result["suggestions"]]


def test_pilot_domain_and_invited_brand_gets_an_ad_link():
    result = place(note(), ASKS, POLICY)
    ad = [s for s in result["suggestions"] if s["kind"] == "note_ad_link"]
    assert ad and ad[0]["store"] == "jd"


def test_non_pilot_domain_gets_no_ad_link():
    result = place(note(domain="digital"), ASKS, POLICY)
    assert "note_ad_link" not in kinds(result)
    assert any("not in the ad-link pilot" in n["reason"] for n in result["not_suggested"])


def test_uninvited_brand_gets_no_ad_link():
    result = place(note(ad_link_invited=False), ASKS, POLICY)
    assert "note_ad_link" not in kinds(result)
    assert any("not invited" in n["reason"] for n in result["not_suggested"])


def test_existing_links_are_not_suggested_again():
    result = place(note(has_ad_link=True, has_blue_link=True), ASKS, POLICY)
    assert result["suggestions"] == []
    assert sum("already present" in n["reason"] for n in result["not_suggested"]) == 2


def test_low_demand_gets_nothing():
    few = [comment("a", "ask_link"), comment("b", "none"), comment("c", "none")]
    result = place(note(), few[1:], POLICY)
    assert result["suggestions"] == []
    assert all("threshold" in n["reason"] for n in result["not_suggested"])


def test_ad_link_needs_enough_requests():
    result = place(note(), ASKS[:2] + [comment("x", "none")], POLICY)
    assert "note_ad_link" not in kinds(result)
    assert any(n["kind"] == "note_ad_link" and "threshold" in n["reason"] for n in result["not_suggested"])


def test_spam_and_diversion_are_flagged_never_anchors():
    spam = comment("s", "spam", likes=100)
    diverting = comment("d", "ask_link", likes=100, diversion=True)
    result = place(note(), [spam, diverting, *ASKS], POLICY)
    anchors = [s["comment_id"] for s in result["suggestions"] if s["kind"] == "comment_blue_link"]
    assert "s" not in anchors and "d" not in anchors
    assert {f["comment_id"] for f in result["flagged"]} == {"s", "d"}


def test_blue_links_are_capped_and_ranked_by_likes():
    result = place(note(), ASKS, POLICY)
    anchors = [s["comment_id"] for s in result["suggestions"] if s["kind"] == "comment_blue_link"]
    assert anchors == ["a3", "a2"]
    assert any("at most 2 blue links" in n["reason"] for n in result["not_suggested"])


def test_demand_counts_products_and_falls_back_to_the_note_product():
    with_mention = comment("m", "ask_link", mentions=[{"text": "粉底液", "type": "product"}])
    result = place(note(), [with_mention, *ASKS[:2]], POLICY)
    top = {p["product"]: p["comments"] for p in result["demand"]["top_products"]}
    assert top == {"口红": 2, "粉底液": 1}
    assert result["demand"]["by_intent"]["ask_link"] == 3 and result["demand"]["buying"] == 3
