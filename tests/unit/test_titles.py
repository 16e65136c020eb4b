"""Tests for job-title classification."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.logic.titles import Seniority, TitleInfo, classify_title

X, V, D, M, IC, U = (
    Seniority.EXECUTIVE,
    Seniority.VP,
    Seniority.DIRECTOR,
    Seniority.MANAGER,
    Seniority.INDIVIDUAL,
    Seniority.UNKNOWN,
)


@pytest.mark.parametrize(
    ("title", "seniority"),
    [
        ("CEO", X),
        ("ceo", X),
        ("ＣＥＯ", X),
        ("Founder", X),
        ("Co-Founder & CEO", X),
        ("Owner", X),
        ("President", X),
        ("Managing Director", X),
        ("Representative Director", X),
        ("Chairman", X),
        ("Board Member", X),
        ("Chief Executive Officer", X),
        ("Executive Officer", X),
        ("Executive Director", X),
        ("Country Manager, Japan", X),
        ("CTO", X),
        ("CIO", X),
        ("CISO", X),
        ("CHRO", X),
        ("代表取締役社長", X),
        ("代表取締役", X),
        ("代表取締役CEO", X),
        ("社長", X),
        ("副社長", X),
        ("取締役副社長", X),
        ("会長", X),
        ("取締役", X),
        ("社外取締役", X),
        ("執行役員", X),
        ("常務執行役員", X),
        ("専務", X),
        ("常務", X),
        ("専務取締役", X),
        ("監査役", X),
        ("代表理事", X),
        ("理事長", X),
        ("創業者", X),
        ("オーナー", X),
        ("個人事業主", X),
        ("ﾀﾞｲﾋｮｳ", U),
        ("VP", V),
        ("Vice President", V),
        ("vice-president of sales", V),
        ("SVP", V),
        ("EVP", V),
        ("Senior Vice President, Marketing", V),
        ("Executive Vice President", V),
        ("本部長", V),
        ("営業本部長", V),
        ("事業本部長", V),
        ("事業部長", V),
        ("統括部長", V),
        ("バイスプレジデント", V),
        ("Director", D),
        ("Senior Director", D),
        ("Head of Marketing", D),
        ("General Manager", D),
        ("部長", D),
        ("営業部長", D),
        ("室長", D),
        ("局長", D),
        ("支店長", D),
        ("研究所長", D),
        ("副本部長", D),
        ("ディレクター", D),
        ("ゼネラルマネージャー", D),
        ("Associate Vice President", D),
        ("Manager", M),
        ("Senior Manager", M),
        ("Team Lead", M),
        ("Tech Lead", M),
        ("Supervisor", M),
        ("課長", M),
        ("係長", M),
        ("次長", M),
        ("マネージャー", M),
        ("マネジャー", M),
        ("ｼﾆｱﾏﾈｰｼﾞｬｰ", M),
        ("リーダー", M),
        ("部長代理", M),
        ("部長補佐", M),
        ("副部長", M),
        ("課長代理", M),
        ("店長", M),
        ("Associate Director", M),
        ("Deputy General Manager", M),
        ("Assistant Vice President", M),
        ("主任", IC),
        ("担当", IC),
        ("担当者", IC),
        ("スタッフ", IC),
        ("一般社員", IC),
        ("社員", IC),
        ("Engineer", IC),
        ("Software Engineer", IC),
        ("Analyst", IC),
        ("Specialist", IC),
        ("Associate", IC),
        ("Account Executive", IC),
        ("Marketing Executive", IC),
        ("Consultant", IC),
        ("Lead Generation Specialist", IC),
        ("Assistant to the CEO", IC),
        ("Executive Assistant to the CEO", IC),
        ("Secretary", IC),
        ("社長秘書", IC),
        ("Intern", IC),
        ("Assistant Manager", IC),
        ("Product Owner", IC),
        ("プロダクトオーナー", IC),
        ("経理事務", IC),
        ("エンジニア", IC),
        ("アルバイト", IC),
        ("", U),
        (None, U),
        ("   ", U),
        ("Sales", U),
        ("営業", U),
        ("パートナー営業", U),
        ("xyz", U),
    ],
)
def test_seniority(title: str | None, seniority: Seniority) -> None:
    assert classify_title(title).seniority is seniority


@pytest.mark.parametrize(
    ("title", "seniority"),
    [
        ("Sales Director and VP", V),
        ("Director / Founder", X),
        ("取締役 営業本部長", X),
        ("部長 兼 課長", D),
        ("CEO & CTO", X),
        ("Engineering Manager", M),
        ("Lead Engineer", M),
    ],
)
def test_highest_match_wins(title: str, seniority: Seniority) -> None:
    assert classify_title(title).seniority is seniority


@pytest.mark.parametrize(
    ("title", "department"),
    [
        ("CEO", "executive"),
        ("代表取締役社長", "executive"),
        ("Managing Director", "executive"),
        ("経営企画部 部長", "executive"),
        ("CFO", "finance"),
        ("Chief Financial Officer", "finance"),
        ("CTO", "engineering"),
        ("Chief Technology Officer", "engineering"),
        ("CIO", "it"),
        ("CMO", "marketing"),
        ("COO", "operations"),
        ("CHRO", "hr"),
        ("General Counsel", "legal"),
        ("営業部長", "sales"),
        ("法人営業部 課長", "sales"),
        ("技術営業", "sales"),
        ("Sales Engineer", "sales"),
        ("Account Executive", "sales"),
        ("VP of Sales", "sales"),
        ("Business Development Manager", "sales"),
        ("代理店営業 課長", "sales"),
        ("マーケティング部 部長", "marketing"),
        ("Head of Marketing", "marketing"),
        ("広報担当", "marketing"),
        ("販売促進部 主任", "marketing"),
        ("情報システム部 課長", "it"),
        ("情シス担当", "it"),
        ("IT部長", "it"),
        ("Head of IT", "it"),
        ("IT Manager", "it"),
        ("社内SE", "it"),
        ("DX推進室 室長", "it"),
        ("Software Engineer", "engineering"),
        ("開発部 部長", "engineering"),
        ("研究開発本部長", "engineering"),
        ("Vice President of Engineering", "engineering"),
        ("経理部長", "finance"),
        ("財務担当", "finance"),
        ("Controller", "finance"),
        ("人事部 採用担当", "hr"),
        ("HR Manager", "hr"),
        ("Talent Acquisition Lead", "hr"),
        ("総務部長", "operations"),
        ("Operations Manager", "operations"),
        ("物流センター長", "operations"),
        ("法務部長", "legal"),
        ("Compliance Officer", "legal"),
        ("購買部 課長", "purchasing"),
        ("Procurement Manager", "purchasing"),
        ("調達担当", "purchasing"),
        ("Product Manager", "product"),
        ("プロダクトマネージャー", "product"),
        ("商品企画部", "product"),
        ("Director", None),
        ("部長", None),
        ("課長", None),
        ("VP", None),
        ("", None),
        ("Assistant to the CEO", None),
    ],
)
def test_department(title: str, department: str | None) -> None:
    assert classify_title(title).department == department


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("営業部長", TitleInfo(D, "sales")),
        ("情報システム部 課長", TitleInfo(M, "it")),
        ("マーケティング部　部長", TitleInfo(D, "marketing")),
        ("ＣＦＯ", TitleInfo(X, "finance")),
        ("Sales Director and VP", TitleInfo(V, "sales")),
    ],
)
def test_examples(title: str, expected: TitleInfo) -> None:
    assert classify_title(title) == expected


def _full_width(text: str) -> str:
    """Return text with printable ASCII turned into its full-width forms."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@given(st.text())
def test_classify_title_never_raises(title: str) -> None:
    info = classify_title(title)
    assert isinstance(info.seniority, Seniority)


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E)))
def test_full_width_and_case_do_not_matter(title: str) -> None:
    info = classify_title(title)
    assert classify_title(_full_width(title)) == info
    assert classify_title(title.upper()) == info
