"""取り扱う商品のジャンル: the fixed list an operator picks from (optional)."""

from django.utils.translation import gettext_lazy as _

GENRE_CHOICES = [
    ("fashion", _("Fashion")),
    ("bags_shoes", _("Bags, shoes and accessories")),
    ("jewelry_watches", _("Jewelry and watches")),
    ("underwear", _("Underwear and loungewear")),
    ("beauty", _("Beauty and cosmetics")),
    ("health", _("Health and medical care")),
    ("food", _("Food")),
    ("sweets", _("Sweets")),
    ("drinks", _("Drinks and alcohol")),
    ("kitchen", _("Kitchen and tableware")),
    ("interior", _("Interior and bedding")),
    ("daily_goods", _("Daily goods and household supplies")),
    ("home_appliances", _("Home appliances")),
    ("pc_phones", _("PCs, smartphones and peripherals")),
    ("camera_av", _("Cameras and audio-visual")),
    ("books_media", _("Books, music and video")),
    ("games_toys", _("Games and toys")),
    ("hobby", _("Hobbies and crafts")),
    ("kids_baby", _("Kids, baby and maternity")),
    ("sports_outdoor", _("Sports and outdoor")),
    ("car_bike", _("Cars and motorcycles")),
    ("diy_garden", _("DIY, tools and garden")),
    ("pets", _("Pet supplies")),
    ("flowers", _("Flowers and gardening")),
    ("stationery", _("Stationery and office supplies")),
    ("other", _("Other")),
]
