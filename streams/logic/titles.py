"""Classify English and Japanese job titles into a seniority level and a department."""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from streams.logic.normalise import nfkc


class Seniority(enum.IntEnum):
    """How senior a contact is; higher is more senior."""

    UNKNOWN = 0
    INDIVIDUAL = 1
    MANAGER = 2
    DIRECTOR = 3
    VP = 4
    EXECUTIVE = 5


@dataclass(frozen=True)
class TitleInfo:
    """The seniority and department read from a job title."""

    seniority: Seniority
    department: str | None


_X, _V, _D, _M, _I = (
    Seniority.EXECUTIVE,
    Seniority.VP,
    Seniority.DIRECTOR,
    Seniority.MANAGER,
    Seniority.INDIVIDUAL,
)


def _en(words: str) -> str:
    """Return an alternation of English words bounded by non-ASCII-alphanumerics."""
    # Kanji and kana count as \w, so \b would not separate "代表取締役CEO".
    return r"(?<![a-z0-9])(?:" + words + r")(?![a-z0-9])"


# Alternatives are tried left to right at each position, and a match consumes its text, so
# compounds ("vice president", "部長代理") are listed before the words inside them. Entries
# with no value are guards that stop a false match inside a longer word ("経理事務").
_RANKS: list[tuple[str, Seniority | None]] = [
    (_en(r"(?:executive |personal )?assistant (?:to|of|for)(?: .*)?"), _I),
    (_en(r"assistant manager|associate manager"), _I),
    (_en(r"assistant (?:vice president|vp)|avp|deputy (?:general )?manager"), _M),
    (_en(r"(?:assistant|associate|deputy) (?:director|head)"), _M),
    (_en(r"associate vice president|chief of staff"), _D),
    (_en(r"(?:executive |personal )?assistant|secretary|product owner"), _I),
    (_en(r"(?:senior |executive )?vice[ -]?president|vp|svp|evp|gvp|rvp"), _V),
    (_en(r"vice[ -]chair(?:man|woman|person)?|chair(?:man|woman|person)?|board \w+"), _X),
    (_en(r"(?:managing|representative|executive|board) director|director of the board"), _X),
    (_en(r"(?:managing|senior|general|founding) partner|country manager|president"), _X),
    (_en(r"(?:chief|executive|corporate) (?:[a-z&]+ )*?officer|chief executive"), _X),
    (_en(r"ceo|cto|cio|cfo|coo|cmo|cro|cso|cpo|cdo|cco|cao|cno|clo|cxo|chro|ciso|cdxo|caio"), _X),
    (_en(r"(?:co-?)?founder|owner|proprietor|self-employed|sole proprietor"), _X),
    (_en(r"general manager|gm|director|head|dir"), _D),
    (_en(r"(?:team |group )?lead(?:er)?(?! ?gen)|manager|mgr|supervisor|pm|foreman"), _M),
    (_en(r"engineer|developer|programmer|analyst|specialist|associate|consultant|staff"), _I),
    (_en(r"representative|rep|coordinator|administrator|admin|designer|scientist|architect"), _I),
    (_en(r"accountant|clerk|intern|student|member|agent|advisor|adviser|researcher|officer"), _I),
    (_en(r"technician|operator|recruiter|employee|freelancer?|contractor|sdr|bdr"), _I),
    # UK usage: "Marketing Executive" is a junior role.
    (_en(r"(?:account |sales )?executive"), _I),
    (r"経理|管理|修理|処理|料理|整理|受理|心理|物理|論理|原理|総理|地理|推理|税理|代理店", None),
    (r"社長室|会長室|(?:社長|会長|役員)?秘書|アシスタント|プロダクトオーナー", _I),
    (r"副(?:社長|会長|理事長|頭取|院長|学長)|代表取締役|代表執行役|代表理事|代表社員", _X),
    (r"副(?:本部長|事業部長)", _D),
    (r"部長代理|部長補佐|副部長", _M),
    (r"(?:事業|統括)?本部長|事業部長|統括部長|[ヴバ]ァ?イスプレジデント", _V),
    (r"代表|社長|会長|取締役|執行役員|執行役|専務|常務|監査役|頭取|理事長|理事|役員", _X),
    (r"オーナー|創業者|創業|ファウンダー|経営者|個人事業主|院長|学長|プレジデント", _X),
    (r"マネー?ジングディレクター|チーフ.*オフィサー", _X),
    (r"副(?:室長|所長|局長|支店長|工場長|センター長|部門長|課長|店長)|次長|課長代理|課長補佐", _M),
    (r"(?:ゼネラル|ジェネラル)マネー?ジャー?|部長|室長|局長|支店長|支社長|所長|工場長", _D),
    (r"センター長|部門長|ディレクター|ヘッド", _D),
    (r"課長|係長|グループ長|チーム長|班長|店長|主幹|マネー?ジャー?|リーダー|チーフ", _M),
    (r"主任|主査|担当者|担当|スタッフ|一般社員|平社員|契約社員|社員|職員|メンバー|部員|課員", _I),
    (r"エンジニア|アナリスト|スペシャリスト|コンサルタント|デザイナー|プログラマー?|事務", _I),
    (r"研究員|技術者|インターン|アルバイト|パート(?!ナー)|派遣|オペレーター|フリーランス", _I),
]

