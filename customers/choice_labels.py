"""Chinese labels of the catalogue's choice values (English labels are the humanised codes). Where a seed
names a choice, the label is the seed's word (customer sources: 来电咨询, 现场来访, 老客户介绍, 电销…; tiers:
贵宾/钻石卡, 重要/铂金卡…). The other spellings sheets use are data: `data/choice_synonyms.csv`."""
from django.utils.functional import lazy
from django.utils.translation import get_language

ZH = {
    # customer_nature
    "individual": "个人", "company": "公司", "sole_proprietor": "个体工商户", "government": "政府机关/事业单位",
    # customer_source
    "phone_inquiry": "来电咨询", "walk_in": "现场来访", "event": "参加活动", "existing_owner": "已购业主",
    "referral_by_customer": "老客户介绍", "referral_by_staff": "内部员工介绍", "agreement_unit": "协议单位",
    "self_visit": "自来", "telemarketing": "电销", "outdoor_marketing": "店外营销", "insurer_referral": "保险公司推荐",
    "agent_referral": "代理人推荐", "special_channel": "特殊途径", "legacy_import": "历史数据导入",
    # retail_format
    "convenience_store": "便利店", "supermarket": "超市", "hypermarket": "大卖场", "grocery": "食杂店",
    "tobacco_liquor_shop": "烟酒店", "kiosk": "报刊亭/售货亭", "restaurant": "餐饮", "entertainment": "娱乐场所", "other": "其他",
    # business_nature
    "exclusive": "专营", "concurrent": "兼营",
    # tax_type, invoice_type
    "general_taxpayer": "一般纳税人", "small_scale": "小规模纳税人", "none": "无",
    "vat_special": "增值税专用发票", "vat_ordinary": "增值税普通发票", "receipt": "收据",
    # settlement_method, order_method
    "cash": "现金", "transfer": "转账", "bank_draft": "银行汇票", "acceptance_bill": "承兑汇票", "monthly_settlement": "月结",
    "phone": "电话", "online": "网上订货", "mobile_app": "手机APP", "visit": "上门", "fax": "传真",
    # customer_status
    "active": "正常", "suspended": "暂停", "closed_temporarily": "歇业", "cancelled": "注销",
    # market_type, trade_area_type
    "urban": "城镇", "town": "乡镇", "rural": "农村",
    "commercial_center": "商业中心", "shopping_street": "商业街", "residential": "居民区", "industrial": "工业区",
    "school": "学校", "transport_hub": "交通枢纽", "suburban": "城郊",
    # display_form
    "counter": "柜台", "shelf": "货架", "cabinet": "展柜", "mixed": "混合",
    # outlet_scale, business_scale
    "large": "大", "medium": "中", "small": "小", "micro": "微",
    # order_frequency
    "weekly": "每周", "biweekly": "每两周", "monthly": "每月", "irregular": "不定期",
    # licence_type
    "business_licence": "营业执照", "tobacco_retail": "烟草专卖零售许可证", "food": "食品经营许可证", "liquor": "酒类经营许可证",
    # compliance_status
    "clean": "守法", "warned": "警告", "penalised": "处罚",
    # importance, cooperation_level
    "key": "重点", "normal": "一般", "low": "低", "high": "高",
    # confidentiality_level
    "internal": "内部", "confidential": "秘密", "secret": "机密",
    # gender, education
    "male": "男", "female": "女",
    "primary": "小学", "junior": "初中", "senior": "高中/中专", "college": "大专", "bachelor": "本科", "master": "硕士", "doctor": "博士",
    # employer_type, marital_status, annual_income
    "private": "民营企业", "state_owned": "国有企业", "foreign": "外资企业", "self_employed": "个体",
    "single": "未婚", "married": "已婚",
    "lt_100k": "10万元以下", "100k_300k": "10万-30万元", "gt_300k": "30万元以上",
    # tiers
    "A": "A 级（贵宾/钻石卡）", "B": "B 级（重要/铂金卡）", "C": "C 级（一般重要/金卡）", "D": "D 级（一般客户）", "E": "E 级（普通咨询）",
}
# The same value means something else in these fields.
ZH_BY_FIELD = {
    ("employer_type", "government"): "政府机关",
    ("employer_type", "other"): "其他",
    ("credit_rating", "A"): "A", ("credit_rating", "B"): "B", ("credit_rating", "C"): "C",
    ("credit_rating", "D"): "D", ("credit_rating", "E"): "E",
    ("integrity_grade", "A"): "A", ("integrity_grade", "B"): "B", ("integrity_grade", "C"): "C",
}
EN_TIER = {"A": "A (VIP)", "B": "B (important)", "C": "C (gold)", "D": "D (general)", "E": "E (inquiry)"}


def choice_label(field: str, value: str) -> str:
    if (get_language() or "zh-hans").startswith("en"):
        if field == "tier":
            return EN_TIER.get(value, value)
        return value.replace("_", " ").capitalize() if not value.isupper() else value
    return ZH_BY_FIELD.get((field, value)) or ZH.get(value, value)


choice_label_lazy = lazy(choice_label, str)


def choices_for(field: str, values) -> list[tuple[str, str]]:
    return [(value, choice_label_lazy(field, value)) for value in values]
