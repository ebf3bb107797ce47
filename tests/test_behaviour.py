"""Behavioural tests of the shipped default model (minimum functionality and invariance)."""
import pytest


@pytest.mark.parametrize("text", ["求链接", "求链接！！", "蹲一个链接", "在哪买的呀", "lj有吗", "求🔗"])
def test_asking_for_a_link_is_ask_link(default_predictor, text):
    assert default_predictor.predict([text])[0]["intent"] == "ask_link"


@pytest.mark.parametrize("text", ["不用求链接了", "链接就不要了，已经拔草了", "太贵了不考虑"])
def test_refusal_is_not_ask_link(default_predictor, text):
    assert default_predictor.predict([text])[0]["intent"] != "ask_link"


@pytest.mark.parametrize("half, full", [
    ("求链接!!", "求链接！！"), ("这个多少钱?", "这个多少钱？"), ("38码还有吗", "３８码还有吗"),
    ("色号是多少,好好看", "色号是多少，好好看"),
])
def test_full_width_does_not_change_the_intent(default_predictor, half, full):
    a, b = default_predictor.predict([half, full])
    assert a["intent"] == b["intent"]


@pytest.mark.parametrize("text", ["求链接", "这个口红色号是多少", "多少钱呀", "已下单等收货", "博主好美", "低价出同款需要的私我"])
@pytest.mark.parametrize("emoji", ["😭", "🙏", "😍😍"])
def test_an_added_emoji_does_not_change_the_intent(default_predictor, text, emoji):
    a, b = default_predictor.predict([text, text + emoji])
    assert a["intent"] == b["intent"]


def test_seller_with_contact_is_spam_and_diversion(default_predictor):
    r = default_predictor.predict(["专业代购正品保证，需要的加V❤ abc123"])[0]
    assert r["intent"] == "spam" and r["diversion"] is True


def test_mentions_are_verbatim_spans(default_predictor):
    text = "求兰蔻小黑瓶的链接，38码黑色那款"
    for m in default_predictor.predict([text])[0]["mentions"]:
        assert text[m["start"]:m["end"]] == m["text"]
