import pytest

from models.detectors import detect, flags, strong_diversion
from models.normalize import normalize


def kinds(text):
    return {d.kind for d in detect(normalize(text))}


@pytest.mark.parametrize("text, kind, span", [
    ("复制这段￥Rt5Hw8LnQ3￥打开淘宝", "share_code", "复制这段￥Rt5Hw8LnQ3￥打开"),
    ("€Xy7Kp2Q9€", "share_code", "€Xy7Kp2Q9€"),
    ("电话138 1234 5678", "phone", "138 1234 5678"),
    ("加V❤️ abc123", "contact_id", "加V❤️ abc123"),
    ("看 https://t.cn/A6xyz 有惊喜", "url", "https://t.cn/A6xyz"),
    ("回复 @小鹿不乱撞：同问", "at_mention", "@小鹿不乱撞"),
    ("需要的看我主页", "private_channel", "看我主页"),
])
def test_detections_report_original_spans(text, kind, span):
    hits = [d for d in detect(normalize(text)) if d.kind == kind]
    assert hits, f"no {kind} in {text}"
    assert text[hits[0].start:hits[0].end] == span


@pytest.mark.parametrize("text", ["iPhone15promax 256G真香", "微信运动步数第一", "身高165体重50", "求链接"])
def test_ordinary_comments_are_not_strong_diversion(text):
    assert not strong_diversion(detect(normalize(text)))


def test_reply_flag():
    norm = normalize("回复 @阿杰：求链接")
    assert flags(detect(norm), norm)["reply"] is True