_DEPARTMENTS: list[tuple[str, str | None]] = [
    (_en(r"chief technology officer|cto"), "engineering"),
    (_en(r"chief (?:information|digital|data) officer|cio|ciso|cdo"), "it"),
    (_en(r"chief (?:financial|accounting) officer|cfo"), "finance"),
    (_en(r"chief (?:marketing|brand) officer|cmo"), "marketing"),
    (_en(r"chief (?:revenue|sales|commercial) officer|cro"), "sales"),
    (_en(r"chief (?:people|human resources?) officer|chro"), "hr"),
    (_en(r"chief operating officer|coo"), "operations"),
    (_en(r"chief legal officer|clo|general counsel"), "legal"),
    (_en(r"chief product officer|cpo"), "product"),
    (_en(r"sales(?: engineer)?|business development|bizdev|account (?:executive|manager)"), "sales"),
    (_en(r"key accounts?|sdr|bdr|revenue|customer success"), "sales"),
    (_en(r"marketing|brand|communications|public relations|pr|growth|demand gen\w*"), "marketing"),
    (_en(r"lead gen\w*|advertising|content"), "marketing"),
    (_en(r"product(?: management| manager| owner)?|ux|user experience"), "product"),
    (_en(r"engineering|engineer|developer|development|software|r&d|research|devops|sre|qa"), "engineering"),
    (_en(r"it|information (?:technology|systems?)|infrastructure|security|sysadmin"), "it"),
    (_en(r"systems? administrator|network|help ?desk|dx|digital transformation|technology"), "it"),
    (_en(r"finance|financial|accounting|accountant|controller|comptroller|treasury"), "finance"),
    (_en(r"treasurer|tax|fp&a|investor relations|ir|bookkeep\w*|payroll|audit"), "finance"),
    (_en(r"hr|human resources?|people|talent|recruit\w*|personnel|l&d"), "hr"),
    (_en(r"purchasing|procurement|buyer|sourcing|vendor management"), "purchasing"),
    (_en(r"operations|ops|supply chain|logistics|facilities|administration"), "operations"),
    (_en(r"general affairs|manufacturing|production|quality|customer (?:support|service)"), "operations"),
    (_en(r"legal|counsel|attorney|lawyer|paralegal|compliance|privacy"), "legal"),
    (r"業務執行|代理店", None),
    (r"技術営業|セールスエンジニア|インサイドセールス|カスタマーサクセス|営業|セールス", "sales"),
    (r"販売促進|販促|マーケティング|マーケ|広報|宣伝|広告|ブランド", "marketing"),
    (r"販売|事業開発|アカウント", "sales"),
    (r"商品企画|製品企画|サービス企画|商品開発|プロダクト", "product"),
    (r"情報システム|情シス|システム部|社内se|情報技術|情報セキュリティ", "it"),
    (r"セキュリティ|インフラ|デジタル", "it"),
    (r"研究開発|開発|技術|エンジニア|研究|設計", "engineering"),
    (r"経理|財務|会計|主計|税務|予算", "finance"),
    (r"人事|採用|労務|人材|人財|研修", "hr"),
    (r"法務|知財|知的財産|コンプライアンス|監査|弁護士|法律|リーガル|内部統制", "legal"),
    (r"購買|調達|資材|仕入|バイヤー", "purchasing"),
    (r"総務|業務|物流|生産|製造|品質|運用|オペレーション|管理部", "operations"),
    (r"カスタマーサポート|工場", "operations"),
    (r"経営企画|経営戦略|社長室|会長室|経営", "executive"),
    (_en(r"office of the (?:ceo|president|chairman)|corporate (?:planning|strategy)"), "executive"),
]


def _compile(table: Sequence[tuple[str, object]]) -> re.Pattern[str]:
    """Join the table's patterns into one regex with one group per row."""
    return re.compile("|".join(f"({pattern})" for pattern, _ in table))


_RANK_RE = _compile(_RANKS)
_DEPARTMENT_RE = _compile(_DEPARTMENTS)


def classify_title(title: str | None) -> TitleInfo:
    """Return the seniority (highest match wins) and department (first match) of a title."""
    return _classify(nfkc(title or "").casefold())


@lru_cache(maxsize=8192)
def _classify(text: str) -> TitleInfo:
    """Classify a normalised, casefolded title."""
    seniority = Seniority.UNKNOWN
    for match in _RANK_RE.finditer(text):
        level = _RANKS[(match.lastindex or 1) - 1][1]
        if level is not None and level > seniority:
            seniority = level
    department: str | None = None
    for match in _DEPARTMENT_RE.finditer(text):
        found = _DEPARTMENTS[(match.lastindex or 1) - 1][1]
        if found is not None and found != "executive":
            department = found
            break
        if found == "executive" and department is None:
            department = found
    if department is None and seniority is Seniority.EXECUTIVE:
        department = "executive"
    return TitleInfo(seniority=seniority, department=department)
