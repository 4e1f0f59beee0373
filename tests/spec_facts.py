"""Facts the tests take from SPEC.md itself (not from the code), stated once."""

# SPEC "Domain": 乐山市 and its 11 county-level divisions
CITY = ("511100", "乐山市")
DISTRICTS = {
    "511102": "市中区",
    "511111": "沙湾区",
    "511112": "五通桥区",
    "511113": "金口河区",
    "511123": "犍为县",
    "511124": "井研县",
    "511126": "夹江县",
    "511129": "沐川县",
    "511132": "峨边彝族自治县",
    "511133": "马边彝族自治县",
    "511181": "峨眉山市",
}
LESHAN = {CITY[0]: CITY[1], **DISTRICTS}
