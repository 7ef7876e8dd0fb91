"""Chinese labels of the dealer card's choice values (English labels are the humanised codes)."""
from django.utils.functional import lazy
from django.utils.translation import get_language

ZH = {
    "operator_gender": {"male": "男", "female": "女"},
    "operator_education": {"primary": "小学", "junior": "初中", "senior": "高中/中专", "college": "大专", "bachelor": "本科",
                           "master": "硕士", "doctor": "博士"},
    "funds_status": {"ample": "充裕", "sufficient": "足够", "tight": "紧张", "short": "短缺"},
    "payment_attitude": {"prompt": "迅速", "normal": "正常", "acceptable": "尚可", "delayed": "拖延", "difficult": "恶劣"},
    "organisation": {"sole": "独资", "partnership": "合伙", "joint_stock": "股份公司"},
    "business_policy": {"active": "积极", "conservative": "保守", "solid": "稳健", "ordinary": "普通", "disorderly": "无序",
                        "speculative": "投机"},
    "business_trend": {"booming": "兴旺", "rising": "成长", "steady": "稳定", "declining": "衰退", "critical": "危急"},
    "industry_position": {"leader": "领导者", "influential": "有影响力", "first_rate": "一流", "second_rate": "二流",
                          "third_rate": "三流"},
    "warehouse": {"large": "大", "medium": "中", "small": "小", "none": "无"},
    "return_habit": {"none": "无", "reasonable": "合理", "normal": "正常", "abnormal": "异常"},
    "finance_management": {"good": "良好", "fair": "一般", "poor": "差", "none": "无"},
    "inventory_management": {"good": "良好", "acceptable": "尚可", "fair": "一般", "poor": "差"},
    "premises": {"owned": "自有", "rented": "租赁"},
    "location_type": {"downtown": "市中心", "shopping_street": "商业街", "residential": "住宅区", "industrial": "工业区",
                      "suburb": "郊区"},
    "shop_size": {"large": "大", "medium": "中", "small": "小"},
    "shop_layout": {"good": "良好", "acceptable": "尚可", "ordinary": "普通", "poor": "差"},
    "sales_area": {"local": "本地", "other": "外地"},
    "price_policy": {"reasonable": "合理", "slightly_low": "偏低", "slightly_high": "偏高", "price_cutting": "削价竞争"},
    "franchise_status": {"applicant": "申请中", "active": "正常加盟", "advised": "纠正劝告中", "terminated": "已解约",
                         "expelled": "已除名", "withdrawn": "已退会"},
}
EN = {"franchise_status": {"advised": "Correction advice outstanding"}}


def choice_label(field: str, value: str) -> str:
    if (get_language() or "zh-hans").startswith("en"):
        return EN.get(field, {}).get(value) or (value.replace("_", " ").capitalize() if not value.isupper() else value)
    return ZH.get(field, {}).get(value, value)


choice_label_lazy = lazy(choice_label, str)


def choices_for(field: str, values) -> list[tuple[str, str]]:
    return [(value, choice_label_lazy(field, value)) for value in values]
