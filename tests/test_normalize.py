import pytest

from models.normalize import normalize, normalize_text, unpaired_surrogate


@pytest.mark.parametrize("raw, expected", [
    ("求链接！！", "求链接!!"),                      # full-width punctuation -> half-width
    ("ＡＢＣ３８码", "abc38码"),                      # full-width letters and digits, lower case
    ("這個顏色好好看", "这个颜色好好看"),              # traditional -> simplified (OpenCC)
    ("求連結", "求链接"),                             # Taiwanese 連結 -> 链接
    ("求練接", "求链接"),                             # homophone typo
    ("链jie发一下", "链接发一下"),
    ("加V❤️ abc123", "加微信 abc123"),               # obfuscated contact, variation selector dropped
    ("薇❤同号", "微信同号"),
    ("威信联系", "微信联系"),
    ("vx私聊", "微信私聊"),
    ("绿泡泡找我", "微信找我"),
    ("🐧123456", "qq123456"),
    ("扣扣联系", "qq联系"),
    ("某宝有卖", "淘宝有卖"),
    ("🍑宝搜同款", "淘宝搜同款"),
    ("tb上买的", "淘宝上买的"),
    ("tbh还行", "tbh还行"),                           # no fold inside an English word
    ("某东自营", "京东自营"),
    ("拼夕夕便宜", "拼多多便宜"),
    ("求🔗", "求🔗"),                                 # emoji kept
    ("a    b", "a b"),
])
def test_normalize_cases(raw, expected):
    assert normalize_text(raw) == expected


@pytest.mark.parametrize("raw", ["求練接！！😭", "加V❤️ abc123 看主页", "ＡＢＣ 這個 🐧123", "回复 @小鹿：某宝 tb 有"])
def test_normalize_is_idempotent(raw):
    once = normalize_text(raw)
    assert normalize_text(once) == once


def test_offsets_point_back_to_the_original():
    raw = "姐妹V❤️ abc123求練接"
    norm = normalize(raw)
    start = norm.text.index("微信")
    a, b = norm.to_original(start, start + 2)
    assert raw[a:b] == "V❤"  # the dropped variation selector is not part of the span
    start = norm.text.index("链接")
    a, b = norm.to_original(start, start + 2)
    assert raw[a:b] == "練接"
    assert len(norm.starts) == len(norm.text) == len(norm.ends)


def test_empty_span_is_an_error():
    with pytest.raises(ValueError):
        normalize("abc").to_original(1, 1)


def test_an_unpaired_surrogate_is_scored_as_an_unknown_character():
    # Library callers may pass one (the API and file readers refuse it with a clear error).
    norm = normalize("求链接\udc00好")
    assert norm.text == "求链接\ufffd好" and norm.original == "求链接\udc00好"
    assert unpaired_surrogate("求链接\udc00好") == "unpaired surrogate '\\udc00' at position 3 is not valid Unicode"
    assert unpaired_surrogate("😀 ok") is None
